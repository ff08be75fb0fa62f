//! Deleting traces: one by id, a project's by time range, and the retention
//! sweep; and the rules and tombstones that go with it.
//!
//! # Why short `begin_write` transactions, not writer work items
//!
//! Deletes run in transactions of at most [`BATCH`] traces each, taken with
//! [`Store::begin_write`]: the writer's turn (a fair queue the writer also
//! takes per batch), then `BEGIN IMMEDIATE`. Between two delete batches the
//! turn goes back to the queue, so ingestion waits for at most one delete
//! batch (a few milliseconds), never for a whole time-range delete or sweep.
//! Going through the writer as a work item would buy nothing more (the turn
//! already orders us with it) and would hold its queue, which bounds
//! ingestion's memory, behind large deletes; and a delete needs its own
//! answer (the count, a 404) that a group-committed batch does not give.
//!
//! Each batch deletes the batch's spans first, then its traces; the schema
//! does the rest: annotations, collection items, queue items and public links
//! go by `ON DELETE CASCADE`, the search index and the project counters and
//! daily feedback figures by triggers (migration 0007), and collections keep
//! a tombstone of each item they lose (trigger of migration 0014). When a
//! webhook exists, the batch's annotations are deleted first through the
//! outbox so their `annotation.deleted` events are recorded in the same
//! transaction.

use super::db::{DbConnection, Dialect, Sql};
use super::{Error, Page, Result, Store, outbox, page, push_values};
use crate::ids::{GlobalId, ProjectId, TraceRowid};
use crate::model::{ProjectRetention, RemovedItem, RetentionRule, TargetKind};
use crate::time::{from_nanos, to_nanos};

/// Traces deleted per transaction.
pub const BATCH: i64 = 500;
/// Nanoseconds in a day.
const DAY_NANOS: f64 = 86_400.0 * 1e9;

impl Store {
    /// Deletes a trace by `Trace:` global id or OpenTelemetry trace id, with
    /// all its spans and what hangs on them; 404 when there is none (Phoenix's messages).
    pub async fn delete_trace(&self, identifier: &str) -> Result<()> {
        let (select, missing) = match TraceRowid::parse(identifier) {
            Some(id) => (
                sqlx::query_scalar("SELECT id FROM traces WHERE id = $1").bind(id.0),
                format!("Trace with relay ID '{identifier}' not found"),
            ),
            None => (
                sqlx::query_scalar("SELECT id FROM traces WHERE trace_id = $1").bind(identifier.to_owned()),
                format!("Trace with trace_id '{identifier}' not found"),
            ),
        };
        let mut tx = self.begin_write().await?;
        let rowid: i64 = select.fetch_optional(&mut *tx).await?.ok_or(Error::NotFound(missing))?;
        delete_traces(&mut tx, &self.outbox, &[rowid]).await?;
        tx.commit().await?;
        self.outbox.committed();
        Ok(())
    }

    /// Deletes the traces of `project` that started in `[start, end)` (either
    /// bound optional), [`BATCH`] per transaction; returns how many.
    pub async fn delete_traces_between(&self, project: &str, start: Option<i64>, end: Option<i64>) -> Result<u64> {
        let project_rowid = self.project_rowid(project).await?;
        self.delete_in_batches(|| {
            let mut select = Sql::new("SELECT id FROM traces WHERE project_id = ");
            select.push_bind(project_rowid);
            if let Some(start) = start {
                select.push(" AND start_time >= ").push_bind(start);
            }
            if let Some(end) = end {
                select.push(" AND start_time < ").push_bind(end);
            }
            select.push(" LIMIT ").push_bind(BATCH);
            select
        })
        .await
    }

    /// Runs the query `select` makes (trace rowids, at most [`BATCH`]) and
    /// deletes what it finds, one transaction per batch, until it finds fewer
    /// than a batch. (A fresh query each time: a built `QueryBuilder` is spent.)
    async fn delete_in_batches(&self, select: impl Fn() -> Sql) -> Result<u64> {
        let mut deleted = 0;
        loop {
            let mut tx = self.begin_write().await?;
            let ids: Vec<i64> = select().build_query_scalar(self.dialect).fetch_all(&mut *tx).await?;
            delete_traces(&mut tx, &self.outbox, &ids).await?;
            tx.commit().await?;
            self.outbox.committed();
            deleted += ids.len() as u64;
            if (ids.len() as i64) < BATCH {
                return Ok(deleted);
            }
        }
    }

    /// A project's retention rule.
    pub async fn retention(&self, project: &str) -> Result<ProjectRetention> {
        self.retention_of(self.project_rowid(project).await?).await
    }

    /// The retention rule of the project of rowid `rowid`.
    async fn retention_of(&self, rowid: i64) -> Result<ProjectRetention> {
        let rule: Option<String> = sqlx::query_scalar("SELECT rule FROM project_retention WHERE project_id = $1")
            .bind(rowid)
            .fetch_optional(&self.pool)
            .await?;
        Ok(ProjectRetention {
            project_id: ProjectId(rowid),
            rule: rule.and_then(|rule| serde_json::from_str(&rule).ok()),
        })
    }

