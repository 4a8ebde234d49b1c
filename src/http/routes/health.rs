//! Health, readiness and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::AppState;

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the index is loaded and the database answers (503 otherwise); also
/// says which model, if any, writes drafts, the knowledge release and the channels.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let conversations = state.conversations();
    let assistant = conversations.assistant();
    let passages = assistant.index().num_passages();
    let database = conversations.database_ready().await;
    let model = match (assistant.model_name(), state.model_path()) {
        (Some(name), _) => json!({"state": "loaded", "name": name}),
        (None, Some(path)) => json!({"state": "unavailable", "path": path.display().to_string()}),
        (None, None) => json!({"state": "off"}),
    };
    let ready = passages > 0 && database.is_ok();
    let body = json!({
        "ready": ready,
        "index": {"passages": passages},
        "database": match &database { Ok(()) => "ok".to_string(), Err(e) => format!("error: {e}") },
        "database_backend": conversations.database_backend(),
        "model": model,
        "knowledge": {"release": state.publisher().serving_release()},
        "channels": state.channels().status(),
        "version": env!("CARGO_PKG_VERSION"),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text.
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
