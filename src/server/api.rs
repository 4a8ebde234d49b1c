//! The JSON API: chat (whole or streamed as Server-Sent Events), transcripts, feedback,
//! and the health, readiness and metrics endpoints. Every error is JSON that says what
//! was wrong, with a short Japanese message the widget can show as it is.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;

use super::AppState;
use crate::assistant::{Answer, Channel, Citation, Outcome, WriterKind, today_in_japan};
use crate::conversation::{Accepted, ChatError, HandoffError, Reply};
use crate::handoff::Details;
use crate::store::FeedbackError;

/// Streams send a comment this often so that proxies keep the connection open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Longest feedback comment accepted.
const MAX_COMMENT_CHARS: usize = 1000;

/// An error response: `{"error": {"code", "message", "detail"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    detail: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "短時間に多くのご質問をいただきました。{retry_after}秒ほどおいてから、もう一度お試しください。"
            ),
        )
    }

    pub fn timed_out() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "回答に時間がかかっています。しばらくしてから会話を開き直すと、回答が表示されます。",
        )
    }

    pub fn unknown_session() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_session",
            "この会話は見つかりません。新しい会話を始めてください。",
        )
    }

    fn internal(e: &anyhow::Error) -> Self {
        tracing::error!("internal error: {e:#}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "申し訳ありません。回答を作成できませんでした。時間をおいてもう一度お試しください。",
        )
    }
}

/// Any storage or internal failure: logged, and a 500 the user can read.
impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::internal(&e)
    }
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::Invalid(q) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_message",
                q.to_string(),
            ),
            ChatError::UnknownSession => ApiError::unknown_session(),
            ChatError::Internal(e) => ApiError::internal(&e),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let (code, message) = match &rejection {
            JsonRejection::JsonDataError(_) => {
                ("invalid_request", "リクエストの項目が正しくありません。")
            }
            JsonRejection::JsonSyntaxError(_) => {
                ("invalid_json", "リクエストがJSONとして読めません。")
            }
            JsonRejection::MissingJsonContentType(_) => (
                "unsupported_media_type",
                "Content-Type: application/json で送ってください。",
            ),
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ("too_large", "リクエストが大きすぎます。")
            }
            _ => ("invalid_request", "リクエストを読み取れません。"),
        };
        ApiError::new(rejection.status(), code, message).with_detail(rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(detail) = self.detail {
            error["detail"] = json!(detail);
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

/// `Json` whose rejections are [`ApiError`]s.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Ok(ApiJson(Json::<T>::from_request(req, state).await?.0))
    }
}

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
    reason: Option<crate::assistant::intent::HandoffReason>,
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
        let Answer {
            outcome,
            answer,
            citations,
            confidence,
            writer,
            handoff_reason,
            ..
        } = reply.answer;
        ChatResponse {
            session_id: reply.session_id,
            question_id: reply.question_id,
            message_id: reply.message_id,
            handoff: (outcome == Outcome::Handoff).then_some(Handoff {
                reason: handoff_reason,
                offer: true,
            }),
            outcome,
            answer,
            citations,
            writer,
            confidence,
        }
    }
}

