//! The REST API under `/v1`, Phoenix-compatible, one module per resource.

mod agreement;
mod annotation_configs;
mod annotations;
mod api_keys;
mod collections;
mod dataset_exports;
mod dataset_uploads;
mod datasets;
mod documents;
mod export_formats;
mod exports;
mod notes;
mod openapi;
mod params;
mod projects;
mod public_links;
mod queues;
mod retention;
mod sessions;
mod span_queries;
mod spans;
mod traces;
mod users;
mod webhooks;

use app::store::Schema;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{any, get};
use serde::Serialize;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::ApiError;
use crate::otlp;

use openapi::ApiDoc;
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

impl<T> Paginated<T> {
    /// A page of the store's as the API lists it: the next page's first row
    /// by its global id of type `type_name` (any type decodes: [`cursor`]).
    pub fn of(page: app::store::Page<T>, type_name: &str) -> Self {
        Paginated { data: page.rows, next_cursor: page.next.map(|rowid| app::ids::global_id(type_name, rowid)) }
    }
}

/// A page of a listing with a cursor of its own (the trace list's keyset).
impl<T> From<app::store::Page<T, String>> for Paginated<T> {
    fn from(page: app::store::Page<T, String>) -> Self {
        Paginated { data: page.rows, next_cursor: page.next }
    }
}

/// A page of annotation configs: the next page's first config by its id,
/// whose type name is its kind's.
impl<T> From<app::store::Page<T, app::ids::ConfigId>> for Paginated<T> {
    fn from(page: app::store::Page<T, app::ids::ConfigId>) -> Self {
        Paginated { data: page.rows, next_cursor: page.next.map(|id| id.to_string()) }
    }
}

/// Every REST route, each registered once with its OpenAPI entry (its
/// handler's `#[utoipa::path]`): the router serves them, [`document`]
/// describes them, and the auth rules read each route's permission from that
/// description. Routes outside the API's description are plain `.route`s.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(otlp::http::export))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::get_one, projects::update, projects::remove))
        .routes(routes!(spans::list))
        .routes(routes!(spans::remove))
        .routes(routes!(span_queries::query))
        .routes(routes!(traces::list))
        .routes(routes!(traces::remove_between))
        .routes(routes!(traces::remove))
        .routes(routes!(retention::get_one, retention::update))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::get_one, sessions::remove))
        .routes(routes!(sessions::remove_many))
        .routes(routes!(annotations::create_span_annotations))
        .routes(routes!(annotations::create_trace_annotations))
        .routes(routes!(annotations::create_session_annotations))
        .routes(routes!(annotations::list_span_annotations, annotations::delete_span_annotations))
        .routes(routes!(annotations::list_trace_annotations, annotations::delete_trace_annotations))
        .routes(routes!(annotations::list_session_annotations, annotations::delete_session_annotations))
        .routes(routes!(documents::create_document_annotations))
        .routes(routes!(documents::list_document_annotations, documents::delete_document_annotations))
        .routes(routes!(agreement::agreement))
        .routes(routes!(agreement::bulk_annotate))
        .routes(routes!(notes::create_span_note))
        .routes(routes!(notes::create_trace_note))
        .routes(routes!(notes::create_session_note))
        .routes(routes!(annotation_configs::list, annotation_configs::create))
        .routes(routes!(annotation_configs::get_one, annotation_configs::update, annotation_configs::remove))
        .routes(routes!(annotation_configs::list_for_project, annotation_configs::set_for_project))
        .routes(routes!(annotation_configs::assign, annotation_configs::unassign))
        .routes(routes!(collections::list, collections::create))
        .routes(routes!(collections::get_one, collections::update, collections::remove))
        .routes(routes!(collections::list_items, collections::add_items))
        .routes(routes!(collections::remove_item, collections::update_item))
        .routes(routes!(queues::list, queues::create))
        .routes(routes!(queues::get_one, queues::update, queues::remove))
        .routes(routes!(queues::list_items, queues::add_items))
        .routes(routes!(queues::remove_item))
        .routes(routes!(queues::next))
        .routes(routes!(queues::complete))
        .routes(routes!(exports::export))
        .routes(routes!(public_links::create_for_collection))
        .routes(routes!(public_links::list, public_links::create_for_trace))
        .routes(routes!(public_links::revoke))
        .routes(routes!(datasets::list))
        .routes(routes!(datasets::get_one))
        .routes(routes!(datasets::examples))
        .routes(routes!(datasets::versions))
        .routes(routes!(dataset_uploads::upload))
        .routes(routes!(dataset_exports::csv))
        .routes(routes!(dataset_exports::openai_ft))
        .routes(routes!(dataset_exports::openai_evals))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::update, users::remove))
        .routes(routes!(users::reset_link))
        .routes(routes!(users::viewer))
        .routes(routes!(api_keys::list_own, api_keys::create_own))
        .routes(routes!(api_keys::revoke_own))
        .routes(routes!(api_keys::list_system, api_keys::create_system))
        .routes(routes!(api_keys::revoke_system))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get_one, webhooks::update, webhooks::remove))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::redeliver))
        .routes(routes!(webhooks::test))
        .routes(routes!(webhooks::list_alert_rules, webhooks::create_alert_rule))
        .routes(routes!(webhooks::remove_alert_rule))
        .routes(routes!(crate::metrics::serve))
        .merge(crate::feedback::routes())
        .route("/healthz", get(health))
        .route("/readyz", get(ready))
        .route("/arize_phoenix_version", get(|| async { PHOENIX_VERSION }))
        .route("/openapi.json", get(openapi::serve))
        .route("/v1/{*rest}", any(unknown_route))
}

/// The OpenAPI document of every route of [`routes`], built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: std::sync::LazyLock<utoipa::openapi::OpenApi> =
        std::sync::LazyLock::new(|| routes().split_for_parts().1);
    &DOCUMENT
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

/// `GET /readyz`: 200 once the database answers and has every migration of
/// this build (also when a newer build migrated it further, as during a
/// rolling upgrade), else 503 (a load balancer sends no traffic yet); 503 too
/// once the server is shutting down. `/healthz` stays the liveness check.
async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    if state.stopping.load(std::sync::atomic::Ordering::Relaxed) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down".into());
    }
    match state.store.schema().await {
        Ok(Schema::Current) => (StatusCode::OK, "ready".into()),
        Ok(Schema::Ahead { database, build }) => (
            StatusCode::OK,
            format!(
                "ready (the database is at schema version {database}, newer than this build's {build}: replace this replica)"
            ),
        ),
        Ok(Schema::Behind) => {
            (StatusCode::SERVICE_UNAVAILABLE, "the database is not migrated to this version yet".into())
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "the database does not answer".into())
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
