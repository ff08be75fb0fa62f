//! End-user feedback against a real server: tokens (minted by Plume or by any
//! JWT library), votes that change in place and can be taken back, votes
//! before the span arrives, and every abuse limit (nothing written on refusal).

use crate::common::*;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

const SECRET: &str = "test-secret-test-secret-test-secret!";
const APP: &str = "http://app.example";
const EVIL: &str = "http://evil.example";
const PROJECT: &str = "fb";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Starts a server with a known secret, `APP` allowed, and `extra` flags.
fn start(dir: &std::path::Path, extra: &[&str]) -> Server {
    let mut flags = vec!["--feedback-secret", SECRET, "--feedback-origins", APP];
    flags.extend_from_slice(extra);
    Server::start_with(dir, &flags)
}

/// A token signed like an app backend would, with any JWT library.
fn sign(claims: Value, secret: &str) -> String {
    jsonwebtoken::encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn token_for(span: u64, user: Option<&str>) -> String {
    let mut claims = json!({"span_id": span_hex(span), "exp": now() + 3600});
    if let Some(user) = user {
        claims["sub"] = json!(user);
    }
    sign(claims, SECRET)
}

async fn ingest(server: &Server, ids: &[u64]) {
    let spans = ids.iter().map(|&id| span(1, id, 0, "answer", id, 1, vec![])).collect();
    assert_eq!(server.export(&request(vec![], spans), Some(PROJECT)).await.status(), 200);
}

/// Sends `method /v1/feedback` with `body` and optional Origin; status, headers, text.
async fn call(
    server: &Server,
    method: reqwest::Method,
    body: Value,
    origin: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = server.http.request(method, server.at("/v1/feedback")).json(&body);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.text().await.unwrap())
}

async fn vote(server: &Server, token: &str, vote: &str, comment: Option<&str>) -> (u16, String) {
    let (status, _, text) =
        call(server, reqwest::Method::POST, json!({"token": token, "vote": vote, "comment": comment}), None).await;
    (status, text)
}

/// The span's annotations (the span must be stored).
async fn annotations(server: &Server, span: u64) -> Vec<Value> {
    let body = server
        .get_json(&format!("/v1/projects/{PROJECT}/span_annotations?span_ids={}&limit=100", span_hex(span)))
        .await;
    body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_vote_changes_in_place_and_can_be_taken_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    ingest(&server, &[1]).await;
    let token = token_for(1, Some("u-42"));

    let (status, body) = vote(&server, &token, "up", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!({"data": {"vote": "up", "comment": null}}));
    let rows = annotations(&server, 1).await;
    assert_eq!(rows.len(), 1);
    let first = &rows[0];
    assert_eq!(first["name"], "user feedback");
    assert_eq!(first["annotator_kind"], "HUMAN");
    assert_eq!(first["source"], "API");
    assert_eq!(first["result"], json!({"label": "thumbs-up", "score": 1.0, "explanation": null}));
    assert_eq!(first["identifier"], "user:u-42");
    assert_eq!(first["metadata"], json!({"user_id": "u-42", "origin": null}));

    let (status, body) = vote(&server, &token, "down", Some("  wrong year  ")).await;
    assert_eq!(status, 200, "{body}");
    let rows = annotations(&server, 1).await;
    assert_eq!(rows.len(), 1, "one user, one vote");
    assert_eq!(rows[0]["id"], first["id"], "changed in place");
    assert_eq!(rows[0]["result"], json!({"label": "thumbs-down", "score": 0.0, "explanation": "wrong year"}));

    // Another user's vote is separate; a token without `sub` is keyed by its hash.
    let (status, _) = vote(&server, &token_for(1, Some("u-7")), "up", None).await;
    assert_eq!(status, 200);
    let anonymous = token_for(1, None);
    assert_eq!(vote(&server, &anonymous, "up", None).await.0, 200);
    let rows = annotations(&server, 1).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().any(|r| r["identifier"].as_str().unwrap().starts_with("token:")));

    // Retract, with the token as a bearer credential and no body.
    let response = server
        .http
        .delete(server.at("/v1/feedback"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let rows = annotations(&server, 1).await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["identifier"] != "user:u-42"));
    // Retracting again is harmless.
    let (status, _, _) = call(&server, reqwest::Method::DELETE, json!({"token": token}), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn votes_before_the_span_arrives_wait_for_it_and_can_be_retracted() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let kept = token_for(5, Some("early"));
    let taken_back = token_for(6, Some("early"));
    assert_eq!(vote(&server, &kept, "up", None).await.0, 200);
    assert_eq!(vote(&server, &kept, "down", Some("changed my mind")).await.0, 200);
    assert_eq!(vote(&server, &taken_back, "up", None).await.0, 200);
    let (status, _, _) = call(&server, reqwest::Method::DELETE, json!({"token": taken_back}), None).await;
    assert_eq!(status, 200);

    ingest(&server, &[5, 6]).await;
    let rows = annotations(&server, 5).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["result"]["label"], "thumbs-down", "the last pending vote wins");
    assert_eq!(rows[0]["result"]["explanation"], "changed my mind");
    assert!(annotations(&server, 6).await.is_empty(), "a retracted pending vote never attaches");
}

