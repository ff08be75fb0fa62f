//! The REST API under `/v1`, Phoenix-compatible, one module per resource.

mod annotation_configs;
mod annotations;
mod api_keys;
mod collections;
mod datasets;
mod export_formats;
mod exports;
mod notes;
mod openapi;
mod params;
mod projects;
mod public_links;
mod spans;
mod traces;
mod users;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{any, delete, get, post, put};
use axum::{Json, Router};
use serde::Serialize;

use crate::AppState;
use crate::error::ApiError;
use crate::otlp;

pub use openapi::ApiDoc;
pub use params::Params;

/// The Phoenix server version Plume answers to clients that check it
/// (`arize-phoenix-client` gates its filters on it).
pub const PHOENIX_VERSION: &str = "20.26.1";

/// `{"data": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Data<T> {
    /// The payload.
    pub data: T,
}

/// `{"data": […], "next_cursor": …}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Paginated<T> {
    /// One page.
    pub data: Vec<T>,
    /// Global id of the first item of the next page, `null` on the last one.
    pub next_cursor: Option<String>,
}

/// Every API route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/arize_phoenix_version", get(|| async { PHOENIX_VERSION }))
        .route("/v1/traces", post(otlp::http::export))
        .route("/v1/projects", get(projects::list).post(projects::create))
        .route("/v1/projects/{project}", get(projects::get_one).put(projects::update).delete(projects::remove))
        .route("/v1/projects/{project}/spans", get(spans::list))
        .route("/v1/spans/{span}", delete(spans::remove))
        .route("/v1/projects/{project}/traces", get(traces::list))
        .route("/v1/span_annotations", post(annotations::create_span_annotations))
        .route("/v1/trace_annotations", post(annotations::create_trace_annotations))
        .route("/v1/session_annotations", post(annotations::create_session_annotations))
        .route(
            "/v1/projects/{project}/span_annotations",
            get(annotations::list_span_annotations).delete(annotations::delete_span_annotations),
        )
        .route(
            "/v1/projects/{project}/trace_annotations",
            get(annotations::list_trace_annotations).delete(annotations::delete_trace_annotations),
        )
        .route(
            "/v1/projects/{project}/session_annotations",
            get(annotations::list_session_annotations).delete(annotations::delete_session_annotations),
        )
        .route("/v1/span_notes", post(notes::create_span_note))
        .route("/v1/trace_notes", post(notes::create_trace_note))
        .route("/v1/session_notes", post(notes::create_session_note))
        .route("/v1/annotation_configs", get(annotation_configs::list).post(annotation_configs::create))
        .route(
            "/v1/annotation_configs/{config}",
            get(annotation_configs::get_one).put(annotation_configs::update).delete(annotation_configs::remove),
        )
        .route(
            "/v1/projects/{project}/annotation_configs",
            get(annotation_configs::list_for_project).put(annotation_configs::set_for_project),
        )
        .route(
            "/v1/projects/{project}/annotation_configs/{config}",
            put(annotation_configs::assign).delete(annotation_configs::unassign),
        )
        .route("/v1/collections", get(collections::list).post(collections::create))
        .route(
            "/v1/collections/{collection}",
            get(collections::get_one).patch(collections::update).delete(collections::remove),
        )
        .route("/v1/collections/{collection}/items", get(collections::list_items).post(collections::add_items))
        .route("/v1/collections/{collection}/items/{span}", delete(collections::remove_item))
        .route("/v1/collections/{collection}/export", get(exports::export))
        .route("/v1/collections/{collection}/public_links", post(public_links::create_for_collection))
        .route("/v1/public_links", get(public_links::list).post(public_links::create_for_trace))
        .route("/v1/public_links/{id}", delete(public_links::revoke))
        .route("/v1/datasets", get(datasets::list))
        .route("/v1/datasets/{id}", get(datasets::get_one))
        .route("/v1/datasets/{id}/examples", get(datasets::examples))
        .route("/v1/datasets/{id}/versions", get(datasets::versions))
        .route("/v1/users", get(users::list).post(users::create))
        .route("/v1/users/{user_id}", axum::routing::patch(users::update).delete(users::remove))
        .route("/v1/users/{user_id}/reset_link", post(users::reset_link))
        .route("/v1/user", get(users::viewer))
        .route("/v1/user/api_keys", get(api_keys::list_own).post(api_keys::create_own))
        .route("/v1/user/api_keys/{api_key_id}", delete(api_keys::revoke_own))
        .route("/v1/system/api_keys", get(api_keys::list_system).post(api_keys::create_system))
        .route("/v1/system/api_keys/{api_key_id}", delete(api_keys::revoke_system))
        .route("/openapi.json", get(openapi::document))
        .route("/v1/{*rest}", any(unknown_route))
}

/// Any other `/v1` path: Phoenix's (FastAPI's) JSON 404, not the UI's page.
async fn unknown_route() -> (StatusCode, Json<serde_json::Value>) {
    (StatusCode::NOT_FOUND, Json(serde_json::json!({ "detail": "Not Found" })))
}

/// `GET /healthz`: 200 `OK` once the database answers.
async fn health(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state.store.ping().await?;
    Ok("OK")
}

/// `GET /readyz`: 200 `ready` once the database answers and is migrated to
/// this build's schema, else 503 (a load balancer sends no traffic yet).
/// `/healthz` stays the liveness check.
async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ready().await {
        Ok(true) => (StatusCode::OK, "ready"),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "the database is not migrated to this version yet"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer")
        }
    }
}

/// 204 No Content.
pub fn no_content() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// The rowid inside a cursor, Phoenix-style: any global id type is accepted.
pub fn cursor(params: &Params, message: impl FnOnce(&str) -> String) -> Result<Option<i64>, ApiError> {
    let Some(raw) = params.non_empty("cursor") else { return Ok(None) };
    app::ids::parse_typed_id(raw).map(|(_, rowid)| Some(rowid)).ok_or_else(|| ApiError::Unprocessable(message(raw)))
}

/// This server's base URL as browsers reach it: `--public-url`, else `http://` + Host.
pub fn public_base(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    app::api::PublicUrl(state.feedback.public_url().map(str::to_owned)).base(headers)
}
