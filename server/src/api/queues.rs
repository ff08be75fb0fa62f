//! `/v1/annotation_queues` (issue 14): review queues, their items, and
//! working them (`next`, `complete`).

use app::ids::{GlobalId, QueueId, QueueItemId};
use app::model::accounts::Principal;
use app::model::{
    AnnotationInput, AnnotationQueue, AnnotationSource, ItemStatus, MAX_ANNOTATIONS_PER_REQUEST,
    MAX_SPAN_IDS_PER_REQUEST, NOTE_NAME, NewQueue, QueueItem, QueueItemsAdded, QueueReservation, QueueUpdate,
    SpanTarget, TRACE_FILTER_PARAMS, TargetKind, TraceListQuery, TraceTarget,
};
use app::store::{ItemTarget, NewAnnotation, QueueSelection, Selection, parse_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Data, Paginated, Params, cursor, no_content};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;

/// `GET /v1/annotation_queues?cursor=&limit=`: newest first, each with its progress.
#[utoipa::path(get, path = "/v1/annotation_queues", security(("bearer" = ["read"])), tag = "annotation_queues",
    params(("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<AnnotationQueue>), (status = 422)))]
pub async fn list(State(state): State<AppState>, params: Params) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor: {raw}"))?;
    let page = state.store.list_queues(cursor, limit).await?;
    Ok(Json(Paginated::of(page, QueueId::TYPE)))
}

/// `POST /v1/annotation_queues`.
#[utoipa::path(post, path = "/v1/annotation_queues", security(("bearer" = ["manage"])), tag = "annotation_queues",
    request_body = NewQueue, responses((status = 200, body = Data<AnnotationQueue>), (status = 404), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(new): JsonBody<NewQueue>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.create_queue(&new, caller.author()).await? }))
}

/// `GET /v1/annotation_queues/{queue}`: with `progress`.
#[utoipa::path(get, path = "/v1/annotation_queues/{queue}", security(("bearer" = ["read"])), tag = "annotation_queues",
    params(("queue" = String, Path)), responses((status = 200, body = Data<AnnotationQueue>), (status = 404)))]
pub async fn get_one(State(state): State<AppState>, Path(queue): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.queue(parse_id(&queue)?).await? }))
}

/// `PATCH /v1/annotation_queues/{queue}`: the fields given change.
#[utoipa::path(patch, path = "/v1/annotation_queues/{queue}", security(("bearer" = ["manage"])), tag = "annotation_queues",
    params(("queue" = String, Path)), request_body = QueueUpdate,
    responses((status = 200, body = Data<AnnotationQueue>), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    JsonBody(update): JsonBody<QueueUpdate>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.update_queue(parse_id(&queue)?, &update).await? }))
}

/// `DELETE /v1/annotation_queues/{queue}`: 204, with its items and reviews
/// (the annotations written stay).
#[utoipa::path(delete, path = "/v1/annotation_queues/{queue}", security(("bearer" = ["manage"])), tag = "annotation_queues",
    params(("queue" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn remove(State(state): State<AppState>, Path(queue): Path<String>) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_queue(parse_id(&queue)?).await?;
    Ok(no_content())
}

/// Body of `POST /v1/annotation_queues/{queue}/items`: exactly one of
/// `span_ids`, `trace_ids` and `filter`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddQueueItems {
    /// Span ids (hex); all must exist.
    #[serde(default)]
    span_ids: Option<Vec<String>>,
    /// Trace ids (hex); all must exist.
    #[serde(default)]
    trace_ids: Option<Vec<String>>,
    /// The trace list's filter: the root span of every trace it shows (all
    /// pages). Either the trace list's query string (`"status=ERROR&q=refund"`)
    /// or an object of its parameters (`project`, `from`, `to`, `status`,
    /// `kind`, `q`, `ann`, `label`, `min_score`, `max_score`, `unannotated`);
    /// `project` defaults to the queue's.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    filter: Option<Value>,
}

/// `POST /v1/annotation_queues/{queue}/items`: an item is in a queue once;
/// those selected again count as `already_present`.
#[utoipa::path(post, path = "/v1/annotation_queues/{queue}/items", security(("bearer" = ["manage"])), tag = "annotation_queues",
    params(("queue" = String, Path)), request_body = AddQueueItems,
    responses((status = 200, body = Data<QueueItemsAdded>), (status = 404), (status = 422)))]
