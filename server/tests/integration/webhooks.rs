//! Webhooks and alert rules against a real server and real HTTP receivers
//! (axum servers on ephemeral ports inside the test, recording every
//! request): signatures, filters, retries with the same `webhook-id`, the
//! outbox surviving kill -9, independence of slow endpoints, alerts,
//! permissions and bad input.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::accounts::Team;
use crate::common::*;

/// Short retries, so the retry tests take a second, not a minute.
const FAST_RETRIES: &[&str] = &["--webhook-retry-base", "200ms"];

/// One request a receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
    at: Instant,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Behaviour {
    /// Statuses to answer first, in order; 200 after them (or `otherwise`).
    script: VecDeque<u16>,
    /// What to answer once the script is done (200 when `None`).
    otherwise: Option<u16>,
    /// Never answer.
    hang: bool,
}

/// A local HTTP endpoint recording what it gets.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl Receiver {
    async fn start(behaviour: Behaviour) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let behaviour = Arc::new(Mutex::new(behaviour));
        let (record, decide) = (got.clone(), behaviour.clone());
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
            let (record, decide) = (record.clone(), decide.clone());
            async move {
                record.lock().unwrap().push(Received { headers, body, at: Instant::now() });
                let (hang, status) = {
                    let mut b = decide.lock().unwrap();
                    let status = b.script.pop_front().or(b.otherwise).unwrap_or(200);
                    (b.hang, status)
                };
                if hang {
                    tokio::time::sleep(Duration::from_secs(120)).await;
                }
                StatusCode::from_u16(status).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { url, got, behaviour }
    }

    fn requests(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests came; all of them.
    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.requests();
            if got.len() >= n {
                return got;
            }
            assert!(Instant::now() < deadline, "expected {n} requests within {within:?}, got {}: {got:?}", got.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// HMAC-SHA256, written out from RFC 2104 (independent of the server's crate).
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).chain(message.iter().copied()).collect();
    let inner = Sha256::digest(&inner);
    let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).chain(inner.iter().copied()).collect();
    Sha256::digest(&outer).to_vec()
}

/// Standard Webhooks verification: one of the space-separated `v1,` signatures
/// is base64(HMAC-SHA256(base64-decoded secret after `whsec_`, "id.timestamp.body")),
/// and the timestamp is recent.
fn verify(secret: &str, request: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("whsec_ prefix")).unwrap();
    let (id, timestamp) = (request.header("webhook-id"), request.header("webhook-timestamp"));
    let Ok(seconds) = timestamp.parse::<i64>() else { return false };
    if (chrono::Utc::now().timestamp() - seconds).abs() > 300 {
        return false;
    }
    let expected = STANDARD.encode(hmac_sha256(&key, format!("{id}.{timestamp}.{}", request.body).as_bytes()));
    request.header("webhook-signature").split(' ').any(|sig| sig.strip_prefix("v1,") == Some(expected.as_str()))
}

/// Spans 1..=n of trace 1 in `project`, named `chat`, with an input.
async fn ingest(server: &Server, project: &str, ids: &[u64]) {
    let spans = ids
        .iter()
        .map(|&id| {
            span(1, id, 0, "chat", id, 1, vec![attr("input.value", &format!("question {id}: {}", "x".repeat(500)))])
        })
        .collect();
    assert_eq!(server.export(&request(vec![], spans), Some(project)).await.status(), 200);
}

/// Annotates `span` (sync) with `name` and `score`; asserts a 200.
async fn annotate(server: &Server, span: u64, name: &str, label: &str, score: f64) {
    let body = json!({"data": [{"span_id": span_hex(span), "name": name, "annotator_kind": "HUMAN",
        "result": {"label": label, "score": score}}]});
    let (status, text) = server.send_json(Method::POST, "/v1/span_annotations?sync=true", &body).await;
    assert_eq!(status, 200, "{text}");
}

