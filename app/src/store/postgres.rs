//! PostgreSQL (`postgres://…`), the engine for deployments that outgrow one
//! machine (several `plume` replicas on one database).
//!
//! What exists of it so far is its schema: `migrations/postgres/`, one
//! migration per SQLite one with the same number, so a database at version
//! N has the same tables on both engines. `plume migrate` runs them under
//! sqlx's advisory lock (`pg_advisory_lock`), so replicas or deploy jobs
//! that start together on an empty database apply them once. The store's
//! queries do not run on PostgreSQL yet: [`super::Store::open_with`]
//! refuses a `postgres://` URL with a message saying so.

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

use super::Result;

/// The PostgreSQL migrations this build knows (`migrations/postgres/`).
static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// Why `plume serve` does not take a PostgreSQL URL yet.
pub(super) const NOT_SERVED_YET: &str = "this version of Plume serves from SQLite only: a postgres:// database can \
     be created and migrated (`plume migrate --database-url postgres://…`), but not served yet; use --data-dir";

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
