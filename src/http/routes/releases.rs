//! The editor console's releases (`/admin/api/*`, role editor or admin): publish the
//! drafts, the history with each release's diff, rollback, the audit log, and what users
//! could not get answered. Changes need the CSRF token.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, IntoResponses, ToSchema};

use crate::analytics::Report;
use crate::http::AppState;
use crate::http::auth::{EditorDesk, SignedIn};
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody, control_in};
use crate::http::responses::{ConsoleErrors, EDITOR_CONSOLE, JsonBodyErrors};
use crate::publishing::{PendingChanges, ReleaseDiff};
use crate::store::knowledge::{AuditEntry, Release};
use crate::text::UserText;

fn unknown_release() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_release",
        "この版は見つかりません。",
    )
}

/// What an operation on a release by its id can meet besides [`ConsoleErrors`].
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum ReleaseErrors {
    /// The id is not a number (plain text, from axum).
    #[response(status = 400, content_type = "text/plain")]
    BadId(String),
    /// `unknown_release`.
    #[response(status = 404)]
    UnknownRelease(ErrorBody),
}

/// What the analytics can meet besides [`ConsoleErrors`].
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum AnalyticsErrors {
    /// `days` is not a number (plain text, from axum).
    #[response(status = 400, content_type = "text/plain")]
    BadDays(String),
    /// `invalid_days`: not 1–366.
    #[response(status = 422)]
    InvalidDays(ErrorBody),
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// What changed (default 公開). A 12-digit number is removed.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$")]
    note: String,
}

/// The new serving release.
#[derive(Serialize, ToSchema)]
pub struct Published {
    release: Release,
}

/// `POST /admin/api/publish`: the drafts become the serving release (201), or nothing
/// changes and the problems are listed (422).
#[utoipa::path(post, path = "/admin/api/publish",
    summary = "The drafts become the serving release ({note})",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), request_body = PublishBody,
    responses(
        (status = 201, description = "Published", body = Published),
        JsonBodyErrors,
        (status = 422, description = "`invalid_knowledge`: nothing changed; detail lists the problems", body = ErrorBody),
        ConsoleErrors,
        (status = 500, description = "`publish_failed`: the serving release is unchanged", body = ErrorBody),
        (status = 503, description = "`timeout`", body = ErrorBody),
    ))]
pub async fn publish(
    State(state): State<AppState>,
    signed_in: SignedIn<EditorDesk>,
    ApiJson(body): ApiJson<PublishBody>,
) -> Result<Response, ApiError> {
    let note = UserText::optional(Some(&body.note), usize::MAX).map_err(|_| control_in("note"))?;
    let release = state
        .publisher()
        .publish(
            &signed_in.user.name,
            note.as_ref().map_or("公開", UserText::as_str),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(Published { release })).into_response())
}

/// `GET /admin/api/drafts/changes`: what publishing now would change, for the review
/// before publishing.
#[utoipa::path(get, path = "/admin/api/drafts/changes",
    summary = "What publishing the drafts would change against the served release",
    description = EDITOR_CONSOLE, security(("session" = [])),
    responses((status = 200, description = "OK", body = PendingChanges), ConsoleErrors))]
pub async fn pending(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
) -> Result<Response, ApiError> {
    Ok(Json(state.publisher().pending().await?).into_response())
}

/// The releases, newest first.
#[derive(Serialize, ToSchema)]
pub struct Releases {
    serving_release: i64,
    /// The last 100.
    releases: Vec<Release>,
}

/// `GET /admin/api/releases`.
#[utoipa::path(get, path = "/admin/api/releases", summary = "The releases and the one being served",
    description = EDITOR_CONSOLE, security(("session" = [])),
    responses((status = 200, description = "OK", body = Releases), ConsoleErrors))]
pub async fn releases(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
) -> Result<Response, ApiError> {
    let publisher = state.publisher();
    Ok(Json(Releases {
        serving_release: publisher.serving_release(),
        releases: publisher.releases(100).await?,
    })
    .into_response())
}