#[tokio::test]
async fn every_refusal_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--feedback-max-ttl", "1d"]);
    ingest(&server, &[1, 2]).await;
    let good = token_for(1, Some("u"));
    let cases: Vec<(&str, Value, Option<&str>, u16)> = vec![
        ("no token", json!({"vote": "up"}), None, 401),
        ("garbage", json!({"token": "abc", "vote": "up"}), None, 401),
        (
            "forged",
            json!({"token": sign(json!({"span_id": span_hex(1), "exp": now() + 60}), "another-secret-another-secret-!!"), "vote": "up"}),
            None,
            401,
        ),
        (
            "expired",
            json!({"token": sign(json!({"span_id": span_hex(1), "exp": now() - 3600}), SECRET), "vote": "up"}),
            None,
            401,
        ),
        (
            "too long-lived",
            json!({"token": sign(json!({"span_id": span_hex(1), "exp": now() + 30 * 86_400}), SECRET), "vote": "up"}),
            None,
            401,
        ),
        ("no target", json!({"token": sign(json!({"exp": now() + 60}), SECRET), "vote": "up"}), None, 401),
        ("wrong span", json!({"token": good, "vote": "up", "span_id": span_hex(2)}), None, 403),
        ("origin not allowed", json!({"token": good, "vote": "up"}), Some(EVIL), 403),
        ("bad vote", json!({"token": good, "vote": "sideways"}), None, 422),
        ("comment too long", json!({"token": good, "vote": "up", "comment": "x".repeat(2001)}), None, 422),
        ("body too large", json!({"token": good, "vote": "up", "pad": "x".repeat(5000)}), None, 413),
    ];
    for (what, body, origin, expected) in cases {
        let (status, headers, text) = call(&server, reqwest::Method::POST, body, origin).await;
        assert_eq!(status, expected, "{what}: {text}");
        if expected == 401 {
            assert_eq!(headers["www-authenticate"], "Bearer error=\"invalid_token\"", "{what}");
        }
        assert!(headers.get("access-control-allow-origin").is_none(), "{what}");
    }
    // Not JSON at all.
    let response = server.http.post(server.at("/v1/feedback")).body("vote=up").send().await.unwrap();
    assert_eq!(response.status(), 422);
    // A token whose origins exclude the caller, even though the server allows it.
    let elsewhere =
        sign(json!({"span_id": span_hex(1), "exp": now() + 60, "origins": ["http://other.example"]}), SECRET);
    let (status, _, _) =
        call(&server, reqwest::Method::POST, json!({"token": elsewhere, "vote": "up"}), Some(APP)).await;
    assert_eq!(status, 403);
    // Retractions are refused the same way.
    let (status, _, _) = call(&server, reqwest::Method::DELETE, json!({"token": "abc"}), None).await;
    assert_eq!(status, 401);

    assert!(annotations(&server, 1).await.is_empty());
    assert!(annotations(&server, 2).await.is_empty());
}

#[tokio::test]
async fn refused_votes_on_unknown_spans_leave_nothing_pending() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let expired = sign(json!({"span_id": span_hex(9), "exp": now() - 3600}), SECRET);
    assert_eq!(vote(&server, &expired, "up", None).await.0, 401);
    let (status, _, _) =
        call(&server, reqwest::Method::POST, json!({"token": token_for(9, None), "vote": "up"}), Some(EVIL)).await;
    assert_eq!(status, 403);
    ingest(&server, &[9]).await;
    assert!(annotations(&server, 9).await.is_empty());
}

