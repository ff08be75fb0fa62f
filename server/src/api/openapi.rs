//! `GET /openapi.json`: the OpenAPI 3 document of every `/v1` route,
//! generated from the handlers' `#[utoipa::path]` entries and the shared types.

use axum::Json;
use utoipa::OpenApi;

/// The API description's frame: its title and the `bearer` scheme. The
/// paths come from the routes themselves ([`super::routes`]).
#[derive(OpenApi)]
#[openapi(info(title = "Plume", description = "Phoenix-compatible REST API"), modifiers(&BearerAuth))]
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
pub async fn serve() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(super::document())
}