/// `POST /api/v1/chat`: one question, one stored answer.
pub async fn chat(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let conversations = &state.conversations;
    let accepted = conversations
        .accept(body.session_id.as_deref(), Channel::Web, &body.message)
        .await?;
    if accepted.for_agent() {
        return Ok((StatusCode::ACCEPTED, Json(forwarded(&accepted))).into_response());
    }
    let started = Instant::now();
    let reply = conversations
        .answer(accepted, today_in_japan(), |_| {})
        .await?;
    state.metrics.answer(&reply.answer, started.elapsed());
    let response = with_offer(&state, reply.into()).await;
    Ok(Json(response).into_response())
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

/// Offers a person when the bot could not help twice in this conversation.
async fn with_offer(state: &AppState, mut response: ChatResponse) -> ChatResponse {
    if response.handoff.is_none() {
        match state
            .conversations
            .should_offer_handoff(&response.session_id)
            .await
        {
            Ok(true) => {
                response.handoff = Some(Handoff {
                    reason: None,
                    offer: true,
                })
            }
            Ok(false) => {}
            Err(e) => tracing::warn!("counting unhelpful answers: {e:#}"),
        }
    }
    response
}

fn event(name: &str, data: serde_json::Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

/// `POST /api/v1/chat/stream`: the same as Server-Sent Events. `session` first (the ids, so
/// a client can recover the answer from the transcript if the stream drops), `token` for
/// each piece of the model's draft, `replace` when the final answer is not that draft,
/// then `done` with the whole response (or `error`).
pub async fn chat_stream(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ChatRequest>,
) -> Result<Response, ApiError> {
    let accepted = state
        .conversations
        .accept(body.session_id.as_deref(), Channel::Web, &body.message)
        .await?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    let _ = tx.send(event(
        "session",
        json!({"session_id": accepted.session_id, "question_id": accepted.question_id}),
    ));
    if accepted.for_agent() {
        let _ = tx.send(event("forwarded", forwarded(&accepted)));
        drop(tx);
        return Ok(sse_response(rx));
    }
    let streamed = Arc::new(AtomicBool::new(false));
    let on_token = {
        let (tx, streamed) = (tx.clone(), streamed.clone());
        move |piece: &str| {
            streamed.store(true, Ordering::Relaxed);
            let _ = tx.send(event("token", json!({ "text": piece })));
        }
    };
    let started = Instant::now();
    tokio::spawn(async move {
        match state
            .conversations
            .answer(accepted, today_in_japan(), on_token)
            .await
        {
            Ok(reply) => {
                state.metrics.answer(&reply.answer, started.elapsed());
                if streamed.load(Ordering::Relaxed) && reply.answer.writer != WriterKind::Model {
                    let _ = tx.send(event("replace", json!({ "text": reply.answer.answer })));
                }
                let response = with_offer(&state, ChatResponse::from(reply)).await;
                let _ = tx.send(event("done", json!(response)));
            }
            Err(e) => {
                let error = ApiError::from(e);
                let _ = tx.send(event(
                    "error",
                    json!({"code": error.code, "message": error.message}),
                ));
            }
        }
    });
    Ok(sse_response(rx))
}

fn sse_response(rx: tokio::sync::mpsc::UnboundedReceiver<Event>) -> Response {
    let stream = UnboundedReceiverStream::new(rx).map(Ok::<_, Infallible>);
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-accel-buffering"), "no"),
        ],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")),
    )
        .into_response()
}

/// 404 unless the conversation exists.
async fn require_session(store: &crate::store::Store, id: &str) -> Result<(), ApiError> {
    match store.conversation_exists(id).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::unknown_session()),
        Err(e) => Err(ApiError::internal(&e)),
    }
}

/// `GET /api/v1/sessions/{id}/messages`: the transcript, so a reload keeps the conversation.
pub async fn messages(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = &state.conversations.store;
    require_session(store, &id).await?;
    let messages = store.messages(&id).await?;
    let state = store.conversation_state(&id).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"session_id": id, "state": state, "messages": messages})),
    )
        .into_response())
}

