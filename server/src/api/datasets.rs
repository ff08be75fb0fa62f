//! Phoenix's dataset read routes over collections: a collection is a dataset
//! (`Dataset:<collection rowid>`) with one version, and each item is an
//! example, so `arize-phoenix-client`'s `client.datasets.get_dataset(…)`
//! reads a collection for experiments.

use app::ids::global_id;
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
    let (collections, next) = state.store.list_collections(cursor, limit, params.non_empty("name")).await?;
    let data = collections.into_iter().map(dataset).collect();
    Ok(Json(Paginated { data, next_cursor: next.map(|rowid| global_id("Dataset", rowid)) }))
}

/// `GET /v1/datasets/{id}`: 404 when unknown.
#[utoipa::path(get, path = "/v1/datasets/{id}", security(("bearer" = ["read"])), tag = "datasets", params(("id" = String, Path)),
    responses((status = 200, body = Data<Dataset>), (status = 404)))]
pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    let rowid = dataset_rowid(&state, &id).await?;
    Ok(Json(Data { data: dataset(state.store.collection_by_rowid(rowid).await?) }))
}

/// `GET /v1/datasets/{id}/examples?version_id=&split=`: every example.
/// Collections have no splits, so asking for any gives none.
#[utoipa::path(get, path = "/v1/datasets/{id}/examples", security(("bearer" = ["read"])), tag = "datasets",
    params(("id" = String, Path), ("version_id" = Option<String>, Query), ("split" = Option<Vec<String>>, Query)),
    responses((status = 200, body = Data<DatasetExamples>), (status = 404)))]
pub async fn examples(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let rowid = dataset_rowid(&state, &id).await?;
    let version_id = global_id("DatasetVersion", rowid);
    if let Some(asked) = params.non_empty("version_id")
        && asked != version_id
    {
        return Err(ApiError::NotFound(format!("No dataset version with id {asked}")));
    }
    let splits = params.all("split");
    let mut examples = Vec::new();
    if splits.is_empty() {
        let mut cursor = None;
        loop {
            let (items, next) = state.store.collection_items(rowid, cursor, EXAMPLES_PAGE).await?;
            examples.extend(items.into_iter().map(example));
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    let dataset_id = global_id("Dataset", rowid);
    Ok(Json(Data { data: DatasetExamples { dataset_id, version_id, filtered_splits: splits, examples } }))
}

/// `GET /v1/datasets/{id}/versions`: the one version, the collection as it is now.
#[utoipa::path(get, path = "/v1/datasets/{id}/versions", security(("bearer" = ["read"])), tag = "datasets",
    params(("id" = String, Path), ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<DatasetVersion>), (status = 404)))]
pub async fn versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    params.limit("limit", 10, 1, 1000)?;
    let rowid = dataset_rowid(&state, &id).await?;
    let collection = state.store.collection_by_rowid(rowid).await?;
    let version = DatasetVersion {
        version_id: global_id("DatasetVersion", rowid),
        description: collection.description,
        metadata: Map::new(),
        created_at: collection.created_at,
    };
    Ok(Json(Paginated { data: vec![version], next_cursor: None }))
}

/// The collection rowid of a `Dataset:` (or `Collection:`) global id; a name is not an id here.
async fn dataset_rowid(state: &AppState, id: &str) -> Result<i64, ApiError> {
    let is_id = app::ids::parse_global_id("Dataset", id).or_else(|| app::ids::parse_global_id("Collection", id));
    if is_id.is_none() {
        return Err(ApiError::NotFound(format!("Dataset with ID {id} not found")));
    }
    state.store.collection_rowid(id).await.map_err(|_| ApiError::NotFound(format!("Dataset with ID {id} not found")))
}

/// A collection as a dataset.
fn dataset(collection: Collection) -> Dataset {
    let rowid = app::ids::parse_global_id("Collection", &collection.id).unwrap_or_default();
    Dataset {
        id: global_id("Dataset", rowid),
        name: collection.name,
        description: collection.description,
        metadata: Map::new(),
        created_at: collection.created_at,
        updated_at: collection.updated_at,
        example_count: collection.item_count,
    }
}

/// An item as an example: `{"input": …}`, `{"output": …}` and where it came from.
fn example(item: CollectionItem) -> DatasetExample {
    let rowid = app::ids::parse_global_id("CollectionItem", &item.id).unwrap_or_default();
    let id = global_id("DatasetExample", rowid);
    let annotations: Vec<Value> = item
        .annotations
        .iter()
        .map(|a| {
            json!({"name": a.name, "label": a.result.label, "score": a.result.score, "explanation": a.result.explanation})
        })
        .collect();
    let object = |key: &str, value: Value| Map::from_iter([(key.to_owned(), value)]);
    let metadata = Map::from_iter([
        ("span_id".to_owned(), Value::from(item.span_id)),
        ("trace_id".to_owned(), Value::from(item.trace_id)),
        ("annotations".to_owned(), Value::from(annotations)),
        ("note".to_owned(), item.note.map(Value::from).unwrap_or(Value::Null)),
    ]);
    DatasetExample {
        node_id: id.clone(),
        id,
        input: object("input", item.input),
        output: object("output", item.output),
        metadata,
        updated_at: item.added_at,
    }
}
