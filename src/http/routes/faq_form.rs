//! The editor console's FAQ form (`/admin/api/faq/*`): an FAQ file read into the form's
//! fields and the fields written back into the file, and the sections an answer can cite.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::http::AppState;
use crate::http::auth::{EditorDesk, SignedIn};
use crate::http::error::{ApiError, ApiJson, ErrorBody};
use crate::http::responses::{ConsoleErrors, EDITOR_CONSOLE, JsonBodyErrors};
use crate::knowledge::Kind;
use crate::publishing::EditError;
use crate::publishing::faq_form::{self, FaqForm, FormError};

/// A text or list over the schema's limit: refused, naming the field.
fn too_long(e: FormError) -> ApiError {
    ApiError::invalid("too_long", e.to_string())
}

/// Control characters cannot be stored (the same rule as saving a draft).
fn control(text: &str) -> Result<(), FormError> {
    if crate::text::has_control(text) {
        return Err(FormError::Unreadable(EditError::Control.to_string()));
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqText {
    /// An FAQ file (front matter between `+++` lines, then the answer).
    #[schema(max_length = 60000)]
    text: String,
}

/// The form's fields, or why the form cannot show the text (then the console keeps the
/// raw file in view).
#[derive(Serialize, ToSchema)]
pub struct FaqRead {
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<FaqForm>,
    /// Japanese, for the editor.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

/// `POST /admin/api/faq/read`: the form's fields of an FAQ file.
#[utoipa::path(post, path = "/admin/api/faq/read", operation_id = "read_faq_form",
    summary = "The form's fields of an FAQ file ({text}), or why the form cannot show it",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), request_body = FaqText,
    responses(
        (status = 200, description = "OK", body = FaqRead),
        (status = 422, description = "`too_long`: the text is over 60,000 characters", body = ErrorBody),
        JsonBodyErrors,
        ConsoleErrors,
    ))]
pub async fn read(
    _: SignedIn<EditorDesk>,
    ApiJson(body): ApiJson<FaqText>,
) -> Result<Response, ApiError> {
    faq_form::text_within_limit(&body.text).map_err(too_long)?;
    let read = control(&body.text).and_then(|()| faq_form::read(&body.text));
    let (form, problem) = match read {
        Ok(form) => (Some(form), None),
        Err(problem) => (None, Some(problem.to_string())),
    };
    Ok(Json(FaqRead { form, problem }).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqWrite {
    /// The FAQ file as it is (empty for a new one): its other keys are kept.
    #[schema(max_length = 60000)]
    text: String,
    form: FaqForm,
}

/// The file with the form written into it, or why it cannot be.
#[derive(Serialize, ToSchema)]
pub struct FaqWritten {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    /// Japanese, for the editor.
    #[serde(skip_serializing_if = "Option::is_none")]
    problem: Option<String>,
}

/// `POST /admin/api/faq/write`: the FAQ file with the form's fields written into it (not
/// saved: the console shows it, checks it and saves it as a draft).
#[utoipa::path(post, path = "/admin/api/faq/write", operation_id = "write_faq_form",
    summary = "An FAQ file ({text}) with the form's fields ({form}) written into it; nothing is saved",
    description = EDITOR_CONSOLE, security(("session" = [], "csrf" = [])), request_body = FaqWrite,
    responses(
        (status = 200, description = "OK", body = FaqWritten),
        (status = 422, description = "`too_long`: the text or a field over its limit (named)", body = ErrorBody),
        JsonBodyErrors,
        ConsoleErrors,
    ))]
pub async fn write(
    _: SignedIn<EditorDesk>,
    ApiJson(body): ApiJson<FaqWrite>,
) -> Result<Response, ApiError> {
    let form = &body.form;
    faq_form::text_within_limit(&body.text).map_err(too_long)?;
    form.within_limits().map_err(too_long)?;
    let english = form.english.iter().flat_map(|e| {
        [e.title.as_str(), e.answer.as_str()]
            .into_iter()
            .chain(e.questions.iter().map(String::as_str))
    });
    let mut fields = [body.text.as_str(), &form.id, &form.title, &form.answer]
        .into_iter()
        .chain(form.questions.iter().map(String::as_str))
        .chain(form.sources.iter().map(String::as_str))
        .chain(form.tags.iter().map(String::as_str))
        .chain(form.valid_from.as_deref())
        .chain(form.valid_until.as_deref())
        .chain(english);
    let written = fields
        .try_for_each(control)
        .and_then(|()| faq_form::write(&body.text, form));
    let (text, problem) = match written {
        Ok(text) => (Some(text), None),
        Err(problem) => (None, Some(problem.to_string())),
    };
    Ok(Json(FaqWritten { text, problem }).into_response())
}

/// A section an FAQ can cite.
#[derive(Serialize, ToSchema)]
pub struct Citable {
    /// What `sources` holds: `doc-id#section-id`.
    #[serde(rename = "ref")]
    reference: String,
    document: String,
    heading: String,
}

#[derive(Serialize, ToSchema)]
pub struct CitableList {
    sections: Vec<Citable>,
}

/// `GET /admin/api/sections`: every section of the published notices and forms.
#[utoipa::path(get, path = "/admin/api/sections", operation_id = "citable_sections",
    summary = "The sections of the published notices and forms an FAQ can cite",
    description = EDITOR_CONSOLE, security(("session" = [])),
    responses((status = 200, description = "OK", body = CitableList), ConsoleErrors))]
pub async fn sections(State(state): State<AppState>, _: SignedIn<EditorDesk>) -> Response {
    let assistant = state.conversations().assistant();
    let sections = assistant
        .knowledge()
        .docs()
        .iter()
        .filter(|d| d.kind != Kind::Faq)
        .flat_map(|d| {
            d.sections.iter().map(move |s| Citable {
                reference: format!("{}#{}", d.id, s.id),
                document: d.title.clone(),
                heading: s.heading.clone(),
            })
        })
        .collect();
    Json(CitableList { sections }).into_response()
}
