//! Every error of the service is JSON — `{"error": {"code", "message", "detail"?}}` — that
//! says what was wrong, with a short Japanese message the widget can show as it is.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::conversation::ChatError;
use crate::handoff::FieldError;

/// An error response: `{"error": {"code", "message", "detail"?}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorDetail,
}

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
    message: String,
    /// For developers (e.g. the JSON parser's complaint).
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    /// The details to fix (`invalid_details` of `POST /api/v1/handoff`).
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<Vec<FieldError>>,
    /// The ticket already open (`already_waiting` of `POST /api/v1/handoff`).
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket_id: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorDetail {
                code,
                message: message.into(),
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
        &self.body.message
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.body.detail = Some(detail.into());
        self
    }

    pub fn with_fields(mut self, fields: Vec<FieldError>) -> Self {
        self.body.fields = Some(fields);
        self
    }

    pub fn with_ticket(mut self, ticket_id: i64) -> Self {
        self.body.ticket_id = Some(ticket_id);
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

    pub fn internal(e: &anyhow::Error) -> Self {
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
            ChatError::Unavailable { error, phone } => {
                tracing::error!("storing a message: {error:#}");
                let call = phone
                    .map(|p| format!("お急ぎの場合はコールセンター（{p}）にお問い合わせください。"))
                    .unwrap_or_default();
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    format!(
                        "申し訳ありません。ただいまメッセージを保存できないため、お答えできません。\
                         しばらくしてからもう一度お送りください。{call}"
                    ),
                )
            }
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
        (self.status, Json(ErrorBody { error: self.body })).into_response()
    }
}

/// `Json` whose rejections are [`ApiError`]s. The body must be a JSON object, as the API
/// document says: serde would otherwise read a struct from an array (`[null, null]`).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<serde_json::Value>::from_request(req, state).await?;
        let invalid = |detail: String| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_request",
                "リクエストの項目が正しくありません。",
            )
            .with_detail(detail)
        };
        if !value.is_object() {
            return Err(invalid("the body must be a JSON object".to_string()));
        }
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| invalid(e.to_string()))
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

fn bad_parameter(detail: String) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "URL のパラメータが正しくありません。",
    )
    .with_detail(detail)
}

/// `404` for a path the service does not have.
pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "ページが見つかりません。",
    )
}
