//! Accounts end to end: the auth modes, logging in and out, sessions ending
//! when they must, secrets never stored, the first admin from the command
//! line, attribution of annotations, and OTLP over gRPC with and without a key.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::accounts::{ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, Team, key_of};
use crate::common::{Server, database_flags, request, span, span_hex, stored_bytes};

/// Runs `plume serve` with `args` expecting it to stop by itself; its exit
/// success and its log.
fn serve_and_exit(args: &[&str]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_plume"))
        .args(["serve", "--port", "0", "--grpc-port", "0", "--data-dir"])
        .arg(dir.path())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "plume serve {args:?} kept running");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test]
async fn auth_off_is_refused_on_a_reachable_address_unless_insecure_is_asked_for() {
    let (ok, log) = serve_and_exit(&["--host", "0.0.0.0", "--public-url", "http://plume.test:6006"]);
    assert!(!ok);
    assert!(log.contains("--auth on") && log.contains("--insecure-no-auth"), "{log}");

    // Asked for, it starts, with a warning.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(
        dir.path(),
        &["--host", "0.0.0.0", "--public-url", "http://plume.test:6006", "--insecure-no-auth"],
        &[],
    );
    let (status, log) = server.terminate();
    assert!(status.success());
    assert!(log.iter().any(|line| line.contains("WARN") && line.contains("--insecure-no-auth")), "{log:?}");

    // With auth on, the same address is fine.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_auth(dir.path(), &["--host", "0.0.0.0", "--public-url", "http://plume.test:6006"]);
    let local = server.url.replace("0.0.0.0", "127.0.0.1");
    let response = server.http.get(format!("{local}/healthz")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let response = server.http.get(format!("{local}/v1/projects")).send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn sessions_have_safe_cookies_and_end_on_logout_and_role_change() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_auth(dir.path(), &["--public-url", "https://plume.example"]);
    let response = server.login_response(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    for flag in ["plume_session=", "HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(set_cookie.contains(flag), "{set_cookie}");
    }
    let admin = set_cookie.split(';').next().unwrap().to_owned();

    // A second user, logged in twice (two browsers).
    let body = json!({ "user": { "email": "ann@example.org", "role": "ANNOTATOR", "password": PASSWORD } });
    assert_eq!(server.send_as(&admin, Method::POST, "/v1/users", Some(&body)).await.0, 201);
    let laptop = server.login("ann@example.org", PASSWORD).await.unwrap();
    let phone = server.login("Ann@Example.org ", PASSWORD).await.unwrap();
    let server = &server;
    let who = |cookie: String| async move { server.send_as(&cookie, Method::GET, "/v1/user", None).await.0 };
    assert_eq!((who(laptop.clone()).await, who(phone.clone()).await), (200, 200));

    // Logout ends that session wherever it is used; the other one lives.
    let response = server.http.post(server.at("/auth/logout")).header("cookie", &laptop).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert!(response.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_eq!((who(laptop.clone()).await, who(phone.clone()).await), (401, 200));

    // A role change ends the user's sessions; they log in again with the new role.
    let (_, me) = server.send_as(&phone, Method::GET, "/v1/user", None).await;
    let id = serde_json::from_str::<Value>(&me).unwrap()["data"]["id"].as_str().unwrap().to_owned();
    let change = json!({ "role": "VIEWER" });
    assert_eq!(server.send_as(&admin, Method::PATCH, &format!("/v1/users/{id}"), Some(&change)).await.0, 200);
    assert_eq!(who(phone).await, 401);
    let again = server.login("ann@example.org", PASSWORD).await.unwrap();
    let (_, me) = server.send_as(&again, Method::GET, "/v1/user", None).await;
    assert_eq!(serde_json::from_str::<Value>(&me).unwrap()["data"]["role"], "VIEWER");

    // Changing one's password (the current one is asked for) ends the other
    // sessions and keeps this one.
    let other = server.login("ann@example.org", PASSWORD).await.unwrap();
    let change = |current: &str| json!({ "current_password": current, "new_password": "another long password" });
    assert_eq!(server.send_as(&again, Method::POST, "/auth/password", Some(&change("not it at all"))).await.0, 403);
    assert_eq!(server.send_as(&again, Method::POST, "/auth/password", Some(&change(PASSWORD))).await.0, 204);
    assert_eq!((who(again).await, who(other).await), (200, 401));
    assert!(server.login("ann@example.org", PASSWORD).await.is_err());
    assert!(server.login("ann@example.org", "another long password").await.is_ok());
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_maximum_age() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_auth(dir.path(), &["--session-idle-timeout", "2s", "--session-max-age", "5s"]);
    let who = |cookie: String| {
        let server = &server;
        async move { server.send_as(&cookie, Method::GET, "/v1/user", None).await.0 }
    };
    let idle = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
    assert_eq!(who(idle.clone()).await, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(who(idle).await, 401, "idle for longer than --session-idle-timeout");

    let busy = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(4000) {
        assert_eq!(who(busy.clone()).await, 200, "in use, within --session-max-age");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(who(busy).await, 401, "past --session-max-age, however busy");
}

#[tokio::test]
async fn failed_logins_look_the_same_and_are_throttled() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_auth(dir.path(), &[]);
    let attempt = |email: &'static str, password: &'static str| {
        let server = &server;
        async move {
            let started = Instant::now();
            let response = server.login_response(email, password).await;
            let status = response.status().as_u16();
            (status, response.text().await.unwrap(), started.elapsed())
        }
    };
    let (unknown, wrong) =
        (attempt("nobody@example.org", "whatever password"), attempt(ADMIN_EMAIL, "wrong password!"));
    let ((s1, b1, t1), (s2, b2, t2)) = (unknown.await, wrong.await);
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(b1, b2, "the same message for an unknown user and a wrong password");
    // The same work (one argon2 check) either way: neither answer is fast.
    let (fast, slow) = (t1.min(t2), t1.max(t2));
    assert!(slow < fast * 4, "unknown user {t1:?}, wrong password {t2:?}");

    // Five failures for an account, then it must wait (even with the right password).
    for _ in 0..4 {
        assert_eq!(attempt(ADMIN_EMAIL, "wrong password!").await.0, 401);
    }
    let response = server.login_response(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.is_ok(), "after the wait the right password works");
}

#[tokio::test]
async fn the_database_holds_no_password_key_or_session_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with_auth(dir.path(), &[]);
    let admin = server.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
    let token = admin.trim_start_matches("plume_session=").to_owned();
    let body = json!({ "data": { "name": "app" } });
    let (status, text) = server.send_as(&admin, Method::POST, "/v1/system/api_keys", Some(&body)).await;
    assert_eq!(status, 201, "{text}");
    let key = key_of(&text);
    assert!(key.starts_with("plume_") && key.len() >= 6 + 43, "{key}: at least 256 random bits");
    let body = json!({ "user": { "email": "m@example.org", "role": "MEMBER", "password": PASSWORD } });
    assert_eq!(server.send_as(&admin, Method::POST, "/v1/users", Some(&body)).await.0, 201);
    // Everything is committed before the answers; the WAL holds what the
    // database file does not yet.
    let bytes = stored_bytes(dir.path());
    assert!(bytes.len() > 4096);
    for secret in [ADMIN_PASSWORD, PASSWORD, key.as_str(), &key[6..], token.as_str()] {
        let found = bytes.windows(secret.len()).any(|window| window == secret.as_bytes());
        assert!(!found, "the database holds {secret:?}");
    }
    // What it holds instead: an argon2id hash, a SHA-256, a short prefix.
    assert!(bytes.windows(10).any(|w| w == b"$argon2id$"));
    assert!(bytes.windows(12).any(|w| w == &key.as_bytes()[..12]));
}

#[tokio::test]
async fn users_add_prints_a_one_time_link_that_sets_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_plume"))
        .args(["users", "add", "first@example.org", "--role", "admin", "--data-dir"])
        .arg(dir.path())
        .args(database_flags(dir.path()))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8(output.stdout).unwrap();
    let token = printed.split("token=").nth(1).expect("a set-password link").trim().to_owned();

    let server = Server::start_with(dir.path(), &["--auth", "on"]);
    assert!(server.login("first@example.org", "").await.is_err(), "no password until the link is used");
    let set = |password: &'static str| {
        server.http.post(server.at("/auth/set-password")).json(&json!({ "token": token, "password": password })).send()
    };
    assert_eq!(set("short").await.unwrap().status(), 422, "a minimum length");
    assert_eq!(set("a brand new password").await.unwrap().status(), 204);
    assert_eq!(set("another new password").await.unwrap().status(), 404, "the link works once");
    let cookie = server.login("first@example.org", "a brand new password").await.unwrap();
    let (_, me) = server.send_as(&cookie, Method::GET, "/v1/user", None).await;
    assert_eq!(serde_json::from_str::<Value>(&me).unwrap()["data"]["role"], "ADMIN");
}

