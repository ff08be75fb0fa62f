//! The route matrix: every REST route in `/openapi.json` and every server
//! function, called with no credential, with a personal key of each role and
//! with a service key of each scope, must answer as issue 11's table says:
//! 401 without a credential (a login redirect for pages), 403 without the
//! permission, anything else with it. The expectations are written here, from
//! the table, independently of the server's rules: a route added without a
//! rule (or with a wrong one) makes this test fail, and so does a route in
//! `/openapi.json` missing from [`EXPECTED`].

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::accounts::{ROLES, SCOPES, Team, with_credential};

/// What a route needs.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Needs {
    /// Nothing.
    Public,
    /// Any valid credential.
    Signed,
    /// Any credential of a user (personal keys and sessions, not service keys).
    User,
    /// A permission, by its name.
    Permission(&'static str),
}

use Needs::*;

/// Every REST route, from the table of issue 11.
const EXPECTED: &[(&str, &str, Needs)] = &[
    ("POST", "/v1/traces", Permission("ingest")),
    ("GET", "/v1/projects", Permission("read")),
    ("POST", "/v1/projects", Permission("manage")),
    ("GET", "/v1/projects/{project}", Permission("read")),
    ("PUT", "/v1/projects/{project}", Permission("manage")),
    ("DELETE", "/v1/projects/{project}", Permission("admin")),
    ("GET", "/v1/projects/{project}/spans", Permission("read")),
    ("POST", "/v1/spans", Permission("read")),
    ("DELETE", "/v1/spans/{span}", Permission("admin")),
    ("GET", "/v1/projects/{project}/traces", Permission("read")),
    ("DELETE", "/v1/projects/{project}/traces", Permission("manage")),
    ("DELETE", "/v1/traces/{trace_identifier}", Permission("manage")),
    ("GET", "/v1/projects/{project}/retention", Permission("read")),
    ("PATCH", "/v1/projects/{project}/retention", Permission("manage")),
    ("GET", "/v1/projects/{project}/sessions", Permission("read")),
    ("GET", "/v1/sessions/{session_identifier}", Permission("read")),
    ("DELETE", "/v1/sessions/{session_identifier}", Permission("manage")),
    ("POST", "/v1/sessions/delete", Permission("manage")),
    ("POST", "/v1/feedback_tokens", Permission("feedback")),
    ("POST", "/v1/feedback", Public),
    ("DELETE", "/v1/feedback", Public),
    ("POST", "/v1/span_annotations", Permission("annotate")),
    ("POST", "/v1/trace_annotations", Permission("annotate")),
    ("POST", "/v1/session_annotations", Permission("annotate")),
    ("GET", "/v1/projects/{project}/span_annotations", Permission("read")),
    ("GET", "/v1/projects/{project}/trace_annotations", Permission("read")),
    ("GET", "/v1/projects/{project}/session_annotations", Permission("read")),
    ("DELETE", "/v1/projects/{project}/span_annotations", Permission("annotate")),
    ("POST", "/v1/document_annotations", Permission("annotate")),
    ("GET", "/v1/projects/{project}/document_annotations", Permission("read")),
    ("DELETE", "/v1/projects/{project}/document_annotations", Permission("annotate")),
    ("DELETE", "/v1/projects/{project}/trace_annotations", Permission("annotate")),
    ("DELETE", "/v1/projects/{project}/session_annotations", Permission("annotate")),
    ("GET", "/v1/projects/{project}/annotation_agreement", Permission("read")),
    ("POST", "/v1/projects/{project}/span_annotations/bulk", Permission("annotate")),
    ("POST", "/v1/span_notes", Permission("annotate")),
    ("POST", "/v1/trace_notes", Permission("annotate")),
    ("POST", "/v1/session_notes", Permission("annotate")),
    ("GET", "/v1/annotation_configs", Permission("read")),
    ("POST", "/v1/annotation_configs", Permission("manage")),
    ("GET", "/v1/annotation_configs/{config}", Permission("read")),
    ("PUT", "/v1/annotation_configs/{config}", Permission("manage")),
    ("DELETE", "/v1/annotation_configs/{config}", Permission("manage")),
    ("GET", "/v1/projects/{project}/annotation_configs", Permission("read")),
    ("PUT", "/v1/projects/{project}/annotation_configs", Permission("manage")),
    ("PUT", "/v1/projects/{project}/annotation_configs/{config}", Permission("manage")),
    ("DELETE", "/v1/projects/{project}/annotation_configs/{config}", Permission("manage")),
    ("GET", "/v1/collections", Permission("read")),
    ("POST", "/v1/collections", Permission("manage")),
    ("GET", "/v1/collections/{collection}", Permission("read")),
    ("PATCH", "/v1/collections/{collection}", Permission("manage")),
    ("DELETE", "/v1/collections/{collection}", Permission("manage")),
    ("GET", "/v1/collections/{collection}/items", Permission("read")),
    ("POST", "/v1/collections/{collection}/items", Permission("annotate")),
    ("DELETE", "/v1/collections/{collection}/items/{item}", Permission("annotate")),
    ("PATCH", "/v1/collections/{collection}/items/{item}", Permission("annotate")),
    ("GET", "/v1/collections/{collection}/export", Permission("read")),
    ("GET", "/v1/annotation_queues", Permission("read")),
    ("POST", "/v1/annotation_queues", Permission("manage")),
    ("GET", "/v1/annotation_queues/{queue}", Permission("read")),
    ("PATCH", "/v1/annotation_queues/{queue}", Permission("manage")),
    ("DELETE", "/v1/annotation_queues/{queue}", Permission("manage")),
    ("GET", "/v1/annotation_queues/{queue}/items", Permission("read")),
    ("POST", "/v1/annotation_queues/{queue}/items", Permission("manage")),
    ("DELETE", "/v1/annotation_queues/{queue}/items/{item}", Permission("manage")),
    ("POST", "/v1/annotation_queues/{queue}/next", Permission("annotate")),
    ("POST", "/v1/annotation_queues/{queue}/items/{item}/complete", Permission("annotate")),
    ("POST", "/v1/collections/{collection}/public_links", Permission("manage")),
    ("GET", "/v1/public_links", Permission("read")),
    ("POST", "/v1/public_links", Permission("manage")),
    ("DELETE", "/v1/public_links/{id}", Permission("manage")),
    ("GET", "/v1/datasets", Permission("read")),
    ("GET", "/v1/datasets/{id}", Permission("read")),
    ("GET", "/v1/datasets/{id}/examples", Permission("read")),
    ("GET", "/v1/datasets/{id}/versions", Permission("read")),
    ("POST", "/v1/datasets/upload", Permission("manage")),
    ("GET", "/v1/datasets/{id}/csv", Permission("read")),
    ("GET", "/v1/datasets/{id}/jsonl/openai_ft", Permission("read")),
    ("GET", "/v1/datasets/{id}/jsonl/openai_evals", Permission("read")),
    ("GET", "/v1/users", Permission("admin")),
    ("POST", "/v1/users", Permission("admin")),
    ("PATCH", "/v1/users/{user_id}", Permission("admin")),
    ("DELETE", "/v1/users/{user_id}", Permission("admin")),
    ("POST", "/v1/users/{user_id}/reset_link", Permission("admin")),
    ("GET", "/v1/user", Signed),
    ("GET", "/metrics", Permission("read")),
    ("GET", "/v1/user/api_keys", User),
    ("POST", "/v1/user/api_keys", User),
    ("DELETE", "/v1/user/api_keys/{api_key_id}", User),
    ("GET", "/v1/system/api_keys", Permission("admin")),
    ("POST", "/v1/system/api_keys", Permission("admin")),
    ("DELETE", "/v1/system/api_keys/{api_key_id}", Permission("admin")),
    ("GET", "/v1/webhooks", Permission("manage")),
    ("POST", "/v1/webhooks", Permission("manage")),
    ("GET", "/v1/webhooks/{id}", Permission("manage")),
    ("PATCH", "/v1/webhooks/{id}", Permission("manage")),
    ("DELETE", "/v1/webhooks/{id}", Permission("manage")),
    ("GET", "/v1/webhooks/{id}/deliveries", Permission("manage")),
    ("POST", "/v1/webhooks/{id}/deliveries/{delivery}/retry", Permission("manage")),
    ("POST", "/v1/webhooks/{id}/test", Permission("manage")),
    ("GET", "/v1/alert_rules", Permission("manage")),
    ("POST", "/v1/alert_rules", Permission("manage")),
    ("DELETE", "/v1/alert_rules/{id}", Permission("manage")),
];

