//! How the UI's server functions (`/api/*`) answer a call whose arguments
//! can't be read.
//!
//! Leptos answers every server-function error with a 500, a malformed or
//! incomplete body included (its `Args`/`MissingArg` errors never reach our
//! code, so the function can't set the status itself). This middleware gives
//! those two a 400: the caller's mistake, with Leptos's own words naming the
//! problem (`MissingArg|span_id`, `Args|missing field ...`) left in the body,
//! so the browser-side code still decodes it as before.

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use leptos::server_fn::Decodes;
use leptos::server_fn::error::{ServerFnError, ServerFnErrorEncoding};

/// Where server functions are mounted.
const PREFIX: &str = "/api/";

/// Largest error body read back (an error message, never a page).
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Middleware of the UI routes: acts on 500 answers of `/api/*` only.
pub async fn bad_arguments(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(PREFIX) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BYTES).await else {
        return Response::from_parts(parts, Body::from(app::store::INTERNAL_MESSAGE));
    };
    if is_bad_arguments(&bytes) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether a server function's error body says its arguments were unreadable.
fn is_bad_arguments(body: &bytes::Bytes) -> bool {
    matches!(
        <ServerFnErrorEncoding as Decodes<ServerFnError>>::decode(body.clone()),
        Ok(ServerFnError::Args(_) | ServerFnError::MissingArg(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_argument_errors_are_the_callers() {
        assert!(is_bad_arguments(&bytes::Bytes::from_static(b"MissingArg|span_id")));
        assert!(is_bad_arguments(&bytes::Bytes::from_static(b"Args|missing field `note`")));
        assert!(!is_bad_arguments(&bytes::Bytes::from_static(b"ServerError|Internal error")));
        assert!(!is_bad_arguments(&bytes::Bytes::from_static(b"<html>")));
    }
}
