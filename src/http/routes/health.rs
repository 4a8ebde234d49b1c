//! Health, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::AppState;

/// `GET /healthz`: the process is alive.
#[utoipa::path(get, path = "/healthz", summary = "The process is alive",
    responses((status = 200, description = "ok", content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// What `/readyz` reports.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// The index has passages and the database answers.
    ready: bool,
    index: IndexStatus,
    /// `ok`, or `error: …`.
    database: String,
    #[schema(value_type = DatabaseBackend)]
    database_backend: &'static str,
    model: ModelStatus,
    knowledge: KnowledgeStatus,
    /// One line per messaging channel: on (how) or off (what to set).
    channels: Vec<String>,
    version: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct IndexStatus {
    passages: u64,
}

#[derive(Serialize, ToSchema)]
pub struct KnowledgeStatus {
    /// The knowledge release being served.
    release: i64,
}

/// Which model writes drafts.
#[derive(Serialize, ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelStatus {
    Loaded {
        name: String,
    },
    /// Configured, but it failed to load.
    Unavailable {
        path: String,
    },
    Off,
}

/// The database the service stores in.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum DatabaseBackend {
    Sqlite,
    Postgres,
}

/// `GET /readyz`: the index is loaded and the database answers (503 otherwise); also
/// says which model, if any, writes drafts, the knowledge release and the channels.
#[utoipa::path(get, path = "/readyz", summary = "Index loaded, database reachable; which model writes drafts",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let conversations = state.conversations();
    let assistant = conversations.assistant();
    let passages = assistant.index().num_passages();
    let database = conversations.database_ready().await;
    let model = match (assistant.model_name(), state.model_path()) {
        (Some(name), _) => ModelStatus::Loaded {
            name: name.to_string(),
        },
        (None, Some(path)) => ModelStatus::Unavailable {
            path: path.display().to_string(),
        },
        (None, None) => ModelStatus::Off,
    };
    let ready = passages > 0 && database.is_ok();
    let body = Readiness {
        ready,
        index: IndexStatus { passages },
        database: match &database {
            Ok(()) => "ok".to_string(),
            Err(e) => format!("error: {e}"),
        },
        database_backend: conversations.database_backend(),
        model,
        knowledge: KnowledgeStatus {
            release: state.publisher().serving_release(),
        },
        channels: state.channels().status(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(get, path = "/metrics", summary = "Prometheus metrics",
    responses((status = 200, description = "Text exposition format 0.0.4", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let conversations = state.conversations();
    let assistant = conversations.assistant();
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        conversations
            .metrics()
            .render(&assistant.draft_stats(), assistant.model_name()),
    )
        .into_response()
}
