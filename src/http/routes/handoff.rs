//! `POST /api/v1/handoff`: open a ticket for the call center.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::assistant::Channel;
use crate::conversation::HandoffError;
use crate::handoff::{Details, Reason};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiJson};

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

/// 201 with what the user is told; 422 with the fields to fix; 409 when one is already
/// open. A failure tells the user to call.
pub async fn handoff(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HandoffRequest>,
) -> Result<Response, ApiError> {
    let conversations = state.conversations();
    let reason = match body.reason.as_deref() {
        None => Reason::Button,
        Some(name) => Reason::parse(name).ok_or_else(|| {
            let names: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
            ApiError::invalid("invalid_reason", "引き継ぎの理由が正しくありません。")
                .with_detail(format!("reason must be one of {}", names.join(", ")))
        })?,
    };
    let details = Details {
        facility_name: body.facility_name,
        facility_code: body.facility_code,
        contact: body.contact,
        question: body.question,
    };
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
