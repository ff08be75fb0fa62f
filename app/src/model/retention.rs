//! Deleting traces and per-project retention: what `PATCH
//! /v1/projects/{p}/retention` takes, what the delete routes answer, and what
//! a collection remembers of a span that was deleted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::serde_iso;

/// Phoenix's `TraceRetentionRule` (src/phoenix/db/types/trace_retention.py),
/// the same JSON: traces older than `max_days` days (by start time), beyond
/// the newest `max_count`, or either. A zero limit keeps everything, as in Phoenix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RetentionRule {
    /// Delete traces that started more than `max_days` days ago.
    MaxDays {
        /// Days (fractions allowed); `0` keeps everything.
        max_days: f64,
    },
    /// Keep only the newest `max_count` traces.
    MaxCount {
        /// Traces kept; `0` keeps everything.
        max_count: i64,
    },
    /// Delete traces older than `max_days` days or beyond the newest `max_count`.
    MaxDaysOrCount {
        /// Days, as in `max_days`.
        max_days: f64,
        /// Traces, as in `max_count`.
        max_count: i64,
    },
}

impl RetentionRule {
    /// The limits, `None` where the rule sets none (or a zero one).
    pub fn limits(&self) -> (Option<f64>, Option<i64>) {
        let (days, count) = match *self {
            RetentionRule::MaxDays { max_days } => (Some(max_days), None),
            RetentionRule::MaxCount { max_count } => (None, Some(max_count)),
            RetentionRule::MaxDaysOrCount { max_days, max_count } => (Some(max_days), Some(max_count)),
        };
        (days.filter(|d| *d > 0.0), count.filter(|c| *c > 0))
    }

    /// What is wrong with the rule (negative or non-finite limits), if anything.
    pub fn problem(&self) -> Option<&'static str> {
        let (days, count) = match *self {
            RetentionRule::MaxDays { max_days } => (max_days, 0),
            RetentionRule::MaxCount { max_count } => (0.0, max_count),
            RetentionRule::MaxDaysOrCount { max_days, max_count } => (max_days, max_count),
        };
        if !days.is_finite() || days < 0.0 {
            return Some("max_days must be a number greater than or equal to 0");
        }
        if count < 0 {
            return Some("max_count must be greater than or equal to 0");
        }
        None
    }
}

/// A project's retention: its rule, `null` when traces are kept for ever.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProjectRetention {
    /// Global id, `Project:<rowid>`.
    pub project_id: crate::ids::ProjectId,
    /// The rule, or `null`.
    pub rule: Option<RetentionRule>,
}

/// Body of `PATCH /v1/projects/{p}/retention`: the new rule, `null` to keep traces for ever.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetentionPatch {
    /// The rule, or `null`.
    pub rule: Option<RetentionRule>,
}

/// Answer of `DELETE /v1/projects/{p}/traces`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TracesDeleted {
    /// Traces deleted (with all their spans).
    pub deleted_trace_count: u64,
}

/// A collection item whose span was deleted: what the collection held of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RemovedItem {
    /// 16 hex digits.
    pub span_id: String,
    /// 32 hex digits, when known.
    pub trace_id: Option<String>,
    /// The span's name.
    pub name: String,
    /// The note given when the span was flagged.
    pub note: Option<String>,
    /// When it was flagged.
    #[serde(with = "serde_iso")]
    pub added_at: DateTime<Utc>,
    /// When its span was deleted.
    #[serde(with = "serde_iso")]
    pub removed_at: DateTime<Utc>,
}
