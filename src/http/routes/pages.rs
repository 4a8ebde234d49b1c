//! The pages: the demo portal at `/` with the widget embedded, `widget.js` itself (by a
//! revalidated name and by an immutable content-hashed one), the source documents that
//! citations link to, and the OpenAPI document. Everything from the knowledge base is
//! HTML-escaped.

use std::fmt::Write;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::http::AppState;
use crate::knowledge::{Document, Kind, KnowledgeBase};
use crate::text::escape_html;

const WIDGET_JS: &str = include_str!("../assets/widget.js");
const PAGE_CSS: &str = include_str!("../assets/page.css");
const AGENT_JS: &str = include_str!("../assets/agent.js");
const ADMIN_JS: &str = include_str!("../assets/admin.js");

pub struct Pages {
    /// First 16 hex digits of the widget's SHA-256: its ETag and hashed name.
    widget_hash: String,
}

impl Pages {
    pub fn new() -> Pages {
        let digest = Sha256::digest(WIDGET_JS.as_bytes());
        let widget_hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Pages { widget_hash }
    }
}

/// The portal's frame around a page's content.
fn layout(title: &str, main: &str, extra_head: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{PAGE_CSS}</style>\n{extra_head}</head>\n<body>\n\
         <header class=\"portal-header\"><a class=\"portal-brand\" href=\"/\">医療機関等向けポータルサイト<span class=\"demo-tag\">デモ</span></a>\
         <nav><a href=\"/\">お知らせ</a><a href=\"/kb/notice-main\">通知</a><a href=\"/kb/filing-notes\">申請書の留意事項</a></nav></header>\n\
         <main>{main}</main>\n\
         <footer class=\"portal-footer\">このページはシカクのデモです。実際のポータルサイトではありません。</footer>\n\
         </body>\n</html>\n",
        title = escape_html(title),
    )
}

fn demo_page(kb: &KnowledgeBase, widget_hash: &str) -> String {
    let mut notices = String::new();
    // By title: the notice itself, then its enclosures 別添1…4.
    let mut docs: Vec<&Document> = kb
        .docs()
        .iter()
        .filter(|d| d.kind == Kind::Notice)
        .collect();
    docs.sort_by(|a, b| a.title.cmp(&b.title));
    for doc in docs {
        let issued = doc
            .issued
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let _ = write!(
            notices,
            "<li><time>{}</time><a href=\"/kb/{}\">{}</a></li>",
            escape_html(&issued),
            escape_html(&doc.id),
            escape_html(&doc.title)
        );
    }
    let main = format!(
        "<section class=\"hero\"><h1>オンライン資格確認の導入に向けて</h1>\
         <p>顔認証付きカードリーダーの申込み、追加補助、導入意向調査についてのお知らせです。\
         ご不明な点は、画面右下のチャットでシカクにお尋ねください。</p></section>\
         <section><h2>お知らせ</h2><ul class=\"notices\">{notices}</ul></section>"
    );
    let script = format!(
        "<script src=\"/assets/widget-{widget_hash}.js\" defer data-title=\"シカク（AIアシスタント）\" \
         data-greeting=\"こんにちは。オンライン資格確認についてのご質問にお答えします。\" \
         data-suggestions=\"{}\"></script>\n",
        escape_html(&crate::assistant::STARTER_QUESTIONS.join("|"))
    );
    layout("医療機関等向けポータルサイト（デモ）", &main, &script)
}

/// `GET /`: the demo portal page, listing the serving release's notices.
#[utoipa::path(get, path = "/", summary = "Demo portal page with the widget",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn demo(State(state): State<AppState>) -> Html<String> {
    Html(demo_page(
        state.conversations().assistant().knowledge(),
        &state.pages().widget_hash,
    ))
}

fn javascript(body: &'static str, cache: &'static str, etag: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/javascript; charset=utf-8".to_string(),
            ),
            (header::CACHE_CONTROL, cache.to_string()),
            (header::ETAG, etag),
            (
                header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_string(),
            ),
        ],
        body,
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
pub async fn widget(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", state.pages().widget_hash);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    javascript(WIDGET_JS, "public, max-age=300, must-revalidate", etag)
}

