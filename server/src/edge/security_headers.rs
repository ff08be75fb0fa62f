//! Response headers that limit what a page can be made to do:
//!
//! - `Content-Security-Policy` on every HTML page: scripts only from Plume
//!   itself or inline with this response's nonce (the ones Leptos writes for
//!   hydration), WebAssembly allowed, no plugins, forms post only to Plume,
//!   and no framing (`frame-ancestors 'none'`), except the widget page
//!   `/embed/*`, whose framing policy per token comes from
//!   [`crate::feedback::embed`] and is kept.
//! - `Referrer-Policy`: `no-referrer` on public links `/share/*` (their URL
//!   is the secret), `same-origin` everywhere else (the widget page sets its
//!   own `no-referrer`).
//!
//! (`X-Content-Type-Options: nosniff` goes on every response, refusals
//! included, in [`super::Edge::protect`].)
//!
//! The nonce is made here, per request, and handed to Leptos through the
//! request (see [`provide_nonce`]), so the header and the page agree.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;

/// The CSP nonce of one response.
#[derive(Clone, Debug)]
pub struct CspNonce(Arc<str>);

impl CspNonce {
    /// 128 random bits, base64url.
    fn new() -> CspNonce {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        CspNonce(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes).into())
    }
}

/// The script, style and navigation rules of every page. Inline styles stay
/// allowed: the span tree's bars and the widget's accent are `style` values.
fn page_policy(nonce: &CspNonce) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'",
        nonce.0
    )
}

/// For the server functions' Leptos context: the nonce this request's
/// response header names, in place of the one Leptos made itself. Call it in
/// the context closure given to `leptos_axum` (it runs after Leptos's own).
pub fn provide_nonce() {
    let nonce = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(value)) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(value));
    }
}

/// Middleware for every route: see the module documentation.
pub async fn add(mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let page_like = !path.starts_with("/v1/") && !path.starts_with("/pkg/");
    let (share, embed) = (path.starts_with("/share/"), path.starts_with("/embed/"));
    let nonce = page_like.then(CspNonce::new);
    if let Some(nonce) = &nonce {
        request.extensions_mut().insert(nonce.clone());
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if let (true, Some(nonce)) = (html, &nonce) {
        let policy = match embed {
            // Added after the widget's own `frame-ancestors` policy: both apply.
            true => page_policy(nonce),
            false => format!("{}; frame-ancestors 'none'", page_policy(nonce)),
        };
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.append(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    let referrer = if share { "no-referrer" } else { "same-origin" };
    headers.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static(referrer));
    response
}
