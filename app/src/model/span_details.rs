//! What the trace and span pages show: a trace's span tree, and one span
//! with its resource, annotations and the project's annotation configs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Annotation, AnnotationConfig, Span, TraceSpan};

/// The annotation name of the one-click 👍/👎.
pub const FEEDBACK_NAME: &str = "user feedback";
/// The label of 👍 (score 1).
pub const THUMBS_UP: &str = "thumbs-up";
/// The label of 👎 (score 0).
pub const THUMBS_DOWN: &str = "thumbs-down";

/// The annotation name of a retrieved document's 👍/👎 on the span page.
pub const RELEVANCE_NAME: &str = "relevance";
/// The label of a document's 👍 (score 1).
pub const RELEVANT: &str = "relevant";
/// The label of a document's 👎 (score 0).
pub const IRRELEVANT: &str = "irrelevant";

/// A trace with the short form of its spans, by start time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceTree {
    /// 32 hex digits.
    pub trace_id: String,
    /// Its spans by start time.
    pub spans: Vec<TraceSpan>,
    /// The session (`session.id`) it belongs to, if any.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// One span as the span page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpanDetail {
    /// The span.
    pub span: Span,
    /// Its resource's attributes.
    pub resource: Map<String, Value>,
    /// Its annotations, notes included, newest first.
    pub annotations: Vec<Annotation>,
    /// The annotations of its retrieved documents, newest first.
    pub document_annotations: Vec<Annotation>,
    /// The annotation configs assigned to the project (the form offers them).
    pub configs: Vec<AnnotationConfig>,
}
