//! The vote endpoint: `POST /v1/feedback` (vote), `DELETE /v1/feedback`
//! (retract), their CORS preflight, and `POST /embed/feedback/vote`, the
//! target of the widget's plain-HTML forms.

use app::model::{FeedbackWidget, MAX_FEEDBACK_COMMENT_CHARS, Vote, WidgetTheme, parse_accent};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::origins::{Caller, cors_headers};
use super::{Action, CurrentVote, FeedbackError, VoteRequest};
use crate::AppState;
use crate::api::Data;
use crate::client_ip::ClientIp;
use crate::error::ApiError;

/// `POST /v1/feedback` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CastBody {
    /// The feedback token (or `Authorization: Bearer`).
    #[serde(default)]
    token: Option<String>,
    /// `up` or `down`.
    #[schema(value_type = String, example = "up")]
    vote: Vote,
    /// Optional free text.
    #[serde(default)]
    comment: Option<String>,
    #[serde(flatten)]
    common: Common,
}

/// `DELETE /v1/feedback` body (may be empty with `Authorization: Bearer`).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RetractBody {
    #[serde(default)]
    token: Option<String>,
    #[serde(flatten)]
    common: Common,
}

/// Optional fields of both bodies.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Common {
    /// The embedding page, sent by the embed page.
    #[serde(default)]
    origin: Option<String>,
    /// When given, the token must be for this span…
    #[serde(default)]
    span_id: Option<String>,
    /// …or this trace.
    #[serde(default)]
    trace_id: Option<String>,
}

/// `POST /v1/feedback`: casts or changes the token holder's vote.
#[utoipa::path(
    post,
    path = "/v1/feedback",
    security(()),
    request_body = CastBody,
    responses(
        (status = 200, description = "The current vote"),
        (status = 401, description = "Missing, expired or forged token"),
        (status = 403, description = "Origin not allowed, or a token for another span"),
        (status = 429, description = "Too many votes for this token or address"),
    ),
    tag = "feedback"
)]
pub async fn cast(State(state): State<AppState>, ClientIp(ip): ClientIp, headers: HeaderMap, body: Bytes) -> Response {
    let caller = Caller::of(&headers);
    let outcome = async {
        let body: CastBody = crate::json::from_bytes(&headers, &body)?;
        let comment = comment(body.comment)?;
        let token = token(&headers, body.token.as_deref())?;
        let request = VoteRequest {
            token: &token,
            action: Action::Cast(body.vote, comment),
            caller: &caller,
            ip,
            host_origin: body.common.origin.as_deref(),
            expected_target: body.common.span_id.as_deref().or(body.common.trace_id.as_deref()),
        };
        state.feedback.apply(&state.store, request).await
    }
    .await;
    answer(&state, &caller, outcome)
}

/// `DELETE /v1/feedback`: takes the token holder's vote back (stored or pending).
#[utoipa::path(
    delete,
    path = "/v1/feedback",
    security(()),
    request_body = RetractBody,
    responses(
        (status = 200, description = "No vote any more"),
        (status = 401, description = "Missing, expired or forged token"),
        (status = 403, description = "Origin not allowed, or a token for another span"),
    ),
    tag = "feedback"
)]
pub async fn retract(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = Caller::of(&headers);
    let outcome = async {
        let body: RetractBody = if body.iter().all(u8::is_ascii_whitespace) {
            RetractBody::default()
        } else {
            crate::json::from_bytes(&headers, &body)?
        };
        let token = token(&headers, body.token.as_deref())?;
        let request = VoteRequest {
            token: &token,
            action: Action::Retract,
            caller: &caller,
            ip,
            host_origin: None,
            expected_target: body.common.span_id.as_deref().or(body.common.trace_id.as_deref()),
        };
        state.feedback.apply(&state.store, request).await
    }
    .await;
    answer(&state, &caller, outcome)
}

