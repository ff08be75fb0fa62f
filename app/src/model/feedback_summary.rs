//! The projects page's annotation figures: a summary per annotation name and
//! the daily 👍 share.

use serde::{Deserialize, Serialize};

/// How one annotation name is used in a project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnnotationSummary {
    /// The annotation name.
    pub name: String,
    /// How many annotations have it.
    pub count: i64,
    /// Mean of their scores, if any has one.
    pub mean_score: Option<f64>,
    /// The most used labels with their counts, most used first (at most three).
    pub top_labels: Vec<(String, i64)>,
}

/// Labels an [`AnnotationSummary`] keeps.
pub const TOP_LABELS: usize = 3;

impl AnnotationSummary {
    /// Keeps `label` among the top labels unless [`TOP_LABELS`] are kept
    /// already (labels arrive most used first).
    pub fn offer_label(&mut self, label: String, count: i64) {
        if self.top_labels.len() < TOP_LABELS {
            self.top_labels.push((label, count));
        }
    }
}

/// 👍 and 👎 of one UTC day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyThumbs {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// 👍 count.
    pub up: i64,
    /// 👍 plus 👎.
    pub total: i64,
}

/// A project's annotation figures (span annotations, notes left out).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectFeedback {
    /// The project's name.
    pub project: String,
    /// One entry per annotation name, by name.
    pub annotations: Vec<AnnotationSummary>,
    /// The last days with 👍/👎, oldest first (at most 30).
    pub thumbs: Vec<DailyThumbs>,
}