/// Every server function (`/api/<name>`), from the same table.
const SERVER_FUNCTIONS: &[(&str, Needs)] = &[
    ("load_shared", Public),
    ("project_summaries", Permission("read")),
    ("load_trace_list", Permission("read")),
    ("count_matching_traces", Permission("read")),
    ("load_trace_tree", Permission("read")),
    ("load_session_list", Permission("read")),
    ("load_session", Permission("read")),
    ("load_span_detail", Permission("read")),
    ("load_project_feedback", Permission("read")),
    ("load_agreement", Permission("read")),
    ("load_collections", Permission("read")),
    ("load_collection", Permission("read")),
    ("load_span_collections", Permission("read")),
    ("save_annotation", Permission("annotate")),
    ("give_feedback", Permission("annotate")),
    ("rate_document", Permission("annotate")),
    ("add_note", Permission("annotate")),
    ("delete_annotation", Permission("annotate")),
    ("flag_span", Permission("annotate")),
    ("flag_matching", Permission("annotate")),
    ("load_bulk_selection", Permission("read")),
    ("annotate_selection", Permission("annotate")),
    ("unflag_span", Permission("annotate")),
    ("edit_expected_output", Permission("annotate")),
    ("create_collection", Permission("manage")),
    ("create_collection_link", Permission("manage")),
    ("revoke_link", Permission("manage")),
    ("load_queues", Permission("read")),
    ("load_queue", Permission("read")),
    ("load_review", Permission("read")),
    ("load_annotation_configs", Permission("read")),
    ("create_queue", Permission("manage")),
    ("add_to_queue", Permission("manage")),
    ("complete_review", Permission("annotate")),
    ("skip_review", Permission("annotate")),
    ("load_users", Permission("admin")),
    ("invite_user", Permission("admin")),
    ("change_user", Permission("admin")),
    ("reset_link", Permission("admin")),
    ("load_api_keys", User),
    ("create_my_api_key", User),
    ("revoke_my_api_key", User),
    ("create_service_key", Permission("admin")),
    ("revoke_service_key", Permission("admin")),
    ("load_webhooks", Permission("manage")),
    ("load_webhook", Permission("manage")),
    ("create_webhook", Permission("manage")),
    ("delete_webhook", Permission("manage")),
    ("send_test_event", Permission("manage")),
    ("send_again", Permission("manage")),
];

