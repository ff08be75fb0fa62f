//! Sessions, Phoenix's contract: `GET /v1/projects/{p}/sessions`,
//! `GET /v1/sessions/{id}`, `DELETE /v1/sessions/{id}` and
//! `POST /v1/sessions/delete`. A session is named by its global id or by the
//! `session.id` value its spans carried.

use app::ids::{GlobalId, SessionRowid};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{Data, Paginated, Params, cursor, no_content};
use crate::AppState;
use crate::error::ApiError;
use crate::json::JsonBody;

/// The most identifiers one bulk delete takes (a larger list is a 422, not
/// one enormous transaction holding the write lock).
const MAX_BULK_DELETE: usize = 1000;

/// Lists a project's sessions with their traces, by rowid (`order`, default
/// ascending as Phoenix), cursor-paged.
#[utoipa::path(get, path = "/v1/projects/{project}/sessions", security(("bearer" = ["read"])), tag = "sessions",
    params(("project" = String, Path), ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query),
        ("order" = Option<String>, Query, description = "asc (default) or desc, by session id")),
    responses((status = 200, body = Paginated<app::model::Session>), (status = 404), (status = 422)))]
pub async fn list(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, u32::MAX)?;
    let ascending = params.choice("order", &["asc", "desc"], "asc")? == "asc";
    state.store.project_rowid(&project).await?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor format: {raw}"))?;
    let page = state.store.list_sessions(&project, cursor, limit, ascending).await?;
    Ok(Json(Paginated::of(page, SessionRowid::TYPE)))
}

/// One session with its traces, by global id or `session.id`.
#[utoipa::path(get, path = "/v1/sessions/{session_identifier}", security(("bearer" = ["read"])), tag = "sessions",
    params(("session_identifier" = String, Path, description = "a session's global id or its session_id")),
    responses((status = 200, body = Data<app::model::Session>), (status = 404)))]
pub async fn get_one(
    State(state): State<AppState>,
    Path(session): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.session(&session).await? }))
}

/// Deletes a session with its traces, spans and their annotations: 204, or 404.
#[utoipa::path(delete, path = "/v1/sessions/{session_identifier}", security(("bearer" = ["manage"])), tag = "sessions",
    params(("session_identifier" = String, Path, description = "a session's global id or its session_id")),
    responses((status = 204), (status = 404)))]
pub async fn remove(State(state): State<AppState>, Path(session): Path<String>) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_session(&session).await?;
    Ok(no_content())
}

/// Body of `POST /v1/sessions/delete`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct DeleteSessionsBody {
    /// All global ids or all `session_id` values; unknown ones are skipped.
    session_identifiers: Vec<String>,
}

/// Deletes many sessions (each with its traces) in one transaction: 204;
/// 422 for an empty list, a mix of global ids and `session_id`s, or more
/// than 1000.
#[utoipa::path(post, path = "/v1/sessions/delete", security(("bearer" = ["manage"])), tag = "sessions",
    request_body = DeleteSessionsBody, responses((status = 204), (status = 422)))]
pub async fn remove_many(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<DeleteSessionsBody>,
) -> Result<impl IntoResponse, ApiError> {
    if body.session_identifiers.len() > MAX_BULK_DELETE {
        return Err(ApiError::Unprocessable(format!(
            "At most {MAX_BULK_DELETE} session identifiers per request, got {}",
            body.session_identifiers.len()
        )));
    }
    state.store.delete_sessions(&body.session_identifiers).await?;
    Ok(no_content())
}
