//! Cross-site request forgery: any page a teammate opens can make their
//! browser POST a form or `text/plain` body to Plume (`fetch(…, {mode:
//! "no-cors"})` needs no CORS permission), and the UI's server functions act
//! on such posts. So a state-changing request that a cross-site page could
//! send is served only when the browser says it comes from Plume's own pages:
//! `Sec-Fetch-Site: same-origin` (or `none`, typed by the user), else, where
//! browsers do not send that header (plain `http://` to a name), an `Origin`,
//! else a `Referer`, naming this server's origin.
//!
//! Which requests are checked:
//! - every method but GET/HEAD/OPTIONS to `/api/*` (the server functions
//!   behind every UI form). Browsers send `Origin` with every such POST, so
//!   a request with none of the three headers is no browser of Plume's pages
//!   and is refused too: programs use the REST API under `/v1`.
//! - a POST anywhere else whose body a cross-site page can send without a
//!   CORS preflight (no content type, forms, `text/plain`), such as the
//!   widget's no-JavaScript vote form. Here a request without any of the
//!   headers is a program (curl, an app backend) and is let through, as the
//!   vote endpoint does; the JSON routes under `/v1` refuse these bodies anyway.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::feedback::origins::{names_host, normalize_origin, origin_of_url};

/// This server's own web origin, as far as configured.
#[derive(Clone, Debug, Default)]
pub struct OwnOrigin {
    /// The origin of `--public-url` (`https://plume.example`), if given.
    public: Option<String>,
}

impl OwnOrigin {
    /// From `--public-url` (already validated by the host check's settings).
    pub fn new(public_url: Option<&str>) -> OwnOrigin {
        OwnOrigin { public: public_url.and_then(origin_of_url) }
    }

    /// Whether the origin `text` is this server's: its `host[:port]` is the
    /// request's `Host` (the host check has vouched for that name), or it is
    /// `--public-url`'s origin.
    fn is_own(&self, text: &str, headers: &HeaderMap) -> bool {
        let Some(origin) = normalize_origin(text) else { return false };
        if self.public.as_deref() == Some(origin.as_str()) {
            return true;
        }
        names_host(&origin, headers)
    }
}

/// How strictly a request is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Not state-changing, or not sendable cross-site without CORS.
    Unchecked,
    /// A server function: browsers only.
    ServerFunction,
    /// A simple POST elsewhere: browsers must be same-origin, programs may call.
    SimplePost,
}

fn scope(method: &Method, path: &str, headers: &HeaderMap) -> Scope {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Scope::Unchecked;
    }
    if path.starts_with("/api/") {
        return Scope::ServerFunction;
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let essence = content_type.map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase());
    let simple = match essence.as_deref() {
        None => true,
        Some(essence) => {
            matches!(essence, "application/x-www-form-urlencoded" | "multipart/form-data" | "text/plain")
        }
    };
    if *method == Method::POST && simple { Scope::SimplePost } else { Scope::Unchecked }
}

/// Why a checked request is refused, if it is.
fn refusal(own: &OwnOrigin, scope: Scope, headers: &HeaderMap) -> Option<&'static str> {
    if scope == Scope::Unchecked {
        return None;
    }
    let text = |name| headers.get(name).map(|v| v.to_str().unwrap_or(""));
    if let Some(site) = text(header::HeaderName::from_static("sec-fetch-site")) {
        return match site {
            "same-origin" | "none" => None,
            _ => Some("Cross-site request refused (Sec-Fetch-Site is not same-origin)\n"),
        };
    }
    if let Some(origin) = text(header::ORIGIN) {
        return (!own.is_own(origin, headers)).then_some("Cross-site request refused (Origin is not this server)\n");
    }
    if let Some(referer) = text(header::REFERER) {
        let origin = origin_of_url(referer);
        let own_page = origin.is_some_and(|origin| own.is_own(&origin, headers));
        return (!own_page).then_some("Cross-site request refused (Referer is not this server)\n");
    }
    match scope {
        Scope::ServerFunction => {
            Some("Request refused: no Origin, Referer or Sec-Fetch-Site header (programs use the /v1 API)\n")
        }
        _ => None,
    }
}

/// Middleware for every route: 403 with the reason for a cross-site
/// state-changing request (see the module documentation).
pub async fn check(State(own): State<Arc<OwnOrigin>>, request: Request, next: Next) -> Response {
    let scope = scope(request.method(), request.uri().path(), request.headers());
    match refusal(&own, scope, request.headers()) {
        Some(reason) => (StatusCode::FORBIDDEN, reason).into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::HOST, "127.0.0.1:6006".parse().unwrap());
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn refused(method: Method, path: &str, pairs: &[(&'static str, &str)]) -> bool {
        let own = OwnOrigin::new(Some("https://plume.example/"));
        let headers = headers(pairs);
        refusal(&own, scope(&method, path, &headers), &headers).is_some()
    }

    const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

    #[test]
    fn server_functions_take_only_same_origin_browsers() {
        let post = |pairs: &[(&'static str, &str)]| refused(Method::POST, "/api/add_note123", pairs);
        assert!(!post(&[FORM, ("sec-fetch-site", "same-origin")]));
        assert!(!post(&[FORM, ("sec-fetch-site", "none")]));
        assert!(post(&[FORM, ("sec-fetch-site", "same-site")]));
        assert!(post(&[FORM, ("sec-fetch-site", "cross-site"), ("origin", "http://127.0.0.1:6006")]));
        assert!(!post(&[FORM, ("origin", "http://127.0.0.1:6006")]));
        assert!(!post(&[FORM, ("origin", "https://plume.example")]));
        assert!(post(&[FORM, ("origin", "http://evil.example")]));
        assert!(post(&[FORM, ("origin", "null")]));
        assert!(!post(&[FORM, ("referer", "http://127.0.0.1:6006/projects/x?y=1")]));
        assert!(post(&[FORM, ("referer", "http://127.0.0.1:6006.evil.example/")]));
        assert!(post(&[FORM]), "no header at all: not a browser on Plume's pages");
        assert!(post(&[("content-type", "application/json")]), "any body type");
        assert!(!refused(Method::GET, "/api/page_reads", &[]));
    }

    #[test]
    fn simple_posts_elsewhere_refuse_other_sites_but_not_programs() {
        let post = |pairs: &[(&'static str, &str)]| refused(Method::POST, "/embed/feedback/vote", pairs);
        assert!(!post(&[FORM]), "curl or a backend");
        assert!(!post(&[FORM, ("sec-fetch-site", "same-origin")]));
        assert!(post(&[FORM, ("origin", "http://evil.example")]));
        assert!(post(&[("content-type", "text/plain;charset=UTF-8"), ("sec-fetch-site", "cross-site")]));
        assert!(post(&[("sec-fetch-site", "cross-site")]), "no body type: still sendable without CORS");
        // JSON and DELETE need a CORS preflight, which other sites do not pass: not this check's business.
        assert!(!refused(
            Method::POST,
            "/v1/feedback",
            &[("content-type", "application/json"), ("origin", "http://a")]
        ));
        assert!(!refused(Method::DELETE, "/v1/spans/1", &[("origin", "http://evil.example")]));
    }
}
