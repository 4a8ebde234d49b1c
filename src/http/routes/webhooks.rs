//! The messaging channels' webhooks: each adapter that takes one is mounted at its path;
//! the adapter checks the request and takes its events, this turns the outcome into HTTP.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::json;

use crate::channels::{Adapter, Channels, WebhookError, WebhookRequest};
use crate::http::AppState;
use crate::http::error::ApiError;

/// A route per adapter with a webhook.
pub fn routes(channels: &Channels) -> Router<AppState> {
    channels
        .adapters()
        .iter()
        .fold(Router::new(), |router, adapter| match adapter.webhook() {
            Some(hook) => router.route(hook.path, post(receive).layer(Extension(adapter.clone()))),
            None => router,
        })
}

async fn receive(
    State(state): State<AppState>,
    Extension(adapter): Extension<Arc<dyn Adapter>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = adapter
        .webhook()
        .and_then(|hook| headers.get(hook.auth_header))
        .map(|v| v.as_bytes());
    match adapter
        .receive(state.conversations(), WebhookRequest { auth, body: &body })
        .await
    {
        Ok(()) => Json(json!({})).into_response(),
        Err(e) => {
            let (status, code, message) = match e {
                WebhookError::Off(code, m) => (StatusCode::NOT_FOUND, code, m),
                WebhookError::Unauthorized(code, m) => (StatusCode::UNAUTHORIZED, code, m),
                WebhookError::BadRequest(code, m) => (StatusCode::BAD_REQUEST, code, m),
                WebhookError::NotStored(m) => (StatusCode::INTERNAL_SERVER_ERROR, "internal", m),
            };
            ApiError::new(status, code, message).into_response()
        }
    }
}
