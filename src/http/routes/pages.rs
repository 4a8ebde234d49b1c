//! The pages: the demo portal at `/` with the widget embedded, `widget.js` itself (by a
//! revalidated name and by an immutable content-hashed one), the source documents that
//! citations link to, the staff consoles and the OpenAPI document. The markup is in the
//! askama templates under `src/http/templates/` (checked when the crate compiles); they
//! HTML-escape every value, and so everything from the knowledge base.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::http::AppState;
use crate::http::error::ApiError;
use crate::knowledge::{Document, Kind, KnowledgeBase, Section};

/// A script joined from its parts, each a piece of one function body in order, inside one
/// function scope in strict mode, so that its names stay its own on the portal's page:
/// after a shared script (`after`).
macro_rules! scoped {
    ($(after $shared:literal;)? $($part:literal),+ $(,)?) => {
        concat!(
            $(include_str!($shared),)?
            "(function () {\n\"use strict\";\n",
            $(include_str!($part),)+
            "})();\n"
        )
    };
}

/// The widget as served: its parts in one function scope in strict mode, with its style
/// sheet as `STYLE` (a template literal, so the sheet holds no backtick, `${` or backslash;
/// a test checks) and its texts from the catalogs as `TEXTS` ([`crate::copy`]).
fn widget_js() -> String {
    format!(
        "(function () {{\n\"use strict\";\nvar STYLE = `{WIDGET_STYLE}`;\nvar TEXTS = {};\n{WIDGET_PARTS}}})();\n",
        crate::copy::for_the_widget()
    )
}

const WIDGET_STYLE: &str = include_str!("../assets/widget/style.css");
const WIDGET_PARTS: &str = concat!(
    include_str!("../assets/widget/settings.js"),
    include_str!("../assets/widget/texts.js"),
    include_str!("../assets/widget/dom.js"),
    include_str!("../assets/widget/panel.js"),
    include_str!("../assets/widget/unread.js"),
    include_str!("../assets/widget/messages.js"),
    include_str!("../assets/widget/person.js"),
    include_str!("../assets/widget/ask.js"),
    include_str!("../assets/widget/mount.js"),
);
const PAGE_CSS: &str = include_str!("../assets/page.css");
const FAVICON: &str = include_str!("../assets/favicon.svg");
const AGENT_JS: &str = scoped!(
    after "../assets/console.js";
    "../assets/agent/session.js",
    "../assets/agent/events.js",
    "../assets/agent/queue.js",
    "../assets/agent/ticket.js",
    "../assets/agent/reply.js",
    "../assets/agent/desk.js",
    "../assets/agent/start.js",
);
const ADMIN_JS: &str = scoped!(
    after "../assets/console.js";
    "../assets/admin/session.js",
    "../assets/admin/documents.js",
    "../assets/admin/sources.js",
    "../assets/admin/drafts.js",
    "../assets/admin/releases.js",
    "../assets/admin/analytics.js",
    "../assets/admin/users.js",
);

/// A file served under `/assets/` by its content-hashed name (`page-HASH.css`), cached for
/// a year: the pages' style and the consoles' scripts are files, never inline, so that the
/// pages' Content-Security-Policy can refuse every inline script and style.
struct Asset {
    /// Its plain name, as the templates ask for it (`page.css`).
    name: &'static str,
    /// The name it is served under (`page-HASH.css`).
    file_name: String,
    content_type: &'static str,
    body: String,
    /// First 16 hex digits of the body's SHA-256.
    hash: String,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, body: impl Into<String>) -> Asset {
        let body = body.into();
        let (stem, extension) = name
            .rsplit_once('.')
            .expect("an asset's name has an extension");
        let digest = Sha256::digest(body.as_bytes());
        let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Asset {
            name,
            file_name: format!("{stem}-{hash}.{extension}"),
            content_type,
            body,
            hash,
        }
    }
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

static ASSETS: LazyLock<[Asset; 5]> = LazyLock::new(|| {
    [
        Asset::new("widget.js", JAVASCRIPT, widget_js()),
        Asset::new("page.css", "text/css; charset=utf-8", PAGE_CSS),
        Asset::new("agent.js", JAVASCRIPT, AGENT_JS),
        Asset::new("admin.js", JAVASCRIPT, ADMIN_JS),
        Asset::new("favicon.svg", "image/svg+xml", FAVICON),
    ]
});

fn asset(name: &str) -> &'static Asset {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .expect("a known asset")
}

