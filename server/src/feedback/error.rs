//! How feedback requests are refused: 401 for tokens, 403 for origins and
//! scope, 429 for rate limits, everything else as the API's [`ApiError`].

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// A refused feedback request; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum FeedbackError {
    /// 401: missing, malformed, forged or expired token.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: origin not allowed, or a token for another target.
    #[error("{0}")]
    Forbidden(String),
    /// 429: rate limited; retry after this long.
    #[error("Too many feedback requests; retry in {} s", .0.as_secs().max(1))]
    TooMany(Duration),
    /// Anything else (validation, body size, the store).
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<app::store::Error> for FeedbackError {
    fn from(error: app::store::Error) -> Self {
        FeedbackError::Api(error.into())
    }
}

impl IntoResponse for FeedbackError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        match self {
            FeedbackError::Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""))],
                message,
            )
                .into_response(),
            FeedbackError::Forbidden(_) => (StatusCode::FORBIDDEN, message).into_response(),
            FeedbackError::TooMany(wait) => crate::rate_limit::too_many("feedback requests", wait),
            FeedbackError::Api(error) => error.into_response(),
        }
    }
}
