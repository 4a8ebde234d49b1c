//! Security headers on every response. The pages hold no inline script or style (they are
//! hashed files under `/assets/`), so their Content-Security-Policy allows only this
//! origin's own; the consoles are never framed, the public pages (the demo portal, the
//! source documents) only by this origin and the portals allowed by CORS. Every response
//! says `nosniff`, so that a browser never runs an answer or a JSON body as a script.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::settings::ServiceSettings;

/// What a page may load: its own scripts, styles and API, nothing inline, nothing else.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'";

/// Everything that is not a page (JSON, event streams, scripts) loads nothing and is never framed.
const OTHER_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The Content-Security-Policy of each kind of response, made once at start.
pub struct SecurityHeaders {
    console_page: HeaderValue,
    /// Framed only by this origin and the portals'.
    public_page: HeaderValue,
    other: HeaderValue,
}

impl SecurityHeaders {
    pub fn new(settings: &ServiceSettings) -> SecurityHeaders {
        let mut ancestors = vec!["'self'"];
        ancestors.extend(
            settings
                .cors_origins
                .iter()
                .filter_map(|origin| origin.to_str().ok()),
        );
        let policy = |text: String| {
            HeaderValue::from_str(&text).expect("origins checked as header values at start")
        };
        SecurityHeaders {
            console_page: policy(format!("{PAGE_POLICY}; frame-ancestors 'none'")),
            public_page: policy(format!(
                "{PAGE_POLICY}; frame-ancestors {}",
                ancestors.join(" ")
            )),
            other: HeaderValue::from_static(OTHER_POLICY),
        }
    }

    /// The policy for a response, and whether it may never be framed at all.
    fn policy_for(&self, path: &str, headers: &HeaderMap) -> (&HeaderValue, bool) {
        let html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let console = ["/agent", "/admin"].iter().any(|prefix| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        match (html, console) {
            (true, true) => (&self.console_page, true),
            (true, false) => (&self.public_page, false),
            (false, _) => (&self.other, true),
        }
    }
}

/// Adds the headers a handler has not set itself.
pub async fn add(
    State(policy): State<Arc<SecurityHeaders>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let (csp, deny_framing) = policy.policy_for(&path, response.headers());
    let csp = csp.clone();
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(csp);
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    if deny_framing {
        headers
            .entry(header::X_FRAME_OPTIONS)
            .or_insert(HeaderValue::from_static("DENY"));
    }
    response
}
