//! The HTTP layer of `shikaku serve` on axum: the chat API and its streamed variant, the
//! consoles' APIs, the channels' webhooks, the embeddable widget, the demo portal page and
//! the pages that citations link to. Handlers turn HTTP into calls of the services
//! (conversation, accounts, publishing) and their results into HTTP; nothing else.

pub mod auth;
pub mod error;
mod guard;
mod routes;
mod sse;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, header};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::accounts::Accounts;
use crate::channels::Channels;
use crate::conversation::Conversations;
use crate::publishing::Publisher;
use crate::settings::ServiceSettings;
use routes::{agent, chat, editor, feedback, handoff, health, pages, sessions, webhooks};

/// Largest request body accepted (a question is at most 2,000 characters).
const BODY_LIMIT: usize = 16 * 1024;
/// Largest editor request (a knowledge file is at most 256 KiB, as JSON).
const EDITOR_BODY_LIMIT: usize = 1024 * 1024;
/// Largest webhook body accepted (LINE batches events).
const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;
/// How long shutdown waits for answers still being written.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What every handler shares; each part is reached through its accessor.
#[derive(Clone)]
pub struct AppState {
    conversations: Conversations,
    accounts: Accounts,
    publisher: Arc<Publisher>,
    channels: Channels,
    limiter: Arc<guard::RateLimiter>,
    settings: Arc<ServiceSettings>,
    pages: Arc<routes::pages::Pages>,
    /// The model file configured, if any (`/readyz` reports it when it failed to load).
    model_path: Option<std::path::PathBuf>,
}

impl AppState {
    pub fn new(
        conversations: Conversations,
        accounts: Accounts,
        publisher: Arc<Publisher>,
        channels: Channels,
        settings: ServiceSettings,
        model_path: Option<std::path::PathBuf>,
    ) -> AppState {
        AppState {
            limiter: Arc::new(guard::RateLimiter::new(settings.rate_per_minute)),
            conversations,
            accounts,
            publisher,
            channels,
            settings: Arc::new(settings),
            pages: Arc::new(routes::pages::Pages::new()),
            model_path,
        }
    }

    pub fn conversations(&self) -> &Conversations {
        &self.conversations
    }

    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    pub fn channels(&self) -> &Channels {
        &self.channels
    }

    fn pages(&self) -> &routes::pages::Pages {
        &self.pages
    }

    fn model_path(&self) -> Option<&std::path::Path> {
        self.model_path.as_deref()
    }
}

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let limited = Router::new()
        .route("/api/v1/chat", post(chat::chat))
        .route("/api/v1/feedback", post(feedback::feedback))
        .route("/api/v1/handoff", post(handoff::handoff))
        .route("/agent/api/login", post(agent::login))
        .layer(axum::middleware::from_fn(guard::time_limit))
        .route("/api/v1/chat/stream", post(chat::chat_stream))
        .route("/api/v1/sessions/{id}/events", get(sessions::events))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::rate_limit,
        ));
    let api = Router::new()
        .route("/api/v1/sessions/{id}/messages", get(sessions::messages))
        .route("/agent/api/me", get(agent::me))
        .route("/agent/api/tickets", get(agent::tickets))
        .route("/agent/api/tickets.csv", get(agent::tickets_csv))
        .route("/agent/api/tickets/{id}", get(agent::ticket))
        .route("/agent/api/tickets/{id}/claim", post(agent::claim))
        .route("/agent/api/tickets/{id}/reply", post(agent::reply))
        .route("/agent/api/tickets/{id}/notes", post(agent::note))
        .route("/agent/api/tickets/{id}/resolve", post(agent::resolve))
        .route("/agent/api/logout", post(agent::logout))
        .route("/agent/api/users", get(agent::users))
        .route("/api/v1/openapi.json", get(pages::openapi))
        .layer(axum::middleware::from_fn(guard::time_limit))
        .merge(limited)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(cors(&state.settings));
    Router::new()
        .route("/", get(pages::demo))
        .route("/widget.js", get(pages::widget))
        .route("/assets/{file}", get(pages::asset))
        .route("/kb/{doc_id}", get(pages::document))
        .route("/agent", get(pages::agent_console))
        .route("/admin", get(pages::editor_console))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .merge(api)
        .merge(
            Router::new()
                .route("/admin/api/me", get(editor::me))
                .route("/admin/api/documents", get(editor::documents))
                .route(
                    "/admin/api/documents/{*path}",
                    get(editor::document)
                        .put(editor::save)
                        .delete(editor::delete),
                )
                .route("/admin/api/check", post(editor::check))
                .route("/admin/api/try", post(editor::try_drafts))
                .route("/admin/api/publish", post(editor::publish))
                .route("/admin/api/releases", get(editor::releases))
                .route("/admin/api/releases/{id}/diff", get(editor::diff))
                .route("/admin/api/releases/{id}/rollback", post(editor::rollback))
                .route("/admin/api/audit", get(editor::audit))
                .route("/admin/api/analytics", get(editor::analytics))
                .route("/admin/api/analytics.csv", get(editor::analytics_csv))
                .layer(axum::middleware::from_fn(guard::time_limit))
                .layer(DefaultBodyLimit::max(EDITOR_BODY_LIMIT)),
        )
        .merge(
            Router::new()
                .route("/admin/api/import", post(editor::import))
                .layer(axum::middleware::from_fn(guard::time_limit))
                .layer(DefaultBodyLimit::max(
                    crate::publishing::import::MAX_IMPORT_BYTES,
                )),
        )
        .merge(
            webhooks::routes(&state.channels)
                .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT))
                .layer(axum::middleware::from_fn(guard::time_limit)),
        )
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::observe,
        ))
        .with_state(state)
}

fn cors(settings: &ServiceSettings) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(settings.cors_origins.clone()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .expose_headers([
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// Serves until SIGINT or SIGTERM, then stops taking requests, lets the answers being
/// written finish (up to 30 s) and closes the database.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> Result<()> {
    serve_until(state, listener, shutdown_signal()).await
}

/// Serves until `stop` completes (a signal, or a test that is done), then shuts down as
/// [`serve`] does.
pub async fn serve_until(
    state: AppState,
    listener: tokio::net::TcpListener,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let conversations = state.conversations.clone();
    let relay = conversations.clone();
    tokio::spawn(async move { relay.relay_notifications().await });
    state.channels.start(&conversations);
    let (publisher, shutdown) = (state.publisher.clone(), conversations.shutdown_token());
    tokio::spawn(async move { publisher.follow(shutdown).await });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let streams = conversations.shutdown_token();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            stop.await;
            streams.cancel();
        })
        .await
        .context("serving")?;
    conversations.close(SHUTDOWN_GRACE).await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}
