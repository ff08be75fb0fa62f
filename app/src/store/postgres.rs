//! PostgreSQL (`postgres://…`), the engine for deployments that outgrow one
//! machine (several `plume` replicas on one database).
//!
//! Its schema is `migrations/postgres/`, one migration per SQLite one with
//! the same number, so a database at version N has the same tables on both
//! engines. They run under sqlx's advisory lock (`pg_advisory_lock`), so
//! replicas or deploy jobs that start together on an empty database apply
//! them once. The queries are the store's own, through [`super::db`].

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

use super::Result;

/// The PostgreSQL migrations this build knows (`migrations/postgres/`); those
/// a newer build applied are let be, as on SQLite (see `store::MIGRATOR`).
pub(super) static MIGRATOR: Migrator = Migrator { ignore_missing: true, ..sqlx::migrate!("../migrations/postgres") };

/// Whether `url` names a PostgreSQL database.
pub(super) fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Runs the PostgreSQL migrations on the database at `url` (which must
/// exist) and returns its schema version.
pub(super) async fn migrate(url: &str) -> Result<i64> {
    let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
    MIGRATOR.run(&pool).await?;
    let version =
        sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success").fetch_one(&pool).await?;
    pool.close().await;
    Ok(version)
}