/// The URL path of an asset by its plain name (`page.css` → `/assets/page-HASH.css`).
pub fn asset_path(file: &str) -> String {
    format!("/assets/{}", asset(file).file_name)
}

/// `GET /`: the demo portal page, listing the serving release's notices.
#[utoipa::path(get, path = "/", summary = "Demo portal page with the widget",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn demo(State(state): State<AppState>) -> Response {
    html(&DemoPage::new(
        state.conversations().assistant().knowledge(),
    ))
}

fn served(asset: &'static Asset, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, asset.content_type.to_string()),
            (header::CACHE_CONTROL, cache.to_string()),
            (header::ETAG, format!("\"{}\"", asset.hash)),
        ],
        asset.body.as_str(),
    )
        .into_response()
}

/// `GET /widget.js`: the embed URL; cached briefly and revalidated by ETag, so a new
/// version reaches portals within minutes.
#[utoipa::path(get, path = "/widget.js", summary = "The embeddable widget (revalidated by ETag)",
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of the copy the client has")),
    responses(
        (status = 200, description = "JavaScript", content_type = "text/javascript",
            headers(("ETag" = String), ("Cache-Control" = String, description = "public, max-age=300, must-revalidate"))),
        (status = 304, description = "Not modified", headers(("ETag" = String))),
    ))]
pub async fn widget(headers: HeaderMap) -> Response {
    let widget = asset("widget.js");
    let etag = format!("\"{}\"", widget.hash);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    served(widget, "public, max-age=300, must-revalidate")
}

/// `GET /assets/{file}`: the widget, the pages' style and the consoles' scripts under
/// their content hashes, cached for a year.
#[utoipa::path(get, path = "/assets/{file}", summary = "A script or style under its content hash (immutable)",
    params(("file" = String, Path, description = "`widget-HASH.js`, `page-HASH.css`, `agent-HASH.js`, `admin-HASH.js` or `favicon-HASH.svg`, as the pages name them")),
    responses(
        (status = 200, description = "JavaScript, CSS or the icon", content_type = "text/javascript"),
        (status = 404, description = "`not_found`", body = crate::http::error::ErrorBody),
    ))]
pub async fn asset_file(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.file_name == file) {
        Some(asset) => served(asset, "public, max-age=31536000, immutable"),
        None => crate::http::error::not_found().await.into_response(),
    }
}

/// `GET /agent`: the agent console (a sign-in form until a session exists; the data only
/// ever comes from the session-checked API).
#[utoipa::path(get, path = "/agent", summary = "The agent console page (sign-in form until signed in)",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn agent_console() -> Response {
    console(&Console::Agent)
}

/// `GET /admin`: the editor console (the API is `/admin/api/*`).
#[utoipa::path(get, path = "/admin", summary = "The editor console page (sign-in form until signed in)",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn editor_console() -> Response {
    console(&Console::Editor)
}

/// `GET /kb/{doc_id}`: a document of the knowledge base, each section with its anchor.
#[utoipa::path(get, path = "/kb/{doc_id}", operation_id = "kb_document",
    summary = "A source document (citation links lead here)",
    params(("doc_id" = String, Path, description = "A citation's `doc_id` (`#section_id` for its section)")),
    responses(
        (status = 200, description = "HTML", content_type = "text/html"),
        (status = 404, description = "Unknown document", content_type = "text/html"),
    ))]
pub async fn document(State(state): State<AppState>, Path(doc_id): Path<String>) -> Response {
    let assistant = state.conversations().assistant();
    let kb = assistant.knowledge();
    match kb.get(&doc_id) {
        Some(doc) => html(&DocumentPage::new(kb, doc)),
        None => (StatusCode::NOT_FOUND, html(&NotFoundPage)).into_response(),
    }
}

/// A page as `text/html`; a template that fails (they only write strings) is a 500.
fn html(page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => ApiError::internal(&e.into()).into_response(),
    }
}

/// A staff console: never cached (never framed: [`crate::http::headers`]).
fn console(page: &Console) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], html(page)).into_response()
}

/// `demo.html`: the portal's notices, by title (the notice itself, then its enclosures
/// 別添1…4), and the widget's script tag.
#[derive(Template)]
#[template(path = "demo.html")]
struct DemoPage<'a> {
    suggestions: String,
    notices: Vec<Notice<'a>>,
}

struct Notice<'a> {
    issued: String,
    id: &'a str,
    title: &'a str,
}

