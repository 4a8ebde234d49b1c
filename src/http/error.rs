//! Every error of the service is JSON — `{"error": {"code", "message", "detail"?}}` — that
//! says what was wrong, with a short Japanese message the widget can show as it is: the
//! catalog's ([`crate::copy`]), whose English the widget shows for the same code.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::conversation::{ChatError, FeedbackError, HandoffError, MAX_COMMENT_CHARS, TicketError};
use crate::copy::{self, Key};
use crate::domain::{ConversationId, Language, MessageId, TicketId};
use crate::handoff::FieldError;
use crate::store::{Conflict, StoreError};
use crate::text::privacy::Shown;

/// An error response: `{"error": {"code", "message", "detail"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorDetail,
}

/// Marks a response as "the database cannot store or read now": [`with_call_center`] puts
/// the call center's number (from the serving knowledge base) into its message.
#[derive(Debug, Clone, Copy)]
pub struct StorageUnavailable;

/// The JSON of every error.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// What was wrong, for programs (e.g. `invalid_message`, `rate_limited`).
    code: &'static str,
    /// Japanese, for users: the widget shows it as it is.
    #[schema(value_type = String)]
    message: Shown,
    /// For developers (e.g. the JSON parser's complaint).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    detail: Option<Shown>,
    /// The details to fix (`invalid_details` of `POST /api/v1/handoff`): the catalog's
    /// words, which quote nothing that was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<FieldError>>,
    /// The ticket already open (`already_waiting` of `POST /api/v1/handoff`).
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket_id: Option<TicketId>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorDetail {
                code,
                message: Shown::new(&message.into()),
                detail: None,
                fields: None,
                ticket_id: None,
            },
        }
    }

    /// 422: a field of the request is not acceptable.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn code(&self) -> &'static str {
        self.body.code
    }

    pub fn message(&self) -> &str {
        self.body.message.as_str()
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.body.detail = Some(Shown::new(&detail.into()));
        self
    }

    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.body.fields = Some(fields);
        self
    }

    pub fn with_ticket(mut self, ticket_id: TicketId) -> Self {
        self.body.ticket_id = Some(ticket_id);
        self
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            copy::filled(
                Language::Ja,
                Key::RateLimited,
                &[("seconds", &retry_after.to_string())],
            ),
        )
    }

    pub fn timed_out() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            copy::ja(Key::Timeout),
        )
    }

    pub fn unknown_session() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_session",
            copy::ja(Key::UnknownSession),
        )
    }

    /// 404 `unknown_message`: no answer `message_id` in the conversation `session`.
    pub fn unknown_message(message_id: MessageId, session: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_message",
            copy::ja(Key::UnknownMessage),
        )
        .with_detail(format!("no answer {message_id} in session {session}"))
    }

    /// 503 `storage_unavailable`: the database cannot be reached or written now; the user
    /// is told to try again later or to call.
    pub fn storage_unavailable(phone: Option<&str>) -> Self {
        let call = phone
            .map(|phone| copy::filled(Language::Ja, Key::StorageCall, &[("phone", phone)]))
            .unwrap_or_default();
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            copy::filled(Language::Ja, Key::StorageUnavailable, &[("call", &call)]),
        )
    }

    /// A failure on the service's side: the database's (an outage, a full disk) is a 503
    /// `storage_unavailable` with the call center's number, anything else a 500.
    pub fn internal(e: &anyhow::Error) -> Self {
        if crate::store::is_database_error(e) {
            tracing::error!("the database failed: {e:#}");
            return ApiError::storage_unavailable(None);
        }
        tracing::error!("internal error: {e:#}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            copy::ja(Key::Internal),
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
            ChatError::Unavailable { error, phone } => {
                tracing::error!("storing a message: {error:#}");
                ApiError::storage_unavailable(phone.as_deref())
            }
            ChatError::Internal(e) => ApiError::internal(&e),
        }
    }
}