/// `GET /api/v1/sessions/{id}/events`: what people write into the conversation (agents'
/// replies) as Server-Sent `message` events, live; keep-alive comments every 15 s.
pub async fn session_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = &state.conversations.store;
    require_session(store, &id).await?;
    let mut events = state.conversations.events.subscribe();
    let shutdown = state.conversations.shutdown.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Event>();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                received = events.recv() => match received {
                    Ok((conversation, message)) if conversation == id => {
                        if tx.send(event("message", json!(message))).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    // Fell behind: the client reloads the transcript.
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        if tx.send(event("resync", json!({}))).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                },
                _ = tx.closed() => break,
            }
        }
    });
    Ok(sse_response(rx))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    session_id: String,
    message_id: i64,
    /// "up" (👍) or "down" (👎).
    rating: String,
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /api/v1/feedback`: 👍/👎 on an answer of the caller's conversation.
pub async fn feedback(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<FeedbackRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if body.rating != "up" && body.rating != "down" {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_rating",
            "評価は \"up\"（👍）か \"down\"（👎）で送ってください。",
        )
        .with_detail(format!("rating: {:?}", body.rating)));
    }
    let comment = body
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if let Some(c) = comment {
        let chars = c.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "comment_too_long",
                format!(
                    "コメントが長すぎます（{chars}文字）。{MAX_COMMENT_CHARS}文字以内で入力してください。"
                ),
            ));
        }
    }
    let recorded = state
        .conversations
        .store
        .set_feedback(&body.session_id, body.message_id, &body.rating, comment)
        .await?;
    match recorded {
        Ok(()) => {
            state.metrics.feedback(&body.rating);
            let offer = body.rating == "down"
                && state
                    .conversations
                    .should_offer_handoff(&body.session_id)
                    .await
                    .unwrap_or(false);
            let mut response = json!({"recorded": true});
            if offer {
                response["handoff"] = json!({"offer": true});
            }
            Ok(Json(response))
        }
        Err(FeedbackError::NoSuchAnswer) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_message",
            "評価する回答が見つかりません。",
        )
        .with_detail(format!(
            "no answer {} in session {}",
            body.message_id, body.session_id
        ))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandoffRequest {
    /// Omitted to hand over before asking anything.
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    facility_name: Option<String>,
    #[serde(default)]
    facility_code: Option<String>,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default)]
    question: Option<String>,
    /// What started it: `button` (default), `requested_person`, `own_case`, `repeated_failure`.
    #[serde(default)]
    reason: Option<String>,
}

/// Why a conversation may be handed over, as the widget reports it.
const HANDOFF_REASONS: &[&str] = &["button", "requested_person", "own_case", "repeated_failure"];

/// `POST /api/v1/handoff`: open a ticket for the call center. 201 with what the user is told;
/// 422 with the fields to fix; 409 when one is already open. A failure tells the user to call.
pub async fn handoff(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HandoffRequest>,
) -> Result<Response, ApiError> {
    let conversations = &state.conversations;
    let details = Details {
        facility_name: body.facility_name,
        facility_code: body.facility_code,
        contact: body.contact,
        question: body.question,
    };
    let reason = body.reason.as_deref().unwrap_or("button");
    if !HANDOFF_REASONS.contains(&reason) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_reason",
            "引き継ぎの理由が正しくありません。",
        )
        .with_detail(format!(
            "reason must be one of {}",
            HANDOFF_REASONS.join(", ")
        )));
    }
    match conversations
        .handoff(body.session_id.as_deref(), Channel::Web, reason, &details)
        .await
    {
        Ok(reply) => Ok((
            StatusCode::CREATED,
            Json(json!({
                "session_id": reply.session_id,
                "ticket_id": reply.ticket_id,
                "message_id": reply.message_id,
                "state": "waiting",
                "message": reply.message,
                "phone": conversations.phone(),
            })),
        )
            .into_response()),
        Err(HandoffError::Invalid(fields)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"error": {
                "code": "invalid_details",
                "message": "入力内容をご確認ください。",
                "fields": fields,
            }})),
        )
            .into_response()),
        Err(HandoffError::UnknownSession) => Err(ApiError::unknown_session()),
        Err(HandoffError::AlreadyOpen(ticket)) => Ok((
            StatusCode::CONFLICT,
            Json(json!({"error": {
                "code": "already_waiting",
                "message": "すでに担当者への引き継ぎを受け付けています。担当者からの返信をお待ちください。",
                "ticket_id": ticket,
            }})),
        )
            .into_response()),
        Err(HandoffError::Internal(e)) => {
            tracing::error!("handoff failed: {e:#}");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "handoff_failed",
                crate::handoff::failure(conversations.phone().as_deref()),
            ))
        }
    }
}

/// `GET /healthz`: the process is alive.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: the index is loaded and the database answers (503 otherwise); also
/// says which model, if any, writes drafts.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let assistant = state.conversations.assistant();
    let passages = assistant.index().num_passages();
    let database = state.conversations.store.ping().await;
    let model = match (assistant.model_name(), &state.model_path) {
        (Some(name), _) => json!({"state": "loaded", "name": name}),
        (None, Some(path)) => json!({"state": "unavailable", "path": path.display().to_string()}),
        (None, None) => json!({"state": "off"}),
    };
    let ready = passages > 0 && database.is_ok();
    let body = json!({
        "ready": ready,
        "index": {"passages": passages},
        "database": match &database { Ok(()) => "ok".to_string(), Err(e) => format!("error: {e}") },
        "database_backend": match state.conversations.store.backend {
            crate::store::Backend::Sqlite => "sqlite",
            crate::store::Backend::Postgres => "postgres",
        },
        "model": model,
        "knowledge": {"release": state.publisher.serving_release()},
        "channels": state.channels.status(),
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
    let assistant = state.conversations.assistant();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state
            .metrics
            .render(&assistant.draft_stats(), assistant.model_name()),
    )
        .into_response()
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "ページが見つかりません。",
    )
}
