//! `POST /api/v1/chat` and its streamed variant: one question, one stored answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::assistant::{Channel, Citation, Outcome, WriterKind, intent::HandoffReason};
use crate::conversation::{Accepted, Offer, Reply};
use crate::http::error::{ApiError, ApiJson};
use crate::http::{AppState, sse};
use crate::text::clock::today_in_japan;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// Omitted (or null) to start a new conversation.
    #[serde(default)]
    session_id: Option<String>,
    message: String,
}

/// A person is offered: the user asked for one, the question is about their own case, or
/// the bot could not help twice in this conversation (`reason` absent). The widget then
/// shows the handoff form.
#[derive(Debug, Serialize)]
pub struct Handoff {
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<HandoffReason>,
    offer: bool,
}

#[derive(Debug, Serialize)]
pub struct ChatResponse {
    session_id: String,
    /// The stored user message.
    question_id: i64,
    /// The stored answer (feedback refers to it).
    message_id: i64,
    outcome: Outcome,
    answer: String,
    citations: Vec<Citation>,
    writer: WriterKind,
    confidence: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff: Option<Handoff>,
}

impl From<Reply> for ChatResponse {
    fn from(reply: Reply) -> Self {
        let answer = reply.answer;
        ChatResponse {
            session_id: reply.session_id,
            question_id: reply.question_id,
            message_id: reply.message_id,
            handoff: reply.offer.map(|offer| Handoff {
                reason: match offer {
                    Offer::Handoff => answer.handoff_reason,
                    Offer::Unhelpful => None,
                },
                offer: true,
            }),
            outcome: answer.outcome,
            answer: answer.answer,
            citations: answer.citations,
            writer: answer.writer,
            confidence: answer.confidence,
        }
    }
}

/// A message for the agent who owns (or will own) the conversation: stored, not answered.
fn forwarded(accepted: &Accepted) -> serde_json::Value {
    json!({
        "session_id": accepted.session_id,
        "question_id": accepted.question_id,
        "state": accepted.state,
        "forwarded": true,
    })
}

/// `POST /api/v1/chat`: one question, one stored answer.
pub async fn chat(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let conversations = state.conversations();
    let accepted = conversations
        .accept(body.session_id.as_deref(), Channel::Web, &body.message)
        .await?;
    if accepted.for_agent() {
        return Ok((StatusCode::ACCEPTED, Json(forwarded(&accepted))).into_response());
    }
    let reply = conversations
        .reply(accepted, today_in_japan(), |_| {})
        .await?;
    Ok(Json(ChatResponse::from(reply)).into_response())
}

/// `POST /api/v1/chat/stream`: the same as Server-Sent Events. `session` first (the ids, so
/// a client can recover the answer from the transcript if the stream drops), `token` for
/// each piece of the model's draft, `replace` when the final answer is not that draft,
/// then `done` with the whole response (or `error`).
pub async fn chat_stream(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let conversations = state.conversations().clone();
    let accepted = conversations
        .accept(body.session_id.as_deref(), Channel::Web, &body.message)
        .await?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let _ = tx.send(sse::event(
        "session",
        json!({"session_id": accepted.session_id, "question_id": accepted.question_id}),
    ));
    if accepted.for_agent() {
        let _ = tx.send(sse::event("forwarded", forwarded(&accepted)));
        drop(tx);
        return Ok(sse::response(rx));
    }
    let streamed = Arc::new(AtomicBool::new(false));
    let on_token = {
        let (tx, streamed) = (tx.clone(), streamed.clone());
        move |piece: &str| {
            streamed.store(true, Ordering::Relaxed);
            let _ = tx.send(sse::event("token", json!({ "text": piece })));
        }
    };
    tokio::spawn(async move {
        match conversations
            .reply(accepted, today_in_japan(), on_token)
            .await
        {
            Ok(reply) => {
                if streamed.load(Ordering::Relaxed) && reply.answer.writer != WriterKind::Model {
                    let _ = tx.send(sse::event(
                        "replace",
                        json!({ "text": reply.answer.answer }),
                    ));
                }
                let _ = tx.send(sse::event("done", json!(ChatResponse::from(reply))));
            }
            Err(e) => {
                let error = ApiError::from(e);
                let _ = tx.send(sse::event(
                    "error",
                    json!({"code": error.code(), "message": error.message()}),
                ));
            }
        }
    });
    Ok(sse::response(rx))
}