/// What a role may do (issue 11's table).
fn role_grants(role: &str) -> &'static [&'static str] {
    match role {
        "VIEWER" => &["read"],
        "ANNOTATOR" => &["read", "annotate"],
        "MEMBER" => &["read", "annotate", "manage", "feedback", "ingest"],
        "ADMIN" => &["read", "annotate", "manage", "feedback", "ingest", "admin"],
        other => panic!("no role {other}"),
    }
}

/// What a service key scope allows (`admin` allows everything).
fn scope_grants(scope: &str) -> &'static [&'static str] {
    match scope {
        "admin" => role_grants("ADMIN"),
        "ingest" => &["ingest"],
        "annotate" => &["annotate"],
        "feedback" => &["feedback"],
        "read" => &["read"],
        other => panic!("no scope {other}"),
    }
}

/// One credential to try: its name, the secret, whether it is a user's,
/// and what it may do.
struct Who {
    name: String,
    secret: String,
    is_user: bool,
    grants: &'static [&'static str],
}

fn allowed(needs: Needs, who: &Who) -> bool {
    match needs {
        Public | Signed => true,
        User => who.is_user,
        Permission(permission) => who.grants.contains(&permission),
    }
}

/// How a call was answered, as far as the checks go. The authentication
/// layer's refusals are told apart from the handlers' own (a feedback
/// token's 401, a validation error) by their text.
struct Answer {
    status: u16,
    /// 401 from the authentication layer: no valid credential.
    unauthenticated: bool,
    /// 403 from the authentication layer: not allowed.
    forbidden: bool,
}

impl Answer {
    async fn of(call: reqwest::RequestBuilder) -> Answer {
        let response = call.send().await.unwrap();
        let status = response.status().as_u16();
        let challenged = response.headers().get("www-authenticate").is_some_and(|v| v == "Bearer");
        let body = response.text().await.unwrap();
        Answer {
            status,
            unauthenticated: status == 401 && challenged && body.starts_with("Not authenticated"),
            forbidden: status == 403 && body.starts_with("Forbidden: this needs"),
        }
    }

    /// No credential: refused unless public; with one: refused exactly when
    /// the table says so, and never by the authentication layer otherwise.
    fn as_table_says(&self, needs: Needs, who: &Who) -> bool {
        match (who.secret.is_empty(), needs) {
            (true, Public) => !self.unauthenticated && !self.forbidden,
            (true, _) => self.unauthenticated,
            (false, _) if allowed(needs, who) => !self.unauthenticated && !self.forbidden,
            (false, _) => self.forbidden,
        }
    }
}

