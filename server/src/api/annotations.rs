//! Span, trace and session annotations: `POST /v1/{span,trace,session}_annotations`
//! and `GET`/`DELETE /v1/projects/{p}/{…}_annotations`. One generic
//! implementation per operation, parameterised by the [`Target`]; the thin
//! per-route functions below exist so that each route has its OpenAPI entry.

use app::model::{
    AnnotationSource, AnnotationsRequest, InsertedId, MAX_ANNOTATIONS_PER_REQUEST, NOTE_NAME, SessionTarget,
    SpanTarget, Target, TraceTarget,
};
use app::store::{AnnotationDeletion, AnnotationFilter, NewAnnotation, WriteMode};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::{Data, Paginated, Params, cursor};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;
use app::model::accounts::Principal;

/// Request bodies by target (plain names, as utoipa wants for schemas).
type SpanAnnotations = AnnotationsRequest<SpanTarget>;
type TraceAnnotations = AnnotationsRequest<TraceTarget>;
type SessionAnnotations = AnnotationsRequest<SessionTarget>;

/// At most this many target ids in one listing.
const MAX_LISTED_TARGETS: usize = 1000;

/// The answer of the POST routes: one id per item (`sync=true`) or none.
pub type Inserted = Json<Data<Vec<InsertedId>>>;
/// The answer of the GET routes.
pub type Listed = Json<Paginated<app::model::Annotation>>;

/// Validates and writes posted annotations; `sync=true` answers their ids.
pub async fn create<T: Target>(
    state: &AppState,
    caller: &Principal,
    params: &Params,
    body: AnnotationsRequest<T>,
) -> Result<Inserted, ApiError> {
    let sync = params.bool("sync", false)?;
    if body.data.len() > MAX_ANNOTATIONS_PER_REQUEST {
        return Err(ApiError::body_field(
            &["data"],
            "too_long",
            &format!("List should have at most {MAX_ANNOTATIONS_PER_REQUEST} items after validation"),
            body.data.len(),
        ));
    }
    if body.data.iter().any(|item| item.name == NOTE_NAME) {
        return Err(ApiError::BadRequest(format!(
            "The annotation name '{NOTE_NAME}' is reserved for notes; use /v1/{}_notes",
            T::KIND.as_str()
        )));
    }
    let (author, only_own) = (caller.author(), caller.own_work_only().is_some());
    let items: Vec<NewAnnotation> = body
        .data
        .into_iter()
        .map(|item| NewAnnotation { only_own, ..NewAnnotation::from_input(item, AnnotationSource::Api, author) })
        .collect();
    let mode = if sync { WriteMode::Sync } else { WriteMode::Deferred };
    let rowids = state.store.writer().write_annotations(T::KIND, items, mode).await?;
    let data = rowids.into_iter().map(|id| InsertedId { id: app::ids::AnnotationId { kind: T::KIND, rowid: id } });
    Ok(Json(Data { data: data.collect() }))
}

/// Lists a project's annotations of `T`, newest first.
pub async fn list<T: Target>(state: &AppState, project: &str, params: &Params) -> Result<Listed, ApiError> {
    let limit = params.limit("limit", 10, 1, 10_000)?;
    let ids_param = format!("{}s", T::KIND.id_field());
    let target_ids = params.all(&ids_param);
    if target_ids.len() > MAX_LISTED_TARGETS {
        return Err(ApiError::query(
            &ids_param,
            format!("List should have at most {MAX_LISTED_TARGETS} items after validation"),
            target_ids.len(),
        ));
    }
    let identifier = params.get("identifier").map(str::to_owned);
    if target_ids.is_empty() && identifier.is_none() {
        return Err(ApiError::Unprocessable(format!("At least one of {ids_param} or identifier must be provided")));
    }
    state.store.project_rowid(project).await?;
    let filter = AnnotationFilter {
        target_ids,
        identifier,
        include_names: params.all("include_annotation_names"),
        exclude_names: params.all("exclude_annotation_names"),
        cursor: cursor(params, |raw| format!("Invalid cursor format: {raw}"))?,
        limit,
    };
    let page = state.store.list_annotations(T::KIND, project, &filter).await?;
    Ok(Json(Paginated::of(page, T::KIND.annotation_type())))
}