/// `GET /admin/api/releases/{id}/diff`: what the release changed against the one before.
#[utoipa::path(get, path = "/admin/api/releases/{id}/diff",
    summary = "What a release changed against the one before",
    description = EDITOR_CONSOLE, security(("session" = [])), params(("id" = i64, Path)),
    responses(
        (status = 200, description = "OK", body = ReleaseDiff),
        ReleaseErrors,
        ConsoleErrors,
    ))]
pub async fn diff(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let diff = state
        .publisher()
        .diff(id)
        .await?
        .ok_or_else(unknown_release)?;
    Ok(Json(diff).into_response())
}

/// `POST /admin/api/releases/{id}/rollback`: publishes that release's files again.
#[utoipa::path(post, path = "/admin/api/releases/{id}/rollback",
    summary = "Publish a release's files again (a new release)",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), params(("id" = i64, Path)),
    responses(
        (status = 201, description = "Published", body = Published),
        ReleaseErrors,
        (status = 422, description = "`invalid_knowledge`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn rollback(
    State(state): State<AppState>,
    signed_in: SignedIn<EditorDesk>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let publisher = state.publisher();
    if !publisher.release_exists(id).await? {
        return Err(unknown_release());
    }
    let release = publisher.rollback(&signed_in.user.name, id).await?;
    Ok((StatusCode::CREATED, Json(Published { release })).into_response())
}

/// The audit log.
#[derive(Serialize, ToSchema)]
pub struct Audit {
    /// The last 200, newest first.
    entries: Vec<AuditEntry>,
}

/// `GET /admin/api/audit`: who changed what, newest first.
#[utoipa::path(get, path = "/admin/api/audit", summary = "Who changed what, newest first",
    description = EDITOR_CONSOLE, security(("session" = [])),
    responses((status = 200, description = "OK", body = Audit), ConsoleErrors))]
pub async fn audit(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
) -> Result<Response, ApiError> {
    let entries = state.publisher().audit(200).await?;
    Ok(Json(Audit { entries }).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsQuery {
    /// The last 1–366 days (default 30), Japan time.
    #[serde(default)]
    #[param(minimum = 1, maximum = 366)]
    days: Option<i64>,
}

async fn analytics_report(
    state: &AppState,
    days: Option<i64>,
) -> Result<crate::analytics::Report, ApiError> {
    let days = days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::invalid(
            "invalid_days",
            "期間は1〜366日で指定してください。",
        ));
    }
    Ok(state.publisher().analytics(days as u32).await?)
}

/// `GET /admin/api/analytics?days=30`.
#[utoipa::path(get, path = "/admin/api/analytics",
    summary = "What users could not get answered, with the daily rates",
    description = EDITOR_CONSOLE, security(("session" = [])), params(AnalyticsQuery),
    responses(
        (status = 200, description = "OK", body = Report),
        AnalyticsErrors,
        ConsoleErrors,
    ))]
pub async fn analytics(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    ApiQuery(query): ApiQuery<AnalyticsQuery>,
) -> Result<Response, ApiError> {
    let report = analytics_report(&state, query.days).await?;
    Ok(Json(report).into_response())
}

/// `GET /admin/api/analytics.csv?days=30`.
#[utoipa::path(get, path = "/admin/api/analytics.csv", summary = "The analytics as CSV",
    description = EDITOR_CONSOLE, security(("session" = [])), params(AnalyticsQuery),
    responses(
        (status = 200, description = "OK (`shikaku-analytics.csv`, an attachment)", content_type = "text/csv", body = String),
        AnalyticsErrors,
        ConsoleErrors,
    ))]
pub async fn analytics_csv(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    ApiQuery(query): ApiQuery<AnalyticsQuery>,
) -> Result<Response, ApiError> {
    let report = analytics_report(&state, query.days).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"shikaku-analytics.csv\"",
            ),
        ],
        crate::analytics::csv(&report),
    )
        .into_response())
}