/// Creates a webhook; its id and secret.
async fn create_hook(server: &Server, body: Value) -> (String, String) {
    let (status, text) = server.send_json(Method::POST, "/v1/webhooks", &body).await;
    assert_eq!(status, 200, "{text}");
    let data = serde_json::from_str::<Value>(&text).unwrap()["data"].clone();
    (data["id"].as_str().unwrap().to_owned(), data["secret"].as_str().unwrap().to_owned())
}

async fn deliveries(server: &Server, hook: &str) -> Vec<Value> {
    server.get_json(&format!("/v1/webhooks/{hook}/deliveries")).await["data"].as_array().unwrap().clone()
}

/// Waits until the webhook's newest delivery is no longer pending; the log.
async fn settled(server: &Server, hook: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let log = deliveries(server, hook).await;
        if log.iter().all(|d| d["status"] != "pending") {
            return log;
        }
        assert!(Instant::now() < deadline, "still pending: {log:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn signed_events_follow_the_filter_and_can_be_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--public-url", "https://plume.example"]);
    ingest(&server, "shop", &[1, 2, 3]).await;
    ingest(&server, "other", &[9]).await;
    let negative = Receiver::start(Behaviour::default()).await;
    let deleted = Receiver::start(Behaviour::default()).await;
    let filter = json!({"project": "shop", "names": ["thumbs"], "labels": ["down"], "score_lte": 0,
        "annotator_kind": "HUMAN"});
    let events = json!(["annotation.created", "annotation.updated"]);
    let (hook, secret) = create_hook(&server, json!({"url": negative.url, "events": events, "filter": filter})).await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let (_, deleted_secret) = create_hook(&server, json!({"url": deleted.url, "events": ["annotation.deleted"]})).await;

    annotate(&server, 1, "thumbs", "down", 0.0).await; // matches
    annotate(&server, 2, "thumbs", "up", 1.0).await; // label and score do not
    annotate(&server, 3, "quality", "down", 0.0).await; // name does not
    annotate(&server, 9, "thumbs", "down", 0.0).await; // project does not
    annotate(&server, 1, "thumbs", "down", -1.0).await; // the first one again: updated

    let got = negative.wait_for(2, Duration::from_secs(10)).await;
    let first = got[0].json();
    assert!(verify(&secret, &got[0]), "signature of {:?}", got[0]);
    assert!(!verify(&deleted_secret, &got[0]), "another webhook's secret does not verify it");
    assert_eq!(first["type"], "annotation.created");
    assert_eq!(first["data"]["project"], "shop");
    assert_eq!(first["data"]["annotation"]["name"], "thumbs");
    assert_eq!(first["data"]["annotation"]["span_id"], span_hex(1));
    assert_eq!(first["data"]["annotation"]["result"]["label"], "down");
    assert_eq!(first["data"]["span"]["name"], "chat");
    let input = first["data"]["span"]["input"].as_str().unwrap();
    assert!(input.starts_with("question 1: xxx") && input.chars().count() <= 301, "cut: {input}");
    let link = format!("https://plume.example/projects/shop/spans/{}", span_hex(1));
    assert_eq!(first["data"]["url"], link);
    let text = first["text"].as_str().unwrap();
    assert!(text.contains(&link) && text.contains("thumbs"), "Slack text: {text}");
    assert_eq!(got[0].header("content-type"), "application/json");
    assert!(got[0].header("authorization").is_empty() && got[0].header("cookie").is_empty());
    assert_eq!(got[1].json()["type"], "annotation.updated");
    assert!(verify(&secret, &got[1]));
    assert_ne!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(negative.requests().len(), 2, "only the matching annotations are sent");

    // Deleting sends annotation.deleted to the webhook that asked for it only.
    let (status, text) = server
        .send_json(Method::DELETE, "/v1/projects/shop/span_annotations?name=quality&delete_all=true", &json!({}))
        .await;
    assert!(status == 200 || status == 204, "{status} {text}");
    let gone = deleted.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(gone[0].json()["type"], "annotation.deleted");
    assert_eq!(gone[0].json()["data"]["annotation"]["name"], "quality");
    assert!(verify(&deleted_secret, &gone[0]));

    // The log, a test event, and "send again" with the same webhook-id.
    let log = settled(&server, &hook).await;
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 200);
    assert_eq!(log[0]["event_id"], got[1].header("webhook-id"), "newest first");
    let (status, text) = server.send_json(Method::POST, &format!("/v1/webhooks/{hook}/test"), &json!({})).await;
    assert_eq!(status, 200, "{text}");
    let test = negative.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(test[2].json()["type"], "webhook.test");
    assert!(verify(&secret, &test[2]));
    let oldest = &log[1];
    let retry = format!("/v1/webhooks/{hook}/deliveries/{}/retry", oldest["id"].as_str().unwrap());
    let (status, text) = server.send_json(Method::POST, &retry, &json!({})).await;
    assert_eq!(status, 204, "{text}");
    let again = negative.wait_for(4, Duration::from_secs(10)).await;
    assert_eq!(again[3].header("webhook-id"), got[0].header("webhook-id"));
    assert!(verify(&secret, &again[3]));
}

