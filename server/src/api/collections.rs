//! `/v1/collections`: collections of flagged spans and their items.

use app::ids::CollectionId;
use app::model::{
    Collection, CollectionItem, CollectionUpdate, ItemUpdate, ItemsAdded, MAX_EXPECTED_OUTPUT_BYTES,
    MAX_SPAN_IDS_PER_REQUEST, NewCollection,
};
use app::store::Selection;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::spans::span_conditions;
use super::{Data, Paginated, Params, cursor, no_content};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;

/// The keys a span filter may have: the spans listing's query parameters.
const FILTER_KEYS: &[&str] = &[
    "project",
    "start_time",
    "end_time",
    "trace_id",
    "span_id",
    "name",
    "span_kind",
    "status_code",
    "parent_id",
    "attribute",
];

/// `GET /v1/collections?cursor=&limit=&name=`: newest first.
#[utoipa::path(get, path = "/v1/collections", security(("bearer" = ["read"])), tag = "collections",
    params(("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query), ("name" = Option<String>, Query)),
    responses((status = 200, body = Paginated<Collection>), (status = 422)))]
pub async fn list(State(state): State<AppState>, params: Params) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor: {raw}"))?;
    let page = state.store.list_collections(cursor, limit, params.get("name")).await?;
    Ok(Json(Paginated::of(page, "Collection")))
}

/// `POST /v1/collections`: 409 when the name is taken.
#[utoipa::path(post, path = "/v1/collections", security(("bearer" = ["manage"])), tag = "collections", request_body = NewCollection,
    responses((status = 200, body = Data<Collection>), (status = 409), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(new): JsonBody<NewCollection>,
) -> Result<impl IntoResponse, ApiError> {
    check_name(&new.name)?;
    Ok(Json(Data { data: state.store.create_collection(&new, caller.author()).await? }))
}

/// `GET /v1/collections/{collection}` (global id or name).
#[utoipa::path(get, path = "/v1/collections/{collection}", security(("bearer" = ["read"])), tag = "collections",
    params(("collection" = String, Path)), responses((status = 200, body = Data<Collection>), (status = 404)))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(collection): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.collection(&collection).await? }))
}

/// `PATCH /v1/collections/{collection}`: rename and/or re-describe.
#[utoipa::path(patch, path = "/v1/collections/{collection}", security(("bearer" = ["manage"])), tag = "collections",
    params(("collection" = String, Path)), request_body = CollectionUpdate,
    responses((status = 200, body = Data<Collection>), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    JsonBody(update): JsonBody<CollectionUpdate>,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(name) = &update.name {
        check_name(name)?;
    }
    Ok(Json(Data { data: state.store.update_collection(&collection, &update).await? }))
}

/// `DELETE /v1/collections/{collection}`: 204, with its items and public links.
#[utoipa::path(delete, path = "/v1/collections/{collection}", security(("bearer" = ["manage"])), tag = "collections",
    params(("collection" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn remove(
    State(state): State<AppState>,
    Path(collection): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_collection(&collection).await?;
    Ok(no_content())
}

/// Body of `POST /v1/collections/{collection}/items`: exactly one of
/// `span_ids` and `filter`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddItems {
    /// Span ids (hex), in any project; all must exist.
    #[serde(default)]
    span_ids: Option<Vec<String>>,
    /// A span filter: `project` (required) and any of the spans listing's
    /// filters (`span_kind`, `status_code`, `name`, `attribute` as `key:value`,
    /// `start_time`, `end_time`, `parent_id` (`"null"` or `null` = roots),
    /// `trace_id`, `span_id`), each a string or a list of strings.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    filter: Option<Map<String, Value>>,
    /// A note on every item added.
    #[serde(default)]
    note: Option<String>,
}

/// `POST /v1/collections/{collection}/items`: flags spans; duplicates are
/// ignored and `added` counts only new items.
#[utoipa::path(post, path = "/v1/collections/{collection}/items", security(("bearer" = ["annotate"])), tag = "collections",
    params(("collection" = String, Path)), request_body = AddItems,
    responses((status = 200, body = Data<ItemsAdded>), (status = 404), (status = 422)))]
pub async fn add_items(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(collection): Path<String>,
    JsonBody(body): JsonBody<AddItems>,
) -> Result<impl IntoResponse, ApiError> {
    let selection = match (body.span_ids, body.filter) {
        (Some(ids), None) => {
            if ids.len() > MAX_SPAN_IDS_PER_REQUEST {
                return Err(ApiError::body_field(
                    &["span_ids"],
                    "too_long",
                    &format!("At most {MAX_SPAN_IDS_PER_REQUEST} span ids per request; use a filter"),
                    ids.len(),
                ));
            }
            Selection::SpanIds(ids)
        }
        (None, Some(filter)) => selection_of(filter)?,
        _ => {
            return Err(ApiError::body_field(
                &[],
                "value_error",
                "Give exactly one of span_ids and filter",
                Value::Null,
            ));
        }
    };
    let collection = CollectionId(state.store.collection_rowid(&collection).await?);
    let added = state.store.add_collection_items(collection, &selection, body.note.as_deref(), caller.author()).await?;
    Ok(Json(Data { data: ItemsAdded { added } }))
}

