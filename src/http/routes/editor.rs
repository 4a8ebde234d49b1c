//! The editor console's API (`/admin/api/*`, role editor or admin): drafts of the
//! knowledge base with `kb check`'s diagnostics, the try-it panel on the drafts, publish,
//! releases with diffs and rollback, the audit log, and what users could not get
//! answered. Sign-in is the console's (`/agent/api/login`); changes need the CSRF token.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::agent::whoami;
use crate::http::AppState;
use crate::http::auth::{EditorDesk, SignedIn};
use crate::http::error::{ApiError, ApiJson};
use crate::publishing::{EditError, MAX_FILE_BYTES, PublishError, check_path};

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
pub async fn me(signed_in: SignedIn<EditorDesk>) -> Json<serde_json::Value> {
    whoami(&signed_in.user)
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: Option<String>,
}

/// `GET /admin/api/documents?q=`: every draft with its id, kind, title, whether it
/// differs from the serving release, and its problems; also files the drafts deleted.
pub async fn documents(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let documents = state.publisher().documents(query.q.as_deref()).await?;
    Ok(Json(json!(documents)).into_response())
}

/// `GET /admin/api/documents/{*path}`: the draft and the published text.
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
    Ok(Json(json!(texts)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    text: String,
}

/// `PUT /admin/api/documents/{*path}`: saves the draft (problems do not stop a save, only
/// a publish) and returns its problems.
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
    Ok(Json(json!({"saved": true, "problems": problems})).into_response())
}

/// `DELETE /admin/api/documents/{*path}`.
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
    Ok(Json(json!({"deleted": true})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    path: String,
    text: String,
}

/// `POST /admin/api/check`: `kb check` on the drafts with this file as typed.
pub async fn check(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<Response, ApiError> {
    check_path(&body.path).map_err(|e| bad_path(e.to_string()))?;
    let problems = state.publisher().check(&body.path, &body.text).await?;
    Ok(Json(json!({"problems": problems})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TryBody {
    question: String,
}

/// `POST /admin/api/try`: the drafts' answer to a question, with the passages retrieval
/// found and their scores.
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
    Ok(Json(json!({"answer": answer, "hits": hits})).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    #[serde(default)]
    note: String,
}

/// `POST /admin/api/publish`: the drafts become the serving release (201), or nothing
/// changes and the problems are listed (422).
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
    Ok((StatusCode::CREATED, Json(json!({"release": release}))).into_response())
}

/// `GET /admin/api/releases`.
pub async fn releases(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
) -> Result<Response, ApiError> {
    let publisher = state.publisher();
    Ok(Json(json!({
        "serving_release": publisher.serving_release(),
        "releases": publisher.releases(100).await?,
    }))
    .into_response())
}

/// `GET /admin/api/releases/{id}/diff`: what the release changed against the one before.
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
    Ok(Json(json!(diff)).into_response())
}

/// `POST /admin/api/releases/{id}/rollback`: publishes that release's files again.
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
    Ok((StatusCode::CREATED, Json(json!({"release": release}))).into_response())
}

#[derive(Deserialize)]
pub struct ImportQuery {
    name: String,
}

/// `POST /admin/api/import?name=FILE` with the file as the body (PDF, HTML, text): its
/// sections proposed as a notice and FAQ drafts that need review.
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
    Ok((StatusCode::CREATED, Json(json!({"proposed": proposed}))).into_response())
}

/// `GET /admin/api/audit`: who changed what, newest first.
pub async fn audit(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
) -> Result<Response, ApiError> {
    let entries = state.publisher().audit(200).await?;
    Ok(Json(json!({"entries": entries})).into_response())
}

#[derive(Deserialize)]
pub struct AnalyticsQuery {
    #[serde(default)]
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
pub async fn analytics(
    State(state): State<AppState>,
    _: SignedIn<EditorDesk>,
    Query(query): Query<AnalyticsQuery>,
) -> Result<Response, ApiError> {
    let report = analytics_report(&state, query.days).await?;
    Ok(Json(json!(report)).into_response())
}

/// `GET /admin/api/analytics.csv?days=30`.
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