/// `GET /assets/widget-HASH.js`: the same file under its content hash, cached for a year.
#[utoipa::path(get, path = "/assets/{file}", summary = "The widget under its content hash (immutable)",
    params(("file" = String, Path, description = "`widget-HASH.js`, as the demo page names it")),
    responses(
        (status = 200, description = "JavaScript", content_type = "text/javascript"),
        (status = 404, description = "`not_found`", body = crate::http::error::ErrorBody),
    ))]
pub async fn asset(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    if file == format!("widget-{}.js", state.pages().widget_hash) {
        let etag = format!("\"{}\"", state.pages().widget_hash);
        javascript(WIDGET_JS, "public, max-age=31536000, immutable", etag)
    } else {
        crate::http::error::not_found().await.into_response()
    }
}

/// `GET /agent`: the agent console (a sign-in form until a session exists; the data only
/// ever comes from the session-checked API).
#[utoipa::path(get, path = "/agent", summary = "The agent console page (sign-in form until signed in)",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn agent_console() -> Response {
    let main = "<div id=\"status\" role=\"status\" aria-live=\"polite\" class=\"agent-status\"></div>\
        <section id=\"login\" hidden><h1>担当者コンソール</h1>\
        <form id=\"login-form\" class=\"login\"><label for=\"login-name\">ユーザー名</label>\
        <input id=\"login-name\" autocomplete=\"username\" required>\
        <label for=\"login-password\">パスワード</label>\
        <input id=\"login-password\" type=\"password\" autocomplete=\"current-password\" required>\
        <button type=\"submit\">サインイン</button><p id=\"login-error\" class=\"error\" role=\"alert\"></p></form></section>\
        <section id=\"console\" hidden><div class=\"agent-bar\"><h1>担当者コンソール</h1><span id=\"who\"></span>\
        <button type=\"button\" id=\"notify\">通知を許可</button><button type=\"button\" id=\"logout\">サインアウト</button></div>\
        <div class=\"agent-tools\"><button type=\"button\" data-view=\"waiting\" aria-pressed=\"true\">待機中</button>\
        <button type=\"button\" data-view=\"mine\" aria-pressed=\"false\">自分の担当</button>\
        <button type=\"button\" data-view=\"all\" aria-pressed=\"false\">すべて</button>\
        <input id=\"search\" type=\"search\" placeholder=\"検索（名称・コード・会話）\" aria-label=\"検索\">\
        <button type=\"button\" id=\"csv\">CSV出力</button></div>\
        <div class=\"agent-main\"><table class=\"queue\"><thead><tr><th>#</th><th>医療機関等</th><th>コード</th>\
        <th>理由</th><th>状態</th><th>経過</th></tr></thead><tbody id=\"queue-body\"></tbody></table>\
        <article id=\"detail\" class=\"detail\"><p>左の一覧から問い合わせを選んでください。</p></article></div></section>";
    let page = layout(
        "担当者コンソール",
        &format!("{main}<script>{AGENT_JS}</script>"),
        "<meta name=\"robots\" content=\"noindex\">",
    );
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-frame-options"), "DENY"),
        ],
        Html(page),
    )
        .into_response()
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(get, path = "/api/v1/openapi.json", summary = "This document",
    responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::http::openapi::document(),
    )
        .into_response()
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
        Some(doc) => Html(document_page(kb, doc)).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Html(layout(
                "見つかりません",
                "<h1>資料が見つかりません</h1><p><a href=\"/\">トップページへ戻る</a></p>",
                "",
            )),
        )
            .into_response(),
    }
}

