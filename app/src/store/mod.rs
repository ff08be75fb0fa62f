//! The store: every SQL statement Plume runs lives below this module.
//!
//! REST handlers and UI server functions both call [`Store`]; ingestion hands
//! its rows to the [`Writer`], which batches many requests into one
//! transaction (group commit) and answers each only after the commit.
//!
//! # One rule for writes
//!
//! **Every transaction that writes starts with `BEGIN IMMEDIATE`** (through
//! `Store::begin_write`, or `Dialect::begin_write` on the writer's own connection);
//! a write outside a transaction is one single statement. Why: a plain
//! (deferred) transaction that reads first holds a read snapshot; when another
//! connection (the writer, during ingestion) commits before it writes, SQLite
//! cannot upgrade it and answers `SQLITE_BUSY` at once: `busy_timeout` does
//! not apply, and the caller got a 500 "database is locked". `BEGIN IMMEDIATE`
//! takes the write lock first, waiting up to `busy_timeout` for it, and a
//! single statement takes its locks when it starts, so either way the request
//! waits its turn instead of failing.
//!
//! SQLite's own wait is a polling busy handler, and the writer, committing
//! batch after batch during heavy ingestion, can win the lock every time and
//! starve such a transaction past `busy_timeout`. So `Store::begin_write`
//! first takes the writer's turn ([`Writer::turn`], a fair queue the writer
//! also takes for each batch): a write outside the writer waits for at most
//! the batch in progress.

mod agreement;
mod annotation_configs;
mod annotation_writes;
mod annotations;
mod bulk_annotations;
mod collection_items;
mod collection_summary;
mod collections;
mod credentials;
mod dataset_uploads;
mod db;
mod deletes;
mod error;
mod feedback_summary;
mod keyed_annotations;
mod limits;
mod outbox;
#[cfg(test)]
mod plan_tests;
mod postgres;
mod projects;
mod public_links;
mod queues;
mod search;
mod secrets;
mod sessions;
mod span_details;
mod span_documents;
mod span_query;
mod spans;
mod trace_list;
mod traces;
mod users;
mod webhook_keys;
mod webhooks;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Executor, Transaction};

use db::{Db, DbConnection, Dialect, Sql};

pub use annotations::{AnnotationDeletion, AnnotationFilter, NewAnnotation, WriteMode};
pub use collection_items::Selection;
pub use credentials::{API_KEY_PREFIX, NewApiKey, SessionLifetime};
pub use error::{Error, INTERNAL_MESSAGE, Result, parse_id};
pub use keyed_annotations::AnnotationKey;
pub use projects::NewProject;
pub use public_links::NewLink;
pub use queues::{ItemTarget, QueueSelection};
pub use secrets::{new_token, token_hash};
pub use sessions::SessionKey;
pub use span_query::{MAX_SPAN_QUERY_ROWS, SpanQueryFilter};
pub use spans::{AttributeValue, SpanFilter};
pub use users::{UserRecord, normalize_email};
pub use webhook_keys::{SECRET_PREFIX, WebhookKey, sign};
pub use webhooks::{ClaimedDelivery, DeliveryPage};
pub use writer::{NewSpan, Writer, WriterTask};

/// The schema migrations this build knows (`migrations/sqlite/`), run at start.
/// Migrations a newer build applied are let be (`ignore_missing`): they only
/// add, so an older build still serves, as replicas do during a rolling upgrade.
static MIGRATOR: sqlx::migrate::Migrator =
    sqlx::migrate::Migrator { ignore_missing: true, ..sqlx::migrate!("../migrations/sqlite") };

/// The writer's SQLite page cache (KiB): larger than a reader's, as it
/// touches the indexes of every insert.
const WRITER_CACHE_KIB: u32 = 16_000;

/// Settings of [`Store::open_with`].
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// How long a `sync=false` annotation for a target not stored yet is kept
    /// waiting for it (default 7 days).
    pub pending_annotation_ttl: Duration,
    /// The key webhook secrets are encrypted with (default: a random one,
    /// good for this process only).
    pub webhook_key: WebhookKey,
    /// The base URL of the links in webhook payloads (`--public-url`).
    pub public_url: String,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            pending_annotation_ttl: Duration::from_secs(7 * 24 * 3600),
            webhook_key: WebhookKey::random(),
            public_url: "http://127.0.0.1:6006".into(),
        }
    }
}

