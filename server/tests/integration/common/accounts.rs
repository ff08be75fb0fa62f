//! A server with accounts on, its first admin, one user and one personal key
//! per role, and one service key per scope: what the auth tests act as.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::Server;

/// The first admin, made from `--admin-email` / `--admin-password` at start.
pub const ADMIN_EMAIL: &str = "admin@example.org";
/// Their password.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";
/// Every other test user's password.
pub const PASSWORD: &str = "a long enough password";

/// The roles, as the API names them.
pub const ROLES: [&str; 4] = ["ADMIN", "MEMBER", "ANNOTATOR", "VIEWER"];
/// The service key scopes.
pub const SCOPES: [&str; 5] = ["ingest", "annotate", "feedback", "read", "admin"];

/// A server with accounts on, and credentials to act as anyone.
pub struct Team {
    /// The server.
    pub server: Server,
    /// Personal keys by role (each of a user with that role).
    pub role_keys: HashMap<&'static str, String>,
    /// Service keys by their one scope.
    pub scope_keys: HashMap<&'static str, String>,
    /// The session cookie (`plume_session=…`) of a user of each role.
    pub cookies: HashMap<&'static str, String>,
}

impl Server {
    /// `plume serve --auth on` with the first admin, plus `extra` flags.
    pub fn start_with_auth(data_dir: &std::path::Path, extra: &[&str]) -> Server {
        let mut flags = vec!["--auth", "on", "--admin-email", ADMIN_EMAIL, "--admin-password", ADMIN_PASSWORD];
        flags.extend_from_slice(extra);
        Server::start_with(data_dir, &flags)
    }

    /// `POST /auth/login` with JSON, whatever the answer.
    pub async fn login_response(&self, email: &str, password: &str) -> reqwest::Response {
        let body = json!({ "email": email, "password": password });
        self.http.post(self.at("/auth/login")).json(&body).send().await.unwrap()
    }

    /// Logs in with JSON; the `plume_session=…` cookie, or the status and body on failure.
    pub async fn login(&self, email: &str, password: &str) -> Result<String, (u16, String)> {
        let response = self.login_response(email, password).await;
        let status = response.status().as_u16();
        let cookie = super::set_cookie(response.headers(), "plume_session");
        match (status, cookie) {
            (200, Some(cookie)) => Ok(cookie),
            _ => Err((status, response.text().await.unwrap())),
        }
    }

    /// Sends `body` as JSON with a credential: `Bearer` for keys (`plume_…`),
    /// else a cookie. The status and the body text.
    pub async fn send_as(&self, credential: &str, method: Method, path: &str, body: Option<&Value>) -> (u16, String) {
        let mut call = self.http.request(method, self.at(path));
        call = with_credential(call, credential);
        if let Some(body) = body {
            call = call.json(body);
        }
        let response = call.send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

/// `call` carrying `credential` (an API key or a `plume_session=…` cookie; `""` for none).
pub fn with_credential(call: reqwest::RequestBuilder, credential: &str) -> reqwest::RequestBuilder {
    match credential {
        "" => call,
        key if key.starts_with("plume_") && !key.starts_with("plume_session=") => call.bearer_auth(key),
        cookie => call.header("cookie", cookie),
    }
}

impl Team {
    /// Starts the server and makes a user and a personal key per role and a
    /// service key per scope.
    pub async fn start(data_dir: &std::path::Path) -> Team {
        let server = Server::start_with_auth(data_dir, &[]);
        let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.expect("the first admin logs in");
        let (mut role_keys, mut scope_keys, mut cookies) = (HashMap::new(), HashMap::new(), HashMap::new());
        for role in ROLES {
            let email = format!("{}.user@example.org", role.to_lowercase());
            let body = json!({ "user": { "email": email, "role": role, "password": PASSWORD } });
            let (status, text) = server.send_as(&admin, Method::POST, "/v1/users", Some(&body)).await;
            assert_eq!(status, 201, "creating the {role}: {text}");
            let cookie = server.login(&email, PASSWORD).await.expect("each user logs in");
            let body = json!({ "data": { "name": format!("{role} key") } });
            let (status, text) = server.send_as(&cookie, Method::POST, "/v1/user/api_keys", Some(&body)).await;
            assert_eq!(status, 201, "the {role}'s key: {text}");
            role_keys.insert(role, key_of(&text));
            cookies.insert(role, cookie);
        }
        for scope in SCOPES {
            let body = json!({ "data": { "name": format!("{scope} service"), "scopes": [scope] } });
            let (status, text) = server.send_as(&admin, Method::POST, "/v1/system/api_keys", Some(&body)).await;
            assert_eq!(status, 201, "the {scope} key: {text}");
            scope_keys.insert(scope, key_of(&text));
        }
        Team { server, role_keys, scope_keys, cookies }
    }
}

/// The `key` of a created-key answer.
pub fn key_of(answer: &str) -> String {
    let value: Value = serde_json::from_str(answer).unwrap();
    value["data"]["key"].as_str().expect("the answer has the key").to_owned()
}
