//! `/v1/projects`: list, read, create, update, delete.

use app::ids::{GlobalId, ProjectId};
use app::store::NewProject;
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{Data, Paginated, Params, cursor, no_content};
use crate::AppState;
use crate::error::ApiError;
use crate::json::JsonBody;

/// `GET /v1/projects?cursor=&limit=&name_contains=`
#[utoipa::path(get, path = "/v1/projects", security(("bearer" = ["read"])), tag = "projects",
    params(("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query), ("name_contains" = Option<String>, Query)),
    responses((status = 200, body = Paginated<app::model::Project>), (status = 422)))]
pub async fn list(State(state): State<AppState>, params: Params) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, u32::MAX)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor format: {raw}"))?;
    let page = state.store.list_projects(cursor, limit, params.get("name_contains")).await?;
    Ok(Json(Paginated::of(page, ProjectId::TYPE)))
}

/// `GET /v1/projects/{project}`
#[utoipa::path(get, path = "/v1/projects/{project}", security(("bearer" = ["read"])), tag = "projects", params(("project" = String, Path)),
    responses((status = 200, body = Data<app::model::Project>), (status = 404)))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(project): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.project(&project).await? }))
}

/// `POST /v1/projects`: 409 when the name is taken.
#[utoipa::path(post, path = "/v1/projects", security(("bearer" = ["manage"])), tag = "projects", request_body = NewProject,
    responses((status = 200, body = Data<app::model::Project>), (status = 409), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewProject>,
) -> Result<impl IntoResponse, ApiError> {
    if new.name.is_empty() {
        return Err(ApiError::body_field(&["name"], "string_too_short", "String should have at least 1 character", ""));
    }
    Ok(Json(Data { data: state.store.create_project(&new).await? }))
}

/// Body of `PUT /v1/projects/{project}`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateBody {
    #[serde(default)]
    description: Option<String>,
}

/// `PUT /v1/projects/{project}`: only the description can change.
#[utoipa::path(put, path = "/v1/projects/{project}", security(("bearer" = ["manage"])), tag = "projects", params(("project" = String, Path)),
    request_body = UpdateBody, responses((status = 200, body = Data<app::model::Project>), (status = 404)))]
pub async fn update(
    State(state): State<AppState>,
    Path(project): Path<String>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.update_project(&project, body.description.as_deref()).await? }))
}

/// `DELETE /v1/projects/{project}`: 204; `default` is 403.
#[utoipa::path(delete, path = "/v1/projects/{project}", security(("bearer" = ["admin"])), tag = "projects", params(("project" = String, Path)),
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn remove(State(state): State<AppState>, Path(project): Path<String>) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_project(&project).await?;
    Ok(no_content())
}
