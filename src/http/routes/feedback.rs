//! `POST /api/v1/feedback`: 👍/👎 on an answer of the caller's conversation.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::conversation::{FeedbackError, Rating};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiJson};

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

pub async fn feedback(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<FeedbackRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(rating) = Rating::parse(&body.rating) else {
        return Err(ApiError::invalid(
            "invalid_rating",
            "評価は \"up\"（👍）か \"down\"（👎）で送ってください。",
        )
        .with_detail(format!("rating: {:?}", body.rating)));
    };
    let offer = state
        .conversations()
        .feedback(
            &body.session_id,
            body.message_id,
            rating,
            body.comment.as_deref(),
        )
        .await
        .map_err(|e| match e {
            FeedbackError::CommentTooLong(chars) => ApiError::invalid(
                "comment_too_long",
                format!(
                    "コメントが長すぎます（{chars}文字）。{}文字以内で入力してください。",
                    crate::conversation::MAX_COMMENT_CHARS
                ),
            ),
            FeedbackError::NoSuchAnswer => ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_message",
                "評価する回答が見つかりません。",
            )
            .with_detail(format!(
                "no answer {} in session {}",
                body.message_id, body.session_id
            )),
            FeedbackError::Internal(e) => ApiError::internal(&e),
        })?;
    let mut response = json!({"recorded": true});
    if offer {
        response["handoff"] = json!({"offer": true});
    }
    Ok(Json(response))
}
