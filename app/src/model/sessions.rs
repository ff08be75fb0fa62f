//! Sessions: the traces that share a `session.id` attribute, one per turn of
//! a conversation. What `/v1/sessions` answers (Phoenix's `SessionData`) and
//! what the sessions tab and the session page show.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AnnotationChip;
use crate::time::serde_iso;

/// Sessions per page of the sessions tab.
pub const SESSION_PAGE_SIZE: u32 = 50;

/// Turns the session page shows at most (it says how many it leaves out), so
/// that a runaway session cannot make one enormous page.
pub const MAX_SESSION_TURNS: u32 = 500;

/// Characters of a turn's input or output the session page shows (the trace
/// page has the rest).
pub const TURN_CHARS: i64 = 10_000;

/// One trace of a session, as Phoenix lists it (`SessionTraceData`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionTrace {
    /// Global id, `Trace:<rowid>`.
    pub id: crate::ids::TraceRowid,
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// Start of the trace.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// End of the trace.
    #[serde(with = "serde_iso")]
    pub end_time: DateTime<Utc>,
}

/// A session as `GET /v1/sessions/{id}` shows it (Phoenix's `SessionData`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Session {
    /// Global id, `ProjectSession:<rowid>`.
    pub id: crate::ids::SessionRowid,
    /// The `session.id` attribute value the spans carried.
    pub session_id: String,
    /// Global id of the project.
    pub project_id: crate::ids::ProjectId,
    /// Earliest span start.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// Latest span end.
    #[serde(with = "serde_iso")]
    pub end_time: DateTime<Utc>,
    /// Its traces, by start time.
    pub traces: Vec<SessionTrace>,
    /// Prompt tokens of the session's LLM spans.
    pub token_count_prompt: i64,
    /// Completion tokens of the session's LLM spans.
    pub token_count_completion: i64,
    /// Both.
    pub token_count_total: i64,
}

/// One session as the sessions tab lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    /// The `session.id` value.
    pub session_id: String,
    /// First span start.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// Last span end.
    #[serde(with = "serde_iso")]
    pub end_time: DateTime<Utc>,
    /// Traces (turns) in the session.
    pub turns: i64,
    /// The latest turn's root input, at most [`super::PREVIEW_CHARS`] characters.
    pub last_input: Option<String>,
    /// `user feedback` 👍 on the session's spans.
    pub thumbs_up: i64,
    /// `user feedback` 👎 on the session's spans.
    pub thumbs_down: i64,
}

/// One page of the sessions tab, newest session first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionListPage {
    /// The rows.
    pub rows: Vec<SessionRow>,
    /// The rowid of the first session of the next page.
    pub next_cursor: Option<i64>,
}

/// One turn of the conversation: a trace, read through its root span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionTurn {
    /// 32 hex digits.
    pub trace_id: String,
    /// The root span, `None` while it has not arrived.
    pub root_span_id: Option<String>,
    /// Start of the trace.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// `end_time - start_time`, in milliseconds.
    pub latency_ms: f64,
    /// The root's `input.value`, at most [`TURN_CHARS`] characters.
    pub input: Option<String>,
    /// The root's `output.value`, at most [`TURN_CHARS`] characters.
    pub output: Option<String>,
    /// The root span's annotations (notes left out), by name.
    pub annotations: Vec<AnnotationChip>,
}

/// An annotation of the session itself, with its explanation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionAnnotationLine {
    /// Name, label and score.
    pub chip: AnnotationChip,
    /// Why, or the note's text.
    pub explanation: Option<String>,
}

/// What the session page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    /// The `session.id` value.
    pub session_id: String,
    /// First span start.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// Last span end.
    #[serde(with = "serde_iso")]
    pub end_time: DateTime<Utc>,
    /// Every turn in the session (shown or not).
    pub turn_count: i64,
    /// The first [`MAX_SESSION_TURNS`] turns, by start time.
    pub turns: Vec<SessionTurn>,
    /// Annotations and notes on the session itself.
    pub annotations: Vec<SessionAnnotationLine>,
}
