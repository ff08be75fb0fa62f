//! `GET /openapi.json`: the OpenAPI 3 document of every `/v1` route,
//! generated from the handlers' `#[utoipa::path]` entries and the shared types.

use axum::Json;
use utoipa::OpenApi;

use super::{
    annotation_configs, annotations, api_keys, collections, datasets, exports, notes, projects, public_links, spans,
    traces, users,
};
use crate::feedback::{minting, votes};
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
        minting::mint,
        votes::cast,
        votes::retract,
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
        collections::list,
        collections::create,
        collections::get_one,
        collections::update,
        collections::remove,
        collections::add_items,
        collections::remove_item,
        collections::list_items,
        exports::export,
        public_links::create_for_collection,
        public_links::create_for_trace,
        public_links::list,
        public_links::revoke,
        datasets::list,
        datasets::get_one,
        datasets::examples,
        datasets::versions,
        users::list,
        users::create,
        users::update,
        users::remove,
        users::reset_link,
        users::viewer,
        api_keys::list_own,
        api_keys::create_own,
        api_keys::revoke_own,
        api_keys::list_system,
        api_keys::create_system,
        api_keys::revoke_system,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the routes' security requirements name: an
/// API key (`Authorization: Bearer plume_…`) or the session cookie. Each
/// route's one scope is the permission it needs (`signed`: any credential).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("A Plume API key")).build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// `GET /openapi.json`
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
