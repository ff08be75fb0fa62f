//! Collections of flagged spans (`/v1/collections`): what is posted and listed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Annotation, Span};
use crate::time::serde_iso;

/// The largest number of `span_ids` one `POST /v1/collections/{id}/items` may carry.
pub const MAX_SPAN_IDS_PER_REQUEST: usize = 10_000;

/// A named set of flagged spans.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Collection {
    /// Global id, `Collection:<rowid>`.
    pub id: crate::ids::CollectionId,
    /// Unique name.
    pub name: String,
    /// Free text, optional.
    pub description: Option<String>,
    /// How many spans it holds.
    pub item_count: i64,
    /// When it was created.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
    /// Last change to it or to its items.
    #[serde(with = "serde_iso")]
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /v1/collections`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewCollection {
    /// Unique, not empty.
    pub name: String,
    /// Free text, optional.
    #[serde(default)]
    pub description: Option<String>,
}

/// Body of `PATCH /v1/collections/{id}`: only the fields given change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CollectionUpdate {
    /// A new unique name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new description (`""` clears it).
    #[serde(default)]
    pub description: Option<String>,
}

/// One flagged span with what a reviewer needs to judge it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CollectionItem {
    /// Global id, `CollectionItem:<rowid>`.
    pub id: crate::ids::CollectionItemId,
    /// 16 hex digits; `null` for an uploaded example that names no span.
    pub span_id: Option<String>,
    /// 32 hex digits; `null` when there is no span.
    pub trace_id: Option<String>,
    /// The note given when the span was flagged.
    pub note: Option<String>,
    /// When it was flagged or uploaded.
    #[serde(with = "serde_iso")]
    pub added_at: DateTime<Utc>,
    /// The span's `input.value` (`null` when it has none), or an uploaded
    /// example's input object.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub input: Value,
    /// The span's `output.value` (`null` when it has none), or an uploaded
    /// example's output object.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub output: Value,
    /// Whether `input`/`output` are the item's own (an uploaded example)
    /// rather than read from its span.
    pub uploaded: bool,
    /// An uploaded example's metadata (`{}` for a flagged span).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: Map<String, Value>,
    /// The dataset splits it is in.
    pub splits: Vec<String>,
    /// A corrected answer, set by a reviewer: the `chat` export writes it
    /// instead of the output (`null` when not edited).
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub expected_output: Option<Value>,
    /// The span itself, as `/v1/projects/{p}/spans` lists it (`null` when none).
    pub span: Option<Span>,
    /// The span's annotations (notes included), newest first.
    pub annotations: Vec<Annotation>,
}

/// Body of `PATCH /v1/collections/{id}/items/{item_id}`: the item's edited
/// expected output (`null` clears it, going back to the original output).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ItemUpdate {
    /// Any JSON value: a string answer, or an object for an uploaded example.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub expected_output: Value,
}

/// The largest edited expected output, in bytes of JSON.
pub const MAX_EXPECTED_OUTPUT_BYTES: usize = 256 * 1024;

/// `{"added": n}`: how many spans a `POST …/items` added (duplicates are not counted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ItemsAdded {
    /// Spans newly added.
    pub added: u64,
}

/// `input.value` / `output.value` of flat span attributes (`null` when absent).
pub fn io_value(attributes: &Map<String, Value>, side: &str) -> Value {
    attributes.get(&format!("{side}.value")).cloned().unwrap_or(Value::Null)
}

impl CollectionItem {
    /// Whether the span's output is rated 👍: a `thumbs-up` label, or a
    /// score of 1 on the `user feedback` annotation.
    pub fn rated_thumbs_up(&self) -> bool {
        self.annotations.iter().any(|a| {
            a.result.label.as_deref() == Some(super::THUMBS_UP)
                || (a.name == super::FEEDBACK_NAME && a.result.score == Some(1.0))
        })
    }
}
