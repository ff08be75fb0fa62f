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

/// The embedded file at `uri`'s path, if there is one: a 304 without the
/// body when `if_none_match` names its current ETag (its SHA-256), so a page
/// load revalidates the bundle instead of downloading it again.
pub fn find(uri: &Uri, if_none_match: Option<&HeaderValue>) -> Option<Response> {
    let path = uri.path().trim_start_matches('/');
    let file = Site::get(path)?;
    let etag = HeaderValue::from_str(&format!("\"{}\"", hex(&file.metadata.sha256_hash()))).ok();
    let current = etag.as_ref().is_some_and(|etag| if_none_match.is_some_and(|given| matches(given, etag)));
    let mut response = match current {
        true => StatusCode::NOT_MODIFIED.into_response(),
        false => {
            let mut response = (StatusCode::OK, Body::from(file.data.into_owned())).into_response();
            if let Ok(value) = HeaderValue::from_str(file.metadata.mimetype()) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    Some(response)
}

/// Whether an `If-None-Match` list (`"a", W/"b"` or `*`) names `etag`.
fn matches(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(list) = if_none_match.to_str() else { return false };
    let etag = etag.to_str().unwrap_or("");
    list.split(',').map(str::trim).any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

fn hex(bytes: &[u8]) -> String {
    app::ids::hex_id(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_lists_are_understood() {
        let etag = HeaderValue::from_static("\"abc\"");
        for given in ["\"abc\"", "\"x\", \"abc\"", "W/\"abc\"", "*"] {
            assert!(matches(&HeaderValue::from_static(given), &etag), "{given}");
        }
        for given in ["\"abd\"", "abc", ""] {
            assert!(!matches(&HeaderValue::from_static(given), &etag), "{given}");
        }
    }
    /// Every rule of the stylesheet is closed before the next begins. A lost
    /// `}` (a merge once dropped two) does not break the file: browsers read
    /// what follows as CSS nesting, so every later rule silently stopped
    /// matching (the queue, webhook and session pages, the project tabs).
    #[test]
    fn stylesheet_rules_do_not_nest() {
        let css = include_str!("../../style/main.css");
        let mut open: Vec<(String, usize)> = Vec::new();
        let (mut prelude, mut line, mut rest) = (String::new(), 1, css);
        while let Some(ch) = rest.chars().next() {
            if rest.starts_with("/*") {
                let end = rest.find("*/").expect("an unclosed comment") + 2;
                line += rest[..end].matches('\n').count();
                rest = &rest[end..];
                continue;
            }
            match ch {
                '{' => {
                    let selector = prelude.trim().to_owned();
                    if let Some((outer, at)) = open.last() {
                        assert!(outer.starts_with('@'), "line {line}: `{selector}` inside `{outer}` (line {at})");
                    }
                    open.push((selector, line));
                    prelude.clear();
                }
                '}' => {
                    open.pop().unwrap_or_else(|| panic!("line {line}: a `}}` closes nothing"));
                    prelude.clear();
                }
                ';' => prelude.clear(),
                '\n' => {
                    line += 1;
                    prelude.push(ch);
                }
                _ => prelude.push(ch),
            }
            rest = &rest[ch.len_utf8()..];
        }
        assert!(open.is_empty(), "unclosed: {open:?}");
    }
}
