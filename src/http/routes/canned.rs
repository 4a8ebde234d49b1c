//! `/agent/api/canned`: the agent console's saved replies. Every agent reads them; admins
//! add, change and remove them.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Role;
use crate::conversation::MAX_AGENT_TEXT;
use crate::http::AppState;
use crate::http::auth::{AgentDesk, SignedIn, forbidden};
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody};
use crate::http::responses::{AGENT_CONSOLE, ConsoleErrors, JsonBodyErrors};
use crate::store::canned::CannedReply;
use crate::text::UserText;

/// Longest title of a saved reply.
const MAX_TITLE: usize = 100;

/// Every saved reply.
#[derive(Serialize, ToSchema)]
pub struct CannedReplies {
    canned: Vec<CannedReply>,
}

/// `GET /agent/api/canned`: every saved reply, by shortcut.
#[utoipa::path(get, path = "/agent/api/canned", operation_id = "canned_replies", summary = "The saved replies",
    description = AGENT_CONSOLE, security(("session" = [])),
    responses((status = 200, description = "OK", body = CannedReplies), ConsoleErrors))]
pub async fn list(
    State(state): State<AppState>,
    _: SignedIn<AgentDesk>,
) -> Result<Response, ApiError> {
    let canned = state.conversations().desk().canned_replies().await?;
    Ok(Json(CannedReplies { canned }).into_response())
}

#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ShortcutPath {
    /// 1–32 lower-case letters, digits, `-` or `_`.
    #[param(pattern = r"^[a-z0-9_-]{1,32}$")]
    shortcut: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedBody {
    /// 1–100 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*[^\s\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB][^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    title: String,
    /// 1–4000 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*[^\s\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB][^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
    text: String,
}

/// The shortcut, if it is one.
fn shortcut(value: &str) -> Result<&str, ApiError> {
    let ok = (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(value)
    } else {
        Err(ApiError::invalid(
            "invalid_shortcut",
            "ショートカットは半角の英小文字・数字・-・_ で32文字までです。",
        ))
    }
}

/// A title or text, trimmed: not blank, not too long, no control characters.
fn text(value: &str, name: &str, max: usize) -> Result<UserText, ApiError> {
    UserText::parse(value, max).map_err(|_| {
        ApiError::invalid(
            "invalid_text",
            format!("{name}は1〜{max}文字で、制御文字を含めないでください。"),
        )
    })
}

/// `PUT /agent/api/canned/{shortcut}`: adds or replaces a saved reply (admins).
#[utoipa::path(put, path = "/agent/api/canned/{shortcut}", operation_id = "save_canned_reply", summary = "Add or replace a saved reply ({title}, {text}; admins only)",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(ShortcutPath),
    request_body = CannedBody,
    responses(
        (status = 200, description = "Saved", body = CannedReply),
        JsonBodyErrors,
        ConsoleErrors,
    ))]
pub async fn save(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(path): ApiPath<String>,
    ApiJson(body): ApiJson<CannedBody>,
) -> Result<Response, ApiError> {
    if signed_in.user.role != Role::Admin {
        return Err(forbidden());
    }
    let shortcut = shortcut(&path)?;
    let title = text(&body.title, "題名", MAX_TITLE)?;
    let reply = text(&body.text, "本文", MAX_AGENT_TEXT)?;
    let saved = state
        .conversations()
        .desk()
        .save_canned_reply(shortcut, &title, &reply, &signed_in.user.name)
        .await?;
    tracing::info!(shortcut, by = %signed_in.user.name, "saved reply stored");
    Ok(Json(saved).into_response())
}

/// `DELETE /agent/api/canned/{shortcut}`: removes a saved reply (admins).
#[utoipa::path(delete, path = "/agent/api/canned/{shortcut}", operation_id = "delete_canned_reply", summary = "Remove a saved reply (admins only)",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])), params(ShortcutPath),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`unknown_shortcut`", body = ErrorBody),
        (status = 422, description = "`invalid_shortcut`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(path): ApiPath<String>,
) -> Result<Response, ApiError> {
    if signed_in.user.role != Role::Admin {
        return Err(forbidden());
    }
    let shortcut = shortcut(&path)?;
    if !state
        .conversations()
        .desk()
        .delete_canned_reply(shortcut)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_shortcut",
            "その定型文はありません。",
        ));
    }
    tracing::info!(shortcut, by = %signed_in.user.name, "saved reply removed");
    Ok(StatusCode::NO_CONTENT.into_response())
}
