//! Who may call what: one rule per route, deny by default.
//!
//! The REST API's rules live on the routes themselves: each handler's
//! `#[utoipa::path]` names its permission as an OpenAPI security requirement
//! (`security(("bearer" = ["annotate"]))`, or `security(())` for a public
//! route), so the router, the OpenAPI document and the rule cannot drift:
//! [`Rules::new`] reads them from the document and refuses to start when a
//! route has none. The routes outside `/v1` (pages, the UI's server
//! functions, login, assets) are in the tables below; anything in none of
//! them needs the admin permission, so a route added without a rule is
//! refused to everyone else (and the route-matrix test fails).

use axum::http::Method;

use app::model::accounts::Permission;

/// What a request needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Nothing: answered without a credential.
    Public,
    /// Any valid credential (who-am-I).
    Signed,
    /// A user's credential: a session or a personal key, not a service key
    /// (one's own keys).
    User,
    /// A credential granting this permission.
    Needs(Permission),
}

/// Pages and files anyone may fetch: login, the widget, public links, assets.
const PUBLIC_PREFIXES: &[&str] = &["/pkg/", "/embed/", "/share/"];

/// The other routes outside `/v1`, by exact path (any method).
const OTHER_ROUTES: &[(&str, Access)] = &[
    ("/healthz", Access::Public),
    ("/readyz", Access::Public),
    ("/arize_phoenix_version", Access::Public),
    ("/login", Access::Public),
    ("/set-password", Access::Public),
    ("/auth/login", Access::Public),
    ("/auth/logout", Access::Public),
    ("/auth/set-password", Access::Public),
    ("/auth/password", Access::User),
    ("/theme", Access::Public),
    ("/widget.js", Access::Public),
    ("/favicon.ico", Access::Public),
];

/// The UI's server functions (`/api/<endpoint>`), each with what it needs.
/// Ownership (a user's own annotations) is checked inside the functions.
pub const SERVER_FUNCTIONS: &[(&str, Access)] = &[
    ("load_shared", Access::Public),
    ("project_summaries", Access::Needs(Permission::Read)),
    ("load_trace_list", Access::Needs(Permission::Read)),
    ("count_matching_traces", Access::Needs(Permission::Read)),
    ("load_trace_tree", Access::Needs(Permission::Read)),
    ("load_session_list", Access::Needs(Permission::Read)),
    ("load_session", Access::Needs(Permission::Read)),
    ("load_span_detail", Access::Needs(Permission::Read)),
    ("load_project_feedback", Access::Needs(Permission::Read)),
    ("load_agreement", Access::Needs(Permission::Read)),
    ("load_collections", Access::Needs(Permission::Read)),
    ("load_collection", Access::Needs(Permission::Read)),
    ("load_span_collections", Access::Needs(Permission::Read)),
    ("save_annotation", Access::Needs(Permission::Annotate)),
    ("give_feedback", Access::Needs(Permission::Annotate)),
    ("rate_document", Access::Needs(Permission::Annotate)),
    ("add_note", Access::Needs(Permission::Annotate)),
    ("delete_annotation", Access::Needs(Permission::Annotate)),
    ("flag_span", Access::Needs(Permission::Annotate)),
    ("flag_matching", Access::Needs(Permission::Annotate)),
    ("load_bulk_selection", Access::Needs(Permission::Read)),
    ("annotate_selection", Access::Needs(Permission::Annotate)),
    ("unflag_span", Access::Needs(Permission::Annotate)),
    ("edit_expected_output", Access::Needs(Permission::Annotate)),
    ("create_collection", Access::Needs(Permission::Manage)),
    // Review queues: reading them is reading; working one needs annotating
    // (`load_review` refuses a caller the queue does not let in).
    ("load_queues", Access::Needs(Permission::Read)),
    ("load_queue", Access::Needs(Permission::Read)),
    ("load_review", Access::Needs(Permission::Read)),
    ("load_annotation_configs", Access::Needs(Permission::Read)),
    ("create_queue", Access::Needs(Permission::Manage)),
    ("add_to_queue", Access::Needs(Permission::Manage)),
    ("complete_review", Access::Needs(Permission::Annotate)),
    ("skip_review", Access::Needs(Permission::Annotate)),
    ("create_collection_link", Access::Needs(Permission::Manage)),
    ("revoke_link", Access::Needs(Permission::Manage)),
    // Settings: users and service keys are admins'; one's own keys anyone's
    // (the functions refuse callers without an account).
    ("load_users", Access::Needs(Permission::Admin)),
    ("invite_user", Access::Needs(Permission::Admin)),
    ("change_user", Access::Needs(Permission::Admin)),
    ("reset_link", Access::Needs(Permission::Admin)),
    ("load_api_keys", Access::User),
    ("create_my_api_key", Access::User),
    ("revoke_my_api_key", Access::User),
    ("create_service_key", Access::Needs(Permission::Admin)),
    ("revoke_service_key", Access::Needs(Permission::Admin)),
    // Webhooks: members and admins (their URLs are often secrets too).
    ("load_webhooks", Access::Needs(Permission::Manage)),
    ("load_webhook", Access::Needs(Permission::Manage)),
    ("create_webhook", Access::Needs(Permission::Manage)),
    ("delete_webhook", Access::Needs(Permission::Manage)),
    ("send_test_event", Access::Needs(Permission::Manage)),
    ("send_again", Access::Needs(Permission::Manage)),
];