pub async fn add_items(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    JsonBody(body): JsonBody<AddQueueItems>,
) -> Result<impl IntoResponse, ApiError> {
    let queue = state.store.queue(parse_id(&queue)?).await?;
    let rowid = queue.id.0;
    let selection = match (body.span_ids, body.trace_ids, body.filter) {
        (Some(ids), None, None) => QueueSelection::Spans(Selection::SpanIds(at_most(ids, "span_ids")?)),
        (None, Some(ids), None) => QueueSelection::TraceIds(at_most(ids, "trace_ids")?),
        (None, None, Some(filter)) => {
            let (project, query) = trace_list_filter(filter, queue.project_name.as_deref())?;
            QueueSelection::Spans(Selection::TraceList { project, query: Box::new(query) })
        }
        _ => {
            return Err(ApiError::body_field(
                &[],
                "value_error",
                "Give exactly one of span_ids, trace_ids and filter",
                Value::Null,
            ));
        }
    };
    Ok(Json(Data { data: state.store.add_queue_items(rowid, &selection).await? }))
}

/// `ids`, refused when longer than a request may carry.
fn at_most(ids: Vec<String>, field: &str) -> Result<Vec<String>, ApiError> {
    if ids.len() > MAX_SPAN_IDS_PER_REQUEST {
        return Err(ApiError::body_field(
            &[field],
            "too_long",
            &format!("At most {MAX_SPAN_IDS_PER_REQUEST} ids per request; use a filter"),
            ids.len(),
        ));
    }
    Ok(ids)
}

/// A trace-list filter (query string or object) as the project and the
/// trace list's query, read exactly as the trace list reads its URL.
fn trace_list_filter(filter: Value, queue_project: Option<&str>) -> Result<(String, TraceListQuery), ApiError> {
    let pairs: Vec<(String, String)> = match filter {
        Value::String(text) => app::model::query_pairs(&text),
        Value::Object(map) => object_pairs(map)?,
        other => {
            return Err(ApiError::body_field(
                &["filter"],
                "value_error",
                "The filter is the trace list's query string or an object of its parameters",
                other,
            ));
        }
    };
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let project = get("project").or_else(|| queue_project.map(str::to_owned)).ok_or_else(|| {
        ApiError::body_field(
            &["filter", "project"],
            "missing",
            "Field required (the queue has no project)",
            Value::Null,
        )
    })?;
    Ok((project, TraceListQuery::from_params(get).first_page()))
}

/// The filter object's entries as text pairs; unknown keys and non-scalar values are refused.
fn object_pairs(map: Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    let mut pairs = Vec::with_capacity(map.len());
    for (key, value) in map {
        if key != "project" && !TRACE_FILTER_PARAMS.contains(&key.as_str()) {
            return Err(ApiError::body_field(
                &["filter", &key],
                "extra_forbidden",
                &format!("Unknown filter '{key}'; expected project or one of {}", TRACE_FILTER_PARAMS.join(", ")),
                value,
            ));
        }
        let text = match value {
            Value::String(text) => text,
            Value::Bool(flag) => if flag { "1" } else { "" }.to_owned(),
            Value::Number(number) => number.to_string(),
            other => {
                return Err(ApiError::body_field(
                    &["filter", &key],
                    "string_type",
                    "Input should be a string, a number or a boolean",
                    other,
                ));
            }
        };
        pairs.push((key, text));
    }
    Ok(pairs)
}

/// `GET /v1/annotation_queues/{queue}/items?status=&cursor=&limit=`: in the order added.
#[utoipa::path(get, path = "/v1/annotation_queues/{queue}/items", security(("bearer" = ["read"])), tag = "annotation_queues",
    params(("queue" = String, Path), ("status" = Option<String>, Query, description = "pending, reserved or done"),
        ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<QueueItem>), (status = 404), (status = 422)))]
pub async fn list_items(
    State(state): State<AppState>,
    Path(queue): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor: {raw}"))?;
    let status = match params.non_empty("status") {
        Some(_) => ItemStatus::parse(params.choice("status", &["pending", "reserved", "done"], "pending")?),
        None => None,
    };
    let rowid = state.store.queue_rowid(parse_id(&queue)?).await?;
    let page = state.store.queue_items(rowid, status, cursor, limit).await?;
    Ok(Json(Paginated::of(page, QueueItemId::TYPE)))
}

