//! `shikaku serve`: the chat API, its streamed variant, the embeddable widget, the demo
//! portal page and the pages that citations link to, on axum.

mod agent;
mod api;
mod editor;
mod guard;
mod metrics;
mod pages;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::routing::{get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::channels::Channels;
use crate::conversation::Conversations;
use crate::publishing::Publisher;

pub use api::ApiError;
pub use metrics::Metrics;

/// Largest request body accepted (a question is at most 2,000 characters).
const BODY_LIMIT: usize = 16 * 1024;
/// Largest editor request (a knowledge file is at most 256 KiB, as JSON).
const EDITOR_BODY_LIMIT: usize = 1024 * 1024;
/// Largest webhook body accepted (LINE batches events).
const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;
/// How long shutdown waits for answers still being written.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Settings of the HTTP service, from flags and `SHIKAKU_*` environment variables.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// Portal origins allowed to call the API from their pages (CORS); none: same origin only.
    pub cors_origins: Vec<HeaderValue>,
    /// Chat and feedback requests per client and minute; 0 turns the limit off.
    pub rate_per_minute: u32,
    /// Take the client address from `X-Forwarded-For` (only behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// The call center's business hours (TOML); `None`: the defaults.
    pub hours_file: Option<std::path::PathBuf>,
}

impl ServerConfig {
    /// `addr` from the command line wins over `SHIKAKU_ADDR`; bad values are errors that
    /// name the variable.
    pub fn from_env(addr: Option<SocketAddr>) -> Result<ServerConfig> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let addr = match (addr, var("SHIKAKU_ADDR")) {
            (Some(a), _) => a,
            (None, Some(v)) => v
                .trim()
                .parse()
                .with_context(|| format!("SHIKAKU_ADDR: expected HOST:PORT, got {v:?}"))?,
            (None, None) => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let cors_origins = match var("SHIKAKU_CORS_ORIGINS") {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(parse_origin)
                .collect::<Result<_>>()?,
            None => Vec::new(),
        };
        let rate_per_minute = match var("SHIKAKU_RATE_LIMIT") {
            Some(v) => v.trim().parse().with_context(|| {
                format!("SHIKAKU_RATE_LIMIT: expected requests per minute (0 = off), got {v:?}")
            })?,
            None => 30,
        };
        let trust_forwarded_for = match var("SHIKAKU_TRUST_PROXY").as_deref() {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(v) => bail!("SHIKAKU_TRUST_PROXY: expected 1 or 0, got {v:?}"),
        };
        Ok(ServerConfig {
            addr,
            cors_origins,
            rate_per_minute,
            trust_forwarded_for,
            hours_file: var("SHIKAKU_HOURS_FILE").map(std::path::PathBuf::from),
        })
    }
}

/// An origin as browsers send it: `https://host[:port]`, nothing after.
fn parse_origin(origin: &str) -> Result<HeaderValue> {
    let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
        && !origin
            .split_once("://")
            .map(|(_, rest)| rest.is_empty() || rest.contains('/'))
            .unwrap_or(true);
    if !ok {
        bail!("SHIKAKU_CORS_ORIGINS: {origin:?} is not an origin like https://portal.example.jp");
    }
    HeaderValue::from_str(origin)
        .with_context(|| format!("SHIKAKU_CORS_ORIGINS: {origin:?} is not a valid header value"))
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub conversations: Conversations,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<guard::RateLimiter>,
    pub config: Arc<ServerConfig>,
    pub pages: Arc<pages::Pages>,
    /// The model file configured, if any (`/readyz` reports it when it failed to load).
    pub model_path: Option<std::path::PathBuf>,
    /// The messaging channels that are on (LINE, Telegram).
    pub channels: Channels,
    /// The knowledge releases: publishing, rollback, the try-it panel.
    pub publisher: Arc<Publisher>,
}

impl AppState {
    pub fn new(
        conversations: Conversations,
        config: ServerConfig,
        model_path: Option<std::path::PathBuf>,
        channels: Channels,
        publisher: Arc<Publisher>,
    ) -> AppState {
        let pages = pages::Pages::new();
        AppState {
            limiter: Arc::new(guard::RateLimiter::new(config.rate_per_minute)),
            conversations,
            metrics: Arc::new(Metrics::default()),
            config: Arc::new(config),
            pages: Arc::new(pages),
            model_path,
            channels,
            publisher,
        }
    }
}

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let limited = Router::new()
        .route("/api/v1/chat", post(api::chat))
        .route("/api/v1/feedback", post(api::feedback))
        .route("/api/v1/handoff", post(api::handoff))
        .route("/agent/api/login", post(agent::login))
        .layer(axum::middleware::from_fn(guard::time_limit))
        .route("/api/v1/chat/stream", post(api::chat_stream))
        .route("/api/v1/sessions/{id}/events", get(api::session_events))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::rate_limit,
        ));
    let api = Router::new()
        .route("/api/v1/sessions/{id}/messages", get(api::messages))
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
        .layer(cors(&state.config));
    Router::new()
        .route("/", get(pages::demo))
        .route("/widget.js", get(pages::widget))
        .route("/assets/{file}", get(pages::asset))
        .route("/kb/{doc_id}", get(pages::document))
        .route("/agent", get(pages::agent_console))
        .route("/admin", get(pages::editor_console))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
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
            state
                .channels
                .routes()
                .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT))
                .layer(axum::middleware::from_fn(guard::time_limit)),
        )
        .fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::observe,
        ))
        .with_state(state)
}

fn cors(config: &ServerConfig) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(config.cors_origins.clone()))
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
    let tasks = state.conversations.tasks.clone();
    let store = state.conversations.store.clone();
    let streams = state.conversations.shutdown.clone();
    let relay = state.conversations.clone();
    tokio::spawn(async move { relay.relay_notifications().await });
    state.channels.start(&state);
    let (publisher, shutdown) = (state.publisher.clone(), streams.clone());
    tokio::spawn(async move { publisher.follow(shutdown).await });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            streams.cancel();
        })
        .await
        .context("serving")?;
    tasks.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tasks.wait())
        .await
        .is_err()
    {
        tracing::warn!("shutdown: answers still being written after {SHUTDOWN_GRACE:?}");
    }
    store.close().await;
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
