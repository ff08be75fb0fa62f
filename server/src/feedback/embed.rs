//! The widget page `/embed/feedback?token=…&theme=…&accent=…` is a Leptos
//! route (`app::pages::EmbedFeedback`); this middleware works out what it
//! shows (token check, the user's current vote, theme) and adds its headers:
//! `Content-Security-Policy: frame-ancestors` for the allowed origins only,
//! no referrer (the URL holds the token), no caching.

use app::model::{FeedbackWidget, WidgetTheme, parse_accent};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use super::origins::origin_of_url;
use crate::AppState;

/// The page's path.
pub const EMBED_PATH: &str = "/embed/feedback";

/// Middleware of the UI routes: acts on `GET /embed/feedback` only.
pub async fn prepare(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if request.uri().path() != EMBED_PATH || request.method() != Method::GET {
        return next.run(request).await;
    }
    let query = request.uri().query().unwrap_or("");
    let field = |name: &str| {
        form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
    };
    let mut widget = FeedbackWidget {
        token: field("token").unwrap_or_default(),
        theme: WidgetTheme::parse(&field("theme").unwrap_or_default()),
        accent: field("accent").as_deref().and_then(parse_accent),
        ..Default::default()
    };
    let feedback = &state.feedback;
    let mut status = StatusCode::OK;
    let allowed = match feedback.verify(&widget.token) {
        Ok(grant) => {
            let allowed = feedback.allowed(&grant);
            match feedback.current(&state.store, &grant, &widget.token).await {
                Ok(current) => (widget.vote, widget.comment) = (current.vote, current.comment),
                Err(error) => {
                    tracing::warn!(%error, "reading the current vote failed");
                    widget.error = Some("Feedback is unavailable right now.".into());
                }
            }
            // The embedding page, as its Referer shows it, if it is allowed.
            widget.host_origin = request
                .headers()
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of_url)
                .filter(|origin| allowed.contains(origin));
            allowed
        }
        Err(error) => {
            tracing::debug!(%error, "embed page with an unusable token");
            status = StatusCode::UNAUTHORIZED;
            widget.error = Some("This feedback link has expired or is not valid.".into());
            feedback.allowlist().for_token(None)
        }
    };
    request.extensions_mut().insert(widget);
    let mut response = next.run(request).await;
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&allowed.frame_ancestors()) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
