//! The agent console's API under `/agent/api/`: sign-in (also the editors'), the queue,
//! a ticket with its transcript, claim, reply, notes, resolve, CSV, and the users (admins).
//! Replies reach the user's widget at once through the conversation's event stream, or
//! are pushed on their messaging channel.

use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::accounts::{SESSION_HOURS, SignIn, User};
use crate::auth::Role;
use crate::conversation::{CATEGORIES, MAX_AGENT_TEXT, Refused, View};
use crate::http::AppState;
use crate::http::auth::{AgentDesk, AnyDesk, COOKIE, SignedIn, forbidden};
use crate::http::error::{ApiError, ApiJson};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    name: String,
    password: String,
}

/// `POST /agent/api/login`.
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    match state.accounts().sign_in(&body.name, &body.password).await? {
        SignIn::Ok { token, user } => {
            let cookie = format!(
                "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
                SESSION_HOURS * 3600
            );
            Ok(([(header::SET_COOKIE, cookie)], whoami(&user)).into_response())
        }
        SignIn::Bad => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "ユーザー名またはパスワードが違います。",
        )),
        SignIn::Locked(until) => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "locked",
            "サインインの失敗が続いたため、しばらくロックしています。時間をおいてお試しください。",
        )
        .with_detail(format!("locked until {until}"))),
    }
}

/// `POST /agent/api/logout`.
pub async fn logout(
    State(state): State<AppState>,
    signed_in: SignedIn<AnyDesk>,
) -> Result<Response, ApiError> {
    state.accounts().sign_out(&signed_in.token).await?;
    let clear = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((
        [(header::SET_COOKIE, clear)],
        Json(json!({"signed_out": true})),
    )
        .into_response())
}

/// Who is signed in, and the CSRF token their changes must carry (both consoles' `me`).
pub fn whoami(user: &User) -> Json<serde_json::Value> {
    Json(json!({"name": user.name, "role": user.role, "csrf": user.csrf}))
}

/// `GET /agent/api/me`.
pub async fn me(signed_in: SignedIn<AgentDesk>) -> Json<serde_json::Value> {
    whoami(&signed_in.user)
}

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    q: Option<String>,
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
        Some(name) => View::parse(name).ok_or_else(|| {
            ApiError::invalid(
                "invalid_view",
                "view は waiting、mine、all のいずれかです。",
            )
        }),
    }
}

/// `GET /agent/api/tickets?view=waiting|mine|all&q=…`.
pub async fn tickets(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    Query(query): Query<QueueQuery>,
) -> Result<Response, ApiError> {
    let view = view(query.view.as_deref(), View::Waiting)?;
    let rows = state
        .conversations()
        .tickets(view, signed_in.user.id, query.q.as_deref())
        .await?;
    let tickets: Vec<_> = rows
        .into_iter()
        .map(|t| {
            let age = age_seconds(&t.created_at);
            let mut v = json!(t);
            v["age_seconds"] = json!(age);
            v
        })
        .collect();
    Ok(Json(json!({"view": view.as_str(), "tickets": tickets})).into_response())
}

fn refused(r: Refused) -> ApiError {
    match r {
        Refused::NoSuchTicket => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_ticket",
            "問い合わせが見つかりません。",
        ),
        Refused::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
    }
}

/// `GET /agent/api/tickets/{id}`: the ticket, the whole transcript, the bot's sources, notes.
pub async fn ticket(
    State(state): State<AppState>,
    _: SignedIn<AgentDesk>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let detail = state
        .conversations()
        .ticket(id)
        .await?
        .ok_or_else(|| refused(Refused::NoSuchTicket))?;
    Ok(Json(json!(detail)).into_response())
}

/// `POST /agent/api/tickets/{id}/claim`: exactly one of two agents wins (409 for the other).
pub async fn claim(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let user = signed_in.user;
    state
        .conversations()
        .claim(id, user.id)
        .await?
        .map_err(refused)?;
    tracing::info!(ticket = id, agent = %user.name, "ticket claimed");
    Ok(Json(json!({"claimed": true, "by": user.name})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    text: String,
}

/// An agent's reply or note: 1 to [`MAX_AGENT_TEXT`] characters, trimmed.
pub struct AgentText(String);

impl FromRequest<AppState> for AgentText {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let ApiJson(body) = ApiJson::<TextBody>::from_request(req, state).await?;
        let text = body.text.trim();
        if text.is_empty() || text.chars().count() > MAX_AGENT_TEXT {
            return Err(ApiError::invalid(
                "invalid_text",
                format!("1〜{MAX_AGENT_TEXT}文字で入力してください。"),
            ));
        }
        Ok(AgentText(text.to_string()))
    }
}

/// `POST /agent/api/tickets/{id}/reply`: to the user, live in their widget or pushed on
/// their messaging channel (`delivery` says whether it arrived there).
pub async fn reply(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    Path(id): Path<i64>,
    AgentText(text): AgentText,
) -> Result<Response, ApiError> {
    let reply = state
        .conversations()
        .agent_reply(id, &signed_in.user.name, &text)
        .await?
        .map_err(refused)?;
    let mut body = json!(reply.message);
    match reply.delivery {
        None => {}
        Some(Ok(())) => body["delivery"] = json!({"delivered": true}),
        Some(Err(why)) => body["delivery"] = json!({"delivered": false, "error": why}),
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `POST /agent/api/tickets/{id}/notes`: internal, never shown to the user.
pub async fn note(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    Path(id): Path<i64>,
    AgentText(text): AgentText,
) -> Result<Response, ApiError> {
    if !state
        .conversations()
        .note(id, &signed_in.user.name, &text)
        .await?
    {
        return Err(refused(Refused::NoSuchTicket));
    }
    Ok((StatusCode::CREATED, Json(json!({"noted": true}))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    category: String,
}

/// `POST /agent/api/tickets/{id}/resolve`: the bot may answer the user again.
pub async fn resolve(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    Path(id): Path<i64>,
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
        .resolve(id, &signed_in.user.name, &body.category)
        .await?
        .map_err(refused)?;
    Ok(Json(json!({"resolved": true})).into_response())
}

/// `GET /agent/api/tickets.csv?view=&q=`: the queue as CSV (UTF-8 with BOM for Excel).
pub async fn tickets_csv(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    Query(query): Query<QueueQuery>,
) -> Result<Response, ApiError> {
    let view = View::parse(query.view.as_deref().unwrap_or("all")).unwrap_or(View::All);
    let csv = state
        .conversations()
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

/// `GET /agent/api/users`: admins only.
pub async fn users(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
) -> Result<Response, ApiError> {
    if signed_in.user.role != Role::Admin {
        return Err(forbidden());
    }
    let users: Vec<_> = state
        .accounts()
        .users()
        .await?
        .into_iter()
        .map(|(name, role)| json!({"name": name, "role": role}))
        .collect();
    Ok(Json(json!({"users": users})).into_response())
}