/// `DELETE /v1/annotation_queues/{queue}/items/{item}`: 204, or 404.
#[utoipa::path(delete, path = "/v1/annotation_queues/{queue}/items/{item}", security(("bearer" = ["manage"])), tag = "annotation_queues",
    params(("queue" = String, Path), ("item" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn remove_item(
    State(state): State<AppState>,
    Path((queue, item)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let rowid = state.store.queue_rowid(parse_id(&queue)?).await?;
    state.store.remove_queue_item(rowid, parse_id(&item)?).await?;
    Ok(no_content())
}

/// `POST /v1/annotation_queues/{queue}/next`: the caller's next item,
/// reserved for them (the one they hold, if any), or 204 when nothing is
/// left for them. 403 unless the queue lets the caller work it.
#[utoipa::path(post, path = "/v1/annotation_queues/{queue}/next", security(("bearer" = ["annotate"])), tag = "annotation_queues",
    params(("queue" = String, Path)),
    responses((status = 200, body = Data<QueueReservation>), (status = 204), (status = 403), (status = 404)))]
pub async fn next(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(queue): Path<String>,
) -> Result<Response, ApiError> {
    let rowid = state.store.queue_rowid(parse_id(&queue)?).await?;
    let reviewer = state.store.queue_reviewer(rowid, &caller).await?;
    Ok(match state.store.next_queue_item(rowid, &reviewer, None).await? {
        Some(reservation) => Json(Data { data: reservation }).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Body of `POST …/items/{item}/complete`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteReview {
    /// Span annotation data (trace annotation data for a trace item), as
    /// `POST /v1/span_annotations` takes it; `span_id`/`trace_id` may be
    /// left out (it is the item's) and `annotator_kind` defaults to `HUMAN`.
    /// Written as the caller's own (per-user identifier), source `APP`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    annotations: Option<Vec<Map<String, Value>>>,
}

/// `POST /v1/annotation_queues/{queue}/items/{item}/complete`: writes the
/// caller's annotations and marks their review done; 409 if they hold no
/// live reservation on the item or completed it already.
#[utoipa::path(post, path = "/v1/annotation_queues/{queue}/items/{item}/complete", security(("bearer" = ["annotate"])),
    tag = "annotation_queues", params(("queue" = String, Path), ("item" = String, Path)), request_body = CompleteReview,
    responses((status = 204), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub async fn complete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path((queue, item)): Path<(String, String)>,
    JsonBody(body): JsonBody<CompleteReview>,
) -> Result<impl IntoResponse, ApiError> {
    let rowid = state.store.queue_rowid(parse_id(&queue)?).await?;
    let reviewer = state.store.queue_reviewer(rowid, &caller).await?;
    let target = state.store.queue_item_target(rowid, parse_id(&item)?).await?;
    let annotations = body.annotations.unwrap_or_default();
    if annotations.len() > MAX_ANNOTATIONS_PER_REQUEST {
        return Err(ApiError::body_field(
            &["annotations"],
            "too_long",
            &format!("At most {MAX_ANNOTATIONS_PER_REQUEST} annotations"),
            annotations.len(),
        ));
    }
    let (kind, items) = review_annotations(&target, annotations, &caller)?;
    state.store.complete_review(&target, &reviewer, (kind, items), false).await?;
    Ok(no_content())
}

/// Posted annotation objects as the caller's annotations of the item's target.
fn review_annotations(
    target: &ItemTarget,
    annotations: Vec<Map<String, Value>>,
    caller: &Principal,
) -> Result<(TargetKind, Vec<NewAnnotation>), ApiError> {
    let (kind, target_id) = target.annotated()?;
    let mut items = Vec::with_capacity(annotations.len());
    for (at, mut object) in annotations.into_iter().enumerate() {
        let position = at.to_string();
        let id_field = kind.id_field();
        let given = object.entry(id_field).or_insert_with(|| Value::from(target_id.clone()));
        if given.as_str() != Some(target_id.as_str()) {
            return Err(ApiError::body_field(
                &["annotations", &position, id_field],
                "value_error",
                &format!("An annotation of this item names its {id_field} {target_id}"),
                given.clone(),
            ));
        }
        object.entry("annotator_kind").or_insert_with(|| Value::from("HUMAN"));
        let new = match kind {
            TargetKind::Trace => parse_input::<TraceTarget>(object, &position)?,
            _ => parse_input::<SpanTarget>(object, &position)?,
        };
        if new.name == NOTE_NAME {
            return Err(ApiError::body_field(
                &["annotations", &position, "name"],
                "value_error",
                &format!("The name '{NOTE_NAME}' is reserved for notes"),
                NOTE_NAME,
            ));
        }
        items.push(new.reviewed_by(caller));
    }
    Ok((kind, items))
}

/// One annotation object as an annotation by the app, with errors located
/// at `["body", "annotations", i, …]`.
fn parse_input<T: app::model::Target>(object: Map<String, Value>, position: &str) -> Result<NewAnnotation, ApiError> {
    let input: AnnotationInput<T> = serde_json::from_value(Value::Object(object)).map_err(|error| {
        ApiError::body_field(&["annotations", position], "value_error", &error.to_string(), Value::Null)
    })?;
    Ok(NewAnnotation::from_input(input, AnnotationSource::App, Default::default()))
}