#[tokio::test]
async fn a_failing_endpoint_gets_the_event_again_with_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), FAST_RETRIES);
    ingest(&server, "p", &[1]).await;
    let receiver = Receiver::start(Behaviour { script: [500, 500, 500].into(), ..Default::default() }).await;
    let (hook, secret) = create_hook(&server, json!({"url": receiver.url, "events": ["annotation.created"]})).await;
    annotate(&server, 1, "thumbs", "down", 0.0).await;
    let got = receiver.wait_for(4, Duration::from_secs(15)).await;
    let id = got[0].header("webhook-id");
    assert!(got.iter().all(|r| r.header("webhook-id") == id && verify(&secret, r)), "{got:?}");
    assert!(got[1].at - got[0].at < Duration::from_secs(5), "the first retry comes within 5 s");
    let log = settled(&server, &hook).await;
    assert_eq!(log[0]["status"], "delivered");
    assert_eq!(log[0]["attempts"], 4);
    assert_eq!(log[0]["last_status_code"], 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.requests().len(), 4, "exactly once more after the 500s");
}

#[tokio::test]
async fn an_acknowledged_annotation_is_delivered_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), FAST_RETRIES, &[]);
    ingest(&server, "p", &[1]).await;
    // Down at first: every attempt fails until the receiver comes back.
    let receiver = Receiver::start(Behaviour { otherwise: Some(503), ..Default::default() }).await;
    let (hook, secret) = create_hook(&server, json!({"url": receiver.url, "events": ["annotation.created"]})).await;
    annotate(&server, 1, "thumbs", "down", 0.0).await;
    let first = receiver.wait_for(1, Duration::from_secs(10)).await;
    let id = first[0].header("webhook-id").to_owned();
    server.kill();

    receiver.behaviour.lock().unwrap().otherwise = Some(200);
    let server = Server::start_with(dir.path(), FAST_RETRIES);
    let deadline = Instant::now() + Duration::from_secs(45);
    let log = loop {
        let log = deliveries(&server, &hook).await;
        if log[0]["status"] == "delivered" {
            break log;
        }
        assert!(Instant::now() < deadline, "not delivered after the restart: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(log.len(), 1);
    let last = receiver.requests().last().cloned().unwrap();
    assert_eq!(last.header("webhook-id"), id, "the same event, from the outbox");
    assert!(verify(&secret, &last), "the secret survives the restart (same key file)");
}

#[tokio::test]
async fn a_hanging_endpoint_does_not_delay_another() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1, 2, 3]).await;
    let hanging = Receiver::start(Behaviour { hang: true, ..Default::default() }).await;
    let fast = Receiver::start(Behaviour::default()).await;
    create_hook(&server, json!({"url": hanging.url, "events": ["annotation.created"]})).await;
    create_hook(&server, json!({"url": fast.url, "events": ["annotation.created"]})).await;
    let started = Instant::now();
    for span in [1, 2, 3] {
        annotate(&server, span, "thumbs", "down", 0.0).await;
    }
    let got = fast.wait_for(3, Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(got.len(), 3);
    let spans: Vec<Value> = got.iter().map(|r| r.json()["data"]["annotation"]["span_id"].clone()).collect();
    assert_eq!(spans, [json!(span_hex(1)), json!(span_hex(2)), json!(span_hex(3))], "in order");
    assert_eq!(hanging.requests().len(), 1, "the hanging one holds its own queue only");
}