/// Markdown as the knowledge files use it: paragraphs and `- ` lists; everything escaped.
fn render_body(markdown: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    for block in markdown.split("\n\n") {
        for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
                if !in_list {
                    out.push_str("<ul>");
                    in_list = true;
                }
                let _ = write!(out, "<li>{}</li>", escape_html(item));
            } else {
                if in_list {
                    out.push_str("</ul>");
                    in_list = false;
                }
                let _ = write!(out, "<p>{}</p>", escape_html(line));
            }
        }
    }
    if in_list {
        out.push_str("</ul>");
    }
    out
}

fn document_page(kb: &KnowledgeBase, doc: &Document) -> String {
    let mut main = format!(
        "<article class=\"document\"><h1>{}</h1>",
        escape_html(&doc.title)
    );
    if let Some(p) = &doc.provenance {
        let _ = write!(main, "<p class=\"provenance\">{}</p>", escape_html(p));
    }
    if doc.sections.is_empty() {
        main.push_str(&render_body(&doc.body));
    } else {
        for s in &doc.sections {
            let _ = write!(
                main,
                "<section id=\"{id}\"><h2><a href=\"#{id}\">{}</a></h2>{}</section>",
                escape_html(&s.heading),
                render_body(&s.body),
                id = escape_html(&s.id),
            );
        }
    }
    if !doc.sources.is_empty() {
        main.push_str("<h2>出典</h2><ul class=\"sources\">");
        for source in &doc.sources {
            if let Some((d, s)) = kb.section(source) {
                let _ = write!(
                    main,
                    "<li><a href=\"/kb/{}#{}\">{}「{}」</a></li>",
                    escape_html(&d.id),
                    escape_html(&s.id),
                    escape_html(&d.title),
                    escape_html(&s.heading)
                );
            }
        }
        main.push_str("</ul>");
    }
    main.push_str("</article>");
    layout(&doc.title, &main, "")
}

/// `GET /admin`: the editor console (its script inline; the API is `/admin/api/*`).
#[utoipa::path(get, path = "/admin", summary = "The editor console page (sign-in form until signed in)",
    responses((status = 200, description = "HTML", content_type = "text/html")))]
