//! Who is signed in to a console, as an extractor: a handler that takes
//! `SignedIn<AgentDesk>` or `SignedIn<EditorDesk>` runs only for a user of a role allowed
//! there, and for a request that changes anything (any method but GET and HEAD) only with
//! the session's CSRF token in `X-CSRF-Token`. The session is an HttpOnly, SameSite=Strict
//! cookie.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};

use super::AppState;
use super::error::ApiError;
use crate::accounts::User;
use crate::auth::Role;

/// The session cookie's name.
pub const COOKIE: &str = "shikaku_agent";

/// Where a signed-in user may work.
pub trait Desk: Send + Sync + 'static {
    fn admits(role: Role) -> bool;
}

/// The agent console: agents and admins.
pub struct AgentDesk;
/// The editor console: editors and admins.
pub struct EditorDesk;
/// Any console user (signing out).
pub struct AnyDesk;

impl Desk for AgentDesk {
    fn admits(role: Role) -> bool {
        role.answers_tickets()
    }
}

impl Desk for EditorDesk {
    fn admits(role: Role) -> bool {
        role.edits_knowledge()
    }
}

impl Desk for AnyDesk {
    fn admits(_: Role) -> bool {
        true
    }
}

/// The signed-in user, admitted to desk `D`.
pub struct SignedIn<D: Desk> {
    pub user: User,
    /// The session's token (to sign out).
    pub token: String,
    desk: PhantomData<D>,
}

/// The session token from the cookie header.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

impl<D: Desk> FromRequestParts<AppState> for SignedIn<D> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthenticated = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "サインインしてください。",
            )
        };
        let token = cookie_token(&parts.headers).ok_or_else(unauthenticated)?;
        let user = state
            .accounts()
            .session(&token)
            .await?
            .ok_or_else(unauthenticated)?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            if sent != Some(user.csrf.as_str()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "画面を再読み込みしてからもう一度お試しください。",
                ));
            }
        }
        if !D::admits(user.role) {
            return Err(forbidden());
        }
        Ok(SignedIn {
            user,
            token,
            desk: PhantomData,
        })
    }
}

/// 403: signed in, but not allowed to do this.
pub fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "この操作の権限がありません。",
    )
}
