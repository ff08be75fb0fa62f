//! `/v1/annotation_configs` (list, get, create, replace, delete) and the
//! per-project assignment routes `/v1/projects/{p}/annotation_configs`.

use app::model::{AnnotationConfig, AnnotationConfigData};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::{Data, Paginated, Params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;

/// One config.
pub type One = Json<Data<AnnotationConfig>>;
/// A page of configs.
pub type Page = Json<Paginated<AnnotationConfig>>;

/// The rowid in a config cursor; anything but a config global id is a 400, as in Phoenix.
fn config_cursor(params: &Params) -> Result<Option<i64>, ApiError> {
    let Some(raw) = params.non_empty("cursor") else { return Ok(None) };
    app::ids::ConfigId::parse(raw)
        .map(|id| Some(id.rowid))
        .ok_or_else(|| ApiError::BadRequest(format!("Invalid cursor: {raw}")))
}

/// The semantic checks (400).
fn checked(data: AnnotationConfigData) -> Result<AnnotationConfigData, ApiError> {
    data.check().map_err(ApiError::BadRequest)?;
    Ok(data)
}

/// `GET /v1/annotation_configs`
#[utoipa::path(get, path = "/v1/annotation_configs", security(("bearer" = ["read"])), tag = "annotation_configs",
    params(("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<AnnotationConfig>), (status = 400), (status = 422)))]
pub async fn list(State(state): State<AppState>, params: Params) -> Result<Page, ApiError> {
    let limit = params.limit("limit", 100, 1, u32::MAX)?;
    Ok(Json(state.store.list_annotation_configs(None, config_cursor(&params)?, limit).await?.into()))
}

/// `GET /v1/annotation_configs/{config}`: by global id or name.
#[utoipa::path(get, path = "/v1/annotation_configs/{config}", security(("bearer" = ["read"])), tag = "annotation_configs",
    params(("config" = String, Path)), responses((status = 200, body = Data<AnnotationConfig>), (status = 404)))]
pub async fn get_one(State(state): State<AppState>, Path(config): Path<String>) -> Result<One, ApiError> {
    Ok(Json(Data { data: state.store.annotation_config(&config).await? }))
}

/// `POST /v1/annotation_configs`: the body is the config itself.
#[utoipa::path(post, path = "/v1/annotation_configs", security(("bearer" = ["manage"])), tag = "annotation_configs",
    request_body = AnnotationConfigData,
    responses((status = 200, body = Data<AnnotationConfig>), (status = 400), (status = 409), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(data): JsonBody<AnnotationConfigData>,
) -> Result<One, ApiError> {
    Ok(Json(Data { data: state.store.create_annotation_config(&checked(data)?, caller.author()).await? }))
}

/// `PUT /v1/annotation_configs/{config}`: replaces it, name included.
#[utoipa::path(put, path = "/v1/annotation_configs/{config}", security(("bearer" = ["manage"])), tag = "annotation_configs",
    params(("config" = String, Path)), request_body = AnnotationConfigData,
    responses((status = 200, body = Data<AnnotationConfig>), (status = 400), (status = 404), (status = 409), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    Path(config): Path<String>,
    JsonBody(data): JsonBody<AnnotationConfigData>,
) -> Result<One, ApiError> {
    Ok(Json(Data { data: state.store.update_annotation_config(&config, &checked(data)?).await? }))
}

/// `DELETE /v1/annotation_configs/{config}`: answers the deleted config.
#[utoipa::path(delete, path = "/v1/annotation_configs/{config}", security(("bearer" = ["manage"])), tag = "annotation_configs",
    params(("config" = String, Path)), responses((status = 200, body = Data<AnnotationConfig>), (status = 404)))]
pub async fn remove(State(state): State<AppState>, Path(config): Path<String>) -> Result<One, ApiError> {
    Ok(Json(Data { data: state.store.delete_annotation_config(&config).await? }))
}

/// `GET /v1/projects/{project}/annotation_configs`: the configs assigned to it.
#[utoipa::path(get, path = "/v1/projects/{project}/annotation_configs", security(("bearer" = ["read"])), tag = "annotation_configs",
    params(("project" = String, Path), ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<AnnotationConfig>), (status = 400), (status = 404), (status = 422)))]
pub async fn list_for_project(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<Page, ApiError> {
    let limit = params.limit("limit", 100, 1, u32::MAX)?;
    let cursor = config_cursor(&params)?;
    Ok(Json(state.store.list_annotation_configs(Some(&project), cursor, limit).await?.into()))
}

/// Body of `PUT /v1/projects/{project}/annotation_configs`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SetProjectConfigs {
    /// The complete set of config global ids the project should have.
    pub annotation_config_ids: Vec<String>,
}

/// `PUT /v1/projects/{project}/annotation_configs`: replaces the assigned set.
#[utoipa::path(put, path = "/v1/projects/{project}/annotation_configs", security(("bearer" = ["manage"])), tag = "annotation_configs",
    params(("project" = String, Path)), request_body = SetProjectConfigs,
    responses((status = 200, body = Paginated<AnnotationConfig>), (status = 404), (status = 422)))]
pub async fn set_for_project(
    State(state): State<AppState>,
    Path(project): Path<String>,
    JsonBody(body): JsonBody<SetProjectConfigs>,
) -> Result<Page, ApiError> {
    let data = state.store.set_project_annotation_configs(&project, &body.annotation_config_ids).await?;
    Ok(Json(Paginated { data, next_cursor: None }))
}

/// `PUT /v1/projects/{project}/annotation_configs/{config}`: assigns it (idempotent).
#[utoipa::path(put, path = "/v1/projects/{project}/annotation_configs/{config}", security(("bearer" = ["manage"])), tag = "annotation_configs",
    params(("project" = String, Path), ("config" = String, Path)),
    responses((status = 200, body = Data<AnnotationConfig>), (status = 404)))]
pub async fn assign(
    State(state): State<AppState>,
    Path((project, config)): Path<(String, String)>,
) -> Result<One, ApiError> {
    Ok(Json(Data { data: state.store.assign_annotation_config(&project, &config).await? }))
}

/// `DELETE /v1/projects/{project}/annotation_configs/{config}`: unassigns it (idempotent), 204.
#[utoipa::path(delete, path = "/v1/projects/{project}/annotation_configs/{config}", security(("bearer" = ["manage"])), tag = "annotation_configs",
    params(("project" = String, Path), ("config" = String, Path)), responses((status = 204), (status = 404)))]
pub async fn unassign(
    State(state): State<AppState>,
    Path((project, config)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.store.unassign_annotation_config(&project, &config).await?;
    Ok(StatusCode::NO_CONTENT)
}
