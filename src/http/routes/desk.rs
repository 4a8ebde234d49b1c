//! The agent console's live events (new tickets, changes, users writing: pushed, never
//! polled) and the labels agents put on tickets (priority and tags).

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use super::agent::TicketErrors;
use crate::conversation::TicketError;
use crate::domain::TicketId;
use crate::handoff::{MAX_TAG_CHARS, MAX_TAGS, Priority, checked_tags};
use crate::http::AppState;
use crate::http::auth::{AgentDesk, SignedIn};
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::http::responses::{AGENT_CONSOLE, ConsoleErrors, JsonBodyErrors};
use crate::http::sse;

/// `GET /agent/api/events`: what happens at the desk, live.
#[utoipa::path(get, path = "/agent/api/events", operation_id = "desk_events",
    summary = "The desk's events, live: tickets opened or changed, users writing",
    description = "Server-Sent Events: `ticket` (a DeskEvent: a ticket was opened, claimed, handed on, given back, resolved, reopened or labelled), `message` (a DeskEvent: the user wrote in the ticket's conversation; `claimed_by` is whom it is for), `resync` (the console fell behind: reload). Keep-alive comments every 15 s. The stream ends when its session does (signed out, the account disabled or its password reset): checked before every event and every 5 s.",
    security(("session" = [])),
    responses(
        (status = 200, description = "An event stream of DeskEvent", content_type = "text/event-stream"),
        ConsoleErrors,
    ))]
pub async fn events(State(state): State<AppState>, signed_in: SignedIn<AgentDesk>) -> Response {
    let conversations = state.conversations();
    let mut events = conversations.desk().events();
    let shutdown = conversations.lifecycle().shutdown_token();
    let (accounts, session) = (state.accounts().clone(), signed_in.token);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut recheck = tokio::time::interval(SESSION_RECHECK);
        loop {
            let event = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tx.closed() => break,
                _ = recheck.tick() => {
                    if signed_out(&accounts, &session).await {
                        break;
                    }
                    continue;
                }
                received = events.recv() => match received {
                    Ok(e) => {
                        let name = match e.kind {
                            crate::conversation::DeskKind::Ticket => "ticket",
                            crate::conversation::DeskKind::Message => "message",
                        };
                        sse::event(name, json!(e))
                    }
                    // Fell behind: the console reloads the queue.
                    Err(RecvError::Lagged(_)) => sse::event("resync", json!({})),
                    Err(RecvError::Closed) => break,
                },
            };
            // Nothing more for a session that ended (signed out, account disabled,
            // password reset) since the stream opened.
            if signed_out(&accounts, &session).await || tx.send(event).is_err() {
                break;
            }
        }
    });
    sse::response(rx)
}

/// How often an open desk stream checks that its session still exists.
const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether the console's session has ended. A database that cannot answer ends nothing:
/// the stream stays until it is sure.
async fn signed_out(accounts: &crate::accounts::Accounts, session: &str) -> bool {
    matches!(accounts.session(session).await, Ok(None))
}

// The schema below says 8 tags of 20 characters.
const _: () = assert!(MAX_TAGS == 8 && MAX_TAG_CHARS == 20);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelsBody {
    priority: Priority,
    /// Up to 8 tags (duplicates count) of up to 20 characters, no spaces or commas, not
    /// only invisible characters; each kept once, in order.
    #[schema(max_items = 8, inline, value_type = Vec<Tag>)]
    tags: Vec<String>,
}

/// A tag.
#[derive(ToSchema)]
#[schema(
    min_length = 1,
    max_length = 20,
    pattern = r"^[^\s,\x00-\x1F\x7F-\x9F]*[^\s,\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB][^\s,\x00-\x1F\x7F-\x9F]*$"
)]
#[allow(dead_code)]
pub struct Tag(String);

/// A ticket's labels as stored.
#[derive(Serialize, ToSchema)]
pub struct Labels {
    priority: Priority,
    tags: Vec<String>,
}

/// `PUT /agent/api/tickets/{id}/labels`: priority and tags, for every agent to see.
#[utoipa::path(put, path = "/agent/api/tickets/{id}/labels", operation_id = "set_ticket_labels",
    summary = "Set a ticket's priority and tags",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    request_body = LabelsBody,
    responses(
        (status = 200, description = "OK", body = Labels),
        JsonBodyErrors,
        TicketErrors,
        (status = 422, description = "`invalid_tags`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn labels(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(body): ApiJson<LabelsBody>,
) -> Result<Response, ApiError> {
    let tags = checked_tags(&body.tags).map_err(|m| ApiError::invalid("invalid_tags", m))?;
    if !state
        .conversations()
        .desk()
        .set_labels(id, body.priority, &tags)
        .await?
    {
        return Err(TicketError::NoSuchTicket.into());
    }
    tracing::info!(ticket = %id, agent = %signed_in.user.name, priority = body.priority.as_str(), "ticket labelled");
    Ok(Json(Labels {
        priority: body.priority,
        tags: tags.iter().map(|t| t.as_str().to_string()).collect(),
    })
    .into_response())
}
