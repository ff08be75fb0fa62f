//! Phoenix's dataset read routes over collections: a collection is a dataset
//! (`Dataset:<collection rowid>`) and each item an example, so
//! `arize-phoenix-client`'s `client.datasets.get_dataset(…)` reads a
//! collection for experiments. Each change to a collection is a version
//! (`DatasetVersion:<n>`); only the latest version's examples are kept, so
//! asking for an older version is a 422 that says so.

use app::ids::{CollectionId, DatasetExampleId, DatasetId, DatasetVersionId, GlobalId};
use app::model::{Collection, CollectionItem, Dataset, DatasetExample, DatasetExamples, DatasetVersion};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::{Data, Paginated, Params, cursor};
use crate::AppState;
use crate::error::ApiError;

/// Items read per query while gathering a dataset's examples.
const EXAMPLES_PAGE: u32 = 1000;

/// `GET /v1/datasets?cursor=&name=&limit=`: collections as datasets, newest first.
#[utoipa::path(get, path = "/v1/datasets", security(("bearer" = ["read"])), tag = "datasets",
    params(("cursor" = Option<String>, Query), ("name" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<Dataset>), (status = 422)))]
pub async fn list(State(state): State<AppState>, params: Params) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 10, 1, 1000)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor format: {raw}"))?;
    let page = state.store.list_collections(cursor, limit, params.non_empty("name")).await?.map(dataset);
    Ok(Json(Paginated::of(page, DatasetId::TYPE)))
}

/// `GET /v1/datasets/{id}`: 404 when unknown.
#[utoipa::path(get, path = "/v1/datasets/{id}", security(("bearer" = ["read"])), tag = "datasets", params(("id" = String, Path)),
    responses((status = 200, body = Data<Dataset>), (status = 404)))]
pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let rowid = dataset_rowid(&state, &id).await?;
    Ok(Json(Data { data: dataset(state.store.collection_by_rowid(rowid).await?) }))
}

/// `GET /v1/datasets/{id}/examples?version_id=&split=`: every example of
/// the latest version, or only those in one of the `split`s. A `version_id`
/// must be the latest version (older ones: 422, their examples are not kept;
/// unknown: 404).
#[utoipa::path(get, path = "/v1/datasets/{id}/examples", security(("bearer" = ["read"])), tag = "datasets",
    params(("id" = String, Path), ("version_id" = Option<String>, Query), ("split" = Option<Vec<String>>, Query)),
    responses((status = 200, body = Data<DatasetExamples>), (status = 404), (status = 422)))]
pub async fn examples(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let rowid = dataset_rowid(&state, &id).await?;
    let version = checked_version(&state, rowid, &params).await?;
    let splits = params.all("split");
    let examples = all_items(&state, rowid, &splits).await?.into_iter().map(example).collect();
    let (dataset_id, version_id) = (DatasetId(rowid), DatasetVersionId(version));
    Ok(Json(Data { data: DatasetExamples { dataset_id, version_id, filtered_splits: splits, examples } }))
}

/// `GET /v1/datasets/{id}/versions?cursor=&limit=`: one version per change
/// to the collection, newest first.
#[utoipa::path(get, path = "/v1/datasets/{id}/versions", security(("bearer" = ["read"])), tag = "datasets",
    params(("id" = String, Path), ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<DatasetVersion>), (status = 404), (status = 422)))]
pub async fn versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 10, 1, 1000)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor format: {raw}"))?;
    let rowid = dataset_rowid(&state, &id).await?;
    let page = state.store.dataset_versions(rowid, cursor, limit).await?;
    Ok(Json(Paginated::of(page, DatasetVersionId::TYPE)))
}

/// The version a read is of: the latest, which `version_id` (if given) must
/// name. A malformed id or an older version is a 422, another dataset's or
/// an unknown one a 404.
pub(super) async fn checked_version(state: &AppState, rowid: i64, params: &Params) -> Result<i64, ApiError> {
    let latest = state.store.latest_version(rowid).await?;
    let Some(asked) = params.non_empty("version_id") else { return Ok(latest) };
    let Some(DatasetVersionId(version)) = DatasetVersionId::parse(asked) else {
        return Err(ApiError::Unprocessable(format!("Invalid dataset version ID format: {asked}")));
    };
    if version == latest {
        return Ok(latest);
    }
    if !state.store.has_version(rowid, version).await? {
        return Err(ApiError::NotFound(format!("No dataset version with id {asked}")));
    }
    Err(ApiError::Unprocessable(format!(
        "Dataset version {asked} is not the latest ({}): only the latest version's examples are kept",
        DatasetVersionId(latest)
    )))
}

/// Every item of a collection (only those in one of `splits`, when given), in the order added.
pub(super) async fn all_items(
    state: &AppState,
    rowid: i64,
    splits: &[String],
) -> Result<Vec<CollectionItem>, ApiError> {
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let app::store::Page { rows, next } =
            state.store.collection_items_in_splits(rowid, splits, cursor, EXAMPLES_PAGE).await?;
        items.extend(rows);
        match next {
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

/// The collection rowid of a `Dataset:` (or `Collection:`) global id; a name is not an id here.
pub(super) async fn dataset_rowid(state: &AppState, id: &str) -> Result<i64, ApiError> {
    if CollectionId::parse(id).is_none() {
        return Err(ApiError::NotFound(format!("Dataset with ID {id} not found")));
    }
    state.store.collection_rowid(id).await.map_err(|_| ApiError::NotFound(format!("Dataset with ID {id} not found")))
}

/// A collection as a dataset.
fn dataset(collection: Collection) -> Dataset {
    Dataset {
        id: DatasetId(collection.id.0),
        name: collection.name,
        description: collection.description,
        metadata: Map::new(),
        created_at: collection.created_at,
        updated_at: collection.updated_at,
        example_count: collection.item_count,
    }
}

/// An item as an example. A flagged span's is `{"input": <input.value>}`,
/// `{"output": …}` and where it came from (span, trace, annotations, note);
/// an uploaded one's is its own input, output and metadata. The output is
/// the edited expected output when a reviewer set one.
pub(super) fn example(item: CollectionItem) -> DatasetExample {
    let id = DatasetExampleId(item.id.0);
    let object = |key: &str, value: Value| match value {
        Value::Object(map) if item.uploaded => map,
        other => Map::from_iter([(key.to_owned(), other)]),
    };
    let input = object("input", item.input.clone());
    let output = object("output", item.expected_output.clone().unwrap_or_else(|| item.output.clone()));
    let metadata = if item.uploaded {
        item.metadata
    } else {
        let annotations: Vec<Value> = item
            .annotations
            .iter()
            .map(|a| {
                json!({"name": a.name, "label": a.result.label, "score": a.result.score, "explanation": a.result.explanation})
            })
            .collect();
        Map::from_iter([
            ("span_id".to_owned(), Value::from(item.span_id)),
            ("trace_id".to_owned(), Value::from(item.trace_id)),
            ("annotations".to_owned(), Value::from(annotations)),
            ("note".to_owned(), item.note.map(Value::from).unwrap_or(Value::Null)),
        ])
    };
    DatasetExample { node_id: id, id, input, output, metadata, updated_at: item.added_at }
}
