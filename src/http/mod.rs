//! The HTTP layer of `shikaku serve` on axum: the chat API and its streamed variant, the
//! consoles' APIs, the channels' webhooks, the embeddable widget, the demo portal page and
//! the pages that citations link to. Handlers turn HTTP into calls of the services
//! (conversation, accounts, publishing) and their results into HTTP; nothing else.

pub mod auth;
pub mod error;
mod guard;
mod headers;
mod listen;
pub use listen::bind;
pub mod openapi;
pub mod responses;
mod routes;
mod sse;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, header};
use axum::routing::{MethodRouter, delete, get, post, put};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::accounts::Accounts;
use crate::channels::Channels;
use crate::conversation::Conversations;
use crate::publishing::Publisher;
use crate::settings::ServiceSettings;
pub use routes::health::ConfiguredModels;
use routes::{
    accounts, agent, canned, chat, desk, editor, faq_form, feedback, handoff, health, ownership,
    pages, releases, sessions, webhooks,
};

/// Largest request body accepted: the longest valid one (an agent's 4,000 characters) fits
/// even with every character written as a 12-byte JSON escape (a test in `openapi` says so).
const BODY_LIMIT: usize = 64 * 1024;
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
    /// Event streams open now, per client and in all.
    streams: Arc<guard::StreamSlots>,
    settings: Arc<ServiceSettings>,
    /// The model files configured (`/readyz` reports one that failed to load).
    models: Arc<routes::health::ConfiguredModels>,
    /// The last database probe of `/readyz`, reused for a while.
    readiness: Arc<routes::health::ProbeCache>,
}

