//! `/v1/user/api_keys` (one's own personal keys) and `/v1/system/api_keys`
//! (service keys, admins only), in Phoenix's shapes. A key is shown once,
//! in the answer that makes it; revoking it takes effect at once.

use app::ids::{ApiKeyId, parse_global_id};
use app::model::accounts::{ApiKey, ApiKeyRequest, CreatedApiKey, Scope};
use app::store::NewApiKey;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::{Data, no_content};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;

/// `{"data": {"name", "description"?, "expires_at"?, "scopes"?}}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateKeyBody {
    /// The key to make.
    pub data: ApiKeyRequest,
}

/// `GET /v1/user/api_keys`: the caller's live personal keys, newest first.
#[utoipa::path(get, path = "/v1/user/api_keys", security(("bearer" = ["user"])), tag = "api_keys",
    responses((status = 200, body = Data<Vec<ApiKey>>), (status = 403)))]
pub async fn list_own(State(state): State<AppState>, Caller(caller): Caller) -> Result<impl IntoResponse, ApiError> {
    let user = own_user(&state, &caller)?;
    Ok(Json(Data { data: state.store.api_keys(Some(user)).await? }))
}

/// `POST /v1/user/api_keys`: a personal key, acting as the caller (at most
/// their role; `scopes` narrow it further).
#[utoipa::path(post, path = "/v1/user/api_keys", security(("bearer" = ["user"])), tag = "api_keys",
    request_body = CreateKeyBody, responses((status = 201, body = Data<CreatedApiKey>), (status = 403), (status = 422)))]
pub async fn create_own(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreateKeyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let user = own_user(&state, &caller)?;
    if caller.api_key_id.is_some() {
        // A narrowed key must not mint a stronger one.
        return Err(ApiError::Forbidden("Make API keys from a login session, not with an API key".into()));
    }
    let scopes = scopes(body.data.scopes.as_deref(), &[])?;
    create(&state, Some(user), caller.user_id, &body.data, &scopes).await
}

/// `DELETE /v1/user/api_keys/{id}`: revokes one of the caller's keys (404
/// for anyone else's: their existence is not revealed).
#[utoipa::path(delete, path = "/v1/user/api_keys/{api_key_id}", security(("bearer" = ["user"])), tag = "api_keys",
    params(("api_key_id" = String, Path)), responses((status = 204), (status = 404), (status = 422)))]
pub async fn revoke_own(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let user = own_user(&state, &caller)?;
    revoke(&state, key_rowid(true, &id)?, Some(user)).await
}

/// `GET /v1/system/api_keys`: the live service keys.
#[utoipa::path(get, path = "/v1/system/api_keys", security(("bearer" = ["admin"])), tag = "api_keys",
    responses((status = 200, body = Data<Vec<ApiKey>>)))]
pub async fn list_system(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(Data { data: state.store.api_keys(None).await? }))
}

/// `POST /v1/system/api_keys`: a service key with scopes (default
/// `ingest`, `annotate`, `feedback`, `read`).
#[utoipa::path(post, path = "/v1/system/api_keys", security(("bearer" = ["admin"])), tag = "api_keys",
    request_body = CreateKeyBody, responses((status = 201, body = Data<CreatedApiKey>), (status = 422)))]
pub async fn create_system(
    State(state): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreateKeyBody>,
) -> Result<impl IntoResponse, ApiError> {
    let scopes = scopes(body.data.scopes.as_deref(), &Scope::DEFAULT)?;
    if scopes.is_empty() {
        return Err(ApiError::body_field(
            &["data", "scopes"],
            "too_short",
            "A service key needs at least one scope (or none given, for the defaults)",
            serde_json::Value::Array(vec![]),
        ));
    }
    create(&state, None, caller.user_id, &body.data, &scopes).await
}

/// `DELETE /v1/system/api_keys/{id}`: revokes a service key.
#[utoipa::path(delete, path = "/v1/system/api_keys/{api_key_id}", security(("bearer" = ["admin"])), tag = "api_keys",
    params(("api_key_id" = String, Path)), responses((status = 204), (status = 404), (status = 422)))]
pub async fn revoke_system(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    revoke(&state, key_rowid(false, &id)?, None).await
}

/// The caller's user: personal keys need auth on and a user (not a service key).
fn own_user(state: &AppState, caller: &app::model::accounts::Principal) -> Result<i64, ApiError> {
    if !state.auth.enabled() {
        return Err(ApiError::Forbidden("API keys need accounts: start Plume with --auth on".into()));
    }
    caller.user_id.ok_or_else(|| ApiError::Forbidden("A service key has no personal keys".into()))
}

/// The scopes asked for, or `default` when none are.
fn scopes(asked: Option<&[String]>, default: &[Scope]) -> Result<Vec<Scope>, ApiError> {
    let Some(asked) = asked else { return Ok(default.to_vec()) };
    asked
        .iter()
        .map(|name| {
            Scope::parse(name).ok_or_else(|| {
                ApiError::body_field(
                    &["data", "scopes"],
                    "value_error",
                    &format!("Unknown scope {name:?}: use ingest, annotate, feedback, read or admin"),
                    name.as_str(),
                )
            })
        })
        .collect()
}

async fn create(
    state: &AppState,
    owner: Option<i64>,
    created_by: Option<i64>,
    request: &ApiKeyRequest,
    scopes: &[Scope],
) -> Result<impl IntoResponse + use<>, ApiError> {
    if !state.auth.enabled() {
        return Err(ApiError::Forbidden("API keys need accounts: start Plume with --auth on".into()));
    }
    let name = request.name.trim();
    if name.is_empty() {
        return Err(ApiError::body_field(&["data", "name"], "value_error", "Name cannot be empty", ""));
    }
    let expires_at = match request.expires_at.as_deref() {
        None => None,
        Some(text) => {
            let at = app::time::parse_iso(text).ok_or_else(|| {
                ApiError::body_field(&["data", "expires_at"], "datetime_parsing", "Not an ISO 8601 time", text)
            })?;
            if at <= chrono::Utc::now() {
                return Err(ApiError::body_field(
                    &["data", "expires_at"],
                    "value_error",
                    "Expiration time must be in the future",
                    text,
                ));
            }
            Some(app::time::to_nanos(at))
        }
    };
    let new = NewApiKey { owner, created_by, name, description: request.description.as_deref(), expires_at, scopes };
    let (listed, key) = state.store.create_api_key(&new).await?;
    Ok((StatusCode::CREATED, Json(Data { data: CreatedApiKey { listed, key } })))
}

async fn revoke(state: &AppState, rowid: i64, owner: Option<i64>) -> Result<StatusCode, ApiError> {
    if !state.store.revoke_api_key(rowid, owner).await? {
        return Err(ApiError::NotFound("API key not found".into()));
    }
    state.auth.forget_credentials();
    Ok(no_content())
}

/// The rowid of a personal key's global id, or of a service key's; else a 422.
fn key_rowid(personal: bool, id: &str) -> Result<i64, ApiError> {
    let kind = ApiKeyId::type_name(personal);
    parse_global_id(kind, id).ok_or_else(|| ApiError::Unprocessable(format!("Invalid {kind} GlobalID format: {id}")))
}
