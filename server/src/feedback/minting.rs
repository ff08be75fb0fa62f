//! `POST /v1/feedback_tokens`: Plume mints a feedback token for an app
//! backend that would rather not sign JWTs itself.

use app::model::FeedbackWidget;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::token::{Claims, grant};
use crate::AppState;
use crate::api::Data;
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::json::JsonBody;

/// Lifetime of a token when `ttl_seconds` is not given (capped by the maximum).
const DEFAULT_TTL_SECONDS: u64 = 24 * 3600;

/// The request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MintRequest {
    /// The span to collect feedback on…
    #[serde(default)]
    span_id: Option<String>,
    /// …or the trace.
    #[serde(default)]
    trace_id: Option<String>,
    /// Annotation name, default `user feedback`.
    #[serde(default)]
    name: Option<String>,
    /// Lifetime, default 24 h, at most `--feedback-max-ttl`.
    #[serde(default)]
    ttl_seconds: Option<u64>,
    /// The end user (a string or a number).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    user_id: Option<Value>,
    /// Origins allowed to embed the widget.
    #[serde(default)]
    origins: Option<Vec<String>>,
}

/// The answer's `data`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MintedToken {
    /// The JWT.
    token: String,
    /// When it expires (ISO-8601, `+00:00`).
    expires_at: String,
    /// The widget page for this token (for an iframe or a link).
    widget_url: String,
}

/// Mints a token; 422 for a request no token could satisfy.
#[utoipa::path(
    post,
    path = "/v1/feedback_tokens",
    security(("bearer" = ["feedback"])),
    request_body = MintRequest,
    responses(
        (status = 200, description = "`{\"data\": MintedToken}`", body = Data<MintedToken>),
        (status = 422, description = "No token can satisfy the request"),
        (status = 429, description = "Too many tokens minted from this address (`--mint-rate-per-ip`)"),
    ),
    tag = "feedback"
)]
pub async fn mint(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    JsonBody(body): JsonBody<MintRequest>,
) -> Result<Json<Data<MintedToken>>, ApiError> {
    if let Some(ip) = ip {
        state.feedback.check_mint(ip).await.map_err(ApiError::TooMany)?;
    }
    let max_ttl = state.feedback.keys().max_ttl.as_secs();
    let ttl = body.ttl_seconds.unwrap_or(DEFAULT_TTL_SECONDS.min(max_ttl));
    if ttl == 0 || ttl > max_ttl {
        return Err(ApiError::body_field(
            &["ttl_seconds"],
            "value_error",
            &format!("ttl_seconds must be between 1 and {max_ttl}"),
            ttl,
        ));
    }
    let sub = match body.user_id {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(ApiError::body_field(&["user_id"], "string_type", "Input should be a string", other));
        }
    };
    let now = chrono::Utc::now();
    let exp = now.timestamp().saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
    let claims = Claims {
        span_id: body.span_id,
        trace_id: body.trace_id,
        name: body.name,
        exp,
        iat: Some(now.timestamp()),
        sub,
        origins: body.origins,
    };
    // The same rules a presented token must pass, with the normalised result signed.
    let granted = grant(claims.clone()).map_err(|e| ApiError::Unprocessable(e.0))?;
    let claims = Claims { origins: granted.origins, ..claims };
    let token = state.feedback.keys().sign(&claims);
    let widget = FeedbackWidget { token: token.clone(), ..Default::default() };
    let base = crate::api::public_base(&state, &headers);
    let expires_at = app::time::iso(chrono::DateTime::from_timestamp(exp, 0).unwrap_or(now));
    let widget_url = format!("{base}/embed/feedback?{}", widget.query());
    Ok(Json(Data { data: MintedToken { token, expires_at, widget_url } }))
}