/// Deletes a project's annotations of `T` matching the filters; needs
/// `delete_all=true` or both times.
pub async fn delete<T: Target>(
    state: &AppState,
    caller: &Principal,
    project: &str,
    params: &Params,
) -> Result<StatusCode, ApiError> {
    let delete_all = params.bool("delete_all", false)?;
    let annotator_kind = match params.get("annotator_kind") {
        Some(_) => {
            let kind = params.choice("annotator_kind", &["LLM", "CODE", "HUMAN"], "HUMAN")?;
            app::model::AnnotatorKind::parse(kind)
        }
        None => None,
    };
    let deletion = AnnotationDeletion {
        name: params.get("name").map(str::to_owned),
        identifier: params.get("identifier").map(str::to_owned),
        annotator_kind,
        start_time: params.time("start_time")?,
        end_time: params.time("end_time")?,
        // Only one's own, unless an admin.
        made_by: caller.own_work_only(),
    };
    match (deletion.start_time, deletion.end_time) {
        (Some(start), Some(end)) if start >= end => {
            return Err(ApiError::Unprocessable("start_time must be earlier than end_time".into()));
        }
        (Some(_), Some(_)) => {}
        _ if delete_all => {}
        _ => {
            return Err(ApiError::Unprocessable(
                "Delete is unbounded. Set delete_all=true to acknowledge, or supply both start_time and end_time \
                 to bound the time range."
                    .into(),
            ));
        }
    }
    state.store.delete_annotations(T::KIND, project, &deletion).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/span_annotations?sync=`
#[utoipa::path(post, path = "/v1/span_annotations", security(("bearer" = ["annotate"])), tag = "annotations",
    params(("sync" = Option<bool>, Query, description = "Wait for the ids; all spans must exist")),
    request_body = SpanAnnotations,
    responses((status = 200, body = Data<Vec<InsertedId>>), (status = 400), (status = 404), (status = 422)))]
pub async fn create_span_annotations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Params,
    JsonBody(body): JsonBody<SpanAnnotations>,
) -> Result<Inserted, ApiError> {
    create(&state, &caller, &params, body).await
}

/// `POST /v1/trace_annotations?sync=`
#[utoipa::path(post, path = "/v1/trace_annotations", security(("bearer" = ["annotate"])), tag = "annotations",
    params(("sync" = Option<bool>, Query, description = "Wait for the ids; all traces must exist")),
    request_body = TraceAnnotations,
    responses((status = 200, body = Data<Vec<InsertedId>>), (status = 400), (status = 404), (status = 422)))]
pub async fn create_trace_annotations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Params,
    JsonBody(body): JsonBody<TraceAnnotations>,
) -> Result<Inserted, ApiError> {
    create(&state, &caller, &params, body).await
}

/// `POST /v1/session_annotations?sync=`
#[utoipa::path(post, path = "/v1/session_annotations", security(("bearer" = ["annotate"])), tag = "annotations",
    params(("sync" = Option<bool>, Query, description = "Wait for the ids; all sessions must exist")),
    request_body = SessionAnnotations,
    responses((status = 200, body = Data<Vec<InsertedId>>), (status = 400), (status = 404), (status = 422)))]
pub async fn create_session_annotations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Params,
    JsonBody(body): JsonBody<SessionAnnotations>,
) -> Result<Inserted, ApiError> {
    create(&state, &caller, &params, body).await
}

/// `GET /v1/projects/{project}/span_annotations`
#[utoipa::path(get, path = "/v1/projects/{project}/span_annotations", security(("bearer" = ["read"])), tag = "annotations",
    params(("project" = String, Path), ("span_ids" = Option<Vec<String>>, Query), ("identifier" = Option<String>, Query),
        ("include_annotation_names" = Option<Vec<String>>, Query), ("exclude_annotation_names" = Option<Vec<String>>, Query),
        ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<app::model::Annotation>), (status = 404), (status = 422)))]
pub async fn list_span_annotations(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<Listed, ApiError> {
    list::<SpanTarget>(&state, &project, &params).await
}

/// `GET /v1/projects/{project}/trace_annotations`
#[utoipa::path(get, path = "/v1/projects/{project}/trace_annotations", security(("bearer" = ["read"])), tag = "annotations",
    params(("project" = String, Path), ("trace_ids" = Option<Vec<String>>, Query), ("identifier" = Option<String>, Query),
        ("include_annotation_names" = Option<Vec<String>>, Query), ("exclude_annotation_names" = Option<Vec<String>>, Query),
        ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<app::model::Annotation>), (status = 404), (status = 422)))]
pub async fn list_trace_annotations(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<Listed, ApiError> {
    list::<TraceTarget>(&state, &project, &params).await
}

/// `GET /v1/projects/{project}/session_annotations`
#[utoipa::path(get, path = "/v1/projects/{project}/session_annotations", security(("bearer" = ["read"])), tag = "annotations",
    params(("project" = String, Path), ("session_ids" = Option<Vec<String>>, Query), ("identifier" = Option<String>, Query),
        ("include_annotation_names" = Option<Vec<String>>, Query), ("exclude_annotation_names" = Option<Vec<String>>, Query),
        ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<app::model::Annotation>), (status = 404), (status = 422)))]
pub async fn list_session_annotations(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<Listed, ApiError> {
    list::<SessionTarget>(&state, &project, &params).await
}

/// `DELETE /v1/projects/{project}/span_annotations`
#[utoipa::path(delete, path = "/v1/projects/{project}/span_annotations", security(("bearer" = ["annotate"])), tag = "annotations",
    params(("project" = String, Path), ("name" = Option<String>, Query), ("identifier" = Option<String>, Query),
        ("annotator_kind" = Option<String>, Query), ("start_time" = Option<String>, Query),
        ("end_time" = Option<String>, Query), ("delete_all" = Option<bool>, Query)),
    responses((status = 204), (status = 404), (status = 422)))]
pub async fn delete_span_annotations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(project): Path<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    delete::<SpanTarget>(&state, &caller, &project, &params).await
}

/// `DELETE /v1/projects/{project}/trace_annotations`
#[utoipa::path(delete, path = "/v1/projects/{project}/trace_annotations", security(("bearer" = ["annotate"])), tag = "annotations",
    params(("project" = String, Path), ("name" = Option<String>, Query), ("identifier" = Option<String>, Query),
        ("annotator_kind" = Option<String>, Query), ("start_time" = Option<String>, Query),
        ("end_time" = Option<String>, Query), ("delete_all" = Option<bool>, Query)),
    responses((status = 204), (status = 404), (status = 422)))]
pub async fn delete_trace_annotations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(project): Path<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    delete::<TraceTarget>(&state, &caller, &project, &params).await
}

/// `DELETE /v1/projects/{project}/session_annotations`
#[utoipa::path(delete, path = "/v1/projects/{project}/session_annotations", security(("bearer" = ["annotate"])), tag = "annotations",
    params(("project" = String, Path), ("name" = Option<String>, Query), ("identifier" = Option<String>, Query),
        ("annotator_kind" = Option<String>, Query), ("start_time" = Option<String>, Query),
        ("end_time" = Option<String>, Query), ("delete_all" = Option<bool>, Query)),
    responses((status = 204), (status = 404), (status = 422)))]
pub async fn delete_session_annotations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(project): Path<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    delete::<SessionTarget>(&state, &caller, &project, &params).await
}