#[tokio::test]
async fn an_alert_fires_once_at_the_threshold_then_keeps_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "shop", &[1, 2, 3, 4, 5, 6, 7]).await;
    let receiver = Receiver::start(Behaviour::default()).await;
    // Subscribed to deletions only: what arrives here is the alert.
    let (hook, secret) = create_hook(&server, json!({"url": receiver.url, "events": ["annotation.deleted"]})).await;
    let rule = json!({"webhook_id": hook, "project": "shop", "filter": {"names": ["thumbs"], "score_lte": 0},
        "threshold": 3, "window_seconds": 600, "cooldown_seconds": 3600});
    let (status, text) = server.send_json(Method::POST, "/v1/alert_rules", &rule).await;
    assert_eq!(status, 200, "{text}");
    annotate(&server, 1, "thumbs", "down", 0.0).await;
    annotate(&server, 2, "thumbs", "up", 1.0).await; // does not count
    annotate(&server, 3, "thumbs", "down", 0.0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.requests().is_empty(), "two are below the threshold");
    annotate(&server, 4, "thumbs", "down", 0.0).await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let alert = got[0].json();
    assert!(verify(&secret, &got[0]));
    assert_eq!(alert["type"], "alert");
    assert_eq!(alert["data"]["count"], 3);
    assert_eq!(alert["data"]["project"], "shop");
    assert_eq!(alert["data"]["links"].as_array().unwrap().len(), 3);
    assert!(alert["text"].as_str().unwrap().contains("3 matching annotations"), "{alert}");
    // Three more within the cool-down: quiet.
    for span in [5, 6, 7] {
        annotate(&server, span, "thumbs", "down", 0.0).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.requests().len(), 1, "no second alert within the cool-down");
    let rules = server.get_json("/v1/alert_rules").await;
    assert!(rules["data"][0]["last_fired_at"].is_string(), "{rules}");
}

#[tokio::test]
async fn only_members_and_admins_manage_webhooks() {
    let dir = tempfile::tempdir().unwrap();
    let team = Team::start(dir.path()).await;
    let server = &team.server;
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["annotation.created"]});
    for role in ["VIEWER", "ANNOTATOR"] {
        let (status, text) = server.send_as(&team.role_keys[role], Method::POST, "/v1/webhooks", Some(&body)).await;
        assert_eq!(status, 403, "{role}: {text}");
        let (status, _) = server.send_as(&team.role_keys[role], Method::GET, "/v1/webhooks", None).await;
        assert_eq!(status, 403, "{role} may not read webhook URLs (they can be secrets)");
    }
    for role in ["MEMBER", "ADMIN"] {
        let (status, text) = server.send_as(&team.role_keys[role], Method::POST, "/v1/webhooks", Some(&body)).await;
        assert_eq!(status, 200, "{role}: {text}");
    }
    let (status, text) = server.send_as(&team.role_keys["MEMBER"], Method::GET, "/v1/webhooks", None).await;
    assert_eq!(status, 200, "{text}");
    assert!(!text.contains("whsec_"), "secrets are shown once only: {text}");
    for (role, status) in [("VIEWER", 403), ("ANNOTATOR", 403), ("MEMBER", 200)] {
        let (got, _) = server.send_as(&team.cookies[role], Method::GET, "/settings/webhooks", None).await;
        assert_eq!(got, status, "{role} on /settings/webhooks");
    }
}

