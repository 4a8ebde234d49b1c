//! The editor console's drafts (`/admin/api/*`, role editor or admin): the documents with
//! `kb check`'s diagnostics, saving and deleting, checking as typed, the try-it panel on
//! the drafts, importing a new notice. Releases are in `releases.rs`. Sign-in is the
//! console's (`/agent/api/login`); changes need the CSRF token.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::accounts::{Whoami, whoami};
use crate::assistant::Answer;
use crate::http::AppState;
use crate::http::auth::{EditorDesk, SignedIn};
use crate::http::error::{ApiError, ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::http::responses::{ConsoleErrors, EDITOR_CONSOLE, JsonBodyErrors};
use crate::knowledge::Diagnostic;
use crate::publishing::{
    DocumentTexts, Documents, EditError, MAX_FILE_BYTES, PublishError, TryHit, check_path,
};

fn unknown_document() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "unknown_document",
        "この文書は見つかりません。",
    )
}

fn bad_path(detail: String) -> ApiError {
    ApiError::invalid(
        "invalid_path",
        "ファイル名は faq/名前.md のような相対パスにしてください。",
    )
    .with_detail(detail)
}

/// A release not made: the knowledge base's problems (422), or a failure (500); the
/// release served stays as it was.
impl From<PublishError> for ApiError {
    fn from(e: PublishError) -> Self {
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
            PublishError::Question(e) => ApiError::invalid("invalid_message", e.to_string()),
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
}

/// A draft not changed: what was wrong with the path or the text (422), an unknown
/// document (404), or a failure.
impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::BadPath(detail) => bad_path(detail),
            EditError::TooLarge => ApiError::invalid(
                "too_large",
                format!("{} KiB 以内にしてください。", MAX_FILE_BYTES / 1024),
            ),
            EditError::Control => ApiError::invalid(
                "invalid_text",
                "本文に制御文字（NUL など）が含まれています。取り除いてから保存してください。",
            ),
            e @ EditError::PersonalNumber(_) => ApiError::invalid("personal_number", e.to_string()),
            EditError::Blank => ApiError::invalid(
                "invalid_text",
                "本文が空です。文書を消すときは削除してください。",
            ),
            EditError::UnknownDocument => unknown_document(),
            EditError::Unreadable(detail) => {
                ApiError::invalid("unreadable_file", "ファイルを読み取れませんでした。")
                    .with_detail(detail)
            }
            EditError::Internal(e) => ApiError::internal(&e),
        }
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
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let documents = state.publisher().documents(query.q.as_deref()).await?;
    Ok(Json(documents).into_response())
}

/// `GET /admin/api/documents/{*path}`: the draft and the published text.
#[utoipa::path(get, path = "/admin/api/documents/{*path}", operation_id = "draft",
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
    ApiPath(path): ApiPath<String>,
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
    /// Relative to the knowledge folder: `faq/名前.md`, or `glossary.toml`.
    #[param(
        pattern = r"^glossary\.toml$|^(?!/)(?!(.*/)?\.\.?(/|$))[^\\\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]*[^/\\\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]\.md$"
    )]
    path: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DraftText)]
pub struct TextBody {
    /// The whole file: `+++` front matter and the body; not blank (`text::MESSAGE_PATTERN`).
    #[schema(
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*[^\s\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB][^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
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
#[utoipa::path(put, path = "/admin/api/documents/{*path}",
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
    ApiPath(path): ApiPath<String>,
    ApiJson(body): ApiJson<TextBody>,
) -> Result<Response, ApiError> {
    let problems = state
        .publisher()
        .save(&path, &body.text, &signed_in.user.name)
        .await?;
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
#[utoipa::path(delete, path = "/admin/api/documents/{*path}", summary = "Delete a draft",
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
    ApiPath(path): ApiPath<String>,
) -> Result<Response, ApiError> {
    state
        .publisher()
        .delete(&path, &signed_in.user.name)
        .await?;
    Ok(Json(Deleted { deleted: true }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    /// Relative to the knowledge folder: `faq/名前.md`, or `glossary.toml`.
    #[schema(
        pattern = r"^glossary\.toml$|^(?!/)(?!(.*/)?\.\.?(/|$))[^\\\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]*[^/\\\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]\.md$"
    )]
    path: String,
    #[schema(pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$")]
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
    if crate::text::has_control(&body.text) {
        return Err(EditError::Control.into());
    }
    let problems = state.publisher().check(&body.path, &body.text).await?;
    Ok(Json(Problems { problems }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TryBody {
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*[^\s\x00-\x1F\x7F-\x9F\xAD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u2800\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB][^\x00-\x08\x0E-\x1F\x7F-\x84\x86-\x9F]*$"
    )]
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
    let (answer, hits) = state.publisher().try_question(&body.question).await?;
    Ok(Json(Tried { answer, hits }).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's name (its extension says how to read it).
    #[param(
        min_length = 1,
        max_length = 255,
        pattern = r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$"
    )]
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
        (status = 413, description = "Over 10 MiB", content_type = "text/plain"),
        (status = 422, description = "`invalid_name`, `invalid_path`, `too_large`, `unreadable_file`, or `personal_number` (a proposal would hold a 12-digit number: its file and line)", body = ErrorBody),
        ConsoleErrors,
    ))]
pub async fn import(
    State(state): State<AppState>,
    signed_in: SignedIn<EditorDesk>,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    if query.name.trim().is_empty() || query.name.chars().count() > 255 {
        return Err(ApiError::invalid(
            "invalid_name",
            "ファイル名を1〜255文字で指定してください（?name=通知.pdf）。",
        ));
    }
    let proposed = state
        .publisher()
        .import(&query.name, body.to_vec(), &signed_in.user.name)
        .await?;
    Ok((StatusCode::CREATED, Json(Imported { proposed })).into_response())
}
