//! A collection's annotation summary: per annotation name on its spans, how
//! many, the mean score and the most used labels (notes left out).

use sqlx::FromRow;

use super::{Result, Store};
use crate::model::{AnnotationSummary, NOTE_NAME};

#[derive(FromRow)]
struct NameRow {
    name: String,
    count: i64,
    mean_score: Option<f64>,
}

#[derive(FromRow)]
struct LabelRow {
    name: String,
    label: String,
    count: i64,
}

impl Store {
    /// The annotations of the spans in collection `collection_rowid`, one
    /// summary per name, by name.
    pub async fn collection_annotation_summary(&self, collection_rowid: i64) -> Result<Vec<AnnotationSummary>> {
        let names: Vec<NameRow> = sqlx::query_as(
            "SELECT a.name, count(*) AS count, avg(a.score) AS mean_score
             FROM collection_items ci JOIN span_annotations a ON a.target_rowid = ci.span_rowid
             WHERE ci.collection_id = $1 AND a.name != $2 GROUP BY a.name ORDER BY a.name",
        )
        .bind(collection_rowid)
        .bind(NOTE_NAME)
        .fetch_all(&self.pool)
        .await?;
        let labels: Vec<LabelRow> = sqlx::query_as(
            "SELECT a.name, a.label, count(*) AS count
             FROM collection_items ci JOIN span_annotations a ON a.target_rowid = ci.span_rowid
             WHERE ci.collection_id = $1 AND a.name != $2 AND a.label IS NOT NULL
             GROUP BY a.name, a.label ORDER BY count DESC, a.label",
        )
        .bind(collection_rowid)
        .bind(NOTE_NAME)
        .fetch_all(&self.pool)
        .await?;
        let mut summaries: Vec<AnnotationSummary> = names
            .into_iter()
            .map(|row| AnnotationSummary {
                name: row.name,
                count: row.count,
                mean_score: row.mean_score,
                top_labels: Vec::new(),
            })
            .collect();
        for row in labels {
            if let Some(summary) = summaries.iter_mut().find(|s| s.name == row.name) {
                summary.offer_label(row.label, row.count);
            }
        }
        Ok(summaries)
    }
}
