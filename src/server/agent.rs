//! The agent console's API under `/agent/api/`: sign-in with an HttpOnly, SameSite=Strict
//! session cookie; every change needs the session's CSRF token in `X-CSRF-Token`; agents
//! and admins only (admins also see the users). Replies reach the user's widget at once
//! through the conversation's event stream.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::api::{ApiError, ApiJson};
use crate::store::agents::{Login, Refused, User};

const COOKIE: &str = "shikaku_agent";
/// Sessions last a working day.
const SESSION_HOURS: i64 = 12;
const MAX_REPLY_CHARS: usize = 4000;

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

fn error(status: StatusCode, code: &'static str, message: &str) -> ApiError {
    ApiError::new(status, code, message.to_string())
}

/// Who may use the agent console, the editor console, and sign out.
pub const AGENT_ROLES: &[&str] = &["agent", "admin"];
pub const EDITOR_ROLES: &[&str] = &["editor", "admin"];
const ANY_ROLE: &[&str] = &["agent", "admin", "editor"];

/// The signed-in agent or admin; with `change`, the request must carry the CSRF token.
async fn signed_in(state: &AppState, headers: &HeaderMap, change: bool) -> Result<User, ApiError> {
    signed_in_as(state, headers, change, AGENT_ROLES).await
}

/// The signed-in user if their role is one of `roles`; with `change`, the request must
/// carry the CSRF token.
pub async fn signed_in_as(
    state: &AppState,
    headers: &HeaderMap,
    change: bool,
    roles: &[&str],
) -> Result<User, ApiError> {
    let unauthenticated = || {
        error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "サインインしてください。",
        )
    };
    let token = cookie_token(headers).ok_or_else(unauthenticated)?;
    let user = state
        .conversations
        .store
        .session_user(&crate::auth::token_hash(&token))
        .await?
        .ok_or_else(unauthenticated)?;
    if change {
        let sent = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        if sent != Some(user.csrf.as_str()) {
            return Err(error(
                StatusCode::FORBIDDEN,
                "csrf",
                "画面を再読み込みしてからもう一度お試しください。",
            ));
        }
    }
    if !roles.contains(&user.role.as_str()) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "この操作の権限がありません。",
        ));
    }
    Ok(user)
}

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
    let store = &state.conversations.store;
    let password = body.password.clone();
    let result = store
        .check_login(&body.name, move |hash| {
            crate::auth::verify_password(&password, hash)
        })
        .await?;
    match result {
        Login::Ok(user) => {
            let token = crate::auth::new_token();
            let csrf = crate::auth::new_token();
            store
                .create_session(
                    user.id,
                    &crate::auth::token_hash(&token),
                    &csrf,
                    SESSION_HOURS,
                )
                .await?;
            tracing::info!(user = %user.name, "agent signed in");
            let cookie = format!(
                "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
                SESSION_HOURS * 3600
            );
            Ok((
                [(header::SET_COOKIE, cookie)],
                Json(json!({"name": user.name, "role": user.role, "csrf": csrf})),
            )
                .into_response())
        }
        Login::Bad => Err(error(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "ユーザー名またはパスワードが違います。",
        )),
        Login::Locked(until) => Err(error(
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
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    signed_in_as(&state, &headers, true, ANY_ROLE).await?;
    if let Some(token) = cookie_token(&headers) {
        state
            .conversations
            .store
            .delete_session(&crate::auth::token_hash(&token))
            .await?;
    }
    let clear = format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    Ok((
        [(header::SET_COOKIE, clear)],
        Json(json!({"signed_out": true})),
    )
        .into_response())
}

/// Who is signed in, and the CSRF token their changes must carry (both consoles' `me`).
pub fn whoami(user: &User) -> Response {
    Json(json!({"name": user.name, "role": user.role, "csrf": user.csrf})).into_response()
}

/// `GET /agent/api/me`: who is signed in, and the CSRF token for changes.
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, false).await?;
    Ok(whoami(&user))
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

/// `GET /agent/api/tickets?view=waiting|mine|all&q=…`.
pub async fn tickets(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<QueueQuery>,
) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, false).await?;
    let view = query.view.as_deref().unwrap_or("waiting");
    if !["waiting", "mine", "all"].contains(&view) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_view",
            "view は waiting、mine、all のいずれかです。",
        ));
    }
    let search = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let rows = state
        .conversations
        .store
        .tickets(view, user.id, search)
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
    Ok(Json(json!({"view": view, "tickets": tickets})).into_response())
}

