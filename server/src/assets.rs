//! The UI's static files (WASM, JS, CSS), built into `target/site` by
//! `make site` and embedded in release binaries, so that `plume serve`
//! works from any directory. Debug builds read them from disk instead.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../target/site"]
#[allow_missing = true]
struct Site;

/// The embedded file at `uri`'s path, if there is one.
pub fn find(uri: &Uri) -> Option<Response> {
    let path = uri.path().trim_start_matches('/');
    let file = Site::get(path)?;
    let mime = file.metadata.mimetype();
    let mut response = (StatusCode::OK, Body::from(file.data.into_owned())).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", hex(&file.metadata.sha256_hash()))) {
        headers.insert(header::ETAG, etag);
    }
    Some(response)
}

fn hex(bytes: &[u8]) -> String {
    app::ids::hex_id(bytes)
}
