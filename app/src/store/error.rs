//! What can go wrong in the store, in terms the callers can answer with.

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