/// Handle to the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// Which engine `pool` reaches.
    dialect: Dialect,
    writer: Writer,
    /// How far the search index has come (advanced by the writer).
    search: search::SearchProgress,
    /// Webhook events recorded with annotation changes, and the deliverer's wake-up.
    outbox: Arc<outbox::Outbox>,
    /// Encrypts webhook secrets.
    webhook_key: WebhookKey,
}

impl Store {
    /// Opens (creating if needed) the database at `url`, runs the migrations and
    /// starts the batching writer. Await the returned task after the last
    /// [`Store`] clone is dropped to be sure every acknowledged write is committed.
    pub async fn open(url: &str) -> Result<(Store, WriterTask)> {
        Store::open_with(url, StoreOptions::default()).await
    }

    /// [`Store::open`] with settings. `url` is `sqlite://…` or `postgres://…`.
    pub async fn open_with(url: &str, settings: StoreOptions) -> Result<(Store, WriterTask)> {
        sqlx::any::install_default_drivers();
        let dialect = if postgres::is_postgres(url) { Dialect::Postgres } else { Dialect::Sqlite };
        // Creates the SQLite file, or migrates PostgreSQL under its advisory
        // lock so that replicas starting together apply each migration once.
        Store::migrate(url).await?;
        let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        // Page caches are per connection: modest for the readers, larger for
        // the one writer, which touches the indexes of every insert.
        let pool = AnyPoolOptions::new()
            .max_connections(dialect.pick(4, 10))
            .min_connections(1)
            .after_connect(move |conn, _| Box::pin(async move { prepare(conn, dialect, 4_000).await }))
            .connect_with(options.clone())
            .await?;
        let search = search::SearchProgress::default();
        search.load(&mut *pool.acquire().await?).await?;
        let outbox = Arc::new(outbox::Outbox::new(&settings.public_url));
        let config = writer::WriterConfig {
            pending_ttl: settings.pending_annotation_ttl,
            search: search.clone(),
            outbox: outbox.clone(),
            reconnect: (options.clone(), WRITER_CACHE_KIB),
        };
        let mut writer_conns = Vec::new();
        for _ in 0..dialect.pick(1, writer::POSTGRES_WRITERS) {
            let mut conn = sqlx::AnyConnection::connect_with(&options).await?;
            prepare(&mut conn, dialect, WRITER_CACHE_KIB).await?;
            writer_conns.push(conn);
        }
        let (writer, task) = writer::start(writer_conns, config);
        Ok((Store { pool, dialect, writer, search, outbox, webhook_key: settings.webhook_key }, task))
    }

    /// Runs the migrations this build knows on the database at `url`
    /// (creating it if needed) and returns its schema version: `plume
    /// migrate`, for deploy pipelines that migrate before starting servers.
    /// A `postgres://` URL gets the PostgreSQL migrations (the database must exist).
    pub async fn migrate(url: &str) -> Result<i64> {
        if postgres::is_postgres(url) {
            return postgres::migrate(url).await;
        }
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(connect_options(url)?).await?;
        MIGRATOR.run(&pool).await?;
        let version =
            sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success").fetch_one(&pool).await?;
        pool.close().await;
        Ok(version)
    }

