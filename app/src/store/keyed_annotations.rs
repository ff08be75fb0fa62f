//! One annotation by its upsert key (name, target id, identifier), whether it
//! is stored on its target or still pending because the target has not
//! arrived: read it, or delete it. The feedback widget uses this for "my vote".

// Table and column names come from `tables`, never from input.
use super::db::Sql;
use sqlx::{AssertSqlSafe, FromRow};

use super::annotations::{Tables, tables};
use super::{Result, Store};
use crate::model::{AnnotationResult, TargetKind};

/// The key of one annotation.
#[derive(Clone, Copy, Debug)]
pub struct AnnotationKey<'a> {
    /// Span, trace or session.
    pub kind: TargetKind,
    /// The span, trace or session id.
    pub target_id: &'a str,
    /// The annotation name.
    pub name: &'a str,
    /// The identifier.
    pub identifier: &'a str,
}

#[derive(FromRow)]
struct ResultRow {
    label: Option<String>,
    score: Option<f64>,
    explanation: Option<String>,
}

impl Store {
    /// The result of the annotation with `key`: the stored one, else the
    /// newest pending one, else `None`.
    pub async fn annotation_result(&self, key: AnnotationKey<'_>) -> Result<Option<AnnotationResult>> {
        let Tables { annotations, targets, id_column, .. } = tables(key.kind);
        let stored: Option<ResultRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT a.label, a.score, a.explanation FROM {annotations} a JOIN {targets} t ON t.id = a.target_rowid \
             WHERE t.{id_column} = $1 AND a.name = $2 AND a.identifier = $3"
        )))
        .bind(key.target_id)
        .bind(key.name)
        .bind(key.identifier)
        .fetch_optional(&self.pool)
        .await?;
        let row = match stored {
            Some(row) => Some(row),
            None => {
                sqlx::query_as(
                    "SELECT label, score, explanation FROM pending_annotations WHERE target_kind = $1 \
                     AND target_id = $2 AND name = $3 AND identifier = $4 ORDER BY received_at DESC, id DESC LIMIT 1",
                )
                .bind(key.kind.as_str())
                .bind(key.target_id)
                .bind(key.name)
                .bind(key.identifier)
                .fetch_optional(&self.pool)
                .await?
            }
        };
        Ok(row.map(|r| AnnotationResult { label: r.label, score: r.score, explanation: r.explanation }))
    }

    /// Deletes the annotation with `key`, stored or pending, in one
    /// transaction; returns how many rows went (0 when there was none).
    pub async fn delete_annotation(&self, key: AnnotationKey<'_>) -> Result<u64> {
        let Tables { annotations, targets, id_column, .. } = tables(key.kind);
        let mut tx = self.begin_write().await?;
        let mut delete = Sql::new(format!("DELETE FROM {annotations} WHERE name = "));
        delete.push_bind(key.name).push(" AND identifier = ").push_bind(key.identifier);
        delete.push(format!(" AND target_rowid IN (SELECT id FROM {targets} WHERE {id_column} = "));
        delete.push_bind(key.target_id).push(")");
        let stored = super::outbox::delete_and_record(&mut tx, &self.outbox, key.kind, delete).await?;
        let pending = sqlx::query(
            "DELETE FROM pending_annotations WHERE target_kind = $1 AND target_id = $2 AND name = $3 AND identifier = $4",
        )
        .bind(key.kind.as_str())
        .bind(key.target_id)
        .bind(key.name)
        .bind(key.identifier)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        self.outbox.committed();
        Ok(stored + pending)
    }
}