/// A handoff not filed: the details to fix (422), an unknown conversation (404), a ticket
/// already open (409, with its id), or a failure: 503 when the database was unavailable,
/// 500 otherwise, each with the call center's number.
impl From<HandoffError> for ApiError {
    fn from(e: HandoffError) -> Self {
        match e {
            HandoffError::Invalid(fields) => {
                ApiError::invalid("invalid_details", copy::ja(Key::InvalidDetails))
                    .with_fields(fields)
            }
            HandoffError::UnknownSession => ApiError::unknown_session(),
            HandoffError::AlreadyOpen(ticket) => ApiError::new(
                StatusCode::CONFLICT,
                "already_waiting",
                copy::ja(Key::AlreadyWaiting),
            )
            .with_ticket(ticket),
            HandoffError::Failed { error, phone } => {
                tracing::error!("handoff failed: {error:#}");
                let (status, code) = if error.is_unavailable() {
                    (StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable")
                } else {
                    (StatusCode::INTERNAL_SERVER_ERROR, "handoff_failed")
                };
                ApiError::new(status, code, crate::handoff::failure(phone.as_deref()))
            }
        }
    }
}

/// A store failure where nothing more is known: 503 when the database was unavailable,
/// else the operation's own refusal (404, 409) or an internal error.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(error) => {
                tracing::error!("the database failed: {error:#}");
                ApiError::storage_unavailable(None)
            }
            StoreError::NotFound => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", copy::ja(Key::Missing))
            }
            StoreError::Conflict(why) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", copy::ja(Key::Conflict))
                    .with_detail(why.to_string())
            }
            StoreError::Internal(e) => ApiError::internal(&e),
        }
    }
}

/// A rating not recorded: the comment refused (422), or no such answer (404).
impl From<FeedbackError> for ApiError {
    fn from(e: FeedbackError) -> Self {
        match e {
            FeedbackError::CommentControl => {
                ApiError::invalid("invalid_comment", copy::ja(Key::InvalidComment))
            }
            FeedbackError::CommentTooLong(chars) => ApiError::invalid(
                "comment_too_long",
                copy::filled(
                    Language::Ja,
                    Key::CommentTooLong,
                    &[
                        ("chars", &chars.to_string()),
                        ("max", &MAX_COMMENT_CHARS.to_string()),
                    ],
                ),
            ),
            FeedbackError::NoSuchAnswer {
                message_id,
                session,
            } => ApiError::unknown_message(message_id, session.as_str()),
            FeedbackError::Internal(e) => ApiError::internal(&e),
        }
    }
}

