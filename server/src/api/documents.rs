//! Annotations of a span's retrieved documents: `POST /v1/document_annotations`
//! (Phoenix's contract) and `GET`/`DELETE /v1/projects/{p}/document_annotations`
//! (Phoenix has no listing; these take the span annotations' shape). The
//! writing, listing and deleting are the other annotations' (see
//! [`super::annotations`]); only the document checks live here.

use app::model::{AnnotationsRequest, DocumentTarget, MAX_ANNOTATIONS_PER_REQUEST};
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::annotations::{Inserted, Listed, create, delete, list};
use super::{Data, Paginated, Params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;
use app::model::InsertedId;

/// The request body (a plain name, as utoipa wants for schemas).
type DocumentAnnotations = AnnotationsRequest<DocumentTarget>;

/// Refuses what Phoenix refuses before writing: a non-blank identifier
/// (422; a document has one annotation per name) and, with `sync=true`,
/// unknown spans (404) and positions outside the span's
/// `retrieval.documents` (422).
async fn check(state: &AppState, body: &DocumentAnnotations, sync: bool) -> Result<(), ApiError> {
    if let Some(item) = body.data.iter().find(|item| !item.identifier.trim().is_empty()) {
        return Err(ApiError::Unprocessable(format!("Non-empty identifier '{}' is not supported", item.identifier)));
    }
    if !sync || body.data.len() > MAX_ANNOTATIONS_PER_REQUEST {
        return Ok(());
    }
    let mut span_ids: Vec<&str> = body.data.iter().map(|item| item.target_id.as_str()).collect();
    span_ids.sort_unstable();
    span_ids.dedup();
    let counts = state.store.span_document_counts(&span_ids).await?;
    let missing: Vec<&str> = span_ids.iter().copied().filter(|id| !counts.contains_key(*id)).collect();
    if !missing.is_empty() {
        return Err(ApiError::NotFound(format!("Spans with IDs {} do not exist.", missing.join(", "))));
    }
    for item in &body.data {
        let count = counts[item.target_id.as_str()];
        let position = item.document_position.unwrap_or_default();
        if !(0..count).contains(&position) {
            return Err(ApiError::Unprocessable(format!(
                "Document position {position} is out of bounds for span {} (max: {})",
                item.target_id,
                count - 1
            )));
        }
    }
    Ok(())
}

/// `POST /v1/document_annotations?sync=`
#[utoipa::path(post, path = "/v1/document_annotations", security(("bearer" = ["annotate"])), tag = "spans",
    params(("sync" = Option<bool>, Query, description = "Wait for the ids; all spans must exist and have the documents")),
    request_body = DocumentAnnotations,
    responses((status = 200, body = Data<Vec<InsertedId>>), (status = 400), (status = 404), (status = 422)))]
pub async fn create_document_annotations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Params,
    JsonBody(body): JsonBody<DocumentAnnotations>,
) -> Result<Inserted, ApiError> {
    check(&state, &body, params.bool("sync", false)?).await?;
    create(&state, &caller, &params, body).await
}

/// `GET /v1/projects/{project}/document_annotations`
#[utoipa::path(get, path = "/v1/projects/{project}/document_annotations", security(("bearer" = ["read"])), tag = "annotations",
    params(("project" = String, Path), ("span_ids" = Option<Vec<String>>, Query), ("identifier" = Option<String>, Query),
        ("include_annotation_names" = Option<Vec<String>>, Query), ("exclude_annotation_names" = Option<Vec<String>>, Query),
        ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<app::model::Annotation>), (status = 404), (status = 422)))]
pub async fn list_document_annotations(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<Listed, ApiError> {
    list::<DocumentTarget>(&state, &project, &params).await
}

/// `DELETE /v1/projects/{project}/document_annotations`
#[utoipa::path(delete, path = "/v1/projects/{project}/document_annotations", security(("bearer" = ["annotate"])), tag = "annotations",
    params(("project" = String, Path), ("name" = Option<String>, Query), ("identifier" = Option<String>, Query),
        ("annotator_kind" = Option<String>, Query), ("start_time" = Option<String>, Query),
        ("end_time" = Option<String>, Query), ("delete_all" = Option<bool>, Query)),
    responses((status = 204), (status = 404), (status = 422)))]
pub async fn delete_document_annotations(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(project): Path<String>,
    params: Params,
) -> Result<StatusCode, ApiError> {
    delete::<DocumentTarget>(&state, &caller, &project, &params).await
}