/// `DELETE /v1/collections/{collection}/items/{item}`: the item by its span
/// (hex or `Span:` global id) or by its own id (`CollectionItem:`/`DatasetExample:`,
/// the only way to an uploaded example without a span): 204, or 404.
#[utoipa::path(delete, path = "/v1/collections/{collection}/items/{item}", security(("bearer" = ["annotate"])), tag = "collections",
    params(("collection" = String, Path), ("item" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn remove_item(
    State(state): State<AppState>,
    Path((collection, item)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    state.store.remove_collection_item(&collection, &item).await?;
    Ok(no_content())
}

/// `PATCH /v1/collections/{collection}/items/{item}` with `{"expected_output": …}`:
/// sets the item's edited expected output (a corrected answer; `null` clears
/// it), which the `chat` export and the dataset routes give instead of the
/// original output. `item` is a `CollectionItem:`/`DatasetExample:` id. Each
/// edit is a new dataset version. 404 when the item is not in the collection,
/// 413 over [`MAX_EXPECTED_OUTPUT_BYTES`].
#[utoipa::path(patch, path = "/v1/collections/{collection}/items/{item}", security(("bearer" = ["annotate"])), tag = "collections",
    params(("collection" = String, Path), ("item" = String, Path)), request_body = ItemUpdate,
    responses((status = 204), (status = 404), (status = 413), (status = 422)))]
pub async fn update_item(
    State(state): State<AppState>,
    Path((collection, item)): Path<(String, String)>,
    JsonBody(update): JsonBody<ItemUpdate>,
) -> Result<impl IntoResponse, ApiError> {
    check_expected_output(&update.expected_output)?;
    let expected = (!update.expected_output.is_null()).then_some(&update.expected_output);
    state.store.set_expected_output(&collection, &item, expected).await?;
    Ok(no_content())
}

/// An edited expected output must fit in [`MAX_EXPECTED_OUTPUT_BYTES`].
pub(crate) fn check_expected_output(value: &Value) -> Result<(), ApiError> {
    let size = value.to_string().len();
    if size > MAX_EXPECTED_OUTPUT_BYTES {
        return Err(ApiError::TooLarge(format!(
            "expected_output is {size} bytes of JSON; at most {MAX_EXPECTED_OUTPUT_BYTES} are kept"
        )));
    }
    Ok(())
}

/// `GET /v1/collections/{collection}/items?cursor=&limit=`: in the order flagged.
#[utoipa::path(get, path = "/v1/collections/{collection}/items", security(("bearer" = ["read"])), tag = "collections",
    params(("collection" = String, Path), ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<CollectionItem>), (status = 404), (status = 422)))]
pub async fn list_items(
    State(state): State<AppState>,
    Path(collection): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor: {raw}"))?;
    let rowid = state.store.collection_rowid(&collection).await?;
    let page = state.store.collection_items(rowid, cursor, limit).await?;
    Ok(Json(Paginated::of(page, "CollectionItem")))
}

/// A collection name must have a visible character.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.trim().is_empty() {
        return Err(ApiError::body_field(
            &["name"],
            "string_too_short",
            "String should have at least 1 character",
            name,
        ));
    }
    Ok(())
}

/// A JSON span filter as a [`Selection`], validated exactly like the spans
/// listing's query (errors point at `["body", "filter", <key>]`).
pub(super) fn selection_of(filter: Map<String, Value>) -> Result<Selection, ApiError> {
    let mut pairs = Vec::new();
    for (key, value) in filter {
        if !FILTER_KEYS.contains(&key.as_str()) {
            return Err(ApiError::body_field(
                &["filter", &key],
                "extra_forbidden",
                &format!("Unknown filter '{key}'; expected one of {}", FILTER_KEYS.join(", ")),
                value,
            ));
        }
        let values = match value {
            Value::Null if key == "parent_id" => vec!["null".to_owned()],
            Value::String(text) => vec![text],
            Value::Array(items) if items.iter().all(Value::is_string) => {
                items.into_iter().filter_map(|item| item.as_str().map(str::to_owned)).collect()
            }
            other => {
                return Err(ApiError::body_field(
                    &["filter", &key],
                    "string_type",
                    "Input should be a string or a list of strings",
                    other,
                ));
            }
        };
        pairs.extend(values.into_iter().map(|value| (key.clone(), value)));
    }
    let params = Params::from_pairs(pairs);
    let Some(project) = params.get("project").map(str::to_owned) else {
        return Err(ApiError::body_field(&["filter", "project"], "missing", "Field required", Value::Null));
    };
    let filter = span_conditions(&params).map_err(|error| match error {
        ApiError::Validation(mut details) => {
            for detail in &mut details {
                if detail.loc.first() == Some(&Value::from("query")) {
                    detail.loc.splice(0..1, [Value::from("body"), Value::from("filter")]);
                }
            }
            ApiError::Validation(details)
        }
        other => other,
    })?;
    Ok(Selection::Filter { project, filter: Box::new(filter) })
}
