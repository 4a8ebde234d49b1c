//! `POST /api/v1/chat` and its streamed variant: one question, one stored answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::assistant::{
    Answer, Channel, Citation, Language, Outcome, WriterKind, intent::HandoffReason,
};
use crate::conversation::{Accepted, ChatError, Offer, Reply, State as Conversation};
use crate::domain::{ConversationId, MessageId};
use crate::http::error::{ApiError, ApiJson, ErrorBody, continued_conversation};
use crate::http::responses::{JsonBodyErrors, RateLimited, ServiceErrors};
use crate::http::{AppState, sse};
use crate::text::clock::today_in_japan;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    /// Omitted (or null) to start a new conversation.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$")]
    session_id: Option<String>,
    /// Not blank, no control characters (`text::MESSAGE_PATTERN`).
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*[^\s\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB][^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    message: String,
}

/// A person is offered: the user asked for one, the question is about their own case, or
/// the bot could not help twice in this conversation (`reason` absent). The widget then
/// shows the handoff form.
#[derive(Debug, Serialize, ToSchema)]
pub struct Handoff {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) reason: Option<HandoffReason>,
    pub(super) offer: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatResponse {
    /// Absent only when nothing could be saved (`saved` false) and no session was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<ConversationId>,
    /// The stored user message (absent when it could not be stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    question_id: Option<MessageId>,
    /// The stored answer, which feedback refers to (absent when `saved` is false).
    #[serde(skip_serializing_if = "Option::is_none")]
    message_id: Option<MessageId>,
    /// False while the database cannot store messages: the answer was given from memory,
    /// nothing of the exchange was kept, and its text ends by saying so (with the call
    /// center's number); there is nothing to rate or hand over.
    saved: bool,
    outcome: Outcome,
    answer: String,
    citations: Vec<Citation>,
    writer: WriterKind,
    /// 0–1: how much of the question the sources behind the answer cover.
    confidence: f32,
    /// The answer's language: the widget's own texts follow it.
    language: Language,
    /// The question as Shikaku understood it, when that differs from what was typed (a
    /// follow-up read with the previous question, several questions in one).
    #[serde(skip_serializing_if = "Option::is_none")]
    understood_as: Option<String>,
    /// Offer a person (show the handoff form).
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff: Option<Handoff>,
}

impl From<Reply> for ChatResponse {
    fn from(reply: Reply) -> Self {
        let handoff = reply.offer.map(|offer| Handoff {
            reason: match offer {
                Offer::Handoff => reply.answer.handoff_reason,
                Offer::Unhelpful => None,
            },
            offer: true,
        });
        let mut response = ChatResponse::unsaved(Some(reply.session_id), reply.answer);
        response.question_id = Some(reply.question_id);
        response.message_id = reply.message_id;
        response.saved = reply.message_id.is_some();
        response.handoff = handoff;
        response
    }
}

impl ChatResponse {
    /// An answer given from memory while the database cannot store messages (a stored
    /// one adds its ids: `From<Reply>`).
    fn unsaved(session_id: Option<ConversationId>, answer: Answer) -> Self {
        ChatResponse {
            session_id,
            question_id: None,
            message_id: None,
            saved: false,
            handoff: None,
            outcome: answer.outcome,
            answer: answer.answer,
            citations: answer.citations,
            writer: answer.writer,
            confidence: answer.confidence,
            language: answer.language,
            understood_as: answer.understood_as,
        }
    }
}

/// The database cannot store the question: it is answered from memory all the same (the
/// outage is logged); any other error is the request's.
async fn from_memory(
    state: &AppState,
    error: ChatError,
    session: Option<ConversationId>,
    message: &str,
    on_token: impl FnMut(&str) + Send + 'static,
) -> Result<ChatResponse, ApiError> {
    let ChatError::Unavailable { error, .. } = error else {
        return Err(error.into());
    };
    tracing::error!("the database cannot store messages; answering from memory: {error:#}");
    let answer = state
        .conversations()
        .answer_unsaved(message, today_in_japan(), on_token)
        .await?;
    Ok(ChatResponse::unsaved(session, answer))
}

/// A message for the agent who owns (or will own) the conversation: stored, not answered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Forwarded {
    session_id: ConversationId,
    /// The stored message.
    question_id: MessageId,
    /// `waiting` or `agent`.
    state: Conversation,
    /// Always true.
    forwarded: bool,
}

fn forwarded(accepted: &Accepted) -> Forwarded {
    Forwarded {
        session_id: accepted.session_id.clone(),
        question_id: accepted.question_id,
        state: accepted.state,
        forwarded: true,
    }
}

