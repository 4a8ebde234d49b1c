//! `POST /api/v1/feedback`: 👍/👎 on an answer of the caller's conversation, or on the
//! help of the person who resolved its ticket.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::chat::Handoff;

use crate::conversation::Rating;
use crate::domain::{ConversationId, MessageId};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiJson, ErrorBody, refuse_control};
use crate::http::responses::{JsonBodyErrors, RateLimited, ServiceErrors};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    #[schema(pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$")]
    session_id: String,
    /// The answer's `message_id`, or the `id` of the notice that closed a ticket
    /// (`closes_ticket`): that rates the person's help.
    #[serde(deserialize_with = "whole_message_id")]
    message_id: MessageId,
    /// "up" (👍) or "down" (👎).
    rating: Rating,
    #[serde(default)]
    #[schema(
        max_length = 1000,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    comment: Option<String>,
}

/// A message id: a whole number, also when written `5.0` (JSON Schema counts it as an
/// integer).
fn whole_message_id<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<MessageId, D::Error> {
    use serde::Deserialize;
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= 2f64.powi(53))
                .map(|f| f as i64)
        })
        .map(MessageId)
        .ok_or_else(|| serde::de::Error::custom(format!("expected a whole number, got {number}")))
}

/// Recorded; after a second 👎 in the conversation, `handoff` offers a person.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackResponse {
    recorded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    handoff: Option<Handoff>,
}

#[utoipa::path(post, path = "/api/v1/feedback", summary = "👍 or 👎 on an answer, or on a person's help",
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "Recorded (giving it again replaces it)", body = FeedbackResponse),
        JsonBodyErrors,
        (status = 404, description = "`unknown_message`: no such answer or closing notice in the conversation", body = ErrorBody),
        (status = 429, response = RateLimited),
        ServiceErrors,
    ))]
pub async fn feedback(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<FeedbackRequest>,
) -> Result<Json<FeedbackResponse>, ApiError> {
    refuse_control("session_id", &body.session_id)?;
    let session = ConversationId::parse(&body.session_id)
        .ok_or_else(|| ApiError::unknown_message(body.message_id, &body.session_id))?;
    let offer = state
        .conversations()
        .feedback(
            &session,
            body.message_id,
            body.rating,
            body.comment.as_deref(),
        )
        .await?;
    Ok(Json(FeedbackResponse {
        recorded: true,
        handoff: offer.then_some(Handoff {
            reason: None,
            offer: true,
        }),
    }))
}
