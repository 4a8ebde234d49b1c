//! `POST /api/v1/handoff`: open a ticket for the call center.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::assistant::Channel;
use crate::conversation::State as Conversation;
use crate::domain::{ConversationId, MessageId, TicketId};
use crate::handoff::{Details, Reason};
use crate::http::AppState;
use crate::http::error::{ApiError, ApiJson, ErrorBody, continued_conversation};
use crate::http::responses::{JsonBodyErrors, RateLimited};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffRequest {
    /// Omitted to hand over before asking anything.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$")]
    session_id: Option<String>,
    /// 医療機関等の名称.
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    facility_name: Option<String>,
    /// 医療機関等コード: 7 digits (full-width digits, spaces and hyphens are taken).
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\v\f\r \u00A0\u3000]*$|^[\t\n\v\f\r \u00A0\u3000]*[ 　\-－]*([0-9０-９][ 　\-－]*){7}[\t\n\v\f\r \u00A0\u3000]*$"
    )]
    facility_code: Option<String>,
    /// A phone number (e.g. 03-1234-5678) or an e-mail address.
    #[serde(default)]
    #[schema(
        pattern = r"^[\t\n\v\f\r \u00A0\u3000]*$|^[\t\n\v\f\r \u00A0\u3000]*(0(?:[0-9]-?){8,9}[0-9]|[!-?A-~]{1,64}@[!-?A-~]+\.[!-?A-~]{2,})[\t\n\v\f\r \u00A0\u3000]*$"
    )]
    contact: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    question: Option<String>,
    /// What started it (default `button`).
    #[serde(default)]
    reason: Option<Reason>,
}

/// A ticket was opened: what the user is told.
#[derive(Debug, Serialize, ToSchema)]
pub struct HandoffResponse {
    session_id: ConversationId,
    ticket_id: TicketId,
    /// The stored confirmation.
    message_id: MessageId,
    /// `waiting`.
    state: Conversation,
    /// When a person will reply (business hours), and the call center's number.
    message: String,
    /// The call center's number.
    phone: Option<String>,
}

/// 201 with what the user is told; 422 with the fields to fix; 409 when one is already
/// open. A failure tells the user to call.
#[utoipa::path(post, path = "/api/v1/handoff", summary = "Hand the conversation to the call center (opens a ticket)",
    description = "Every detail is optional; given ones are checked (医療機関等コード: 7 digits; contact: a phone number or an e-mail address). The message tells the user when a person will reply (business hours) and gives the call center's number. While the ticket is open, chat messages are stored for the agent and not answered by the bot (202, or a `forwarded` event).",
    request_body = HandoffRequest,
    responses(
        (status = 201, description = "Ticket opened", body = HandoffResponse),
        JsonBodyErrors,
        (status = 422, description = "`invalid_details`: details to fix (error.fields: [{field, message}]); `invalid_reason`; or `invalid_request`", body = ErrorBody),
        (status = 404, description = "`unknown_session`", body = ErrorBody),
        (status = 409, description = "`already_waiting`: a ticket is already open (error.ticket_id)", body = ErrorBody),
        (status = 429, response = RateLimited),
        (status = 500, description = "`handoff_failed`: not opened; the message gives the phone number", body = ErrorBody),
        (status = 503, description = "`storage_unavailable`: the database cannot be reached or written (not opened; the message gives the phone number); `timeout`", body = ErrorBody),
    ))]
pub async fn handoff(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<HandoffRequest>,
) -> Result<Response, ApiError> {
    let session = continued_conversation(body.session_id.as_deref())?;
    let conversations = state.conversations();
    let reason = body.reason.unwrap_or(Reason::Button);
    let details = Details {
        facility_name: body.facility_name,
        facility_code: body.facility_code,
        contact: body.contact,
        question: body.question,
    };
    let reply = conversations
        .handoff(session.as_ref(), Channel::Web, reason, &details)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(HandoffResponse {
            session_id: reply.session_id,
            ticket_id: reply.ticket_id,
            message_id: reply.message_id,
            state: Conversation::Waiting,
            message: reply.message,
            phone: conversations.phone(),
        }),
    )
        .into_response())
}
