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

pub struct SecurityHeaders {
    /// `frame-ancestors` of the public pages: this origin and the portals'.
    public_ancestors: String,
}

impl SecurityHeaders {
    pub fn new(settings: &ServiceSettings) -> SecurityHeaders {
        let mut ancestors = vec!["'self'".to_string()];
        ancestors.extend(
            settings
                .cors_origins
                .iter()
                .filter_map(|origin| origin.to_str().ok())
                .map(str::to_string),
        );
        SecurityHeaders {
            public_ancestors: ancestors.join(" "),
        }
    }

    fn policy_for(&self, path: &str, headers: &HeaderMap) -> (String, bool) {
        let html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        let console = ["/agent", "/admin"].iter().any(|prefix| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        });
        match (html, console) {
            (true, true) => (format!("{PAGE_POLICY}; frame-ancestors 'none'"), true),
            (true, false) => (
                format!("{PAGE_POLICY}; frame-ancestors {}", self.public_ancestors),
                false,
            ),
            (false, _) => (OTHER_POLICY.to_string(), true),
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
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(csp);
    }
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
