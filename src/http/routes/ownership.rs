//! Who owns a ticket, beyond claiming it: handing it to another agent, giving it back to
//! the queue, reopening a resolved one; and the agents a ticket can be handed to.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::agent::TicketErrors;
use crate::auth::Role;
use crate::conversation::MAX_AGENT_TEXT;
use crate::domain::TicketId;
use crate::http::AppState;
use crate::http::auth::{AgentDesk, SignedIn};
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody, control_in, refuse_control};
use crate::http::responses::{AGENT_CONSOLE, ConsoleErrors, JsonBodyErrors};
use crate::text::{TextError, UserText};

/// Done (a ticket given back, handed on or reopened).
#[derive(Serialize, ToSchema)]
pub struct Done {
    done: bool,
}

/// `POST /agent/api/tickets/{id}/release`: the ticket goes back to the queue.
#[utoipa::path(post, path = "/agent/api/tickets/{id}/release",
    summary = "Give a ticket one owns back to the queue (the user is told to wait)",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    responses(
        (status = 200, description = "OK", body = Done),
        TicketErrors,
        (status = 409, description = "`conflict`: not the agent's", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn release(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
) -> Result<Response, ApiError> {
    state
        .conversations()
        .desk()
        .release(id, signed_in.user.id)
        .await?;
    tracing::info!(ticket = %id, agent = %signed_in.user.name, "ticket released");
    Ok(Json(Done { done: true }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    /// The agent or admin who takes the ticket over (a user name).
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    to: String,
    /// What the next agent should know, kept as an internal note on the ticket.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    note: Option<String>,
}

/// `POST /agent/api/tickets/{id}/transfer`: another agent owns the ticket.
#[utoipa::path(post, path = "/agent/api/tickets/{id}/transfer",
    summary = "Hand a ticket one owns to another agent or admin",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    request_body = TransferBody,
    responses(
        (status = 200, description = "OK", body = Done),
        JsonBodyErrors,
        TicketErrors,
        (status = 409, description = "`conflict`: not the agent's, or no such agent", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn transfer(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(body): ApiJson<TransferBody>,
) -> Result<Response, ApiError> {
    refuse_control("to", &body.to)?;
    let note = UserText::optional(body.note.as_deref(), MAX_AGENT_TEXT).map_err(|e| match e {
        TextError::TooLong { .. } => ApiError::invalid(
            "invalid_text",
            format!("引き継ぎメモは{MAX_AGENT_TEXT}文字以内で入力してください。"),
        ),
        TextError::Control | TextError::Blank => control_in("note"),
    })?;
    state
        .conversations()
        .desk()
        .transfer(id, signed_in.user.id, body.to.trim(), note.as_ref())
        .await?;
    tracing::info!(ticket = %id, from = %signed_in.user.name, to = %body.to.trim(), "ticket transferred");
    Ok(Json(Done { done: true }).into_response())
}

/// `POST /agent/api/tickets/{id}/reopen`: a resolved ticket is waiting again.
#[utoipa::path(post, path = "/agent/api/tickets/{id}/reopen",
    summary = "Reopen a resolved ticket (waiting again; the user is told)",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    responses(
        (status = 200, description = "OK", body = Done),
        TicketErrors,
        (status = 409, description = "`conflict`: not resolved, or the conversation has another open ticket", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn reopen(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
) -> Result<Response, ApiError> {
    state.conversations().desk().reopen(id).await?;
    tracing::info!(ticket = %id, agent = %signed_in.user.name, "ticket reopened");
    Ok(Json(Done { done: true }).into_response())
}

/// The agents and admins a ticket can be handed to.
#[derive(Serialize, ToSchema)]
pub struct Agents {
    agents: Vec<String>,
}

/// `GET /agent/api/agents`: who can take a ticket (agents and admins), by name.
#[utoipa::path(get, path = "/agent/api/agents", summary = "The agents and admins a ticket can be handed to",
    description = AGENT_CONSOLE, security(("session" = [])),
    responses((status = 200, description = "OK", body = Agents), ConsoleErrors))]
pub async fn agents(
    State(state): State<AppState>,
    _: SignedIn<AgentDesk>,
) -> Result<Response, ApiError> {
    let agents = state
        .accounts()
        .users()
        .await?
        .into_iter()
        .filter(|a| matches!(a.role, Role::Agent | Role::Admin) && !a.disabled)
        .map(|a| a.name)
        .collect();
    Ok(Json(Agents { agents }).into_response())
}
