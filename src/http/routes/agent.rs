//! The agent console's tickets under `/agent/api/`: the queue, a ticket with its
//! transcript, claim, reply, notes, resolve, CSV (signing in is in `accounts.rs`). Replies
//! reach the user's widget at once through the conversation's event stream, or are pushed
//! on their messaging channel.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, IntoResponses, ToSchema};

use crate::conversation::{CATEGORIES, MAX_AGENT_TEXT, TicketDetail, TicketError, View};
use crate::domain::TicketId;
use crate::http::AppState;
use crate::http::auth::{AgentDesk, SignedIn};
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::http::responses::{AGENT_CONSOLE, ConsoleErrors, JsonBodyErrors};
use crate::store::StoredMessage;
use crate::store::tickets::TicketRow;
use crate::text::{TextError, UserText};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `waiting` (default for the list), `mine` or `all` (default for the CSV).
    #[serde(default)]
    #[param(value_type = Option<View>)]
    view: Option<String>,
    /// Searches the details and the transcript.
    #[serde(default)]
    q: Option<String>,
}

/// A queue.
#[derive(Serialize, ToSchema)]
pub struct Queue {
    view: View,
    tickets: Vec<QueuedTicket>,
    /// What the views hold now, whichever is shown (the search aside).
    counts: ViewCounts,
}

#[derive(Serialize, ToSchema)]
pub struct ViewCounts {
    /// Tickets waiting for an agent.
    waiting: i64,
    /// Tickets the signed-in agent owns.
    mine: i64,
}

#[derive(Serialize, ToSchema)]
pub struct QueuedTicket {
    #[serde(flatten)]
    ticket: TicketRow,
    /// Since the ticket was opened.
    age_seconds: i64,
}

/// Seconds since an RFC 3339 time.
fn age_seconds(at: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds())
        .unwrap_or(0)
}

fn view(name: Option<&str>, default: View) -> Result<View, ApiError> {
    match name {
        None => Ok(default),
        Some(name) => name.parse::<View>().map_err(|_| {
            ApiError::invalid(
                "invalid_view",
                "view は waiting、mine、all のいずれかです。",
            )
        }),
    }
}

/// `GET /agent/api/tickets?view=waiting|mine|all&q=…`.
#[utoipa::path(get, path = "/agent/api/tickets",
    summary = "The queue: ?view=waiting|mine|all&q=search (details and transcript), with age_seconds",
    description = AGENT_CONSOLE, security(("session" = [])), params(QueueQuery),
    responses(
        (status = 200, description = "OK", body = Queue),
        (status = 422, description = "`invalid_view`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn tickets(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<Response, ApiError> {
    let view = view(query.view.as_deref(), View::Waiting)?;
    let rows = state
        .conversations()
        .desk()
        .tickets(view, signed_in.user.id, query.q.as_deref())
        .await?;
    let tickets: Vec<_> = rows
        .into_iter()
        .map(|ticket| QueuedTicket {
            age_seconds: age_seconds(&ticket.created_at),
            ticket,
        })
        .collect();
    let (waiting, mine) = state
        .conversations()
        .desk()
        .view_counts(signed_in.user.id)
        .await?;
    Ok(Json(Queue {
        view,
        tickets,
        counts: ViewCounts { waiting, mine },
    })
    .into_response())
}

/// What an operation on a ticket by its id can meet besides [`ConsoleErrors`].
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum TicketErrors {
    /// The id is not a number (plain text, from axum).
    #[response(status = 400, content_type = "text/plain")]
    BadId(String),
    /// `unknown_ticket`.
    #[response(status = 404)]
    UnknownTicket(ErrorBody),
}

/// `GET /agent/api/tickets/{id}`: the ticket, the whole transcript, the bot's sources, notes.
#[utoipa::path(get, path = "/agent/api/tickets/{id}",
    summary = "A ticket, its transcript, the bot's sources and the notes",
    description = AGENT_CONSOLE, security(("session" = [])), params(("id" = i64, Path)),
    responses(
        (status = 200, description = "OK", body = TicketDetail),
        TicketErrors,
        ConsoleErrors,
    ))]
pub async fn ticket(
    State(state): State<AppState>,
    _: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
) -> Result<Response, ApiError> {
    let detail = state
        .conversations()
        .desk()
        .ticket(id)
        .await?
        .ok_or(TicketError::NoSuchTicket)?;
    Ok(Json(detail).into_response())
}

/// Claimed.
#[derive(Serialize, ToSchema)]
pub struct Claimed {
    claimed: bool,
    /// The agent's name.
    by: String,
}

