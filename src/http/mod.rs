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
use tower_http::cors::{AllowOrigin, CorsLayer};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

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

/// Handlers that share their middleware, each routed at the method and path its
/// `#[utoipa::path]` annotation names and documented by the same annotation: one list
/// makes both the router and the API document.
type Group = OpenApiRouter<AppState>;

/// `group![handler, …]`: a [`Group`] of these handlers.
macro_rules! group {
    ($($handler:path),* $(,)?) => {{
        let group = Group::new();
        $(let group = add(group, utoipa_axum::routes!($handler));)*
        group
    }};
}

/// `group` with a handler: routed at its annotation's path, where axum's `{*rest}` takes
/// the rest of the path, and documented there as `{rest}`. Several methods of one path
/// merge.
fn add(mut group: Group, (schemas, paths, handler): UtoipaMethodRouter<AppState>) -> Group {
    let openapi = group.get_openapi_mut();
    openapi
        .components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
    let mut documented = utoipa::openapi::path::Paths::new();
    let mut routed = Vec::new();
    for (path, item) in paths.paths {
        documented.paths.insert(path.replace("{*", "{"), item);
        routed.push(path);
    }
    openapi.paths.merge(documented);
    routed
        .iter()
        .fold(group, |group, path| group.route(path, handler.clone()))
}

/// Every route but the channels' webhooks (mounted per adapter), grouped by the middleware
/// they share. [`router`] mounts them; [`openapi::document`] documents them.
struct Routes {
    /// Make the assistant work (and sign-in): rate limited, time limited.
    limited: Group,
    /// Streams: rate limited, no time limit.
    streams: Group,
    /// The JSON API: time limited; with `limited` and `streams` under the body limit and CORS.
    api: Group,
    /// Pages and health.
    pages: Group,
    /// The editor console's API: time limited, larger bodies.
    editor: Group,
    /// The editor's import: time limited, the largest bodies.
    import: Group,
}

fn all_routes() -> Routes {
    Routes {
        limited: group![
            chat::chat,
            feedback::feedback,
            handoff::handoff,
            accounts::login
        ],
        streams: group![chat::chat_stream, sessions::events, desk::events],
        api: group![
            sessions::messages,
            accounts::me,
            agent::tickets,
            agent::tickets_csv,
            agent::ticket,
            agent::claim,
            agent::reply,
            agent::note,
            agent::resolve,
            ownership::release,
            ownership::transfer,
            ownership::reopen,
            desk::labels,
            ownership::agents,
            canned::list,
            canned::save,
            canned::delete,
            accounts::logout,
            accounts::users,
            accounts::set_disabled,
            accounts::reset_password,
            openapi::serve,
        ],
        pages: group![
            pages::demo,
            pages::widget,
            pages::asset_file,
            pages::document,
            pages::agent_console,
            pages::editor_console,
            health::healthz,
            health::readyz,
            health::metrics,
        ],
        editor: group![
            editor::me,
            editor::documents,
            editor::document,
            editor::save,
            editor::delete,
            editor::check,
            editor::try_drafts,
            faq_form::read,
            faq_form::write,
            faq_form::sections,
            releases::pending,
            releases::publish,
            releases::releases,
            releases::diff,
            releases::rollback,
            releases::audit,
            releases::analytics,
            releases::analytics_csv,
        ],
        import: group![editor::import],
    }
}

impl Routes {
    /// The routes' operations, as the API document shows them.
    fn documented() -> utoipa::openapi::OpenApi {
        let Routes {
            limited,
            streams,
            api,
            pages,
            editor,
            import,
        } = all_routes();
        [streams, api, pages, editor, import]
            .into_iter()
            .fold(limited, Group::merge)
            .into_openapi()
    }
}

/// The router of a group (its document is [`Routes::documented`]'s).
fn mount(group: Group) -> Router<AppState> {
    group.into()
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
    tokio::spawn(async move { relay.lifecycle().relay_notifications().await });
    state.channels.start(&conversations);
    let (publisher, shutdown) = (
        state.publisher.clone(),
        conversations.lifecycle().shutdown_token(),
    );
    tokio::spawn(async move { publisher.follow(shutdown).await });
    let streams = conversations.lifecycle().shutdown_token();
    listen::serve(listener, router(state), async move {
        stop.await;
        streams.cancel();
    })
    .await;
    conversations.lifecycle().close(SHUTDOWN_GRACE).await;
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
