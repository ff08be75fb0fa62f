//! `GET /openapi.json`: the OpenAPI 3 document of every `/v1` route,
//! generated from the handlers' `#[utoipa::path]` entries and the shared types.

use axum::Json;
use utoipa::OpenApi;

use super::{annotation_configs, annotations, notes, projects, spans, traces};
use crate::otlp;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Plume", description = "Phoenix-compatible REST API"),
    paths(
        projects::list,
        projects::get_one,
        projects::create,
        projects::update,
        projects::remove,
        spans::list,
        spans::remove,
        traces::list,
        otlp::http::export,
        annotations::create_span_annotations,
        annotations::create_trace_annotations,
        annotations::create_session_annotations,
        annotations::list_span_annotations,
        annotations::list_trace_annotations,
        annotations::list_session_annotations,
        annotations::delete_span_annotations,
        annotations::delete_trace_annotations,
        annotations::delete_session_annotations,
        notes::create_span_note,
        notes::create_trace_note,
        notes::create_session_note,
        annotation_configs::list,
        annotation_configs::get_one,
        annotation_configs::create,
        annotation_configs::update,
        annotation_configs::remove,
        annotation_configs::list_for_project,
        annotation_configs::set_for_project,
        annotation_configs::assign,
        annotation_configs::unassign,
    )
)]
pub struct ApiDoc;

/// `GET /openapi.json`
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