#[tokio::test]
async fn too_many_votes_per_token_or_ip_answer_429() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--feedback-rate-per-token", "3", "--feedback-rate-per-ip", "6"]);
    ingest(&server, &[1]).await;
    let token = token_for(1, Some("clicky"));
    for _ in 0..3 {
        assert_eq!(vote(&server, &token, "up", None).await.0, 200);
    }
    let response = server
        .http
        .post(server.at("/v1/feedback"))
        .json(&json!({"token": token, "vote": "down"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(annotations(&server, 1).await[0]["result"]["label"], "thumbs-up", "the refused vote wrote nothing");

    // Other tokens still work until the IP's budget (6) is spent.
    assert_eq!(vote(&server, &token_for(1, Some("a")), "up", None).await.0, 200);
    assert_eq!(vote(&server, &token_for(1, Some("b")), "up", None).await.0, 200);
    assert_eq!(vote(&server, &token_for(1, Some("c")), "up", None).await.0, 429);
}

#[tokio::test]
async fn cors_only_for_allowed_origins() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    ingest(&server, &[1]).await;
    let preflight = |origin: &'static str| {
        server
            .http
            .request(reqwest::Method::OPTIONS, server.at("/v1/feedback"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight(APP).await.unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(allowed.headers()["access-control-allow-origin"], APP);
    assert!(allowed.headers()["access-control-allow-methods"].to_str().unwrap().contains("POST"));
    assert!(allowed.headers()["access-control-allow-headers"].to_str().unwrap().contains("content-type"));
    let refused = preflight(EVIL).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("access-control-allow-origin").is_none());

    let token = sign(json!({"span_id": span_hex(1), "exp": now() + 600, "origins": [APP]}), SECRET);
    let (status, headers, body) =
        call(&server, reqwest::Method::POST, json!({"token": token, "vote": "up"}), Some(APP)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["access-control-allow-origin"], APP);
    assert_eq!(annotations(&server, 1).await[0]["metadata"]["origin"], APP);
}

#[tokio::test]
async fn plume_mints_tokens_and_the_embed_page_is_framed_only_by_allowed_origins() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &["--feedback-max-ttl", "2d"]);
    let mint = |body: Value| server.http.post(server.at("/v1/feedback_tokens")).json(&body).send();
    let response = mint(json!({"span_id": span_hex(3), "user_id": 17, "origins": [APP, "http://not-allowed.example"]}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let data = response.json::<Value>().await.unwrap()["data"].clone();
    let token = data["token"].as_str().unwrap().to_owned();
    assert!(data["expires_at"].as_str().unwrap().ends_with("+00:00"));
    let widget_url = data["widget_url"].as_str().unwrap();
    assert!(widget_url.starts_with(&format!("{}/embed/feedback?token=", server.url)), "{widget_url}");

    for (bad, why) in [
        (json!({}), "no target"),
        (json!({"span_id": "xyz"}), "bad span id"),
        (json!({"span_id": span_hex(3), "ttl_seconds": 3 * 86_400}), "ttl over the maximum"),
        (json!({"span_id": span_hex(3), "origins": ["not an origin"]}), "bad origin"),
        (json!({"span_id": span_hex(3), "user_id": {"x": 1}}), "bad user id"),
    ] {
        assert_eq!(mint(bad).await.unwrap().status(), 422, "{why}");
    }

    // The embed page: frame-ancestors = token origins ∩ allowlist; no referrer; not cached.
    let page = server.http.get(widget_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-security-policy"], format!("frame-ancestors {APP}"));
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    assert!(html.contains("aria-label=\"Thumbs up\"") && html.contains("aria-label=\"Thumbs down\""));
    assert!(!html.contains("class=\"topbar\""), "the widget has its own layout");
    // No theme named: it follows the browser's preference; a named one is kept.
    assert!(html.contains("data-theme=\"auto\"") && html.contains("prefers-color-scheme:dark"), "{html}");
    let dark =
        server.http.get(widget_url.replace("theme=auto", "theme=dark")).send().await.unwrap().text().await.unwrap();
    assert!(dark.contains("data-theme=\"dark\""));

    // Without token origins and with no server allowlist: nobody may frame it.
    let dir2 = tempfile::tempdir().unwrap();
    let closed = Server::start_with(dir2.path(), &["--feedback-secret", SECRET]);
    let page =
        closed.http.get(closed.at(&format!("/embed/feedback?token={}", token_for(3, None)))).send().await.unwrap();
    assert_eq!(page.headers()["content-security-policy"], "frame-ancestors 'none'");

    let bad = server.http.get(server.at("/embed/feedback?token=nope")).send().await.unwrap();
    assert_eq!(bad.status(), 401);
    assert!(bad.text().await.unwrap().contains("expired or is not valid"));

    // The plain-HTML form: vote, see it on the page, retract.
    ingest(&server, &[3]).await;
    let no_redirects = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = |vote: &str| {
        no_redirects
            .post(server.at("/embed/feedback/vote"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        ("token", token.as_str()),
                        ("vote", vote),
                        ("theme", "dark"),
                        ("comment", "via form"),
                    ])
                    .finish(),
            )
            .send()
    };
    let response = form("up").await.unwrap();
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/embed/feedback?token=") && location.ends_with("&theme=dark"), "{location}");
    let rows = annotations(&server, 3).await;
    assert_eq!(rows[0]["result"], json!({"label": "thumbs-up", "score": 1.0, "explanation": "via form"}));
    assert_eq!(rows[0]["identifier"], "user:17");
    let html = server.http.get(server.at(&location)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("value=\"retract\""), "the pressed button now retracts");
    assert_eq!(form("retract").await.unwrap().status(), 303);
    assert!(annotations(&server, 3).await.is_empty());
}

#[tokio::test]
async fn the_loader_is_small_cached_javascript() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), &[]);
    let response = server.http.get(server.at("/widget.js")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let etag = response.headers()["etag"].clone();
    let body = response.text().await.unwrap();
    assert!(body.len() <= 5 * 1024 && body.contains("data-plume-feedback"));
    let again = server.http.get(server.at("/widget.js")).header("if-none-match", etag).send().await.unwrap();
    assert_eq!(again.status(), 304);
}