impl AppState {
    pub fn new(
        conversations: Conversations,
        accounts: Accounts,
        publisher: Arc<Publisher>,
        channels: Channels,
        settings: ServiceSettings,
        models: routes::health::ConfiguredModels,
    ) -> AppState {
        AppState {
            limiter: Arc::new(guard::RateLimiter::new(settings.rate_per_minute)),
            streams: Arc::new(guard::StreamSlots::new(
                settings.max_streams,
                settings.max_streams_per_client,
            )),
            conversations,
            accounts,
            publisher,
            channels,
            settings: Arc::new(settings),
            models: Arc::new(models),
            readiness: Arc::default(),
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
}

/// One route: its method and path (as axum writes them) and its handler.
struct Route {
    /// Read by the API document's test.
    #[cfg_attr(not(test), allow(dead_code))]
    method: &'static str,
    path: &'static str,
    handler: MethodRouter<AppState>,
}

/// `routes![post "/path" handler, …]`: the method is named once, for axum and the document.
macro_rules! routes {
    ($($method:ident $path:literal $handler:path),* $(,)?) => {
        vec![$(Route { method: stringify!($method), path: $path, handler: $method($handler) }),*]
    };
}

/// Every route but the channels' webhooks (mounted per adapter), grouped by the middleware
/// they share. [`router`] mounts them and nothing else; the API document's test checks
/// that each one is documented.
struct Routes {
    /// Make the assistant work (and sign-in): rate limited, time limited.
    limited: Vec<Route>,
    /// Streams: rate limited, no time limit.
    streams: Vec<Route>,
    /// The JSON API: time limited; with `limited` and `streams` under the body limit and CORS.
    api: Vec<Route>,
    /// Pages and health.
    pages: Vec<Route>,
    /// The editor console's API: time limited, larger bodies.
    editor: Vec<Route>,
    /// The editor's import: time limited, the largest bodies.
    import: Vec<Route>,
}

fn all_routes() -> Routes {
    Routes {
        limited: routes![
            post "/api/v1/chat" chat::chat,
            post "/api/v1/feedback" feedback::feedback,
            post "/api/v1/handoff" handoff::handoff,
            post "/agent/api/login" accounts::login,
        ],
        streams: routes![
            post "/api/v1/chat/stream" chat::chat_stream,
            get "/api/v1/sessions/{id}/events" sessions::events,
            get "/agent/api/events" desk::events,
        ],
        api: routes![
            get "/api/v1/sessions/{id}/messages" sessions::messages,
            get "/agent/api/me" accounts::me,
            get "/agent/api/tickets" agent::tickets,
            get "/agent/api/tickets.csv" agent::tickets_csv,
            get "/agent/api/tickets/{id}" agent::ticket,
            post "/agent/api/tickets/{id}/claim" agent::claim,
            post "/agent/api/tickets/{id}/reply" agent::reply,
            post "/agent/api/tickets/{id}/notes" agent::note,
            post "/agent/api/tickets/{id}/resolve" agent::resolve,
            post "/agent/api/tickets/{id}/release" ownership::release,
            post "/agent/api/tickets/{id}/transfer" ownership::transfer,
            post "/agent/api/tickets/{id}/reopen" ownership::reopen,
            put "/agent/api/tickets/{id}/labels" desk::labels,
            get "/agent/api/agents" ownership::agents,
            get "/agent/api/canned" canned::list,
            put "/agent/api/canned/{shortcut}" canned::save,
            delete "/agent/api/canned/{shortcut}" canned::delete,
            post "/agent/api/logout" accounts::logout,
            get "/agent/api/users" accounts::users,
            put "/agent/api/users/{name}/disabled" accounts::set_disabled,
            post "/agent/api/users/{name}/password" accounts::reset_password,
            get "/api/v1/openapi.json" openapi::serve,
        ],
        pages: routes![
            get "/" pages::demo,
            get "/widget.js" pages::widget,
            get "/assets/{file}" pages::asset_file,
            get "/kb/{doc_id}" pages::document,
            get "/agent" pages::agent_console,
            get "/admin" pages::editor_console,
            get "/healthz" health::healthz,
            get "/readyz" health::readyz,
            get "/metrics" health::metrics,
        ],
        editor: routes![
            get "/admin/api/me" editor::me,
            get "/admin/api/documents" editor::documents,
            get "/admin/api/documents/{*path}" editor::document,
            put "/admin/api/documents/{*path}" editor::save,
            delete "/admin/api/documents/{*path}" editor::delete,
            post "/admin/api/check" editor::check,
            post "/admin/api/try" editor::try_drafts,
            post "/admin/api/faq/read" faq_form::read,
            post "/admin/api/faq/write" faq_form::write,
            get "/admin/api/sections" faq_form::sections,
            get "/admin/api/drafts/changes" releases::pending,
            post "/admin/api/publish" releases::publish,
            get "/admin/api/releases" releases::releases,
            get "/admin/api/releases/{id}/diff" releases::diff,
            post "/admin/api/releases/{id}/rollback" releases::rollback,
            get "/admin/api/audit" releases::audit,
            get "/admin/api/analytics" releases::analytics,
            get "/admin/api/analytics.csv" releases::analytics_csv,
        ],
        import: routes![post "/admin/api/import" editor::import],
    }
}

impl Routes {
    /// Method and path of every route.
    #[cfg(test)]
    fn all(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        let Routes {
            limited,
            streams,
            api,
            pages,
            editor,
            import,
        } = self;
        [limited, streams, api, pages, editor, import]
            .into_iter()
            .flatten()
            .map(|route| (route.method, route.path))
    }
}

/// A router with these routes (several methods of one path merge).
fn mount(routes: Vec<Route>) -> Router<AppState> {
    routes.into_iter().fold(Router::new(), |router, route| {
        router.route(route.path, route.handler)
    })
}

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let routes = all_routes();
    let limited = mount(routes.limited)
        .layer(axum::middleware::from_fn(guard::time_limit))
        .merge(
            mount(routes.streams).layer(axum::middleware::from_fn_with_state(
                state.clone(),
                guard::stream_slot,
            )),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::rate_limit,
        ));
    let api = mount(routes.api)
        .layer(axum::middleware::from_fn(guard::time_limit))
        .merge(limited)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(cors(&state.settings));
    mount(routes.pages)
        .merge(api)
        .merge(
            mount(routes.editor)
                .layer(axum::middleware::from_fn(guard::time_limit))
                .layer(DefaultBodyLimit::max(EDITOR_BODY_LIMIT)),
        )
        .merge(
            mount(routes.import)
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
            error::with_call_center,
        ))
        .layer(axum::middleware::from_fn(guard::no_control_in_url))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(headers::SecurityHeaders::new(&state.settings)),
            headers::add,
        ))
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
    let streams = conversations.shutdown_token();
    listen::serve(listener, router(state), async move {
        stop.await;
        streams.cancel();
    })
    .await;
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
