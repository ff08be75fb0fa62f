//! The writer's side of annotations: upserts, the all-or-nothing check of
//! `sync=true`, pending annotations for targets not stored yet, and their
//! attachment in the transaction that stores the target.

use std::collections::HashMap;

use sqlx::{FromRow, QueryBuilder, Sqlite, SqliteConnection};

use super::annotations::{NewAnnotation, Tables, WriteMode, tables};
use super::{Error, Result};
use crate::model::{AnnotationResult, AnnotationSource, AnnotatorKind, TargetKind};

/// Bound parameters per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

/// Writes `items` (in order, so the last of equal keys wins). Returns the
/// rowid of each item for [`WriteMode::Sync`], nothing for [`WriteMode::Deferred`].
pub(super) async fn write(
    conn: &mut SqliteConnection,
    kind: TargetKind,
    items: &[NewAnnotation],
    mode: WriteMode,
    now: i64,
) -> Result<Vec<i64>> {
    let mut wanted: Vec<&str> = Vec::new();
    for item in items {
        if !wanted.contains(&item.target_id.as_str()) {
            wanted.push(&item.target_id);
        }
    }
    let rowids = target_rowids(conn, kind, &wanted).await?;
    if mode == WriteMode::Sync {
        let missing: Vec<&str> = wanted.iter().copied().filter(|id| !rowids.contains_key(*id)).collect();
        if !missing.is_empty() {
            return Err(Error::NotFound(format!("{} with IDs {} do not exist.", kind.plural(), missing.join(", "))));
        }
    }
    let mut ids = Vec::new();
    for item in items {
        match rowids.get(item.target_id.as_str()) {
            Some(&rowid) => {
                let id = upsert(conn, kind, rowid, item, now, now).await?;
                if mode == WriteMode::Sync {
                    ids.push(id);
                }
            }
            None => insert_pending(conn, kind, item, now).await?,
        }
    }
    Ok(ids)
}

/// Moves the pending annotations of the given targets (just stored) into
/// their table, oldest first so that the last received wins; expired ones
/// (received before `cutoff`) are dropped.
pub(super) async fn attach_pending(
    conn: &mut SqliteConnection,
    kind: TargetKind,
    target_ids: &[&str],
    cutoff: i64,
) -> Result<()> {
    let mut pending: Vec<PendingRow> = Vec::new();
    for chunk in target_ids.chunks(IDS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new("DELETE FROM pending_annotations WHERE target_kind = ");
        query.push_bind(kind.as_str()).push(" AND target_id IN (");
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(
            ") RETURNING id, target_id, name, label, score, explanation, metadata, annotator_kind, identifier, \
             source, user_id, received_at",
        );
        pending.extend(query.build_query_as::<PendingRow>().fetch_all(&mut *conn).await?);
    }
    pending.retain(|row| row.received_at >= cutoff);
    if pending.is_empty() {
        return Ok(());
    }
    pending.sort_by_key(|row| (row.received_at, row.id));
    let mut wanted: Vec<&str> = pending.iter().map(|row| row.target_id.as_str()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let rowids = target_rowids(conn, kind, &wanted).await?;
    for row in &pending {
        let Some(&rowid) = rowids.get(row.target_id.as_str()) else { continue };
        let item = row.to_new_annotation();
        upsert(conn, kind, rowid, &item, row.received_at, row.received_at).await?;
    }
    Ok(())
}

/// Whether any annotation is pending (lets span inserts skip the lookups).
pub(super) async fn any_pending(conn: &mut SqliteConnection) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pending_annotations)").fetch_one(&mut *conn).await?)
}

/// Drops pending annotations received before `cutoff`; returns how many.
pub(super) async fn purge_expired(conn: &mut SqliteConnection, cutoff: i64) -> Result<u64> {
    let done = sqlx::query("DELETE FROM pending_annotations WHERE received_at < ?").bind(cutoff).execute(conn).await?;
    Ok(done.rows_affected())
}

/// Rowids of the stored targets among `ids`.
async fn target_rowids(conn: &mut SqliteConnection, kind: TargetKind, ids: &[&str]) -> Result<HashMap<String, i64>> {
    let Tables { targets, id_column, .. } = tables(kind);
    let mut found = HashMap::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut query =
            QueryBuilder::<Sqlite>::new(format!("SELECT {id_column}, id FROM {targets} WHERE {id_column} IN ("));
        let mut list = query.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        query.push(")");
        found.extend(query.build_query_as::<(String, i64)>().fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// Inserts or replaces the annotation with key (name, target, identifier),
/// keeping the row's id and `created_at`; returns the id.
async fn upsert(
    conn: &mut SqliteConnection,
    kind: TargetKind,
    target_rowid: i64,
    item: &NewAnnotation,
    created_at: i64,
    updated_at: i64,
) -> Result<i64> {
    let table = tables(kind).annotations;
    let id = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "INSERT INTO {table} (target_rowid, name, label, score, explanation, metadata, annotator_kind, \
         identifier, source, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (name, target_rowid, identifier) DO UPDATE SET label = excluded.label, \
         score = excluded.score, explanation = excluded.explanation, metadata = excluded.metadata, \
         annotator_kind = excluded.annotator_kind, source = excluded.source, user_id = excluded.user_id, \
         updated_at = excluded.updated_at RETURNING id"
    )))
    .bind(target_rowid)
    .bind(&item.name)
    .bind(&item.result.label)
    .bind(item.result.score)
    .bind(&item.result.explanation)
    .bind(&item.metadata)
    .bind(item.annotator_kind.as_str())
    .bind(&item.identifier)
    .bind(item.source.as_str())
    .bind(item.user_id)
    .bind(created_at)
    .bind(updated_at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

async fn insert_pending(conn: &mut SqliteConnection, kind: TargetKind, item: &NewAnnotation, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO pending_annotations (target_kind, target_id, name, label, score, explanation, metadata, \
         annotator_kind, identifier, source, user_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(kind.as_str())
    .bind(&item.target_id)
    .bind(&item.name)
    .bind(&item.result.label)
    .bind(item.result.score)
    .bind(&item.result.explanation)
    .bind(&item.metadata)
    .bind(item.annotator_kind.as_str())
    .bind(&item.identifier)
    .bind(item.source.as_str())
    .bind(item.user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct PendingRow {
    id: i64,
    target_id: String,
    name: String,
    label: Option<String>,
    score: Option<f64>,
    explanation: Option<String>,
    metadata: String,
    annotator_kind: String,
    identifier: String,
    source: String,
    user_id: Option<i64>,
    received_at: i64,
}

impl PendingRow {
    fn to_new_annotation(&self) -> NewAnnotation {
        NewAnnotation {
            target_id: self.target_id.clone(),
            name: self.name.clone(),
            annotator_kind: AnnotatorKind::parse(&self.annotator_kind).unwrap_or(AnnotatorKind::Human),
            result: AnnotationResult {
                label: self.label.clone(),
                score: self.score,
                explanation: self.explanation.clone(),
            },
            metadata: self.metadata.clone(),
            identifier: self.identifier.clone(),
            source: AnnotationSource::parse(&self.source),
            user_id: self.user_id,
        }
    }
}