    /// Sets (or, with `None`, removes) a project's retention rule; the
    /// next sweep applies it.
    pub async fn set_retention(&self, project: &str, rule: Option<&RetentionRule>) -> Result<ProjectRetention> {
        if let Some(problem) = rule.and_then(RetentionRule::problem) {
            return Err(Error::Invalid(problem.into()));
        }
        let rowid = self.project_rowid(project).await?;
        let mut tx = self.begin_write().await?;
        match rule {
            Some(rule) => {
                sqlx::query(
                    "INSERT INTO project_retention (project_id, rule, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (project_id) DO UPDATE SET rule = excluded.rule, updated_at = excluded.updated_at",
                )
                .bind(rowid)
                .bind(serde_json::to_string(rule).unwrap_or_default())
                .bind(to_nanos(chrono::Utc::now()))
                .execute(&mut *tx)
                .await?
            }
            None => {
                sqlx::query("DELETE FROM project_retention WHERE project_id = $1").bind(rowid).execute(&mut *tx).await?
            }
        };
        tx.commit().await?;
        self.retention_of(rowid).await
    }

    /// Applies every project's retention rule once: deletes the traces it
    /// does not keep, [`BATCH`] per transaction. Returns how many.
    pub async fn sweep_retention(&self) -> Result<u64> {
        let rules: Vec<(i64, String)> =
            sqlx::query_as("SELECT project_id, rule FROM project_retention ORDER BY project_id")
                .fetch_all(&self.pool)
                .await?;
        let mut deleted = 0;
        for (project_rowid, rule) in rules {
            let Ok(rule) = serde_json::from_str::<RetentionRule>(&rule) else { continue };
            let (days, count) = rule.limits();
            if let Some(days) = days {
                let cutoff = to_nanos(chrono::Utc::now()) - (days * DAY_NANOS) as i64;
                deleted += self
                    .delete_in_batches(|| {
                        let mut select = Sql::new("SELECT id FROM traces WHERE project_id = ");
                        select.push_bind(project_rowid).push(" AND start_time < ").push_bind(cutoff);
                        select.push(" LIMIT ").push_bind(BATCH);
                        select
                    })
                    .await?;
            }
            if let Some(count) = count {
                // The traces past the newest `count`, oldest first, through
                // the (project_id, start_time) index.
                deleted += self
                    .delete_in_batches(|| {
                        let mut select =
                            Sql::new("SELECT id FROM (SELECT id, start_time FROM traces WHERE project_id = ");
                        select.push_bind(project_rowid);
                        // "No limit" is `LIMIT -1` on SQLite, `LIMIT ALL` on PostgreSQL.
                        let all = self.dialect.pick("-1", "ALL");
                        select.push(format!(" ORDER BY start_time DESC LIMIT {all} OFFSET ")).push_bind(count);
                        select.push(") oldest ORDER BY start_time LIMIT ").push_bind(BATCH);
                        select
                    })
                    .await?;
            }
        }
        Ok(deleted)
    }

    /// What a collection (by rowid) lost to deleted spans, in the order
    /// lost, from tombstone rowid `cursor` (inclusive): keyset paging, like
    /// [`Store::collection_items`], so an export streams them page by page.
    pub async fn removed_items(
        &self,
        collection_rowid: i64,
        cursor: Option<i64>,
        limit: u32,
    ) -> Result<Page<RemovedItem>> {
        let rows: Vec<TombstoneRow> = sqlx::query_as(
            "SELECT id, span_id, trace_id, span_name, note, added_at, removed_at FROM collection_tombstones
             WHERE collection_id = $1 AND id >= $2 ORDER BY id LIMIT $3",
        )
        .bind(collection_rowid)
        .bind(cursor.unwrap_or(i64::MIN))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let Page { rows, next } = page(rows, limit, |row| row.id);
        let items = rows
            .into_iter()
            .map(|row| RemovedItem {
                span_id: row.span_id,
                trace_id: row.trace_id,
                name: row.span_name,
                note: row.note,
                added_at: from_nanos(row.added_at),
                removed_at: from_nanos(row.removed_at),
            })
            .collect();
        Ok(Page { rows: items, next })
    }
}

#[derive(sqlx::FromRow)]
struct TombstoneRow {
    id: i64,
    span_id: String,
    trace_id: Option<String>,
    span_name: String,
    note: Option<String>,
    added_at: i64,
    removed_at: i64,
}

/// Deletes traces `ids` (rowids) inside the caller's writing transaction:
/// their annotations through the outbox when a webhook listens, then their
/// spans, then the traces (see the module's doc for what follows by cascade).
pub(super) async fn delete_traces(conn: &mut DbConnection, outbox: &outbox::Outbox, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    if outbox::active(conn).await? {
        let mut spans =
            Sql::new("DELETE FROM span_annotations WHERE target_rowid IN (SELECT id FROM spans WHERE trace_rowid IN ");
        push_values(&mut spans, ids.iter().copied());
        spans.push(")");
        outbox::delete_and_record(conn, outbox, TargetKind::Span, spans).await?;
        let mut traces = Sql::new("DELETE FROM trace_annotations WHERE target_rowid IN ");
        push_values(&mut traces, ids.iter().copied());
        outbox::delete_and_record(conn, outbox, TargetKind::Trace, traces).await?;
    }
    for table in ["spans WHERE trace_rowid", "traces WHERE id"] {
        let mut delete = Sql::new(format!("DELETE FROM {table} IN "));
        push_values(&mut delete, ids.iter().copied());
        delete.build(Dialect::of(conn)).execute(&mut *conn).await?;
    }
    Ok(())
}
