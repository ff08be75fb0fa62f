//! Collections seen through Phoenix's dataset routes (`/v1/datasets`), in
//! Phoenix's key order, so that `arize-phoenix-client` reads them as datasets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::serde_iso;

/// A dataset: one collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Dataset {
    /// Global id, `Dataset:<collection rowid>`.
    pub id: String,
    /// The collection's name.
    pub name: String,
    /// The collection's description.
    pub description: Option<String>,
    /// Always `{}`.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: Map<String, Value>,
    /// When the collection was created.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(with = "serde_iso")]
    pub updated_at: DateTime<Utc>,
    /// Number of items.
    pub example_count: i64,
}

/// One example: a collection item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatasetExample {
    /// Global id, `DatasetExample:<item rowid>`.
    pub id: String,
    /// The same global id (Phoenix's `node_id`).
    pub node_id: String,
    /// `{"input": <input.value>}`.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub input: Map<String, Value>,
    /// `{"output": <output.value>}`.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub output: Map<String, Value>,
    /// `span_id`, `trace_id`, `annotations` and `note`.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: Map<String, Value>,
    /// When the span was flagged.
    #[serde(with = "serde_iso")]
    pub updated_at: DateTime<Utc>,
}

/// `data` of `GET /v1/datasets/{id}/examples`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatasetExamples {
    /// The dataset's global id.
    pub dataset_id: String,
    /// The one version of a collection: `DatasetVersion:<collection rowid>`.
    pub version_id: String,
    /// Splits asked for (collections have none, so asking for any gives no examples).
    pub filtered_splits: Vec<String>,
    /// Every example, in the order flagged.
    pub examples: Vec<DatasetExample>,
}

/// One version (a collection has exactly one, its current state).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatasetVersion {
    /// `DatasetVersion:<collection rowid>`.
    pub version_id: String,
    /// The collection's description.
    pub description: Option<String>,
    /// Always `{}`.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: Map<String, Value>,
    /// When the collection was created.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
}