#[tokio::test]
async fn bad_webhooks_and_rules_are_refused_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1]).await;
    let cases = [
        (json!({"url": "ftp://example.org/x", "events": ["annotation.created"]}), "http"),
        (json!({"url": "javascript:alert(1)", "events": ["annotation.created"]}), "http"),
        (json!({"url": "http://", "events": ["annotation.created"]}), "host"),
        (json!({"url": "http://example.org", "events": []}), "at least one"),
        (json!({"url": "http://example.org", "events": ["annotation.eaten"]}), "annotation.eaten"),
        (
            json!({"url": "http://example.org", "events": ["annotation.created"], "filter": {"score_gte": 1, "score_lte": 0}}),
            "score_gte",
        ),
        (json!({"url": "http://example.org", "events": ["annotation.created"], "filter": {"colour": "red"}}), "colour"),
        (json!({"events": ["annotation.created"]}), "url"),
    ];
    for (body, reason) in cases {
        let (status, text) = server.send_json(Method::POST, "/v1/webhooks", &body).await;
        assert_eq!(status, 422, "{body}: {text}");
        assert!(text.contains(reason), "{body}: {text} should name {reason}");
    }
    let (hook, _) =
        create_hook(&server, json!({"url": "https://example.org/h", "events": ["annotation.created"]})).await;
    let (status, text) =
        server.send_json(Method::PATCH, &format!("/v1/webhooks/{hook}"), &json!({"url": "file:///etc/passwd"})).await;
    assert_eq!(status, 422, "{text}");
    let (status, text) = server
        .send_json(Method::PATCH, &format!("/v1/webhooks/{hook}"), &json!({"filter": {"names": ["thumbs"]}}))
        .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["data"]["filter"]["names"], json!(["thumbs"]));
    let rule = |threshold: i64, project: &str, webhook: &str| {
        json!({"webhook_id": webhook, "project": project, "filter": {}, "threshold": threshold,
            "window_seconds": 600, "cooldown_seconds": 600})
    };
    let (status, text) = server.send_json(Method::POST, "/v1/alert_rules", &rule(0, "p", &hook)).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("threshold"), "{text}");
    let (status, text) = server.send_json(Method::POST, "/v1/alert_rules", &rule(5, "nowhere", &hook)).await;
    assert_eq!(status, 404, "{text}");
    let (status, text) = server.send_json(Method::POST, "/v1/alert_rules", &rule(5, "p", "V2ViaG9vazo5OTk=")).await;
    assert_eq!(status, 404, "{text}");
    let (status, _) = server.send_json(Method::GET, "/v1/webhooks/V2ViaG9vazo5OTk=", &json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = server.send_json(Method::DELETE, &format!("/v1/webhooks/{hook}"), &json!({})).await;
    assert_eq!(status, 204);
    let (status, _) = server.send_json(Method::GET, &format!("/v1/webhooks/{hook}"), &json!({})).await;
    assert_eq!(status, 404);
}