#[tokio::test]
async fn a_generated_secret_survives_restarts_and_is_shared_by_every_process_on_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    let response =
        server.http.post(server.at("/v1/feedback_tokens")).json(&json!({"span_id": span_hex(1)})).send().await.unwrap();
    let token = response.json::<Value>().await.unwrap()["data"]["token"].as_str().unwrap().to_owned();
    server.terminate();
    // Kept in the database, not in a file beside one process.
    assert!(!dir.path().join("feedback-secret").exists());
    let server = Server::start(dir.path());
    assert_eq!(vote(&server, &token, "up", None).await.0, 200);
    // A second process on the same database (a replica) accepts it too.
    let replica = Server::start(dir.path());
    assert_eq!(vote(&replica, &token, "down", None).await.0, 200);
}

#[tokio::test]
async fn the_demo_answers_with_a_span_and_a_token_for_it_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let flags = ["--feedback-secret", SECRET, "--feedback-origins", APP, "--demo", "--demo-port", &port];
    let server = Server::start_process(dir.path(), &flags, &[]);
    let demo = format!("http://127.0.0.1:{port}");
    let page = server.http.get(&demo).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("{}/widget.js", server.url)), "the page loads the widget from Plume");
    let answer: Value = server
        .http
        .post(format!("{demo}/ask"))
        .json(&json!({"question": "hi?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let span_id = answer["span_id"].as_str().unwrap();
    let spans = server.get_json(&format!("/v1/projects/plume-demo/spans?span_id={span_id}")).await;
    assert_eq!(spans["data"][0]["attributes"]["input.value"], "hi?", "{spans}");

    // The demo's origin is allowed without configuration.
    let (status, headers, body) =
        call(&server, reqwest::Method::POST, json!({"token": answer["token"], "vote": "up"}), Some(&demo)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["access-control-allow-origin"], demo.as_str());
    let (status, _) = server.terminate();
    assert!(status.success(), "the demo server must not keep the process alive");
}
