//! The editor console's API (`/admin/api/*`, role editor or admin): drafts of the
//! knowledge base with `kb check`'s diagnostics, the try-it panel on the drafts, publish,
//! releases with diffs and rollback, the audit log, and what users could not get
//! answered. Sign-in is the console's (`/agent/api/login`); changes need the CSRF token.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, IntoResponses, ToSchema};

use super::agent::{Whoami, whoami};
use crate::analytics::Report;
use crate::assistant::Answer;
use crate::http::AppState;
use crate::http::auth::{EditorDesk, SignedIn};
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::http::openapi::{BadParameter, ConsoleErrors, EDITOR_CONSOLE, JsonBodyErrors};
use crate::knowledge::Diagnostic;
use crate::publishing::{
    DocumentTexts, Documents, EditError, MAX_FILE_BYTES, PublishError, ReleaseDiff, TryHit,
    check_path,
};
use crate::store::knowledge::{AuditEntry, Release};

fn unknown_document() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_document",
        "この文書は見つかりません。",
    )
}

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

fn bad_path(detail: String) -> ApiError {
    ApiError::invalid(
        "invalid_path",
        "ファイル名は faq/名前.md のような相対パスにしてください。",
    )
    .with_detail(detail)
}

fn publish_error(e: PublishError) -> ApiError {
    match e {
        PublishError::Invalid(problems) => {
            let detail = problems
                .iter()
                .map(|p| format!("{}:{}: {}", p.path, p.line, p.message))
                .collect::<Vec<_>>()
                .join("\n");
            ApiError::invalid(
                "invalid_knowledge",
                format!(
                    "{}件の問題があるため公開できません。公開中の版はそのままです。",
                    problems.len()
                ),
            )
            .with_detail(detail)
        }
        PublishError::Internal(e) => {
            tracing::error!("publishing failed: {e:#}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "publish_failed",
                "公開に失敗しました。公開中の版はそのままです。",
            )
            .with_detail(format!("{e:#}"))
        }
    }
}

fn edit_error(e: EditError) -> ApiError {
    match e {
        EditError::BadPath(detail) => bad_path(detail),
        EditError::TooLarge => ApiError::invalid(
            "too_large",
            format!("{} KiB 以内にしてください。", MAX_FILE_BYTES / 1024),
        ),
        EditError::UnknownDocument => unknown_document(),
        EditError::Unreadable(detail) => {
            ApiError::invalid("unreadable_file", "ファイルを読み取れませんでした。")
                .with_detail(detail)
        }
        EditError::Internal(e) => ApiError::internal(&e),
    }
}

/// `GET /admin/api/me`.
#[utoipa::path(get, path = "/admin/api/me", operation_id = "editor_me",
    summary = "The signed-in editor and the CSRF token", description = EDITOR_CONSOLE,
    security(("session" = [])),
    responses((status = 200, description = "OK", body = Whoami), ConsoleErrors))]
pub async fn me(signed_in: SignedIn<EditorDesk>) -> Json<Whoami> {
    whoami(&signed_in.user)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Filters by text or file name.
    #[serde(default)]
    q: Option<String>,
}

/// `GET /admin/api/documents?q=`: every draft with its id, kind, title, whether it
/// differs from the serving release, and its problems; also files the drafts deleted.
#[utoipa::path(get, path = "/admin/api/documents",
    summary = "The drafts with their state and problems, and the files they deleted",
    description = EDITOR_CONSOLE, security(("session" = [])), params(ListQuery),
    responses((status = 200, description = "OK", body = Documents), ConsoleErrors))]
pub async fn documents(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let documents = state.publisher().documents(query.q.as_deref()).await?;
    Ok(Json(documents).into_response())
}

/// `GET /admin/api/documents/{*path}`: the draft and the published text.
#[utoipa::path(get, path = "/admin/api/documents/{path}", operation_id = "draft",
    summary = "A draft and its published text", description = EDITOR_CONSOLE,
    security(("session" = [])), params(DraftPath),
    responses(
        (status = 200, description = "OK", body = DocumentTexts),
        (status = 404, description = "`unknown_document`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn document(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let texts = state
        .publisher()
        .document(&path)
        .await?
        .ok_or_else(unknown_document)?;
    Ok(Json(texts).into_response())
}

/// The file a draft is, relative to the knowledge folder (e.g. `faq/名前.md`).
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct DraftPath {
    path: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DraftText)]
pub struct TextBody {
    /// The whole file: `+++` front matter and the body.
    text: String,
}

/// Saved, with the problems `kb check` finds.
#[derive(Serialize, ToSchema)]
pub struct Saved {
    saved: bool,
    problems: Vec<Diagnostic>,
}

