//! The store: every SQL statement Plume runs lives below this module.
//!
//! REST handlers and UI server functions both call [`Store`]; ingestion hands
//! its rows to the [`Writer`], which batches many requests into one
//! transaction (group commit) and answers each only after the commit.

mod error;
mod projects;
mod spans;
mod traces;
mod writer;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use error::{Error, Result};
pub use projects::NewProject;
pub use spans::{AttributeValue, SpanFilter, SpanPage};
pub use traces::{TraceFilter, TraceOrder, TracePage};
pub use writer::{NewSpan, Writer, WriterTask};

/// Handle to the database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    writer: Writer,
}

impl Store {
    /// Opens (creating if needed) the database at `url`, runs the migrations and
    /// starts the batching writer. Await the returned task after the last
    /// [`Store`] clone is dropped to be sure every acknowledged write is committed.
    pub async fn open(url: &str) -> Result<(Store, WriterTask)> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit is on disk before any request is acknowledged.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("cache_size", "-16000")
            .disable_statement_logging();
        let pool = SqlitePoolOptions::new().max_connections(4).min_connections(1).connect_with(options.clone()).await?;
        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        let (writer, task) = writer::start(options.connect().await?);
        Ok((Store { pool, writer }, task))
    }

    /// The `sqlite://` URL of the database file inside `data_dir`, creating the directory.
    pub fn sqlite_url_in(data_dir: &Path) -> std::io::Result<String> {
        std::fs::create_dir_all(data_dir)?;
        Ok(format!("sqlite://{}", data_dir.join("plume.db").display()))
    }

    /// The batching writer.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// A cheap query proving the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Splits the `limit + 1` rows of a query into one page and the rowid of the
/// first row of the next page (Phoenix's cursors are inclusive).
fn page<T>(mut rows: Vec<T>, limit: u32, rowid: impl Fn(&T) -> i64) -> (Vec<T>, Option<i64>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        let next = rowid(&rows[limit]);
        rows.truncate(limit);
        (rows, Some(next))
    } else {
        (rows, None)
    }
}