/// Posts a form to server function `endpoint` as a browser without JavaScript on `from` does.
async fn submit(server: &Server, from: &str, endpoint: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    plain
        .post(server.at(&format!("/api/{endpoint}")))
        .header("accept", "text/html")
        .header("origin", &server.url)
        .header("referer", server.at(from))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_settings_pages_make_a_webhook_show_its_secret_once_and_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1]).await;
    let receiver = Receiver::start(Behaviour::default()).await;
    let (status, html, _) = server.get_text("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/settings/webhooks\""), "linked from the top bar");

    let fields = [("url", receiver.url.as_str()), ("event_created", "on"), ("names", "thumbs"), ("score_lte", "0")];
    let response = submit(&server, "/settings/webhooks", "create_webhook", &fields).await;
    assert_eq!(response.status(), 302);
    let carried = set_cookie(response.headers(), "plume_new_webhook").expect("the secret rides in a cookie");
    let page = server.http.get(server.at("/settings/webhooks")).header("cookie", &carried).send().await.unwrap();
    let html = page.text().await.unwrap();
    let start = html.find("value=\"whsec_").expect("the secret is shown") + 7;
    let secret = html[start..start + html[start..].find('"').unwrap()].to_owned();
    assert!(html.contains("name thumbs, score ≤ 0"), "the filter is listed: {html}");
    let (_, again, _) = server.get_text("/settings/webhooks").await;
    assert!(!again.contains(&secret), "shown once");
    let start = again.find("data-webhook=\"").unwrap() + 14;
    let hook = again[start..start + again[start..].find('"').unwrap()].to_owned();

    annotate(&server, 1, "thumbs", "down", 0.0).await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert!(verify(&secret, &got[0]), "the secret from the page verifies");
    let page = format!("/settings/webhooks/{hook}");
    assert_eq!(submit(&server, &page, "send_test_event", &[("id", &hook)]).await.status(), 302);
    receiver.wait_for(2, Duration::from_secs(10)).await;
    settled(&server, &hook).await;
    let (status, html, _) = server.get_text(&page).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("webhook.test") && html.contains("annotation.created"), "{html}");
    assert!(html.contains("delivery-status delivered") && html.contains("Send again"), "{html}");
    let start = html.find("data-delivery=\"").unwrap() + 15;
    let delivery = html[start..start + html[start..].find('"').unwrap()].to_owned();
    let fields = [("id", hook.as_str()), ("delivery", delivery.as_str())];
    assert_eq!(submit(&server, &page, "send_again", &fields).await.status(), 302);
    let all = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(all[2].header("webhook-id"), all[1].header("webhook-id"), "the newest (the test event) again");

    assert_eq!(submit(&server, "/settings/webhooks", "delete_webhook", &[("id", &hook)]).await.status(), 302);
    let (_, html, _) = server.get_text("/settings/webhooks").await;
    assert!(html.contains("No webhooks yet."), "{html}");
}

#[tokio::test]
async fn a_thumbs_down_from_the_widget_reaches_a_slack_style_endpoint_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "support", &[1]).await;
    let slack = Receiver::start(Behaviour::default()).await;
    let filter = json!({"project": "support", "score_lte": 0});
    let events = json!(["annotation.created", "annotation.updated"]);
    let (_, secret) = create_hook(&server, json!({"url": slack.url, "events": events, "filter": filter})).await;
    let (status, text) = server.send_json(Method::POST, "/v1/feedback_tokens", &json!({"span_id": span_hex(1)})).await;
    assert_eq!(status, 200, "{text}");
    let token = serde_json::from_str::<Value>(&text).unwrap()["data"]["token"].as_str().unwrap().to_owned();
    let (status, text) = server.send_json(Method::POST, "/v1/feedback", &json!({"token": token, "vote": "up"})).await;
    assert_eq!(status, 200, "{text}");
    let clicked = Instant::now();
    // The widget's clicks take the writer's one-statement path when no
    // webhook exists; with one, the vote's event is recorded all the same.
    let (status, text) = server
        .send_json(Method::POST, "/v1/feedback", &json!({"token": token, "vote": "down", "comment": "wrong & rude"}))
        .await;
    assert_eq!(status, 200, "{text}");
    let got = slack.wait_for(1, Duration::from_secs(5)).await;
    assert!(clicked.elapsed() < Duration::from_secs(5));
    assert!(verify(&secret, &got[0]));
    let body = got[0].json();
    assert_eq!(body["type"], "annotation.updated", "the vote changed in place: {body}");
    assert_eq!(body["data"]["annotation"]["result"]["label"], "thumbs-down", "{body}");
    let text = body["text"].as_str().unwrap();
    assert!(text.contains("thumbs-down") && text.contains("wrong &amp; rude"), "Slack text, escaped: {text}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(slack.requests().len(), 1, "the 👍 did not match score ≤ 0");
}

