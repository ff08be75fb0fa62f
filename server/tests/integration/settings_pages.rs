//! `/settings/users` and `/settings/api-keys` driven as browsers drive them:
//! plain form posts to the server functions, redirected back, with the
//! one-time secret (set-password link, API key) shown once on the page after.

use reqwest::header::HeaderMap;
use serde_json::json;

use crate::common::*;

const ADMIN: &str = "admin@example.org";
const PASSWORD: &str = "correct horse battery";

/// A server with accounts on and a first admin; the admin's browser.
fn start() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let env = [("PLUME_ADMIN_EMAIL", ADMIN), ("PLUME_ADMIN_PASSWORD", PASSWORD)];
    let server = Server::start_process(dir.path(), &["--auth", "on"], &env);
    (dir, server)
}

/// One logged-in browser: its session cookie, and a client that shows
/// redirects instead of following them.
struct Browser<'a> {
    server: &'a Server,
    session: String,
    plain: reqwest::Client,
}

impl<'a> Browser<'a> {
    async fn login(server: &'a Server, email: &str, password: &str) -> Browser<'a> {
        let session = server.login(email, password).await.expect("logging in");
        let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Browser { server, session, plain }
    }

    /// GETs `path` sending the session and `extra` cookies: status, HTML, headers.
    async fn page_with(&self, path: &str, extra: Option<&str>) -> (u16, String, HeaderMap) {
        let cookie = match extra {
            Some(extra) => format!("{}; {extra}", self.session),
            None => self.session.clone(),
        };
        let response = self.plain.get(self.server.at(path)).header("cookie", cookie).send().await.unwrap();
        let (status, headers) = (response.status().as_u16(), response.headers().clone());
        (status, response.text().await.unwrap(), headers)
    }

    async fn page(&self, path: &str) -> (u16, String) {
        let (status, html, _) = self.page_with(path, None).await;
        (status, html)
    }

    /// Posts `fields` to server function `endpoint` as a browser without
    /// JavaScript on page `from` does: status and headers.
    async fn submit(&self, from: &str, endpoint: &str, fields: &[(&str, &str)]) -> (u16, HeaderMap) {
        let response = self
            .plain
            .post(self.server.at(&format!("/api/{endpoint}")))
            .header("cookie", &self.session)
            .header("accept", "text/html")
            .header("origin", &self.server.url)
            .header("referer", self.server.at(from))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(fields))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.headers().clone())
    }

    /// Posts `fields` to server function `endpoint` as the page swapper
    /// does (JSON answers): status and body.
    async fn call(&self, endpoint: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let response = self
            .plain
            .post(self.server.at(&format!("/api/{endpoint}")))
            .header("cookie", &self.session)
            .header("accept", "application/json")
            .header("origin", &self.server.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(fields))
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Makes a user with a password through `/v1/users` (this browser's
    /// session, an admin's); their global id.
    async fn add_user(&self, email: &str, role: &str, password: &str) -> String {
        let body = json!({ "user": { "email": email, "role": role, "password": password } });
        let response = self
            .plain
            .post(self.server.at("/v1/users"))
            .header("cookie", &self.session)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let created: serde_json::Value = response.json().await.unwrap();
        created["data"]["id"].as_str().unwrap().to_owned()
    }
}

fn form(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish()
}

/// The `value` of the page's `<input>` whose value starts with `prefix`.
fn value_starting(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(&format!("value=\"{prefix}"))? + 7;
    Some(html[start..start + html[start..].find('"')?].to_owned())
}

/// The table row of user `id`.
fn row_of<'h>(html: &'h str, id: &str) -> &'h str {
    let row = &html[html.find(&format!("data-user=\"{id}\"")).expect("the user's row")..];
    &row[..row.find("</tr>").unwrap()]
}