pub async fn editor_console() -> Response {
    let main = "<div id=\"status\" role=\"status\" aria-live=\"polite\" class=\"agent-status\"></div>\
        <section id=\"login\" hidden><h1>編集コンソール</h1>\
        <form id=\"login-form\" class=\"login\"><label for=\"login-name\">ユーザー名</label>\
        <input id=\"login-name\" autocomplete=\"username\" required>\
        <label for=\"login-password\">パスワード</label>\
        <input id=\"login-password\" type=\"password\" autocomplete=\"current-password\" required>\
        <button type=\"submit\">サインイン</button><p id=\"login-error\" class=\"error\" role=\"alert\"></p></form></section>\
        <section id=\"console\" hidden><div class=\"agent-bar\"><h1>編集コンソール</h1><span id=\"who\"></span>\
        <span id=\"serving\"></span><button type=\"button\" id=\"logout\">サインアウト</button></div>\
        <div class=\"agent-tools\" role=\"tablist\">\
        <button type=\"button\" role=\"tab\" data-tab=\"documents\">文書</button>\
        <button type=\"button\" role=\"tab\" data-tab=\"try\">試す・公開</button>\
        <button type=\"button\" role=\"tab\" data-tab=\"history\">公開履歴</button>\
        <button type=\"button\" role=\"tab\" data-tab=\"audit\">操作記録</button>\
        <button type=\"button\" role=\"tab\" data-tab=\"analytics\">答えられなかった質問</button></div>\
        <div id=\"panel-documents\" class=\"editor-panel agent-main\"><div>\
        <div class=\"agent-tools\"><input id=\"doc-search\" type=\"search\" placeholder=\"検索（本文・ファイル名）\" aria-label=\"文書を検索\">\
        <button type=\"button\" id=\"new\">新しい文書</button></div>\
        <div class=\"agent-tools\"><label for=\"import-file\">通知の取り込み（PDF・HTML）</label>\
        <input id=\"import-file\" type=\"file\" accept=\".pdf,.html,.htm,.txt,.md\">\
        <button type=\"button\" id=\"import\">取り込む</button></div>\
        <table class=\"queue\"><thead><tr><th>ファイル</th><th>題名</th><th>状態</th><th>問題</th></tr></thead>\
        <tbody id=\"doc-body\"></tbody></table><p id=\"deleted\"></p></div>\
        <article id=\"editor\" class=\"detail\" hidden><label for=\"edit-path\">ファイル</label>\
        <input id=\"edit-path\" spellcheck=\"false\">\
        <label for=\"edit-text\">内容（+++ で囲んだ項目と本文）</label>\
        <textarea id=\"edit-text\" rows=\"24\" spellcheck=\"false\"></textarea>\
        <p id=\"edit-state\" role=\"status\"></p><ul id=\"edit-problems\" class=\"problems\"></ul>\
        <button type=\"button\" id=\"save\">下書きを保存</button> <button type=\"button\" id=\"remove\">削除</button></article></div>\
        <div id=\"panel-try\" class=\"editor-panel detail\" hidden><h2>下書きで試す</h2>\
        <form id=\"try-form\"><label for=\"try-question\">質問</label><input id=\"try-question\" size=\"40\">\
        <button type=\"submit\">試す</button></form><pre id=\"try-answer\" class=\"answer\"></pre><p id=\"try-meta\"></p>\
        <table class=\"queue\"><thead><tr><th>検索された文書</th><th>種類</th><th>スコア</th><th>一致</th></tr></thead>\
        <tbody id=\"try-hits\"></tbody></table>\
        <h2>公開</h2><label for=\"publish-note\">変更の説明</label><input id=\"publish-note\" size=\"40\">\
        <button type=\"button\" id=\"publish\">下書きを公開する</button><ul id=\"publish-problems\" class=\"problems\"></ul></div>\
        <div id=\"panel-history\" class=\"editor-panel detail\" hidden><table class=\"queue\"><thead><tr><th>版</th><th>公開日時</th>\
        <th>公開者</th><th>説明</th><th></th></tr></thead><tbody id=\"release-body\"></tbody></table><div id=\"diff\"></div></div>\
        <div id=\"panel-audit\" class=\"editor-panel detail\" hidden><table class=\"queue\"><thead><tr><th>日時</th><th>利用者</th>\
        <th>操作</th><th>ファイル</th><th>内容</th></tr></thead><tbody id=\"audit-body\"></tbody></table></div>\
        <div id=\"panel-analytics\" class=\"editor-panel detail\" hidden><div class=\"agent-tools\">\
        <label for=\"days\">期間</label><select id=\"days\"><option value=\"7\">7日</option>\
        <option value=\"30\" selected>30日</option><option value=\"90\">90日</option></select>\
        <a id=\"csv\" href=\"/admin/api/analytics.csv\">CSV出力</a></div>\
        <div class=\"charts\"><div id=\"chart-answer\"></div><div id=\"chart-handoff\"></div><div id=\"chart-up\"></div></div>\
        <h3>答えられなかった質問（似た質問ごと）</h3><table class=\"queue\"><thead><tr><th>件数</th><th>内訳</th><th>質問の例</th><th></th></tr></thead>\
        <tbody id=\"unanswered-body\"></tbody></table>\
        <h3>よくある質問</h3><table class=\"queue\"><thead><tr><th>件数</th><th>質問</th></tr></thead><tbody id=\"top-body\"></tbody></table></div>\
        </section>";
    let page = layout(
        "編集コンソール",
        &format!("{main}<script>{ADMIN_JS}</script>"),
        "<meta name=\"robots\" content=\"noindex\">",
    );
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::HeaderName::from_static("x-frame-options"), "DENY"),
        ],
        Html(page),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_knowledge_text_is_escaped() {
        let html = render_body("<script>alert(1)</script> & \"x\"\n\n- <b>item</b>");
        assert_eq!(
            html,
            "<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;</p><ul><li>&lt;b&gt;item&lt;/b&gt;</li></ul>"
        );
    }
}