/// `POST /agent/api/tickets/{id}/claim`: exactly one of two agents wins (409 for the other).
#[utoipa::path(post, path = "/agent/api/tickets/{id}/claim",
    summary = "Claim a waiting ticket (of two agents exactly one wins)",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    responses(
        (status = 200, description = "OK", body = Claimed),
        TicketErrors,
        (status = 409, description = "`conflict`: not waiting, or another agent's", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn claim(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
) -> Result<Response, ApiError> {
    let user = signed_in.user;
    state.conversations().desk().claim(id, user.id).await?;
    tracing::info!(ticket = %id, agent = %user.name, "ticket claimed");
    Ok(Json(Claimed {
        claimed: true,
        by: user.name,
    })
    .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AgentText)]
pub struct TextBody {
    /// 1–4000 characters, not blank, no control characters.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*[^\s\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB][^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    text: String,
}

/// An agent's reply or note: 1 to [`MAX_AGENT_TEXT`] characters, trimmed.
pub struct AgentText(UserText);

impl FromRequest<AppState> for AgentText {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let ApiJson(body) = ApiJson::<TextBody>::from_request(req, state).await?;
        match UserText::parse(&body.text, MAX_AGENT_TEXT) {
            Ok(text) => Ok(AgentText(text)),
            Err(TextError::Control) => Err(ApiError::invalid(
                "invalid_text",
                "使えない制御文字が含まれています。文字だけで入力してください。",
            )),
            Err(TextError::Blank | TextError::TooLong { .. }) => Err(ApiError::invalid(
                "invalid_text",
                format!("1〜{MAX_AGENT_TEXT}文字で入力してください。"),
            )),
        }
    }
}

/// An agent's reply as stored, and whether it reached a messaging-channel user.
#[derive(Serialize, ToSchema)]
pub struct AgentReply {
    #[serde(flatten)]
    message: StoredMessage,
    /// Absent for the widget (it gets the reply over its event stream).
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery: Option<Delivery>,
}

#[derive(Serialize, ToSchema)]
pub struct Delivery {
    delivered: bool,
    /// Why it was not delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// `POST /agent/api/tickets/{id}/reply`: to the user, live in their widget or pushed on
/// their messaging channel (`delivery` says whether it arrived there).
#[utoipa::path(post, path = "/agent/api/tickets/{id}/reply",
    summary = "Reply to the user ({text}); needs the ticket claimed by you",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    request_body = TextBody,
    responses(
        (status = 201, description = "Stored and sent to the user's event stream (or pushed on their channel)", body = AgentReply),
        JsonBodyErrors,
        TicketErrors,
        (status = 409, description = "`conflict`: not claimed by you", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn reply(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
    AgentText(text): AgentText,
) -> Result<Response, ApiError> {
    let reply = state
        .conversations()
        .desk()
        .agent_reply(id, signed_in.user.id, &text)
        .await?;
    let delivery = reply.delivery.map(|delivered| Delivery {
        delivered: delivered.is_ok(),
        error: delivered.err().map(|why| why.to_string()),
    });
    let body = AgentReply {
        message: reply.message,
        delivery,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Noted.
#[derive(Serialize, ToSchema)]
pub struct Noted {
    noted: bool,
}

/// `POST /agent/api/tickets/{id}/notes`: internal, never shown to the user.
#[utoipa::path(post, path = "/agent/api/tickets/{id}/notes", summary = "An internal note ({text})",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    request_body = TextBody,
    responses(
        (status = 201, description = "Stored", body = Noted),
        JsonBodyErrors,
        TicketErrors,
        ConsoleErrors,
    ))]
pub async fn note(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
    AgentText(text): AgentText,
) -> Result<Response, ApiError> {
    if !state
        .conversations()
        .desk()
        .note(id, &signed_in.user.name, &text)
        .await?
    {
        return Err(TicketError::NoSuchTicket.into());
    }
    Ok((StatusCode::CREATED, Json(Noted { noted: true })).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// One of the resolution categories (422 `invalid_category` names them).
    #[schema(value_type = Category)]
    category: String,
}

/// The resolution categories ([`CATEGORIES`]), as the API document lists them.
pub struct Category;

impl utoipa::PartialSchema for Category {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(CATEGORIES.iter().copied()))
            .into()
    }
}

impl utoipa::ToSchema for Category {}

/// Resolved.
#[derive(Serialize, ToSchema)]
pub struct Resolved {
    resolved: bool,
}

/// `POST /agent/api/tickets/{id}/resolve`: the bot may answer the user again.
#[utoipa::path(post, path = "/agent/api/tickets/{id}/resolve",
    summary = "Resolve with a category ({category}); the bot answers the user again",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    request_body = ResolveBody,
    responses(
        (status = 200, description = "OK", body = Resolved),
        JsonBodyErrors,
        TicketErrors,
        (status = 409, description = "`conflict`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn resolve(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(id): ApiPath<TicketId>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Result<Response, ApiError> {
    if !CATEGORIES.contains(&body.category.as_str()) {
        return Err(ApiError::invalid(
            "invalid_category",
            format!("分類は {} のいずれかです。", CATEGORIES.join("、")),
        ));
    }
    state
        .conversations()
        .desk()
        .resolve(id, signed_in.user.id, &body.category)
        .await?;
    Ok(Json(Resolved { resolved: true }).into_response())
}

/// `GET /agent/api/tickets.csv?view=&q=`: the queue as CSV (UTF-8 with BOM for Excel).
#[utoipa::path(get, path = "/agent/api/tickets.csv", summary = "The queue as CSV (UTF-8 with BOM)",
    description = AGENT_CONSOLE, security(("session" = [])), params(QueueQuery),
    responses(
        (status = 200, description = "OK (`tickets.csv`, an attachment)", content_type = "text/csv", body = String),
        (status = 422, description = "`invalid_view`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn tickets_csv(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<Response, ApiError> {
    let view = view(query.view.as_deref(), View::All)?;
    let csv = state
        .conversations()
        .desk()
        .tickets_csv(view, signed_in.user.id, query.q.as_deref())
        .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"tickets.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}