/// Pages (GET) that need more than reading; a path ending in `/` stands for
/// the pages below it too.
const PAGES: &[(&str, Permission)] = &[
    ("/settings/users", Permission::Admin),
    ("/settings/webhooks", Permission::Manage),
    ("/settings/webhooks/", Permission::Manage),
];

/// The rules, built once at start.
#[derive(Debug)]
pub struct Rules {
    api: matchit::Router<Vec<(Method, Access)>>,
}

impl Rules {
    /// Reads the REST rules from the OpenAPI document; `Err` names a route
    /// without one (a programming error caught at start).
    pub fn new() -> Result<Rules, String> {
        let document = serde_json::to_value(crate::api::document()).map_err(|e| e.to_string())?;
        let mut api = matchit::Router::new();
        let paths = document["paths"].as_object().ok_or("the OpenAPI document has no paths")?;
        for (path, item) in paths {
            let mut methods = Vec::new();
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else { continue };
                methods.push((method.clone(), access_of(operation).map_err(|e| format!("{method} {path}: {e}"))?));
            }
            api.insert(path.as_str(), methods).map_err(|e| format!("{path}: {e}"))?;
        }
        Ok(Rules { api })
    }

    /// Whether `path` is a route of the API's description (`/metrics` is one
    /// outside `/v1`): refused with a 401, not sent to the login page.
    pub fn documented(&self, path: &str) -> bool {
        self.api.at(path).is_ok()
    }

    /// What `method path` needs.
    pub fn access(&self, method: &Method, path: &str) -> Access {
        if method == Method::OPTIONS {
            // CORS preflights carry no credentials by design.
            return Access::Public;
        }
        let method = if method == Method::HEAD { &Method::GET } else { method };
        if let Ok(found) = self.api.at(path) {
            return found.value.iter().find(|(m, _)| m == method).map_or(ADMIN_ONLY, |(_, access)| *access);
        }
        if let Some((_, access)) = OTHER_ROUTES.iter().find(|(route, _)| *route == path) {
            return *access;
        }
        if PUBLIC_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) {
            return Access::Public;
        }
        if let Some(endpoint) = path.strip_prefix("/api/") {
            return SERVER_FUNCTIONS
                .iter()
                .find(|(name, _)| *name == endpoint)
                .map_or(ADMIN_ONLY, |(_, access)| *access);
        }
        if path.starts_with("/v1/") || path.starts_with("/auth/") || path == "/openapi.json" {
            return match path == "/openapi.json" && method == Method::GET {
                true => Access::Needs(Permission::Read),
                false => ADMIN_ONLY,
            };
        }
        if method == Method::GET {
            return PAGES
                .iter()
                .find(|(page, _)| *page == path || (page.ends_with('/') && path.starts_with(page)))
                .map_or(Access::Needs(Permission::Read), |(_, p)| Access::Needs(*p));
        }
        ADMIN_ONLY
    }
}