/// `OPTIONS /v1/feedback`: the CORS preflight. Origins on the server's
/// allowlist get the CORS headers (the token's own list is checked on the
/// request itself); others get a 403 without them.
pub async fn preflight(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match Caller::of(&headers) {
        Caller::Site(origin) if state.feedback.allowlist().allows(&origin) => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            cors_headers(response.headers_mut(), &origin);
            response
        }
        Caller::Site(origin) => {
            FeedbackError::Forbidden(format!("Origin {origin} may not send feedback")).into_response()
        }
        Caller::SameOrigin | Caller::NoOrigin => StatusCode::NO_CONTENT.into_response(),
    }
}

/// `POST /embed/feedback/vote` (form fields `token`, `vote` = `up`, `down` or
/// `retract`, `comment`, `theme`, `accent`, `origin`): what the widget's
/// buttons do without JavaScript; redirects back to the widget.
pub async fn form(State(state): State<AppState>, ClientIp(ip): ClientIp, headers: HeaderMap, body: Bytes) -> Response {
    let caller = Caller::of(&headers);
    let field =
        |name: &str| form_urlencoded::parse(&body).find(|(key, _)| key == name).map(|(_, value)| value.into_owned());
    let token = field("token").unwrap_or_default();
    let outcome = async {
        let action = match field("vote").as_deref() {
            Some("retract") => Action::Retract,
            Some(vote) => match Vote::parse(vote) {
                Some(vote) => Action::Cast(vote, comment(field("comment"))?),
                None => {
                    return Err(ApiError::body_field(
                        &["vote"],
                        "enum",
                        "Input should be 'up', 'down' or 'retract'",
                        vote,
                    )
                    .into());
                }
            },
            None => {
                return Err(
                    ApiError::body_field(&["vote"], "missing", "Field required", serde_json::Value::Null).into()
                );
            }
        };
        let host_origin = field("origin");
        let request = VoteRequest {
            token: &token,
            action,
            caller: &caller,
            ip,
            host_origin: host_origin.as_deref(),
            expected_target: None,
        };
        state.feedback.apply(&state.store, request).await
    }
    .await;
    match outcome {
        Ok(_) => {
            let widget = FeedbackWidget {
                token,
                theme: WidgetTheme::parse(&field("theme").unwrap_or_default()),
                accent: field("accent").as_deref().and_then(parse_accent),
                ..Default::default()
            };
            Redirect::to(&format!("/embed/feedback?{}", widget.query())).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// `{"data": {"vote", "comment"}}` or the refusal, with CORS headers for
/// sites the server allows (a 403 for the origin itself gets none).
fn answer(state: &AppState, caller: &Caller, outcome: Result<CurrentVote, FeedbackError>) -> Response {
    let forbidden_origin = matches!(&outcome, Err(FeedbackError::Forbidden(m)) if m.starts_with("Origin "));
    let mut response = match outcome {
        Ok(current) => Json(Data { data: current }).into_response(),
        Err(error) => error.into_response(),
    };
    if let Some(origin) = caller.site()
        && !forbidden_origin
        && state.feedback.allowlist().allows(origin)
    {
        cors_headers(response.headers_mut(), origin);
    }
    response
}

/// The token from `Authorization: Bearer …`, else from the body.
fn token(headers: &HeaderMap, body: Option<&str>) -> Result<String, FeedbackError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match bearer.or(body.map(str::trim)) {
        Some(token) if !token.is_empty() => Ok(token.to_owned()),
        _ => Err(FeedbackError::Unauthorized(
            "A feedback token is required (body `token` or Authorization: Bearer)".into(),
        )),
    }
}

/// A trimmed comment (empty = none), at most [`MAX_FEEDBACK_COMMENT_CHARS`].
fn comment(text: Option<String>) -> Result<Option<String>, FeedbackError> {
    let Some(text) = text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()) else { return Ok(None) };
    let length = text.chars().count();
    if length > MAX_FEEDBACK_COMMENT_CHARS {
        return Err(ApiError::body_field(
            &["comment"],
            "string_too_long",
            &format!("String should have at most {MAX_FEEDBACK_COMMENT_CHARS} characters"),
            length,
        )
        .into());
    }
    Ok(Some(text))
}
