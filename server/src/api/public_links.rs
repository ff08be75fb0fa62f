//! `/v1/public_links` and `/v1/collections/{id}/public_links`: expiring,
//! revocable read-only links for people outside, served at `/share/{token}`.

use app::ids::{GlobalId, PublicLinkId};
use app::model::{
    CreatedPublicLink, DEFAULT_LINK_TTL_SECONDS, LinkTarget, MAX_LINK_TTL_SECONDS, PublicLink, PublicLinkRequest,
    redaction,
};
use app::store::parse_id;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use serde_json::Value;

use super::{Data, Paginated, Params, cursor, no_content};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::json::JsonBody;

/// `POST /v1/collections/{collection}/public_links`: a link to the collection.
/// The token is in this answer only.
#[utoipa::path(post, path = "/v1/collections/{collection}/public_links", security(("bearer" = ["manage"])), tag = "public_links",
    params(("collection" = String, Path)), request_body = PublicLinkRequest,
    responses((status = 200, body = Data<CreatedPublicLink>), (status = 404), (status = 422)))]
pub async fn create_for_collection(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(collection): Path<String>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<PublicLinkRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let ttl = check(&request)?;
    let rowid = state.store.collection_rowid(&collection).await?;
    create(&state, &caller, &headers, LinkTarget::Collection(rowid), ttl, &request).await
}

/// `POST /v1/public_links` with `{"trace_id", "expires_in_seconds"?, "redact"?,
/// "redact_explanations"?, "redact_notes"?}`:
/// a link to one trace. The token is in this answer only.
#[utoipa::path(post, path = "/v1/public_links", security(("bearer" = ["manage"])), tag = "public_links", request_body = PublicLinkRequest,
    responses((status = 200, body = Data<CreatedPublicLink>), (status = 404), (status = 422)))]
pub async fn create_for_trace(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    JsonBody(request): JsonBody<PublicLinkRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let ttl = check(&request)?;
    let Some(trace_id) = request.trace_id.clone() else {
        return Err(ApiError::body_field(&["trace_id"], "missing", "Field required", Value::Null));
    };
    create(&state, &caller, &headers, LinkTarget::Trace(trace_id), ttl, &request).await
}

/// `GET /v1/public_links?cursor=&limit=`: every link, newest first, without tokens.
#[utoipa::path(get, path = "/v1/public_links", security(("bearer" = ["read"])), tag = "public_links",
    params(("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = Paginated<PublicLink>), (status = 422)))]
pub async fn list(State(state): State<AppState>, params: Params) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    let cursor = cursor(&params, |raw| format!("Invalid cursor: {raw}"))?;
    let page = state.store.list_public_links(cursor, limit).await?;
    Ok(Json(Paginated::of(page, PublicLinkId::TYPE)))
}

/// `DELETE /v1/public_links/{id}`: revokes the link at once (204); 404 when unknown.
#[utoipa::path(delete, path = "/v1/public_links/{id}", security(("bearer" = ["manage"])), tag = "public_links", params(("id" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn revoke(State(state): State<AppState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    state.store.revoke_public_link(parse_id(&id)?).await?;
    Ok(no_content())
}

/// The lifetime asked for, after checking it and the redaction patterns.
fn check(request: &PublicLinkRequest) -> Result<i64, ApiError> {
    let ttl = request.expires_in_seconds.unwrap_or(DEFAULT_LINK_TTL_SECONDS);
    if !(1..=MAX_LINK_TTL_SECONDS).contains(&ttl) {
        return Err(ApiError::body_field(
            &["expires_in_seconds"],
            "value_error",
            &format!("Input should be between 1 and {MAX_LINK_TTL_SECONDS}"),
            ttl,
        ));
    }
    redaction::check_patterns(&request.redact)
        .map_err(|msg| ApiError::body_field(&["redact"], "value_error", &msg, request.redact.clone()))?;
    Ok(ttl)
}

async fn create(
    state: &AppState,
    caller: &app::model::accounts::Principal,
    headers: &HeaderMap,
    target: LinkTarget,
    ttl: i64,
    request: &PublicLinkRequest,
) -> Result<impl IntoResponse + use<>, ApiError> {
    let link = state.store.create_public_link(&target, ttl, &request.redaction(), caller.author()).await?;
    let url = format!("{}/share/{}", super::public_base(state, headers), link.token);
    let data = CreatedPublicLink { id: PublicLinkId(link.rowid), url, token: link.token, expires_at: link.expires_at };
    Ok(Json(Data { data }))
}
