//! What can go wrong in the store, in terms the callers can answer with.

use crate::ids::GlobalId;

/// Result of a store operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A store failure. The variants other than `Database` and `Closed` are the
/// caller's fault and carry a message meant for them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// It exists already.
    #[error("{0}")]
    Conflict(String),
    /// It may not be done.
    #[error("{0}")]
    Forbidden(String),
    /// The request makes no sense (bad cursor, bad range, …).
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed at start.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The transaction holding this write failed as a whole.
    #[error("the write batch failed: {0}")]
    BatchFailed(String),
    /// The writer has shut down.
    #[error("the writer has shut down")]
    Closed,
}

/// What a client is told about an internal error; the details go to the log.
pub const INTERNAL_MESSAGE: &str = "Internal error (the server log has the details)";

/// Reads the global id of a `T` that a request names (in its path or form):
/// 404 naming it when it is not one, as when no `T` has that id.
pub fn parse_id<T: GlobalId>(id: &str) -> Result<T, Error> {
    T::parse(id).ok_or_else(|| Error::not_found::<T>(id))
}

impl Error {
    /// No `T` has global id `id`.
    pub fn not_found<T: GlobalId>(id: impl std::fmt::Display) -> Error {
        Error::NotFound(format!("{} with ID {id} not found", T::NOUN))
    }

    /// The HTTP status this error is answered with, by the REST API and the
    /// UI's server functions alike (the one mapping): the caller's mistakes
    /// are their 4xx, everything else is the server's fault, a 500.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Database(_) | Error::Migrate(_) | Error::BatchFailed(_) | Error::Closed => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Whether the server, not the caller, is at fault: such errors are
    /// logged and their text (SQL, file names) is never shown.
    pub fn is_internal(&self) -> bool {
        self.status().is_server_error()
    }

    /// What the caller is shown: its mistake in words, or [`INTERNAL_MESSAGE`]
    /// (after logging the cause at `error`, inside the request's span).
    pub fn client_message(&self) -> String {
        if self.is_internal() {
            tracing::error!(error = %self, "request failed");
            INTERNAL_MESSAGE.to_owned()
        } else {
            self.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_500s_and_never_shown() {
        let error = Error::Database(sqlx::Error::Protocol("SELECT secret FROM t".into()));
        assert_eq!(error.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(error.client_message(), INTERNAL_MESSAGE);
        let error = Error::BatchFailed("disk I/O error".into());
        assert_eq!(error.client_message(), INTERNAL_MESSAGE);
        let error = Error::NotFound("Span 1 not found".into());
        assert_eq!(error.status(), http::StatusCode::NOT_FOUND);
        assert_eq!(error.client_message(), "Span 1 not found");
        assert_eq!(Error::Invalid("bad".into()).status(), http::StatusCode::UNPROCESSABLE_ENTITY);
    }
}