/// A concrete path for a template: ids of things that do not exist, so
/// that an allowed call changes nothing (it answers 404 or 422 after the
/// check) and the matrix can run every route with every credential.
fn concrete(template: &str) -> String {
    template
        .replace("{project}", "no-such-project")
        .replace("{span}", "0000000000000000")
        .replace("{collection}", "Q29sbGVjdGlvbjo5OTk5")
        .replace("{config}", "QW5ub3RhdGlvbkNvbmZpZzo5OTk5")
        .replace("{id}", "UHVibGljTGluazo5OTk5")
        .replace("{user_id}", "VXNlcjo5OTk5")
        .replace("{api_key_id}", "VXNlckFwaUtleTo5OTk5")
        .replace("{delivery}", "V2ViaG9va0RlbGl2ZXJ5Ojk5OTk")
        .replace("{session_identifier}", "no-such-session")
}

#[tokio::test]
async fn every_route_answers_each_role_and_scope_as_the_table_says() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let server = &team.server;
    let mut people: Vec<Who> = vec![Who { name: "nobody".into(), secret: String::new(), is_user: false, grants: &[] }];
    for role in ROLES {
        let grants = role_grants(role);
        people.push(Who { name: format!("{role} key"), secret: team.role_keys[role].clone(), is_user: true, grants });
        people.push(Who { name: format!("{role} session"), secret: team.cookies[role].clone(), is_user: true, grants });
    }
    for scope in SCOPES {
        let grants = scope_grants(scope);
        people.push(Who {
            name: format!("{scope} service key"),
            secret: team.scope_keys[scope].clone(),
            is_user: false,
            grants,
        });
    }

    // Every documented route must be in the table, and the table must not
    // name routes that do not exist.
    let (status, text) = server.send_as(&team.role_keys["VIEWER"], Method::GET, "/openapi.json", None).await;
    assert_eq!(status, 200, "{text}");
    let document: Value = serde_json::from_str(&text).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let expected: BTreeSet<(String, String)> =
        EXPECTED.iter().map(|(method, path, _)| (method.to_string(), path.to_string())).collect();
    let untested: Vec<_> = documented.difference(&expected).collect();
    assert!(untested.is_empty(), "routes in /openapi.json without an expectation here: {untested:?}");
    let gone: Vec<_> = expected.difference(&documented).collect();
    assert!(gone.is_empty(), "expected routes missing from /openapi.json: {gone:?}");

    let mut failures = Vec::new();
    for (method, template, needs) in EXPECTED {
        let path = concrete(template);
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        for who in &people {
            let call = server.http.request(method.clone(), server.at(&path)).json(&json!({}));
            let answer = Answer::of(with_credential(call, &who.secret)).await;
            if !answer.as_table_says(*needs, who) {
                failures.push(format!("{method} {path} as {}: {} (needs {needs:?})", who.name, answer.status));
            }
        }
    }
    for (name, needs) in SERVER_FUNCTIONS {
        let path = format!("/api/{name}");
        for who in &people {
            let call = server.http.post(server.at(&path)).header("origin", &server.url).body("");
            let answer = Answer::of(with_credential(call, &who.secret)).await;
            if !answer.as_table_says(*needs, who) {
                failures.push(format!("POST {path} as {}: {} (needs {needs:?})", who.name, answer.status));
            }
        }
    }
    assert!(failures.is_empty(), "{} calls broke the table:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn every_server_function_is_in_the_table() {
    // The server refuses to start with a server function that has no rule;
    // this keeps the test's own table complete too.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    assert!(registered.len() >= 20, "the app's server functions are linked into this test: {registered:?}");
    let listed: BTreeSet<String> = SERVER_FUNCTIONS.iter().map(|(name, _)| name.to_string()).collect();
    let untested: Vec<_> = registered.difference(&listed).collect();
    assert!(untested.is_empty(), "server functions without an expectation here: {untested:?}");
}

#[tokio::test]
async fn pages_send_strangers_to_the_login_page_and_check_roles() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let server = &team.server;
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in ["/", "/projects/default", "/collections", "/settings/api-keys", "/settings/users"] {
        let response = no_redirects.get(server.at(path)).send().await.unwrap();
        assert_eq!(response.status(), 303, "GET {path} without a login");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let next: String = form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(location, format!("/login?next={next}"));
    }
    for path in ["/login", "/healthz", "/readyz", "/widget.js"] {
        let response = no_redirects.get(server.at(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path} is public");
    }
    let viewer = &team.cookies["VIEWER"];
    let admin = &team.cookies["ADMIN"];
    for (path, cookie, status) in
        [("/", viewer, 200), ("/settings/users", viewer, 403), ("/settings/users", admin, 200)]
    {
        let response = no_redirects.get(server.at(path)).header("cookie", cookie).send().await.unwrap();
        assert_eq!(response.status(), status, "GET {path}");
    }
}
