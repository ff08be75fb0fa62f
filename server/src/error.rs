//! The one error type of the HTTP layer and how each case is answered.
//!
//! Phoenix answers errors raised by a handler as `text/plain` with the message,
//! and request-validation errors as 422 JSON `{"detail": [...]}`; Plume does
//! the same so that clients can't tell the difference.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One entry of a 422 `detail` list, FastAPI style.
#[derive(Debug, Serialize)]
pub struct ValidationDetail {
    /// Machine-readable kind, e.g. `missing`, `string_type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Where: `["body", "data", 0, "name"]`, `["query", "limit"]`.
    pub loc: Vec<serde_json::Value>,
    /// For people.
    pub msg: String,
    /// The offending input.
    pub input: serde_json::Value,
}

/// An error answered to an HTTP client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with a text reason.
    #[error("{0}")]
    BadRequest(String),
    /// 403 with a text reason.
    #[error("{0}")]
    Forbidden(String),
    /// 404 with a text reason.
    #[error("{0}")]
    NotFound(String),
    /// 409 with a text reason.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over the configured limit.
    #[error("{0}")]
    TooLarge(String),
    /// 415: content type or encoding not supported.
    #[error("{0}")]
    UnsupportedMedia(String),
    /// 422 with a text reason.
    #[error("{0}")]
    Unprocessable(String),
    /// 429: rate limited; retry after this long.
    #[error("Too many requests")]
    TooMany(std::time::Duration),
    /// 422 with FastAPI-style JSON details.
    #[error("invalid request")]
    Validation(Vec<ValidationDetail>),
    /// A store error, answered with the store's status mapping
    /// ([`app::store::Error::status`]); internal ones are logged, not shown.
    #[error(transparent)]
    Store(app::store::Error),
}

impl ApiError {
    /// A single query-parameter validation error.
    pub fn query(name: &str, msg: impl Into<String>, input: impl Into<serde_json::Value>) -> Self {
        ApiError::Validation(vec![ValidationDetail {
            kind: "value_error".into(),
            loc: vec!["query".into(), name.into()],
            msg: msg.into(),
            input: input.into(),
        }])
    }
}

impl From<app::store::Error> for ApiError {
    fn from(error: app::store::Error) -> Self {
        ApiError::Store(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMedia(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable(_) | ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Store(error) => error.status(),
        };
        match self {
            ApiError::Validation(detail) => (status, Json(serde_json::json!({ "detail": detail }))).into_response(),
            ApiError::Store(error) => (status, error.client_message()).into_response(),
            ApiError::TooMany(wait) => crate::rate_limit::too_many("requests", wait),
            // The refused body may be left unread, so the connection cannot
            // carry another request: say so, or a client that pools
            // connections sends its next request into a closing socket.
            other @ ApiError::TooLarge(_) => {
                (status, [(axum::http::header::CONNECTION, "close")], other.to_string()).into_response()
            }
            other => (status, other.to_string()).into_response(),
        }
    }
}