/// The action of the first form posting to server function `name` on `html`.
fn has_form(html: &str, name: &str) -> bool {
    html.contains(&format!("action=\"/api/{name}\""))
}

#[tokio::test]
async fn each_reviewer_keeps_their_own_annotation_and_sees_who_wrote_what() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let server = &team.server;
    let ingest = server
        .http
        .post(server.at("/v1/traces"))
        .bearer_auth(&team.scope_keys["ingest"])
        .header("content-type", "application/x-protobuf")
        .body(prost::Message::encode_to_vec(&request(vec![], vec![span(1, 1, 0, "answer", 0, 1, vec![])])))
        .send()
        .await
        .unwrap();
    assert_eq!(ingest.status(), 200);
    let span_id = span_hex(1);

    // Two reviewers judge the same span in the UI's form.
    let post_form = |cookie: &str, function: &str, fields: Vec<(&str, &str)>| {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        server
            .http
            .post(server.at(&format!("/api/{function}")))
            .header("cookie", cookie)
            .header("origin", &server.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    for (role, label) in [("ANNOTATOR", "correct"), ("MEMBER", "incorrect")] {
        let fields = vec![("span_id", span_id.as_str()), ("name", "correctness"), ("label", label)];
        let response = post_form(&team.cookies[role], "save_annotation", fields).await.unwrap();
        assert!(response.status().is_success(), "{role}: {}", response.status());
    }
    let listed = server
        .http
        .get(server.at(&format!("/v1/projects/default/span_annotations?span_ids={span_id}")))
        .bearer_auth(&team.role_keys["VIEWER"])
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let annotations = listed["data"].as_array().unwrap();
    assert_eq!(annotations.len(), 2, "two annotations, not one overwritten: {listed}");
    let mut authors: Vec<&str> = annotations.iter().map(|a| a["author"].as_str().unwrap()).collect();
    authors.sort();
    assert_eq!(authors, ["annotator.user@example.org", "member.user@example.org"]);
    assert!(annotations.iter().all(|a| a["user_id"].as_str().is_some_and(|id| !id.is_empty())));

    // The span page names them; a viewer sees no form and a forged post is refused.
    let page = server.at(&format!("/projects/default/spans/{span_id}"));
    let html =
        server.http.get(&page).header("cookie", &team.cookies["VIEWER"]).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("annotator.user@example.org") && html.contains("member.user@example.org"));
    assert!(!has_form(&html, "save_annotation") && !has_form(&html, "delete_annotation"), "a viewer gets no form");
    let fields = vec![("span_id", span_id.as_str()), ("name", "correctness"), ("label", "forged")];
    assert_eq!(post_form(&team.cookies["VIEWER"], "save_annotation", fields).await.unwrap().status(), 403);

    // The annotator may delete only their own.
    let html =
        server.http.get(&page).header("cookie", &team.cookies["ANNOTATOR"]).send().await.unwrap().text().await.unwrap();
    assert!(has_form(&html, "save_annotation"));
    let id_of =
        |author: &str| annotations.iter().find(|a| a["author"] == author).unwrap()["id"].as_str().unwrap().to_owned();
    let (mine, theirs) = (id_of("annotator.user@example.org"), id_of("member.user@example.org"));
    let delete = |id: String| {
        let fields = vec![("project", "default".to_owned()), ("id", id)];
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        server
            .http
            .post(server.at("/api/delete_annotation"))
            .header("cookie", &team.cookies["ANNOTATOR"])
            .header("origin", &server.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    assert_eq!(delete(theirs).await.unwrap().status(), 403);
    assert!(delete(mine).await.unwrap().status().is_success());

    // Over REST, an annotation with a key names the key's user (Phoenix's `user_id`).
    let body = json!({ "data": [{ "span_id": span_id, "name": "tone", "annotator_kind": "LLM",
        "result": { "label": "polite" } }] });
    let (status, text) =
        server.send_as(&team.role_keys["ANNOTATOR"], Method::POST, "/v1/span_annotations?sync=true", Some(&body)).await;
    assert_eq!(status, 200, "{text}");
    // Another user may not replace it (same name and identifier); an admin may.
    for sync in [true, false] {
        let path = format!("/v1/span_annotations?sync={sync}");
        let (status, text) = server.send_as(&team.role_keys["MEMBER"], Method::POST, &path, Some(&body)).await;
        assert_eq!(status, 403, "sync={sync}: {text}");
    }
    // Another name is the member's own.
    let own = json!({ "data": [{ "span_id": span_id, "name": "tone-2", "annotator_kind": "LLM",
        "result": { "label": "terse" } }] });
    let (status, _) =
        server.send_as(&team.role_keys["MEMBER"], Method::POST, "/v1/span_annotations?sync=false", Some(&own)).await;
    assert_eq!(status, 200);
    let (status, _) =
        server.send_as(&team.role_keys["ADMIN"], Method::POST, "/v1/span_annotations?sync=true", Some(&body)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn grpc_export_needs_a_key_allowing_ingestion() {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let mut client = TraceServiceClient::connect(team.server.grpc_url.clone()).await.unwrap();
    let call = |key: Option<&str>| {
        let mut call = tonic::Request::new(request(vec![], vec![span(2, 2, 0, "grpc", 0, 1, vec![])]));
        if let Some(key) = key {
            call.metadata_mut().insert("authorization", format!("Bearer {key}").parse().unwrap());
        }
        call
    };
    assert_eq!(client.export(call(None)).await.unwrap_err().code(), tonic::Code::Unauthenticated);
    assert_eq!(client.export(call(Some("plume_forged"))).await.unwrap_err().code(), tonic::Code::Unauthenticated);
    let read_only = team.scope_keys["read"].clone();
    assert_eq!(client.export(call(Some(&read_only))).await.unwrap_err().code(), tonic::Code::PermissionDenied);
    client.export(call(Some(&team.scope_keys["ingest"]))).await.unwrap();
    client.export(call(Some(&team.role_keys["MEMBER"]))).await.unwrap();
}