/// Every registered server function (`/api/<endpoint>`) has a rule; `Err`
/// names those without (a programming error caught at start).
pub fn check_server_functions(paths: &[&str]) -> Result<(), String> {
    let missing: Vec<&str> = paths
        .iter()
        .filter(|path| {
            let endpoint = path.strip_prefix("/api/").unwrap_or(path);
            !SERVER_FUNCTIONS.iter().any(|(name, _)| *name == endpoint)
        })
        .copied()
        .collect();
    match missing.is_empty() {
        true => Ok(()),
        false => {
            Err(format!("server functions without an access rule in server/src/auth/rules.rs: {}", missing.join(", ")))
        }
    }
}

/// What a route without a rule needs: deny by default.
const ADMIN_ONLY: Access = Access::Needs(Permission::Admin);

/// The access an OpenAPI operation declares: `security: [{}]` is public,
/// `[{"bearer": ["read"]}]` needs `read`, `["signed"]` any credential,
/// `["user"]` a user's.
fn access_of(operation: &serde_json::Value) -> Result<Access, String> {
    let requirements = operation["security"].as_array().ok_or("no security requirement (an access rule)")?;
    let [requirement] = requirements.as_slice() else { return Err("more than one security requirement".into()) };
    let requirement = requirement.as_object().ok_or("a security requirement is not an object")?;
    if requirement.is_empty() {
        return Ok(Access::Public);
    }
    let scopes = requirement.get("bearer").and_then(|s| s.as_array()).ok_or("security is not `bearer`")?;
    match scopes.as_slice() {
        [scope] if scope == "signed" => Ok(Access::Signed),
        [scope] if scope == "user" => Ok(Access::User),
        [scope] => {
            scope.as_str().and_then(Permission::parse).map(Access::Needs).ok_or(format!("unknown scope {scope}"))
        }
        _ => Err("a route needs exactly one permission".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rest_route_has_a_rule_and_the_rest_is_denied() {
        let rules = Rules::new().expect("every route declares its access");
        assert_eq!(rules.access(&Method::GET, "/v1/projects"), Access::Needs(Permission::Read));
        assert_eq!(rules.access(&Method::DELETE, "/v1/spans/abc"), Access::Needs(Permission::Admin));
        assert_eq!(rules.access(&Method::POST, "/v1/traces"), Access::Needs(Permission::Ingest));
        assert_eq!(rules.access(&Method::POST, "/v1/feedback"), Access::Public);
        assert_eq!(rules.access(&Method::GET, "/share/xyz"), Access::Public);
        assert_eq!(rules.access(&Method::POST, "/auth/password"), Access::User);
        assert_eq!(rules.access(&Method::GET, "/projects/default"), Access::Needs(Permission::Read));
        assert_eq!(rules.access(&Method::POST, "/api/save_annotation"), Access::Needs(Permission::Annotate));
        assert_eq!(rules.access(&Method::POST, "/api/made_up"), ADMIN_ONLY);
        assert_eq!(rules.access(&Method::POST, "/api/invite_user"), ADMIN_ONLY);
        assert_eq!(rules.access(&Method::POST, "/api/create_my_api_key"), Access::User);
        assert_eq!(rules.access(&Method::GET, "/settings/users"), ADMIN_ONLY);
        let manage = Access::Needs(Permission::Manage);
        assert_eq!(rules.access(&Method::GET, "/settings/webhooks"), manage);
        assert_eq!(rules.access(&Method::GET, "/settings/webhooks/V2ViaG9vazox"), manage);
        assert_eq!(rules.access(&Method::GET, "/settings/api-keys"), Access::Needs(Permission::Read));
        assert_eq!(rules.access(&Method::POST, "/v1/made_up"), ADMIN_ONLY);
        assert_eq!(rules.access(&Method::PATCH, "/v1/projects"), ADMIN_ONLY);
    }
}
