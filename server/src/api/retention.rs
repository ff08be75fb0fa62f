//! `GET`/`PATCH /v1/projects/{p}/retention`: how long a project keeps its
//! traces, as Phoenix's `TraceRetentionRule`; the server's retention sweep
//! (server/src/retention.rs) enforces it.

use app::model::{ProjectRetention, RetentionPatch};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use super::Data;
use crate::AppState;
use crate::error::ApiError;
use crate::json::JsonBody;

/// A project's retention rule (`rule: null`: traces are kept for ever).
#[utoipa::path(get, path = "/v1/projects/{project}/retention", security(("bearer" = ["read"])), tag = "projects",
    params(("project" = String, Path)), responses((status = 200, body = Data<ProjectRetention>), (status = 404)))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(project): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.retention(&project).await? }))
}

/// Sets a project's retention rule (`{"rule": {"type": "max_days", "max_days": 30}}`,
/// `max_count`, `max_days_or_count`), or removes it (`{"rule": null}`); 422 for
/// an unknown type or a negative limit.
#[utoipa::path(patch, path = "/v1/projects/{project}/retention", security(("bearer" = ["manage"])), tag = "projects",
    params(("project" = String, Path)), request_body = RetentionPatch,
    responses((status = 200, body = Data<ProjectRetention>), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    Path(project): Path<String>,
    JsonBody(patch): JsonBody<RetentionPatch>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.set_retention(&project, patch.rule.as_ref()).await? }))
}
