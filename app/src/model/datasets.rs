//! Collections seen through Phoenix's dataset routes (`/v1/datasets`), in
//! Phoenix's key order, so that `arize-phoenix-client` reads them as datasets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{DatasetExampleId, DatasetId, DatasetVersionId};
use crate::time::serde_iso;

/// A dataset: one collection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Dataset {
    /// Global id, `Dataset:<collection rowid>`.
    pub id: DatasetId,
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
    pub id: DatasetExampleId,
    /// The same global id (Phoenix's `node_id`).
    pub node_id: DatasetExampleId,
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
    pub dataset_id: DatasetId,
    /// The version read, `DatasetVersion:<version rowid>` (the latest).
    pub version_id: DatasetVersionId,
    /// Splits asked for: only examples in one of them are listed.
    pub filtered_splits: Vec<String>,
    /// Every example, in the order flagged.
    pub examples: Vec<DatasetExample>,
}

/// One version: a change to the collection (items added, removed or edited).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatasetVersion {
    /// `DatasetVersion:<version rowid>`.
    pub version_id: DatasetVersionId,
    /// The description given with the upload that made it, if any.
    pub description: Option<String>,
    /// Always `{}`.
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: Map<String, Value>,
    /// When the change was made.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
}

/// The most examples one `POST /v1/datasets/upload` may carry.
pub const MAX_UPLOAD_EXAMPLES: usize = 10_000;

/// What an upload does to a dataset of that name (Phoenix's `action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadAction {
    /// A new dataset; 409 when the name is taken.
    Create,
    /// Add to an existing dataset; 404 when there is none.
    Append,
    /// Declarative (what `create_dataset` sends since client 2.x): create the
    /// dataset, or make an existing one hold exactly these examples.
    Update,
}

/// One uploaded example.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewExample {
    /// Its input object.
    pub input: Map<String, Value>,
    /// Its output object (may be empty).
    pub output: Map<String, Value>,
    /// Its metadata object (may be empty).
    pub metadata: Map<String, Value>,
    /// Split names, trimmed, none empty.
    pub splits: Vec<String>,
    /// The span it came from (16 hex digits), linking it to its trace.
    pub span_id: Option<String>,
}

/// A parsed `POST /v1/datasets/upload`.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetUpload {
    /// What to do.
    pub action: UploadAction,
    /// The dataset (collection) name.
    pub name: String,
    /// Its description (kept on the version, and on a new collection).
    pub description: Option<String>,
    /// The examples, in order.
    pub examples: Vec<NewExample>,
}

/// `data` of `POST /v1/datasets/upload?sync=true`, as Phoenix answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatasetUploaded {
    /// `Dataset:<collection rowid>`.
    pub dataset_id: DatasetId,
    /// `DatasetVersion:<version rowid>`: the version this upload made.
    pub version_id: DatasetVersionId,
    /// Examples added.
    pub num_created_examples: u64,
    /// Examples changed in place (an uploaded span already in the collection).
    pub num_updated_examples: u64,
    /// Examples removed (`action=update` of an existing dataset).
    pub num_deleted_examples: u64,
}
