//! The editor console's API (`/admin/api/*`, role editor or admin): drafts of the
//! knowledge base with `kb check`'s diagnostics, the try-it panel on the drafts, publish,
//! releases with diffs and rollback, the audit log, and what users could not get
//! answered. Sign-in is the console's (`/agent/api/login`); changes need the CSRF token.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::agent::{EDITOR_ROLES, signed_in_as, whoami};
use super::api::{ApiError, ApiJson};
use crate::assistant::{Channel, Question, today_in_japan};
use crate::publishing::{self, MAX_FILE_BYTES, PublishError};
use crate::store::knowledge::KbFile;

/// Retrieved passages shown in the try-it panel.
const TRY_HITS: usize = 8;

async fn editor(
    state: &AppState,
    headers: &HeaderMap,
    change: bool,
) -> Result<crate::store::agents::User, ApiError> {
    signed_in_as(state, headers, change, EDITOR_ROLES).await
}

fn invalid(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

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

fn checked_path(path: &str) -> Result<(), ApiError> {
    publishing::check_path(path).map_err(|e| {
        invalid(
            "invalid_path",
            "ファイル名は faq/名前.md のような相対パスにしてください。",
        )
        .with_detail(e.to_string())
    })
}

fn publish_error(e: PublishError) -> ApiError {
    match e {
        PublishError::Invalid(problems) => {
            let detail = problems
                .iter()
                .map(|p| format!("{}:{}: {}", p.path, p.line, p.message))
                .collect::<Vec<_>>()
                .join("\n");
            invalid(
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

/// `GET /admin/api/me`.
pub async fn me(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let user = editor(&state, &headers, false).await?;
    Ok(whoami(&user))
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
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
    let store = &state.conversations.store;
    let drafts = store.drafts().await?;
    let published = store
        .release_files(state.publisher.serving_release())
        .await?;
    let files = drafts.clone();
    let (kb, problems) = tokio::task::spawn_blocking(move || publishing::load(&files))
        .await
        .map_err(|e| anyhow::anyhow!("checking the drafts: {e}"))?;
    let needle = query
        .q
        .as_deref()
        .map(crate::text::normalize)
        .filter(|q| !q.trim().is_empty());
    let mut list = Vec::new();
    for f in &drafts {
        let doc = kb.docs().iter().find(|d| d.path.ends_with(&f.path));
        let status = match published.iter().find(|p| p.path == f.path) {
            None => "new",
            Some(p) if p.text != f.text => "changed",
            Some(_) => "published",
        };
        if let Some(q) = &needle
            && !crate::text::normalize(&f.text).contains(q.as_str())
            && !f.path.contains(q.as_str())
        {
            continue;
        }
        list.push(json!({
            "path": f.path,
            "id": doc.map(|d| d.id.clone()),
            "kind": doc.map(|d| d.kind.as_str()),
            "title": doc.map(|d| d.title.clone()),
            "status": status,
            "problems": problems.iter().filter(|p| p.path == f.path).count(),
        }));
    }
    let deleted: Vec<&str> = published
        .iter()
        .filter(|p| !drafts.iter().any(|d| d.path == p.path))
        .map(|p| p.path.as_str())
        .collect();
    Ok(Json(json!({
        "serving_release": state.publisher.serving_release(),
        "documents": list,
        "deleted": deleted,
        "problems": problems,
    }))
    .into_response())
}

/// `GET /admin/api/documents/{*path}`: the draft and the published text.
pub async fn document(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
    let store = &state.conversations.store;
    let draft = store.drafts().await?.into_iter().find(|f| f.path == path);
    let published = store
        .release_files(state.publisher.serving_release())
        .await?
        .into_iter()
        .find(|f| f.path == path);
    if draft.is_none() && published.is_none() {
        return Err(unknown_document());
    }
    Ok(Json(json!({
        "path": path,
        "text": draft.map(|f| f.text),
        "published": published.map(|f| f.text),
    }))
    .into_response())
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
    headers: HeaderMap,
    Path(path): Path<String>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<Response, ApiError> {
    let user = editor(&state, &headers, true).await?;
    checked_path(&path)?;
    if body.text.len() > MAX_FILE_BYTES {
        return Err(invalid(
            "too_large",
            format!("{} KiB 以内にしてください。", MAX_FILE_BYTES / 1024),
        ));
    }
    let problems = state.publisher.check(&path, &body.text).await?;
    state
        .conversations
        .store
        .save_draft(&path, &body.text, &user.name)
        .await?;
    Ok(Json(json!({"saved": true, "problems": problems})).into_response())
}

/// `DELETE /admin/api/documents/{*path}`.
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let user = editor(&state, &headers, true).await?;
    if !state
        .conversations
        .store
        .delete_draft(&path, &user.name)
        .await?
    {
        return Err(unknown_document());
    }
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
    headers: HeaderMap,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
    checked_path(&body.path)?;
    let problems = state.publisher.check(&body.path, &body.text).await?;
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
    headers: HeaderMap,
    ApiJson(body): ApiJson<TryBody>,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
    crate::assistant::validate(&body.question)
        .map_err(|e| invalid("invalid_message", e.to_string()))?;
    let assistant = state
        .publisher
        .draft_assistant()
        .await
        .map_err(publish_error)?;
    let question = body.question.clone();
    let (answer, hits) = tokio::task::spawn_blocking(move || {
        let answer = assistant.answer(&Question {
            text: &question,
            today: today_in_japan(),
            channel: Channel::Web,
        })?;
        let hits = assistant.retrieve_for(&question)?;
        anyhow::Ok((answer, hits))
    })
    .await
    .map_err(|e| anyhow::anyhow!("the try-it task failed: {e}"))??;
    let hits: Vec<_> = hits
        .iter()
        .take(TRY_HITS)
        .map(|h| {
            json!({
                "doc_id": h.passage.doc_id,
                "title": h.passage.title,
                "section": h.passage.section,
                "kind": h.passage.kind.as_str(),
                "score": h.score,
                "coverage": h.coverage,
            })
        })
        .collect();
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
    headers: HeaderMap,
    ApiJson(body): ApiJson<PublishBody>,
) -> Result<Response, ApiError> {
    let user = editor(&state, &headers, true).await?;
    let note = body.note.trim();
    let release = state
        .publisher
        .publish(&user.name, if note.is_empty() { "公開" } else { note })
        .await
        .map_err(publish_error)?;
    Ok((StatusCode::CREATED, Json(json!({"release": release}))).into_response())
}

/// `GET /admin/api/releases`.
pub async fn releases(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
    let releases = state.conversations.store.releases(100).await?;
    Ok(Json(json!({
        "serving_release": state.publisher.serving_release(),
        "releases": releases,
    }))
    .into_response())
}

/// `GET /admin/api/releases/{id}/diff`: what the release changed against the one before.
pub async fn diff(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
    let store = &state.conversations.store;
    let Some(release) = store.release(id).await? else {
        return Err(unknown_release());
    };
    let after = store.release_files(id).await?;
    let before = match store.previous_release(id).await? {
        Some(previous) => store.release_files(previous).await?,
        None => Vec::new(),
    };
    Ok(Json(json!({"release": release, "files": file_diffs(&before, &after)})).into_response())
}

/// Unified diffs of the files that differ.
fn file_diffs(before: &[KbFile], after: &[KbFile]) -> Vec<serde_json::Value> {
    let mut paths: Vec<&str> = before
        .iter()
        .chain(after)
        .map(|f| f.path.as_str())
        .collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let old = before
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.text.as_str());
            let new = after
                .iter()
                .find(|f| f.path == path)
                .map(|f| f.text.as_str());
            let change = match (old, new) {
                (None, Some(_)) => "added",
                (Some(_), None) => "removed",
                (Some(a), Some(b)) if a != b => "changed",
                _ => return None,
            };
            let diff = similar::TextDiff::from_lines(old.unwrap_or(""), new.unwrap_or(""))
                .unified_diff()
                .context_radius(2)
                .header(path, path)
                .to_string();
            Some(json!({"path": path, "change": change, "diff": diff}))
        })
        .collect()
}

/// `POST /admin/api/releases/{id}/rollback`: publishes that release's files again.
pub async fn rollback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let user = editor(&state, &headers, true).await?;
    if state.conversations.store.release(id).await?.is_none() {
        return Err(unknown_release());
    }
    let release = state
        .publisher
        .rollback(&user.name, id)
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
    headers: HeaderMap,
    Query(query): Query<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let user = editor(&state, &headers, true).await?;
    let name = query.name.clone();
    let bytes = body.to_vec();
    let proposed = tokio::task::spawn_blocking(move || publishing::propose_import(&name, &bytes))
        .await
        .map_err(|e| anyhow::anyhow!("the import task failed: {e}"))?
        .map_err(|e| {
            invalid("unreadable_file", "ファイルを読み取れませんでした。")
                .with_detail(format!("{e:#}"))
        })?;
    state
        .conversations
        .store
        .save_drafts(
            &proposed,
            &user.name,
            &format!("proposed from {}", query.name),
        )
        .await?;
    let paths: Vec<&str> = proposed.iter().map(|f| f.path.as_str()).collect();
    Ok((StatusCode::CREATED, Json(json!({"proposed": paths}))).into_response())
}

/// `GET /admin/api/audit`: who changed what, newest first.
pub async fn audit(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
    let entries = state.conversations.store.audit_log(200).await?;
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
        return Err(invalid(
            "invalid_days",
            "期間は1〜366日で指定してください。",
        ));
    }
    let to = today_in_japan();
    let from = to - chrono::Days::new(days as u64 - 1);
    // From midnight in Japan of the first day.
    let since = format!("{from}T00:00:00+09:00");
    let since = chrono::DateTime::parse_from_rfc3339(&since)
        .map_err(anyhow::Error::from)?
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let store = &state.conversations.store;
    let rows = store.questions_since(&since).await?;
    let tickets = store.tickets_since(&since).await?;
    Ok(crate::analytics::report(&rows, &tickets, from, to))
}

/// `GET /admin/api/analytics?days=30`.
pub async fn analytics(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AnalyticsQuery>,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
    let report = analytics_report(&state, query.days).await?;
    Ok(Json(json!(report)).into_response())
}

/// `GET /admin/api/analytics.csv?days=30`.
pub async fn analytics_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<AnalyticsQuery>,
) -> Result<Response, ApiError> {
    editor(&state, &headers, false).await?;
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