/// An agent's action on a ticket that did not happen: 404 `unknown_ticket`, or 409
/// `conflict` saying why in the agent's words.
impl From<TicketError> for ApiError {
    fn from(e: TicketError) -> Self {
        let conflict = |message: String| ApiError::new(StatusCode::CONFLICT, "conflict", message);
        match e {
            TicketError::NoSuchTicket => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_ticket",
                "問い合わせが見つかりません。",
            ),
            TicketError::Conflict(why) => conflict(match why {
                Conflict::ClaimedBy(by) => format!("{by} が対応中です"),
                Conflict::NotWaiting(state) => format!("この問い合わせは {state} です"),
                Conflict::NotYours => "この問い合わせを対応中にしてから操作してください".into(),
                Conflict::Changed => "この問い合わせは、ほかの操作で変わりました".into(),
                Conflict::NotAnAgent(to) => {
                    format!("{to} には引き継げません（担当者または管理者の名前を選んでください）")
                }
                Conflict::NotResolved => "解決済みの問い合わせだけを再開できます".into(),
                Conflict::AnotherOpen | Conflict::AlreadyOpen(_) => {
                    "この会話には、ほかに対応中の問い合わせがあります".into()
                }
            }),
            TicketError::Internal(e) => ApiError::internal(&e),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let (code, message) = match &rejection {
            JsonRejection::JsonDataError(_) => ("invalid_request", Key::InvalidRequest),
            JsonRejection::JsonSyntaxError(_) => ("invalid_json", Key::InvalidJson),
            JsonRejection::MissingJsonContentType(_) => {
                ("unsupported_media_type", Key::UnsupportedMediaType)
            }
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ("too_large", Key::TooLarge)
            }
            _ => ("invalid_request", Key::UnreadableRequest),
        };
        ApiError::new(rejection.status(), code, copy::ja(message))
            .with_detail(rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    /// The error as JSON: its texts are [`Shown`], so no 12-digit number leaves in it.
    fn into_response(self) -> Response {
        let body = self.body;
        let unavailable = body.code == "storage_unavailable";
        let mut response = (self.status, Json(ErrorBody { error: body })).into_response();
        if unavailable {
            response.extensions_mut().insert(StorageUnavailable);
        }
        response
    }
}

/// Gives every `storage_unavailable` error the call center's number, which the user needs
/// most when nothing can be saved (the handlers that fail do not know it).
pub async fn with_call_center(
    axum::extract::State(state): axum::extract::State<super::AppState>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(req).await;
    if response.extensions().get::<StorageUnavailable>().is_none() {
        return response;
    }
    let phone = state.conversations().phone();
    let mut fresh = ApiError::storage_unavailable(phone.as_deref()).into_response();
    fresh.extensions_mut().remove::<StorageUnavailable>();
    for (name, value) in response.headers() {
        if name != axum::http::header::CONTENT_LENGTH {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

/// `Json` whose rejections are [`ApiError`]s. The body must be a JSON object, as the API
/// document says: serde would otherwise read a struct from an array (`[null, null]`).
/// A field in [`OWN_CODES`] that is refused gets its own code.
pub struct ApiJson<T>(pub T);

/// Request fields whose refusal has a code of its own (the widget and the API document name
/// them), with the catalog's words for it.
const OWN_CODES: &[(&str, &str, Key)] = &[
    ("rating", "invalid_rating", Key::InvalidRating),
    ("reason", "invalid_reason", Key::InvalidReason),
];

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<serde_json::Value>::from_request(req, state).await?;
        let invalid = |detail: String| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                copy::ja(Key::InvalidRequest),
            )
            .with_detail(detail)
        };
        if !value.is_object() {
            return Err(invalid("the body must be a JSON object".to_string()));
        }
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                let field = e.path().to_string();
                match OWN_CODES.iter().find(|(name, ..)| *name == field) {
                    Some(&(_, code, key)) => {
                        ApiError::invalid(code, copy::ja(key)).with_detail(e.to_string())
                    }
                    None => invalid(e.to_string()),
                }
            })
    }
}

/// `Query` whose rejection is a JSON [`ApiError`] (400 `invalid_request`), not plain text.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(bad_parameter(rejection.body_text())),
        }
    }
}

/// `Path` whose rejection (a ticket id that is not a number) is a JSON [`ApiError`].
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(bad_parameter(rejection.body_text())),
        }
    }
}

/// 422 `invalid_text` when a free-text field holds a control character (NUL, escape…):
/// refused before it reaches the database, which cannot store a NUL on PostgreSQL.
pub fn refuse_control(field: &str, value: &str) -> Result<(), ApiError> {
    if crate::text::has_control(value) {
        return Err(control_in(field));
    }
    Ok(())
}

/// The conversation a request names by its `session_id`: 404 `unknown_session` when the
/// text is not a conversation's id (a UUID), without asking the database.
pub fn conversation_named(session_id: &str) -> Result<ConversationId, ApiError> {
    ConversationId::parse(session_id).ok_or_else(ApiError::unknown_session)
}

/// The conversation a request continues (`None`: it starts one): a `session_id` with a
/// control character is refused (422), one that names no conversation too (404).
pub fn continued_conversation(
    session_id: Option<&str>,
) -> Result<Option<ConversationId>, ApiError> {
    let Some(session_id) = session_id else {
        return Ok(None);
    };
    refuse_control("session_id", session_id)?;
    conversation_named(session_id).map(Some)
}

/// The 422 of [`refuse_control`], for a text already found to hold a control character.
pub fn control_in(field: &str) -> ApiError {
    ApiError::invalid(
        "invalid_text",
        copy::filled(Language::Ja, Key::InvalidText, &[("field", field)]),
    )
}

fn bad_parameter(detail: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        copy::ja(Key::BadParameter),
    )
    .with_detail(detail)
}

/// `404` for a path the service does not have.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", copy::ja(Key::NotFound))
}
