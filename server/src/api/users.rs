//! `/v1/users` (admins) and `/v1/user` (who am I), in Phoenix's shapes.
//! A user made without a password gets a one-time link to set one (no
//! e-mail server needed: the admin passes it on).

use app::ids::{GlobalId, UserId};
use app::model::accounts::{Permission, Role, User};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Paginated, Params, cursor, no_content, public_base};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;
use crate::users_cli::LINK_TTL;

/// Body of `POST /v1/users`: `{"user": {…}}` (Phoenix's `CreateUserRequestBody`;
/// its `send_welcome_email` is accepted and ignored: Plume sends no e-mail).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateUserBody {
    /// The user.
    pub user: NewUser,
}

/// A user to make (a `username` is accepted and ignored: Plume's is the email).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    /// Login name.
    pub email: String,
    /// `ADMIN`, `MEMBER`, `ANNOTATOR` or `VIEWER`.
    pub role: String,
    /// Only `LOCAL`.
    #[serde(default)]
    pub auth_method: Option<String>,
    /// The password; without one the answer carries a one-time `invite_url`.
    #[serde(default)]
    pub password: Option<String>,
}

/// Body of `PATCH /v1/users/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UserChange {
    /// A new role (ends the user's sessions).
    #[serde(default)]
    pub role: Option<String>,
    /// `false` deactivates (sessions and keys stop at once), `true` reactivates.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A user and, for one made without a password, the link to set it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    /// The user.
    pub data: User,
    /// One-time link to set the password (7 days), when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_url: Option<String>,
}

/// A one-time link.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Link {
    /// Where the user sets a new password (7 days, once).
    pub url: String,
}

/// `GET /v1/users`: every user, newest first.
#[utoipa::path(get, path = "/v1/users", security(("bearer" = ["admin"])), tag = "users",
    params(("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<User>), (status = 422)))]
pub async fn list(State(state): State<AppState>, params: Params) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor format: {raw}"))?;
    let page = state.store.users(cursor, limit).await?.map(|row| row.to_user());
    Ok(Json(Paginated::of(page, UserId::TYPE)))
}

/// `POST /v1/users`: 201 with the user; 409 for a taken email.
#[utoipa::path(post, path = "/v1/users", security(("bearer" = ["admin"])), tag = "users", request_body = CreateUserBody,
    responses((status = 201, body = CreatedUser), (status = 400), (status = 409), (status = 422)))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CreateUserBody>,
) -> Result<impl IntoResponse, ApiError> {
    let role = Role::parse(&body.user.role)
        .ok_or_else(|| ApiError::BadRequest(format!("Role '{}' not found", body.user.role)))?;
    if body.user.auth_method.as_deref().is_some_and(|method| method != "LOCAL") {
        return Err(ApiError::BadRequest("Only LOCAL users are supported".into()));
    }
    let hash = match body.user.password {
        Some(password) => Some(state.auth.passwords().hash(password).await.map_err(ApiError::Unprocessable)?),
        None => None,
    };
    let user = state.store.create_user(&body.user.email, role, hash.as_deref()).await?;
    let invite_url = match hash {
        Some(_) => None,
        None => Some(set_password_url(&state, &headers, user.id).await?),
    };
    Ok((StatusCode::CREATED, Json(CreatedUser { data: user.to_user(), invite_url })))
}

/// `PATCH /v1/users/{id}`: change the role or (de)activate. The user's
/// sessions end; a deactivated user's keys stop at once.
#[utoipa::path(patch, path = "/v1/users/{user_id}", security(("bearer" = ["admin"])), tag = "users",
    params(("user_id" = String, Path)), request_body = UserChange,
    responses((status = 200, body = super::Data<User>), (status = 403), (status = 404), (status = 422)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(user_id): Path<String>,
    JsonBody(change): JsonBody<UserChange>,
) -> Result<impl IntoResponse, ApiError> {
    let rowid = user_rowid(&user_id)?;
    if caller.user_id == Some(rowid) {
        return Err(ApiError::Forbidden("Admins cannot change their own role or deactivate themselves".into()));
    }
    if let Some(role) = &change.role {
        let role = Role::parse(role).ok_or_else(|| ApiError::BadRequest(format!("Role '{role}' not found")))?;
        state.store.set_role(rowid, role).await?;
    }
    if let Some(active) = change.active {
        state.store.set_active(rowid, active).await?;
    }
    state.auth.forget_credentials();
    let user = state.store.user(rowid).await?.ok_or_else(|| ApiError::NotFound("User not found".into()))?;
    Ok(Json(super::Data { data: user.to_user() }))
}

/// `DELETE /v1/users/{id}`: 204; the user's sessions and keys go with them.
#[utoipa::path(delete, path = "/v1/users/{user_id}", security(("bearer" = ["admin"])), tag = "users",
    params(("user_id" = String, Path)), responses((status = 204), (status = 403), (status = 404), (status = 422)))]
pub async fn remove(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(user_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let rowid = user_rowid(&user_id)?;
    if caller.user_id == Some(rowid) {
        return Err(ApiError::Forbidden("Admins cannot delete themselves".into()));
    }
    if !state.store.delete_user(rowid).await? {
        return Err(ApiError::NotFound("User not found".into()));
    }
    state.auth.forget_credentials();
    Ok(no_content())
}

/// `POST /v1/users/{id}/reset_link`: a one-time link to set a new password.
#[utoipa::path(post, path = "/v1/users/{user_id}/reset_link", security(("bearer" = ["admin"])), tag = "users",
    params(("user_id" = String, Path)), responses((status = 200, body = super::Data<Link>), (status = 404)))]
pub async fn reset_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let rowid = user_rowid(&user_id)?;
    state.store.user(rowid).await?.ok_or_else(|| ApiError::NotFound("User not found".into()))?;
    Ok(Json(super::Data { data: Link { url: set_password_url(&state, &headers, rowid).await? } }))
}

/// `GET /v1/user`: who the credential is. With auth off, Phoenix's anonymous
/// user; for a service key, the key.
#[utoipa::path(get, path = "/v1/user", security(("bearer" = ["signed"])), tag = "users",
    responses((status = 200, body = super::Data<User>), (status = 401)))]
pub async fn viewer(State(state): State<AppState>, Caller(caller): Caller) -> Result<impl IntoResponse, ApiError> {
    if !state.auth.enabled() {
        return Ok(Json(json!({ "data": { "auth_method": "ANONYMOUS" } })));
    }
    match caller.user_id {
        Some(user) => {
            let user = state.store.user(user).await?.ok_or_else(|| ApiError::NotFound("User not found".into()))?;
            Ok(Json(json!({ "data": user.to_user() })))
        }
        None => {
            let scopes: Vec<&str> =
                Permission::ALL.into_iter().filter(|p| caller.can(*p)).map(Permission::as_str).collect();
            Ok(Json(json!({ "data": { "auth_method": "API_KEY", "username": caller.name, "permissions": scopes } })))
        }
    }
}

/// The rowid in a `User` global id.
fn user_rowid(id: &str) -> Result<i64, ApiError> {
    let parsed =
        UserId::parse(id).ok_or_else(|| ApiError::Unprocessable(format!("Invalid User GlobalID format: {id}")));
    Ok(parsed?.0)
}

/// A fresh one-time link for `user`, on this server's public URL.
async fn set_password_url(state: &AppState, headers: &HeaderMap, user: i64) -> Result<String, ApiError> {
    let token = state.store.create_user_link(user, LINK_TTL).await?;
    Ok(format!("{}/set-password?token={token}", public_base(state, headers)))
}