/// The `data-state` of the table row of user `id`.
fn state_of(html: &str, id: &str) -> String {
    let row = row_of(html, id);
    let start = row.find("data-state=\"").unwrap() + 12;
    row[start..start + row[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn an_invite_shows_a_set_password_link_once_and_the_link_works_once() {
    let (_dir, server) = start();
    let admin = Browser::login(&server, ADMIN, PASSWORD).await;
    let (status, html) = admin.page("/settings/users").await;
    assert_eq!(status, 200);
    assert!(html.contains("action=\"/api/invite_user\""), "{html}");

    let fields = [("email", "Ann@Example.org"), ("role", "ANNOTATOR")];
    let (status, headers) = admin.submit("/settings/users", "invite_user", &fields).await;
    assert_eq!(status, 302, "a plain form post goes back to the page");
    assert!(headers["location"].to_str().unwrap().starts_with(&server.at("/settings/users")));
    let carried = set_cookie(&headers, "plume_new_user_link").expect("the link rides to the page in a cookie");
    let raw = headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert!(raw.iter().any(|c| c.contains("Path=/settings; Max-Age=60; HttpOnly; SameSite=Strict")), "{raw:?}");

    let (status, html, headers) = admin.page_with("/settings/users", Some(&carried)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    let link = value_starting(&html, &server.at("/set-password?token=")).expect("the link is shown");
    assert!(html.contains("Invited ann@example.org."), "{html}");
    assert_eq!(set_cookie(&headers, "plume_new_user_link").as_deref(), Some("plume_new_user_link="), "cleared");
    let users = server.http.get(server.at("/v1/users")).header("cookie", &admin.session).send().await.unwrap();
    let users: serde_json::Value = users.json().await.unwrap();
    let ann = users["data"].as_array().unwrap().iter().find(|u| u["email"] == "ann@example.org").unwrap();
    let ann_id = ann["id"].as_str().unwrap().to_owned();
    assert_eq!(ann["role"], "ANNOTATOR");
    assert_eq!(state_of(&html, &ann_id), "invited");
    // Shown once: the page without the cookie has no link.
    let (_, again) = admin.page("/settings/users").await;
    assert!(!again.contains("set-password?token="), "the link is shown only once");

    let token = link.split("token=").nth(1).unwrap().to_owned();
    let new_password = json!({ "token": token, "password": "a brand new passphrase" });
    let (status, body) = server.send_json(reqwest::Method::POST, "/auth/set-password", &new_password).await;
    assert_eq!(status, 204, "{body}");
    let ann = Browser::login(&server, "ann@example.org", "a brand new passphrase").await;
    assert_eq!(ann.page("/settings/api-keys").await.0, 200, "logged in with the new password");
    let (status, _) = server.send_json(reqwest::Method::POST, "/auth/set-password", &new_password).await;
    assert_eq!(status, 404, "the link works once");
    assert_eq!(state_of(&admin.page("/settings/users").await.1, &ann_id), "active");

    // A reset link for the same user, through its row's form.
    let (status, headers) = admin.submit("/settings/users", "reset_link", &[("user_id", &ann_id)]).await;
    assert_eq!(status, 302);
    let carried = set_cookie(&headers, "plume_new_user_link").unwrap();
    let (_, html, _) = admin.page_with("/settings/users", Some(&carried)).await;
    assert!(html.contains("New password link for ann@example.org."), "{html}");
    assert!(value_starting(&html, &server.at("/set-password?token=")).is_some());
}

#[tokio::test]
async fn a_role_change_or_deactivation_through_the_form_ends_the_users_session_at_once() {
    let (_dir, server) = start();
    let admin = Browser::login(&server, ADMIN, PASSWORD).await;
    let member_id = admin.add_user("mo@example.org", "MEMBER", "member password 1").await;
    let member = Browser::login(&server, "mo@example.org", "member password 1").await;
    assert_eq!(member.page("/settings/api-keys").await.0, 200);

    let (status, body) = admin.call("change_user", &[("user_id", &member_id), ("role", "VIEWER")]).await;
    assert_eq!(status, 200, "{body}");
    // Right away: the credential cache was emptied with the change.
    let (status, _, headers) = member.page_with("/settings/api-keys", None).await;
    assert_eq!(status, 303, "the old session is over: to the login page");
    assert!(headers["location"].to_str().unwrap().starts_with("/login?next="));
    let (_, html) = admin.page("/settings/users").await;
    assert!(row_of(&html, &member_id).contains("<td>VIEWER</td>"), "the table shows the new role");

    let member = Browser::login(&server, "mo@example.org", "member password 1").await;
    assert_eq!(member.page("/settings/users").await.0, 403, "a viewer now");
    let (status, body) = admin.call("change_user", &[("user_id", &member_id), ("active", "false")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(member.page_with("/settings/api-keys", None).await.0, 303, "deactivated: the session is over");
    let (_, html) = admin.page("/settings/users").await;
    assert_eq!(state_of(&html, &member_id), "deactivated");
    let failed = server
        .send_json(
            reqwest::Method::POST,
            "/auth/login",
            &json!({ "email": "mo@example.org", "password": "member password 1" }),
        )
        .await;
    assert_eq!(failed.0, 401, "a deactivated user cannot log in");

    // Admins do not change themselves; a plain post is sent back with the reason.
    let admin_id = app::ids::global_id("User", 1);
    let (status, body) = admin.call("change_user", &[("user_id", &admin_id), ("role", "VIEWER")]).await;
    assert_eq!(status, 403);
    assert!(body.contains("Admins cannot change their own role or deactivate themselves"), "{body}");
    let (status, headers) =
        admin.submit("/settings/users", "change_user", &[("user_id", &admin_id), ("active", "false")]).await;
    assert_eq!(status, 302);
    let back = headers["location"].to_str().unwrap().to_owned();
    let (_, html) = admin.page(back.strip_prefix(&server.url).unwrap()).await;
    assert!(html.contains("Admins cannot change their own role or deactivate themselves"), "{html}");
    assert_eq!(state_of(&html, &admin_id), "active");
}

#[tokio::test]
async fn a_viewer_cannot_use_the_admin_pages_or_forms() {
    let (_dir, server) = start();
    let admin = Browser::login(&server, ADMIN, PASSWORD).await;
    let admin_id = app::ids::global_id("User", 1);
    admin.add_user("vi@example.org", "VIEWER", "viewer password 1").await;
    let viewer = Browser::login(&server, "vi@example.org", "viewer password 1").await;

    assert_eq!(viewer.page("/settings/users").await.0, 403);
    let attempts: [(&str, Vec<(&str, &str)>); 6] = [
        ("load_users", vec![]),
        ("invite_user", vec![("email", "evil@example.org"), ("role", "ADMIN")]),
        ("change_user", vec![("user_id", &admin_id), ("active", "false")]),
        ("reset_link", vec![("user_id", &admin_id)]),
        ("create_service_key", vec![("name", "mine now")]),
        ("revoke_service_key", vec![("id", "U3lzdGVtQXBpS2V5OjE=")]),
    ];
    for (endpoint, fields) in &attempts {
        assert_eq!(viewer.call(endpoint, fields).await.0, 403, "{endpoint}");
        assert_eq!(viewer.submit("/settings/users", endpoint, fields).await.0, 403, "{endpoint} (plain form)");
    }
    let users = server.http.get(server.at("/v1/users")).header("cookie", &admin.session).send().await.unwrap();
    let users: serde_json::Value = users.json().await.unwrap();
    assert_eq!(users["data"].as_array().unwrap().len(), 2, "nobody was invited");
    assert_eq!(state_of(&admin.page("/settings/users").await.1, &admin_id), "active");

    // Their own keys page works, without the service keys.
    let (status, html) = viewer.page("/settings/api-keys").await;
    assert_eq!(status, 200);
    assert!(html.contains("action=\"/api/create_my_api_key\""));
    assert!(!html.contains("Service keys") && !html.contains("/api/create_service_key"));
}

#[tokio::test]
async fn a_personal_key_made_in_the_form_is_shown_once_and_works_until_revoked() {
    let (_dir, server) = start();
    let admin = Browser::login(&server, ADMIN, PASSWORD).await;
    admin.add_user("me@example.org", "MEMBER", "member password 1").await;
    let member = Browser::login(&server, "me@example.org", "member password 1").await;

    let (status, headers) = member.submit("/settings/api-keys", "create_my_api_key", &[("name", "ci")]).await;
    assert_eq!(status, 302);
    let carried = set_cookie(&headers, "plume_new_key").expect("the key rides to the page in a cookie");
    let (_, html, headers) = member.page_with("/settings/api-keys", Some(&carried)).await;
    let key = value_starting(&html, "plume_").expect("the new key is shown");
    assert!(html.contains("Send it as <code>Authorization: Bearer &lt;key&gt;</code>"), "{html}");
    assert_eq!(set_cookie(&headers, "plume_new_key").as_deref(), Some("plume_new_key="), "cleared");
    let (_, again) = member.page("/settings/api-keys").await;
    assert!(!again.contains(&key), "the key is shown only once");
    assert!(again.contains(&key[..12]), "its prefix is listed");
    let start = again.find("data-key=\"").expect("the key's row") + 10;
    let id = again[start..start + again[start..].find('"').unwrap()].to_owned();

    let with_key = |key: String| {
        let request = server.http.get(server.at("/v1/projects")).bearer_auth(key);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(with_key(key.clone()).await, 200);
    // The key cannot manage keys itself (a narrowed key must not mint a stronger one).
    let minted = server
        .http
        .post(server.at("/api/create_my_api_key"))
        .bearer_auth(&key)
        .header("origin", &server.url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=stronger")
        .send()
        .await
        .unwrap();
    assert_eq!(minted.status(), 403);
    // Nor can someone else revoke it: their own keys only.
    assert_eq!(admin.call("revoke_my_api_key", &[("id", &id)]).await.0, 404);
    assert_eq!(with_key(key.clone()).await, 200);

    let (status, _) = member.submit("/settings/api-keys", "revoke_my_api_key", &[("id", &id)]).await;
    assert_eq!(status, 302);
    assert_eq!(with_key(key.clone()).await, 401, "revoked: refused at once");
    assert!(!member.page("/settings/api-keys").await.1.contains(&id), "no longer listed");

    // Admins also make service keys, with the default scopes when none are ticked.
    let (status, body) = admin.call("create_service_key", &[("name", "app"), ("expires_days", "30")]).await;
    assert_eq!(status, 200, "{body}");
    let created: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(created["scopes"], json!(["ingest", "annotate", "feedback", "read"]));
    assert!(created["expires_at"].is_string());
    assert_eq!(with_key(created["key"].as_str().unwrap().to_owned()).await, 200);
    let (_, html) = admin.page("/settings/api-keys").await;
    assert!(html.contains("action=\"/api/revoke_service_key\""), "{html}");
}

#[tokio::test]
async fn without_accounts_the_keys_page_says_they_need_auth_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (status, html, _) = server.get_text("/settings/api-keys").await;
    assert_eq!(status, 200);
    assert!(html.contains("start Plume with --auth on"), "{html}");
    assert!(!html.contains("action=\"/api/"), "no key forms");
}