/// `PUT /admin/api/documents/{*path}`: saves the draft (problems do not stop a save, only
/// a publish) and returns its problems.
#[utoipa::path(put, path = "/admin/api/documents/{path}",
    summary = "Save a draft ({text}); problems do not stop a save, only a publish",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), params(DraftPath),
    request_body = TextBody,
    responses(
        (status = 200, description = "Saved", body = Saved),
        JsonBodyErrors,
        (status = 404, description = "`unknown_document`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn save(
    State(state): State<AppState>,
    signed_in: SignedIn<EditorDesk>,
    Path(path): Path<String>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<Response, ApiError> {
    let problems = state
        .publisher()
        .save(&path, &body.text, &signed_in.user.name)
        .await
        .map_err(edit_error)?;
    Ok(Json(Saved {
        saved: true,
        problems,
    })
    .into_response())
}

/// Deleted.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    deleted: bool,
}

/// `DELETE /admin/api/documents/{*path}`.
#[utoipa::path(delete, path = "/admin/api/documents/{path}", summary = "Delete a draft",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), params(DraftPath),
    responses(
        (status = 200, description = "Deleted", body = Deleted),
        (status = 404, description = "`unknown_document`", body = ErrorBody),
        (status = 422, description = "`invalid_path`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn<EditorDesk>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    state
        .publisher()
        .delete(&path, &signed_in.user.name)
        .await
        .map_err(edit_error)?;
    Ok(Json(Deleted { deleted: true }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    path: String,
    text: String,
}

/// What `kb check` finds.
#[derive(Serialize, ToSchema)]
pub struct Problems {
    problems: Vec<Diagnostic>,
}

/// `POST /admin/api/check`: `kb check` on the drafts with this file as typed.
#[utoipa::path(post, path = "/admin/api/check",
    summary = "`kb check` on the drafts with this file ({path, text}) as typed",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), request_body = CheckBody,
    responses((status = 200, description = "OK", body = Problems), JsonBodyErrors, ConsoleErrors))]
pub async fn check(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<Response, ApiError> {
    check_path(&body.path).map_err(|e| bad_path(e.to_string()))?;
    let problems = state.publisher().check(&body.path, &body.text).await?;
    Ok(Json(Problems { problems }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryBody {
    question: String,
}

/// The drafts' answer and what retrieval found.
#[derive(Serialize, ToSchema)]
pub struct Tried {
    answer: Answer,
    hits: Vec<TryHit>,
}

/// `POST /admin/api/try`: the drafts' answer to a question, with the passages retrieval
/// found and their scores.
#[utoipa::path(post, path = "/admin/api/try",
    summary = "The drafts' answer to a question ({question}), with the passages retrieval found",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), request_body = TryBody,
    responses((status = 200, description = "OK", body = Tried), JsonBodyErrors, ConsoleErrors))]
pub async fn try_drafts(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    ApiJson(body): ApiJson<TryBody>,
) -> Result<Response, ApiError> {
    crate::assistant::validate(&body.question)
        .map_err(|e| ApiError::invalid("invalid_message", e.to_string()))?;
    let (answer, hits) = state
        .publisher()
        .try_question(&body.question)
        .await
        .map_err(publish_error)?;
    Ok(Json(Tried { answer, hits }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// What changed (default 公開).
    #[serde(default)]
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
    let note = body.note.trim();
    let release = state
        .publisher()
        .publish(
            &signed_in.user.name,
            if note.is_empty() { "公開" } else { note },
        )
        .await
        .map_err(publish_error)?;
    Ok((StatusCode::CREATED, Json(Published { release })).into_response())
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
    Path(id): Path<i64>,
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
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let publisher = state.publisher();
    if !publisher.release_exists(id).await? {
        return Err(unknown_release());
    }
    let release = publisher
        .rollback(&signed_in.user.name, id)
        .await
        .map_err(publish_error)?;
    Ok((StatusCode::CREATED, Json(Published { release })).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name (its extension says how to read it).
    name: String,
}

/// The drafts proposed.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    /// Their paths.
    proposed: Vec<String>,
}

/// `POST /admin/api/import?name=FILE` with the file as the body (PDF, HTML, text): its
/// sections proposed as a notice and FAQ drafts that need review.
#[utoipa::path(post, path = "/admin/api/import",
    summary = "A new notice (the body: PDF, HTML or text, up to 10 MiB) proposed as drafts that need review",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), params(ImportQuery),
    request_body(content(("application/octet-stream")), description = "The file as it is"),
    responses(
        (status = 201, description = "Proposed", body = Imported),
        BadParameter,
        (status = 413, description = "Over 10 MiB", content_type = "text/plain"),
        (status = 422, description = "`invalid_path`, `too_large` or `unreadable_file`", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn import(
    State(state): State<AppState>,
    signed_in: SignedIn<EditorDesk>,
    Query(query): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let proposed = state
        .publisher()
        .import(&query.name, body.to_vec(), &signed_in.user.name)
        .await
        .map_err(edit_error)?;
    Ok((StatusCode::CREATED, Json(Imported { proposed })).into_response())
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
    Query(query): Query<AnalyticsQuery>,
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
    Query(query): Query<AnalyticsQuery>,
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