impl<'a> DemoPage<'a> {
    fn new(kb: &'a KnowledgeBase) -> Self {
        let mut docs: Vec<&Document> = kb
            .docs()
            .iter()
            .filter(|d| d.kind == Kind::Notice)
            .collect();
        docs.sort_by(|a, b| a.title.cmp(&b.title));
        let notices = docs
            .into_iter()
            .map(|doc| Notice {
                issued: doc
                    .issued
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                id: &doc.id,
                title: &doc.title,
            })
            .collect();
        DemoPage {
            suggestions: crate::assistant::STARTER_QUESTIONS.join("|"),
            notices,
        }
    }
}

/// `document.html`: a document, its sections (or its body when it has none) and the
/// sections it cites.
#[derive(Template)]
#[template(path = "document.html")]
struct DocumentPage<'a> {
    doc: &'a Document,
    body: Option<Body<'a>>,
    sections: Vec<SectionView<'a>>,
    sources: Vec<(&'a Document, &'a Section)>,
}

struct SectionView<'a> {
    id: &'a str,
    heading: &'a str,
    body: Body<'a>,
}

impl<'a> DocumentPage<'a> {
    fn new(kb: &'a KnowledgeBase, doc: &'a Document) -> Self {
        DocumentPage {
            doc,
            body: doc.sections.is_empty().then(|| Body::parse(&doc.body)),
            sections: doc
                .sections
                .iter()
                .map(|s| SectionView {
                    id: &s.id,
                    heading: &s.heading,
                    body: Body::parse(&s.body),
                })
                .collect(),
            sources: doc.sources.iter().filter_map(|s| kb.section(s)).collect(),
        }
    }
}

/// `body.html`: text as the knowledge files write it, paragraphs and `- ` lists.
#[derive(Template)]
#[template(path = "body.html")]
struct Body<'a> {
    blocks: Vec<Block<'a>>,
}

enum Block<'a> {
    Paragraph(&'a str),
    List(Vec<&'a str>),
}

impl<'a> Body<'a> {
    /// Each non-blank line is a paragraph, or an item (`- ` or `* `) of the list that the
    /// items before it began.
    fn parse(markdown: &'a str) -> Self {
        let mut blocks = Vec::new();
        for line in markdown.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
                Some(item) => match blocks.last_mut() {
                    Some(Block::List(items)) => items.push(item),
                    _ => blocks.push(Block::List(vec![item])),
                },
                None => blocks.push(Block::Paragraph(line)),
            }
        }
        Body { blocks }
    }
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage;

/// The staff consoles, each a template in `console.html`.
#[derive(Template)]
enum Console {
    #[template(path = "agent.html")]
    Agent,
    #[template(path = "admin.html")]
    Editor,
}

impl Console {
    fn title(&self) -> &'static str {
        match self {
            Console::Agent => "担当者コンソール",
            Console::Editor => "編集コンソール",
        }
    }

    /// The URL path of its script.
    fn script(&self) -> String {
        asset_path(match self {
            Console::Agent => "agent.js",
            Console::Editor => "admin.js",
        })
    }
}

/// The templates' own filters.
mod filters {
    /// Removes every line break and the indentation after it, as a `\` at the end of a line
    /// of a Rust string does: the consoles' markup is written a tag a line, and served with
    /// no whitespace between tags but the spaces written within a line.
    #[askama::filter_fn]
    pub fn join_lines(
        markup: impl std::fmt::Display,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(markup.to_string().lines().map(str::trim_start).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_body(markdown: &str) -> String {
        Body::parse(markdown).render().unwrap()
    }

    #[test]
    fn markup_in_knowledge_text_is_escaped() {
        let html = render_body("<script>alert(1)</script> & \"x\"\n\n- <b>item</b>");
        assert_eq!(
            html,
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</p><ul><li>&lt;b&gt;item&lt;/b&gt;</li></ul>"
        );
    }

    #[test]
    fn the_widget_style_fits_in_a_template_literal() {
        let css = include_str!("../assets/widget/style.css");
        for forbidden in ["`", "${", "\\"] {
            assert!(!css.contains(forbidden), "style.css holds {forbidden}");
        }
        let widget = widget_js();
        assert!(widget.starts_with("(function () {\n\"use strict\";\nvar STYLE = `"));
        assert!(widget.contains("`;\nvar TEXTS = {"));
        assert!(widget.ends_with("})();\n"));
    }
}
