//! The types shared by the REST API and the UI: one definition of each.
//!
//! Field names and order follow Phoenix's JSON (see `docs/phoenix-compat.md`),
//! so the REST handlers serialise these directly.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::serde_iso;

pub mod accounts;
mod agreement;
mod annotation_configs;
#[cfg(feature = "ssr")]
mod annotation_schemas;
mod annotations;
mod collection_view;
mod collections;
mod datasets;
mod feedback_summary;
mod feedback_widget;
mod public_links;
mod queues;
pub mod redaction;
pub mod reliability;
mod retention;
mod sessions;
pub mod span_condition;
mod span_details;
pub mod span_frame;
pub mod span_limits;
mod trace_list;
mod webhooks;

pub use agreement::*;
pub use annotation_configs::*;
pub use annotations::*;
pub use collection_view::*;
pub use collections::*;
pub use datasets::*;
pub use feedback_summary::*;
pub use feedback_widget::*;
pub use public_links::*;
pub use queues::*;
pub use retention::*;
pub use sessions::*;
pub use span_details::*;
pub use trace_list::*;
pub use webhooks::*;

/// A project as `/v1/projects` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Project {
    /// Unique name; spans name their project by it.
    pub name: String,
    /// Free text, optional.
    pub description: Option<String>,
    /// Global id, `Project:<rowid>`.
    pub id: crate::ids::ProjectId,
}

/// A project with the figures the projects page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProjectSummary {
    /// The project itself.
    pub project: Project,
    /// Number of traces stored.
    pub trace_count: i64,
    /// Number of spans stored.
    pub span_count: i64,
    /// Start time of the latest trace, if any.
    pub last_activity: Option<DateTime<Utc>>,
}

/// The OpenTelemetry ids of a span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpanContext {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
}

/// A span event (exceptions are events named `exception`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SpanEvent {
    /// Event name.
    pub name: String,
    /// When it happened.
    #[serde(with = "serde_iso")]
    pub timestamp: DateTime<Utc>,
    /// Its attributes, nested by their dotted keys (as Phoenix shows them).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub attributes: Map<String, Value>,
}

/// A span as `/v1/projects/{p}/spans` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Span {
    /// Global id, `Span:<rowid>`.
    pub id: crate::ids::SpanRowid,
    /// Operation name.
    pub name: String,
    /// Trace and span ids.
    pub context: SpanContext,
    /// OpenInference kind (`LLM`, `CHAIN`, …), `UNKNOWN` when not given.
    pub span_kind: String,
    /// Parent span id, `None` for a root span.
    pub parent_id: Option<String>,
    /// Start of the span.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// End of the span.
    #[serde(with = "serde_iso")]
    pub end_time: DateTime<Utc>,
    /// `UNSET`, `OK` or `ERROR`.
    pub status_code: String,
    /// Status description, `""` when none.
    pub status_message: String,
    /// Attributes as flat dotted keys (`input.value`, `llm.token_count.prompt`, …),
    /// without `openinference.span.kind` (that is `span_kind`).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub attributes: Map<String, Value>,
    /// Events in the order sent.
    pub events: Vec<SpanEvent>,
}

/// A trace as `/v1/projects/{p}/traces` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Trace {
    /// Global id, `Trace:<rowid>`.
    pub id: crate::ids::TraceRowid,
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// Global id of the project.
    pub project_id: crate::ids::ProjectId,
    /// Earliest span start.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// Latest span end.
    #[serde(with = "serde_iso")]
    pub end_time: DateTime<Utc>,
    /// Sum of `llm.token_count.prompt` over the trace's LLM spans.
    pub token_count_prompt: i64,
    /// Sum of `llm.token_count.completion` over the trace's LLM spans.
    pub token_count_completion: i64,
    /// Sum of both.
    pub token_count_total: i64,
    /// The trace's spans by start time, when asked for with `include_spans=true`.
    pub spans: Option<Vec<TraceSpan>>,
}

/// The short form of a span inside a [`Trace`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TraceSpan {
    /// Global id, `Span:<rowid>`.
    pub id: crate::ids::SpanRowid,
    /// 16 hex digits.
    pub span_id: String,
    /// Parent span id, `None` for a root span.
    pub parent_id: Option<String>,
    /// Operation name.
    pub name: String,
    /// OpenInference kind.
    pub span_kind: String,
    /// `UNSET`, `OK` or `ERROR`.
    pub status_code: String,
    /// Start of the span.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// End of the span.
    #[serde(with = "serde_iso")]
    pub end_time: DateTime<Utc>,
}