fn refused(r: Refused) -> ApiError {
    match r {
        Refused::NoSuchTicket => error(
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
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    signed_in(&state, &headers, false).await?;
    let store = &state.conversations.store;
    let row = store
        .ticket_row(id)
        .await?
        .ok_or_else(|| refused(Refused::NoSuchTicket))?;
    let sources = store.ticket_sources(id).await?;
    let messages = store.messages(&row.conversation_id).await?;
    let notes = store.notes(id).await?;
    Ok(Json(json!({
        "ticket": row,
        "sources": sources,
        "messages": messages,
        "notes": notes,
    }))
    .into_response())
}

/// `POST /agent/api/tickets/{id}/claim`: exactly one of two agents wins (409 for the other).
pub async fn claim(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, true).await?;
    state
        .conversations
        .store
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

fn checked_text(text: &str) -> Result<&str, ApiError> {
    let text = text.trim();
    let chars = text.chars().count();
    if text.is_empty() || chars > MAX_REPLY_CHARS {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_text",
            &format!("1〜{MAX_REPLY_CHARS}文字で入力してください。"),
        ));
    }
    Ok(text)
}

/// `POST /agent/api/tickets/{id}/reply`: to the user, live in their widget or pushed on
/// their messaging channel (`delivery` says whether it arrived there).
pub async fn reply(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, true).await?;
    let text = checked_text(&body.text)?;
    let store = &state.conversations.store;
    let (conversation, message) = store.reply(id, &user, text).await?.map_err(refused)?;
    state.conversations.publish(&conversation, &message).await;
    // On LINE or Telegram the user gets it pushed; the agent sees whether it arrived.
    let mut body = json!(message);
    match state.channels.deliver(&state, &conversation, text).await {
        Ok(None) => {}
        Ok(Some(Ok(()))) => body["delivery"] = json!({"delivered": true}),
        Ok(Some(Err(why))) => body["delivery"] = json!({"delivered": false, "error": why}),
        Err(e) => {
            tracing::error!("looking up the reply's channel: {e:#}");
            body["delivery"] = json!({"delivered": false, "error": "internal error"});
        }
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `POST /agent/api/tickets/{id}/notes`: internal, never shown to the user.
pub async fn note(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, true).await?;
    let text = checked_text(&body.text)?;
    if !state
        .conversations
        .store
        .add_note(id, &user.name, text)
        .await?
    {
        return Err(refused(Refused::NoSuchTicket));
    }
    Ok((StatusCode::CREATED, Json(json!({"noted": true}))).into_response())
}

/// Categories a resolved ticket is filed under.
pub const CATEGORIES: &[&str] = &[
    "申込み・締切",
    "補助金",
    "申請書の記入",
    "機器・導入",
    "その他",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    category: String,
}

/// `POST /agent/api/tickets/{id}/resolve`: the bot may answer the user again.
pub async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ResolveBody>,
) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, true).await?;
    if !CATEGORIES.contains(&body.category.as_str()) {
        return Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_category",
            &format!("分類は {} のいずれかです。", CATEGORIES.join("、")),
        ));
    }
    state
        .conversations
        .store
        .resolve(id, &user, &body.category)
        .await?
        .map_err(refused)?;
    Ok(Json(json!({"resolved": true})).into_response())
}

fn csv_field(value: &str) -> String {
    // Quoted, and a leading = + - @ neutralised so a spreadsheet never runs it.
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// `GET /agent/api/tickets.csv?view=&q=`: the queue as CSV (UTF-8 with BOM for Excel).
pub async fn tickets_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<QueueQuery>,
) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, false).await?;
    let view = query.view.as_deref().unwrap_or("all");
    let rows = state
        .conversations
        .store
        .tickets(
            view,
            user.id,
            query.q.as_deref().filter(|q| !q.trim().is_empty()),
        )
        .await?;
    let mut out = String::from(
        "\u{feff}id,status,reason,channel,facility_name,facility_code,contact,question,claimed_by,category,created_at,resolved_at\r\n",
    );
    for t in rows {
        let fields = [
            t.id.to_string(),
            t.status,
            t.reason,
            t.channel,
            t.facility_name.unwrap_or_default(),
            t.facility_code.unwrap_or_default(),
            t.contact.unwrap_or_default(),
            t.question.unwrap_or_default(),
            t.claimed_by.unwrap_or_default(),
            t.category.unwrap_or_default(),
            t.created_at,
            t.resolved_at.unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
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
        out,
    )
        .into_response())
}

/// `GET /agent/api/users`: admins only.
pub async fn users(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = signed_in(&state, &headers, false).await?;
    if user.role != "admin" {
        return Err(error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "この操作の権限がありません。",
        ));
    }
    let users = state.conversations.store.users().await?;
    let users: Vec<_> = users
        .into_iter()
        .map(|(name, role)| json!({"name": name, "role": role}))
        .collect();
    Ok(Json(json!({"users": users})).into_response())
}
