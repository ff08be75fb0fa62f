//! The projects page's annotation figures: per-name summaries and the daily
//! 👍 share of `user feedback`.

use std::collections::HashMap;

use sqlx::FromRow;

use super::{Result, Store};
use crate::model::{AnnotationSummary, DailyThumbs, NOTE_NAME, ProjectFeedback};

/// Nanoseconds per day.
const DAY_NS: i64 = 86_400_000_000_000;

/// Days the 👍 chart covers at most.
const CHART_DAYS: i64 = 30;

#[derive(FromRow)]
struct NameRow {
    project: String,
    name: String,
    count: i64,
    mean_score: Option<f64>,
}

#[derive(FromRow)]
struct LabelRow {
    project: String,
    name: String,
    label: String,
    count: i64,
}

#[derive(FromRow)]
struct DayRow {
    project: String,
    day: i64,
    up: i64,
    total: i64,
}

impl Store {
    /// Every project's span annotation figures, keyed by project name
    /// (projects without annotations are absent).
    pub async fn project_feedback(&self) -> Result<HashMap<String, ProjectFeedback>> {
        let names: Vec<NameRow> = sqlx::query_as(
            "SELECT p.name AS project, a.name, count(*) AS count, avg(a.score) AS mean_score
             FROM span_annotations a JOIN projects p ON p.id = a.project_id
             WHERE a.name != $1 GROUP BY p.name, a.name ORDER BY p.name, a.name",
        )
        .bind(NOTE_NAME)
        .fetch_all(&self.pool)
        .await?;
        let labels: Vec<LabelRow> = sqlx::query_as(
            "SELECT p.name AS project, a.name, a.label, count(*) AS count
             FROM span_annotations a JOIN projects p ON p.id = a.project_id
             WHERE a.name != $1 AND a.label IS NOT NULL GROUP BY p.name, a.name, a.label
             ORDER BY count DESC, a.label",
        )
        .bind(NOTE_NAME)
        .fetch_all(&self.pool)
        .await?;
        // Kept per day by triggers, in slots (migrations 0007, 0017): a few rows per project.
        let days: Vec<DayRow> = sqlx::query_as(
            "SELECT p.name AS project, d.day, CAST(sum(d.up) AS BIGINT) AS up, CAST(sum(d.total) AS BIGINT) AS total
             FROM feedback_tallies d JOIN projects p ON p.id = d.project_id
             GROUP BY p.name, d.day HAVING sum(d.total) > 0 ORDER BY d.day",
        )
        .fetch_all(&self.pool)
        .await?;

        let mut by_project: HashMap<String, ProjectFeedback> = HashMap::new();
        for row in names {
            let entry = by_project
                .entry(row.project.clone())
                .or_insert_with(|| ProjectFeedback { project: row.project, ..Default::default() });
            entry.annotations.push(AnnotationSummary {
                name: row.name,
                count: row.count,
                mean_score: row.mean_score,
                top_labels: Vec::new(),
            });
        }
        for row in labels {
            let Some(summary) =
                by_project.get_mut(&row.project).and_then(|p| p.annotations.iter_mut().find(|a| a.name == row.name))
            else {
                continue;
            };
            summary.offer_label(row.label, row.count);
        }
        for row in days {
            let Some(feedback) = by_project.get_mut(&row.project) else { continue };
            let day = crate::time::from_nanos(row.day * DAY_NS).format("%Y-%m-%d").to_string();
            feedback.thumbs.push(DailyThumbs { day, up: row.up, total: row.total });
        }
        for feedback in by_project.values_mut() {
            let keep = feedback.thumbs.len().saturating_sub(CHART_DAYS as usize);
            feedback.thumbs.drain(..keep);
        }
        Ok(by_project)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{FEEDBACK_NAME, THUMBS_DOWN, THUMBS_UP};

    /// The triggers that count votes per day name the feedback annotation
    /// and its labels in SQL: they must be the ones the widget writes.
    #[test]
    fn the_daily_counts_count_the_widgets_votes() {
        let migration = include_str!("../../../migrations/sqlite/0007_search_and_counts.sql");
        for name in [FEEDBACK_NAME, THUMBS_UP, THUMBS_DOWN] {
            assert!(migration.contains(&format!("'{name}'")), "{name}");
        }
        assert!(migration.contains(&super::DAY_NS.to_string()));
    }
}
