//! `GET /widget.js`: the loader that host pages include. A static file,
//! compiled into the binary; cached for five minutes and revalidated by ETag.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The loader's source.
pub const WIDGET_JS: &str = include_str!("widget.js");

/// Serves the loader (304 when the browser's copy is current).
pub async fn script(headers: HeaderMap) -> Response {
    let etag = format!("\"{}\"", app::ids::hex_id(&Sha256::digest(WIDGET_JS.as_bytes())[..8]));
    let cached = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str());
    let mut response = if cached { StatusCode::NOT_MODIFIED.into_response() } else { WIDGET_JS.into_response() };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_stays_tiny_and_self_contained() {
        assert!(WIDGET_JS.len() <= 5 * 1024, "widget.js is {} bytes", WIDGET_JS.len());
        assert!(!WIDGET_JS.contains("import "), "no dependencies");
        assert!(WIDGET_JS.contains("/embed/feedback?"));
    }
}
