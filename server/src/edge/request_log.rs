//! One log line per request, without secrets, with a request id.
//!
//! Query strings are never logged: some carry secrets (`/embed/feedback?token=…`),
//! and which ones will in future is easy to get wrong. Public links carry
//! their secret in the path, so `/share/<token>` is logged as `/share/…`.
//!
//! Every request gets an `x-request-id` (the client's, else a new UUID),
//! answered in the response and recorded in the request's tracing span, so
//! anything a handler logs carries it.

use axum::body::Body;
use axum::http::{HeaderName, Request};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, HttpMakeClassifier, MakeSpan, TraceLayer};
use tracing::{Level, Span};

/// The header the request id travels in.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Sets the id (outermost: before the span is made).
pub fn set_request_id() -> SetRequestIdLayer<MakeRequestUuid> {
    SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid)
}

/// Copies the id into the response.
pub fn propagate_request_id() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(REQUEST_ID)
}

/// The request span and its `info` line per response.
pub fn trace() -> TraceLayer<HttpMakeClassifier, RequestSpan, (), DefaultOnResponse> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}

/// Makes the `request` span: id, method, path (redacted), HTTP version.
#[derive(Clone, Copy, Debug)]
pub struct RequestSpan;

impl MakeSpan<Body> for RequestSpan {
    fn make_span(&mut self, request: &Request<Body>) -> Span {
        let id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
        let path = shown_path(request.uri().path());
        tracing::info_span!("request", request_id = id, method = %request.method(), path, version = ?request.version())
    }
}

/// The path as logged: public-link tokens hidden.
pub fn shown_path(path: &str) -> &str {
    if path.starts_with("/share/") { "/share/…" } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_paths_are_hidden() {
        assert_eq!(shown_path("/share/abcDEF123"), "/share/…");
        assert_eq!(shown_path("/projects/p"), "/projects/p");
    }
}