#[tokio::test]
async fn an_annotation_waiting_for_its_span_is_sent_when_the_span_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let receiver = Receiver::start(Behaviour::default()).await;
    create_hook(&server, json!({"url": receiver.url, "events": ["annotation.created"]})).await;
    let body = json!({"data": [{"span_id": span_hex(5), "name": "thumbs", "annotator_kind": "HUMAN",
        "result": {"label": "down", "score": 0}}]});
    let (status, text) = server.send_json(Method::POST, "/v1/span_annotations?sync=false", &body).await;
    assert_eq!(status, 200, "{text}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.requests().is_empty(), "no span, no event yet");
    ingest(&server, "late", &[5]).await;
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let event = got[0].json();
    assert_eq!(event["type"], "annotation.created");
    assert_eq!(event["data"]["project"], "late");
    assert_eq!(event["data"]["span"]["name"], "chat");
}

/// Annotations written by the other paths (bulk annotation, a review queue's
/// completion) record their events in their own transaction too.
#[tokio::test]
async fn bulk_annotations_and_completed_reviews_are_sent_too() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "bulk", &[1, 2, 3]).await;
    let receiver = Receiver::start(Behaviour::default()).await;
    let (_, secret) =
        create_hook(&server, json!({"url": receiver.url, "events": ["annotation.created", "annotation.updated"]}))
            .await;
    let bulk = json!({"filter": {}, "annotation": {"name": "triage", "label": "look"}});
    for (round, kind) in [(1, "annotation.created"), (2, "annotation.updated")] {
        let (status, text) = server.send_json(Method::POST, "/v1/projects/bulk/span_annotations/bulk", &bulk).await;
        assert_eq!(status, 200, "{text}");
        let got = receiver.wait_for(3 * round, Duration::from_secs(10)).await;
        let mut spans: Vec<String> = got[3 * (round - 1)..]
            .iter()
            .map(|request| {
                assert!(verify(&secret, request), "signed");
                let event = request.json();
                assert_eq!(
                    (event["type"].as_str(), event["data"]["annotation"]["name"].as_str()),
                    (Some(kind), Some("triage"))
                );
                event["data"]["annotation"]["span_id"].as_str().unwrap().to_owned()
            })
            .collect();
        spans.sort();
        assert_eq!(spans, [1, 2, 3].map(span_hex).to_vec());
    }

    let (status, text) = server.send_json(Method::POST, "/v1/annotation_queues", &json!({"name": "q"})).await;
    assert_eq!(status, 200, "{text}");
    let queue = serde_json::from_str::<Value>(&text).unwrap()["data"]["id"].as_str().unwrap().to_owned();
    let items = json!({"span_ids": [span_hex(2)]});
    let (status, text) = server.send_json(Method::POST, &format!("/v1/annotation_queues/{queue}/items"), &items).await;
    assert_eq!(status, 200, "{text}");
    let (status, text) =
        server.send_json(Method::POST, &format!("/v1/annotation_queues/{queue}/next"), &json!({})).await;
    assert_eq!(status, 200, "{text}");
    let item = serde_json::from_str::<Value>(&text).unwrap()["data"]["item_id"].as_str().unwrap().to_owned();
    let review = json!({"annotations": [{"name": "correctness", "result": {"label": "correct"}}]});
    let path = format!("/v1/annotation_queues/{queue}/items/{item}/complete");
    let (status, text) = server.send_json(Method::POST, &path, &review).await;
    assert!(status == 200 || status == 204, "{status} {text}");
    let got = receiver.wait_for(7, Duration::from_secs(10)).await;
    let event = got[6].json();
    assert_eq!(event["type"], "annotation.created");
    assert_eq!(event["data"]["annotation"]["name"], "correctness");
    assert_eq!(event["data"]["annotation"]["span_id"], span_hex(2));
}