    /// The `sqlite://` URL of the database file inside `data_dir`, creating
    /// the directory (mode 0700) if missing, and making the database files
    /// 0600: spans hold prompts and answers, which other local users must not
    /// read. (SQLite gives new `-wal` and `-shm` files the database's mode.)
    pub fn sqlite_url_in(data_dir: &Path) -> std::io::Result<String> {
        let file = data_dir.join("plume.db");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let private = |path: &Path, mode| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
            if !data_dir.exists() {
                std::fs::create_dir_all(data_dir)?;
                private(data_dir, 0o700)?;
            }
            std::fs::OpenOptions::new().write(true).create(true).truncate(false).open(&file)?;
            for suffix in ["", "-wal", "-shm"] {
                let path = data_dir.join(format!("plume.db{suffix}"));
                if path.exists() {
                    private(&path, 0o600)?;
                }
            }
        }
        #[cfg(not(unix))]
        std::fs::create_dir_all(data_dir)?;
        Ok(format!("sqlite://{}", file.display()))
    }

    /// The batching writer.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// The readers' pool: connections open, and of those idle (for `/metrics`).
    pub fn connections(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// A transaction that will write, holding the write lock from its start
    /// (see the module's rule for writes), and the writer's turn first.
    async fn begin_write(&self) -> Result<WriteTx> {
        let turn = self.writer.turn().await;
        Ok(WriteTx { tx: self.pool.begin_with(self.dialect.begin_write()).await?, _turn: turn })
    }

    /// Where the database's schema stands against this build's migrations
    /// (what `/readyz` reports); an error if the database does not answer.
    pub async fn schema(&self) -> Result<Schema> {
        let applied: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(&self.pool).await?;
        let known = self.dialect.pick(&MIGRATOR, &postgres::MIGRATOR);
        if known.iter().any(|migration| !applied.contains(&migration.version)) {
            return Ok(Schema::Behind);
        }
        let build = known.iter().map(|migration| migration.version).max().unwrap_or(0);
        Ok(match applied.into_iter().max().unwrap_or(0) {
            database if database > build => Schema::Ahead { database, build },
            _ => Schema::Current,
        })
    }

    /// A cheap query proving the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Where a database's schema stands against this build's migrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// Every migration this build knows, and no other.
    Current,
    /// Some of this build's migrations are not applied (another process may
    /// still be applying them).
    Behind,
    /// A newer build migrated it further: this one still serves (migrations
    /// only add), until it is replaced.
    Ahead {
        /// The database's schema version.
        database: i64,
        /// This build's.
        build: i64,
    },
}

/// Sets up a new connection: on SQLite, the settings every connection
/// needs (sqlx's `Any` driver takes only the URL) and a page cache of
/// `cache_kib`.
async fn prepare(conn: &mut DbConnection, dialect: Dialect, cache_kib: u32) -> sqlx::Result<()> {
    if dialect == Dialect::Sqlite {
        // FULL: a commit is on disk before any request is acknowledged.
        let pragmas = format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000; \
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -{cache_kib}"
        );
        conn.execute(sqlx::AssertSqlSafe(pragmas)).await?;
    }
    Ok(())
}

/// How `plume migrate`'s connection to the SQLite database at `url` is made.
fn connect_options(url: &str) -> Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit is on disk before any request is acknowledged.
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10))
        .foreign_keys(true)
        .disable_statement_logging())
}

/// A writing transaction outside the writer: SQLite's write lock and the
/// turn to write, taken in that order from [`Writer::turn`] and held until
/// it commits or is dropped. Derefs to the connection, like a transaction.
struct WriteTx {
    tx: Transaction<'static, Db>,
    _turn: writer::Turn,
}

impl WriteTx {
    /// Commits, then gives the turn back.
    async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl std::ops::Deref for WriteTx {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.tx
    }
}

/// One page of a listing, and where the next page begins (`None` on the
/// last). For most listings that is the rowid of the next page's first row
/// (Phoenix's cursors are inclusive), which the edges turn into their
/// cursors: REST into a global id, pages into a link. A keyset listing
/// ordered by something else (the trace list) has a cursor of its own.
#[derive(Debug)]
pub struct Page<T, C = i64> {
    /// The page's rows, in the listing's order.
    pub rows: Vec<T>,
    /// Where the next page begins.
    pub next: Option<C>,
}

impl<T, C> Page<T, C> {
    /// The same page with each row turned into what a caller shows.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U, C> {
        Page { rows: self.rows.into_iter().map(f).collect(), next: self.next }
    }
}

/// Splits the `limit + 1` rows of a query into one page and the rowid of the
/// first row of the next page.
fn page<T>(mut rows: Vec<T>, limit: u32, rowid: impl Fn(&T) -> i64) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        let next = rowid(&rows[limit]);
        rows.truncate(limit);
        Page { rows, next: Some(next) }
    } else {
        Page { rows, next: None }
    }
}

/// ` AND column IN (…)` (or `NOT IN`) unless `values` is empty, which means
/// "no condition".
fn push_in(query: &mut Sql, column: &str, op: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    query.push(format!(" AND {column} {op} "));
    push_values(query, values.iter().cloned());
}

/// `(?, ?, …)`: one bound parameter per value, the list of an `IN`.
fn push_values<'t, T>(query: &mut Sql, values: impl IntoIterator<Item = T>)
where
    T: sqlx::Encode<'t, Db> + sqlx::Type<Db>,
{
    query.push("(");
    let mut list = query.separated(", ");
    for value in values {
        list.push_bind(value);
    }
    query.push(")");
}
