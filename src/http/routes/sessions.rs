//! A conversation's transcript, and its live events (agents' replies, and the service's
//! notices that a person took the conversation or finished) for the widget.

use axum::Json;
use axum::extract::{self, Path};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use crate::conversation::State;
use crate::domain::ConversationId;
use crate::http::error::{ApiError, ErrorBody, conversation_named};
use crate::http::responses::{RateLimited, ServiceErrors};
use crate::http::{AppState, sse};
use crate::store::StoredMessage;

/// A conversation's transcript.
#[derive(Serialize, ToSchema)]
pub struct Transcript {
    session_id: ConversationId,
    /// Who owns the conversation.
    state: State,
    /// Oldest first.
    messages: Vec<StoredMessage>,
}

/// `GET /api/v1/sessions/{id}/messages`: the transcript, so a reload keeps the conversation.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/messages", summary = "The transcript of a conversation",
    params(("id" = String, Path, description = "The conversation's `session_id`")),
    responses(
        (status = 200, description = "Messages, oldest first", body = Transcript,
            headers(("Cache-Control" = String, description = "no-store"))),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        ServiceErrors,
    ))]
pub async fn messages(
    extract::State(state): extract::State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = conversation_named(&id)?;
    let (conversation_state, messages) = state
        .conversations()
        .transcript(&id)
        .await?
        .ok_or_else(ApiError::unknown_session)?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(Transcript {
            session_id: id,
            state: conversation_state,
            messages,
        }),
    )
        .into_response())
}

/// `GET /api/v1/sessions/{id}/events`: what people write into the conversation (agents'
/// replies) as Server-Sent `message` events, live; keep-alive comments every 15 s.
#[utoipa::path(get, path = "/api/v1/sessions/{id}/events",
    summary = "What people write into the conversation (agents' replies), live",
    description = "Server-Sent Events: `message` (a Message with role agent, or system when an agent takes the conversation or resolves it), `resync` (the client fell behind: reload the transcript); keep-alive comments every 15 s.",
    params(("id" = String, Path, description = "The conversation's `session_id`")),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream"),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, description = "`internal`", body = ErrorBody),
    ))]
pub async fn events(
    extract::State(state): extract::State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = conversation_named(&id)?;
    let conversations = state.conversations();
    if !conversations.exists(&id).await? {
        return Err(ApiError::unknown_session());
    }
    let mut events = conversations.subscribe();
    let shutdown = conversations.lifecycle().shutdown_token();
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
