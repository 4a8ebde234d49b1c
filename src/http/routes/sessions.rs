//! A conversation's transcript, and its live events (agents' replies) for the widget.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::http::error::ApiError;
use crate::http::{AppState, sse};

/// `GET /api/v1/sessions/{id}/messages`: the transcript, so a reload keeps the conversation.
pub async fn messages(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (conversation_state, messages) = state
        .conversations()
        .transcript(&id)
        .await?
        .ok_or_else(ApiError::unknown_session)?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"session_id": id, "state": conversation_state, "messages": messages})),
    )
        .into_response())
}

/// `GET /api/v1/sessions/{id}/events`: what people write into the conversation (agents'
/// replies) as Server-Sent `message` events, live; keep-alive comments every 15 s.
pub async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let conversations = state.conversations();
    if !conversations.exists(&id).await? {
        return Err(ApiError::unknown_session());
    }
    let mut events = conversations.subscribe();
    let shutdown = conversations.shutdown_token();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                received = events.recv() => match received {
                    Ok((conversation, message)) if conversation == id => {
                        if tx.send(sse::event("message", json!(message))).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    // Fell behind: the client reloads the transcript.
                    Err(RecvError::Lagged(_)) => {
                        if tx.send(sse::event("resync", json!({}))).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                },
                _ = tx.closed() => break,
            }
        }
    });
    Ok(sse::response(rx))
}