/// The stream's `session` event: the ids to find the answer by if the stream drops.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamSession {
    session_id: ConversationId,
    question_id: MessageId,
}

/// The stream's `token` event: a piece of the final answer's text (never an unverified
/// draft), so the pieces put together are `done`'s `answer`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamText {
    text: String,
}

/// The stream's `error` event.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamError {
    code: &'static str,
    message: String,
}

/// `POST /api/v1/chat`: one question, one stored answer.
#[utoipa::path(post, path = "/api/v1/chat", summary = "Ask a question; get the stored answer",
    request_body = ChatRequest,
    responses(
        (status = 200, description = "The answer", body = ChatResponse),
        (status = 202, description = "A person owns the conversation: the message is stored for them and not answered", body = Forwarded),
        JsonBodyErrors,
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 429, response = RateLimited),
        ServiceErrors,
    ))]
pub async fn chat(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let session = continued_conversation(body.session_id.as_deref())?;
    let conversations = state.conversations();
    let accepted = match conversations
        .accept(session.as_ref(), Channel::Web, &body.message)
        .await
    {
        Ok(accepted) => accepted,
        Err(e) => {
            let response = from_memory(&state, e, session, &body.message, |_| {}).await?;
            return Ok(Json(response).into_response());
        }
    };
    if accepted.for_agent() {
        return Ok((StatusCode::ACCEPTED, Json(forwarded(&accepted))).into_response());
    }
    let reply = conversations
        .reply(accepted, today_in_japan(), |_| {})
        .await?;
    Ok(Json(ChatResponse::from(reply)).into_response())
}

/// `POST /api/v1/chat/stream`: the same as Server-Sent Events. `session` first (the ids, so
/// a client can recover the answer from the transcript if the stream drops), `token` with
/// the answer's text once it is final (a model's draft only after the verifier accepted
/// it), then `done` with the whole response (or `error`).
#[utoipa::path(post, path = "/api/v1/chat/stream", summary = "Ask a question; the answer as Server-Sent Events",
    description = "Events: `session` {session_id, question_id}; `token` {text}: the answer's text, final and checked (a model's draft is verified against its sources before any of it is sent), its pieces put together equal to `done`'s `answer`; `done` (a ChatResponse); or `error` {code, message}. Comments (`: keep-alive`) every 15 s. If the stream drops, the answer is still stored: read it from the transcript (reply_to = question_id). When a person owns the conversation: `session`, then `forwarded` (the message is stored for them), and the stream ends.",
    request_body = ChatRequest,
    responses(
        (status = 200, description = "An event stream (`session`, then `token`* and `done`, or `error`; or `forwarded`)", content_type = "text/event-stream"),
        JsonBodyErrors,
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, description = "`internal`", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`: the database cannot be reached or written now (nothing was kept; the message gives the call center's number)", body = ErrorBody),
    ))]
pub async fn chat_stream(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let session = continued_conversation(body.session_id.as_deref())?;
    let conversations = state.conversations().clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let on_token = {
        let tx = tx.clone();
        move |piece: &str| {
            let text = piece.to_string();
            let _ = tx.send(sse::event("token", json!(StreamText { text })));
        }
    };
    let accepted = match conversations
        .accept(session.as_ref(), Channel::Web, &body.message)
        .await
    {
        Ok(accepted) => accepted,
        Err(e) => {
            // Nothing was stored: no `session` event, the answer from memory.
            let response = from_memory(&state, e, session, &body.message, on_token).await?;
            let _ = tx.send(sse::event("done", json!(response)));
            drop(tx);
            return Ok(sse::response(rx));
        }
    };
    let _ = tx.send(sse::event(
        "session",
        json!(StreamSession {
            session_id: accepted.session_id.clone(),
            question_id: accepted.question_id,
        }),
    ));
    if accepted.for_agent() {
        let _ = tx.send(sse::event("forwarded", json!(forwarded(&accepted))));
        drop(tx);
        return Ok(sse::response(rx));
    }
    tokio::spawn(async move {
        match conversations
            .reply(accepted, today_in_japan(), on_token)
            .await
        {
            Ok(reply) => {
                let _ = tx.send(sse::event("done", json!(ChatResponse::from(reply))));
            }
            Err(e) => {
                let error = ApiError::from(e);
                let _ = tx.send(sse::event(
                    "error",
                    json!(StreamError {
                        code: error.code(),
                        message: error.message().to_string(),
                    }),
                ));
            }
        }
    });
    Ok(sse::response(rx))
}
