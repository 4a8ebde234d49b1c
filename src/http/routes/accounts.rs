//! Signing in to the consoles (`/agent/api/login`, also the editors'), signing out, who is
//! signed in, and the users (admins): an HttpOnly, SameSite=Strict session cookie, and the
//! session's CSRF token for every change.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{Account, LOCKOUT_MINUTES, SESSION_HOURS, SignIn, User};
use crate::auth::Role;
use crate::http::AppState;
use crate::http::auth::{AgentDesk, AnyDesk, COOKIE, SignedIn, forbidden};
use crate::http::error::{ApiError, ApiJson, ApiPath, ErrorBody, refuse_control};
use crate::http::responses::{AGENT_CONSOLE, ConsoleErrors, JsonBodyErrors, ServiceErrors};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$")]
    name: String,
    password: String,
}

/// `POST /agent/api/login`.
#[utoipa::path(post, path = "/agent/api/login", tag = "agent",
    summary = "Sign in ({name, password}); sets the session cookie, returns {name, role, csrf}",
    description = "Both consoles sign in here.",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = Whoami,
            headers(("Set-Cookie" = String, description = "`shikaku_agent`: HttpOnly, SameSite=Strict; Secure when SHIKAKU_PUBLIC_URL is https"))),
        JsonBodyErrors,
        (status = 401, description = "`bad_credentials`", body = ErrorBody),
        (status = 429, description = "`locked` after 5 failures in a row (15 min), or `rate_limited` (with Retry-After)", body = ErrorBody),
        ServiceErrors,
    ))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    refuse_control("name", &body.name)?;
    match state.accounts().sign_in(&body.name, &body.password).await? {
        SignIn::Ok { token, user } => {
            let cookie = format!(
                "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
                SESSION_HOURS * 3600,
                secure(&state)
            );
            Ok(([(header::SET_COOKIE, cookie)], whoami(&user)).into_response())
        }
        SignIn::Bad => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "ユーザー名またはパスワードが違います。",
        )),
        SignIn::Locked => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "locked",
            format!(
                "サインインの失敗が続いたため、しばらくロックしています。{LOCKOUT_MINUTES}分ほどおいてお試しください。"
            ),
        )),
    }
}

/// The cookie's `Secure` attribute when users reach the service over https.
fn secure(state: &AppState) -> &'static str {
    if state.settings.served_over_https() {
        "; Secure"
    } else {
        ""
    }
}

/// Signed out.
#[derive(Serialize, ToSchema)]
pub struct SignedOut {
    signed_out: bool,
}

/// `POST /agent/api/logout`.
#[utoipa::path(post, path = "/agent/api/logout", summary = "Sign out", description = AGENT_CONSOLE,
    security(("session" = [], "csrf" = [])),
    responses(
        (status = 200, description = "Signed out; the cookie is cleared", body = SignedOut),
        ConsoleErrors,
    ))]
pub async fn logout(
    State(state): State<AppState>,
    signed_in: SignedIn<AnyDesk>,
) -> Result<Response, ApiError> {
    state.accounts().sign_out(&signed_in.token).await?;
    let clear = format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        secure(&state)
    );
    Ok((
        [(header::SET_COOKIE, clear)],
        Json(SignedOut { signed_out: true }),
    )
        .into_response())
}

/// Who is signed in, and the CSRF token their changes must carry (both consoles' `me`).
#[derive(Serialize, ToSchema)]
pub struct Whoami {
    name: String,
    role: Role,
    /// Send it in `X-CSRF-Token` with every change.
    csrf: String,
}

pub fn whoami(user: &User) -> Json<Whoami> {
    Json(Whoami {
        name: user.name.clone(),
        role: user.role,
        csrf: user.csrf.clone(),
    })
}

/// `GET /agent/api/me`.
#[utoipa::path(get, path = "/agent/api/me", operation_id = "agent_me",
    summary = "The signed-in user and the CSRF token", description = AGENT_CONSOLE,
    security(("session" = [])),
    responses((status = 200, description = "OK", body = Whoami), ConsoleErrors))]
pub async fn me(signed_in: SignedIn<AgentDesk>) -> Json<Whoami> {
    whoami(&signed_in.user)
}

/// The console's users.
#[derive(Serialize, ToSchema)]
pub struct Users {
    users: Vec<Account>,
}

fn admin_only(user: &User) -> Result<(), ApiError> {
    if user.role != Role::Admin {
        return Err(forbidden());
    }
    Ok(())
}

fn unknown_user() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_user",
        "この利用者は見つかりません。",
    )
}

/// `GET /agent/api/users`: admins only.
#[utoipa::path(get, path = "/agent/api/users", summary = "Users, roles and states (admins only)",
    description = AGENT_CONSOLE, security(("session" = [])),
    responses((status = 200, description = "OK", body = Users), ConsoleErrors))]
pub async fn users(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
) -> Result<Response, ApiError> {
    admin_only(&signed_in.user)?;
    let users = state.accounts().users().await?;
    Ok(Json(Users { users }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisabledBody {
    /// `true` to disable the account, `false` to enable it again.
    disabled: bool,
}

/// Done.
#[derive(Serialize, ToSchema)]
pub struct AccountChanged {
    name: String,
    disabled: bool,
}

/// `PUT /agent/api/users/{name}/disabled`: admins only; not one's own account.
#[utoipa::path(put, path = "/agent/api/users/{name}/disabled",
    summary = "Disable an account (its sessions end) or enable it again (admins only)",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])),
    params(("name" = String, Path)), request_body = DisabledBody,
    responses(
        (status = 200, description = "OK", body = AccountChanged),
        JsonBodyErrors,
        (status = 404, description = "`unknown_user`", body = ErrorBody),
        (status = 409, description = "`conflict`: one's own account", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn set_disabled(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<DisabledBody>,
) -> Result<Response, ApiError> {
    admin_only(&signed_in.user)?;
    if name == signed_in.user.name {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "自分のアカウントは無効にできません。",
        ));
    }
    if !state.accounts().set_disabled(&name, body.disabled).await? {
        return Err(unknown_user());
    }
    Ok(Json(AccountChanged {
        name,
        disabled: body.disabled,
    })
    .into_response())
}

/// A new password, shown once.
#[derive(Serialize, ToSchema)]
pub struct NewPassword {
    name: String,
    /// Hand it to the user; they sign in with it. It is not kept (only its hash).
    password: String,
}

/// `POST /agent/api/users/{name}/password`: admins only; not one's own account.
#[utoipa::path(post, path = "/agent/api/users/{name}/password",
    summary = "Give an account a new random password, shown once; its lock is cleared and its sessions end (admins only)",
    description = AGENT_CONSOLE, security(("session" = [], "csrf" = [])),
    params(("name" = String, Path)),
    responses(
        (status = 200, description = "OK", body = NewPassword,
            headers(("Cache-Control" = String, description = "no-store"))),
        (status = 404, description = "`unknown_user`", body = ErrorBody),
        (status = 409, description = "`conflict`: one's own account", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    signed_in: SignedIn<AgentDesk>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    admin_only(&signed_in.user)?;
    if name == signed_in.user.name {
        // It would end the very session that asks, with the new password shown once.
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "自分のパスワードはここでは再発行できません。別の管理者に依頼してください。",
        ));
    }
    let password = state
        .accounts()
        .reset_password(&name)
        .await?
        .ok_or_else(unknown_user)?;
    tracing::info!(user = %name, by = %signed_in.user.name, "password reset by an admin");
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(NewPassword { name, password }),
    )
        .into_response())
}
