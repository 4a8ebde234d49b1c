//! What the routes' `#[utoipa::path]` annotations share: the consoles' sessions, and the
//! errors any operation can meet. Below the routes and the API document alike, so that
//! neither imports the other back.

use utoipa::{IntoResponses, ToResponse};

use super::error::ErrorBody;

/// The agent console's session, for the descriptions of its operations.
pub const AGENT_CONSOLE: &str = "Agent console: the `shikaku_agent` session cookie (HttpOnly, SameSite=Strict) from /agent/api/login; changes need `X-CSRF-Token`. 401 without a session, 403 without the token or the role.";
/// The editor console's session, for the descriptions of its operations.
pub const EDITOR_CONSOLE: &str = "Editor console (role editor or admin): the `shikaku_agent` session cookie from /agent/api/login; changes need `X-CSRF-Token`. 401 without a session, 403 without the token or the role.";

/// Too many requests from this client (`rate_limited`), with `Retry-After`.
#[derive(ToResponse)]
#[response(
    description = "Too many requests from this client",
    headers(("Retry-After" = u64, description = "Seconds to wait"))
)]
pub struct RateLimited(#[allow(dead_code)] ErrorBody);

/// What reading a JSON body can refuse ([`super::error::ApiJson`]).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum JsonBodyErrors {
    /// `invalid_json`: the body is not JSON.
    #[response(status = 400)]
    Syntax(ErrorBody),
    /// `too_large`: the body is over the limit.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// `unsupported_media_type`: not sent as `Content-Type: application/json`.
    #[response(status = 415)]
    MediaType(ErrorBody),
    /// `invalid_request` (a field missing, unknown or of the wrong type), or a value that is
    /// not acceptable (the code names it).
    #[response(status = 422)]
    Invalid(ErrorBody),
}

/// What any operation of the consoles' APIs can meet: the session check
/// ([`super::auth::SignedIn`]), and failures on the service's side.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ConsoleErrors {
    /// `invalid_request`: a path or query parameter missing or of the wrong type (a ticket
    /// id that is not a number, an unknown `view`).
    #[response(status = 400)]
    BadParameter(ErrorBody),
    /// `unauthenticated`: no session (sign in at /agent/api/login).
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// `csrf`: a change without the session's `X-CSRF-Token`; `forbidden`: not the role.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// `internal`: storage or another internal failure.
    #[response(status = 500)]
    Internal(ErrorBody),
    /// `timeout`: not answered within 60 s.
    #[response(status = 503)]
    Timeout(ErrorBody),
}

/// What can go wrong on the service's side.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ServiceErrors {
    /// `internal`: storage or another internal failure.
    #[response(status = 500)]
    Internal(ErrorBody),
    /// `timeout`: not answered within 60 s (an answer being written is still stored);
    /// `storage_unavailable`: the database cannot be reached or written now (nothing was
    /// kept; the message gives the call center's number).
    #[response(status = 503)]
    Timeout(ErrorBody),
}
