//! Hardening against hostile or unlucky callers, on the real server: writes
//! racing the ingest writer, malformed server-function bodies, internal
//! errors, spreadsheet formulas in exports, absurd numbers, forwarded client
//! addresses and rate limits, and what public links hide.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::common::*;
use leptos::server_fn::ServerFn;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, KeyValueList, any_value};
use reqwest::Method;
use serde_json::{Value, json};

/// A project for [`span`]s.
fn project(name: &str) -> Vec<KeyValue> {
    vec![attr("openinference.project.name", name)]
}

/// POSTs JSON; the status and the parsed body (`Null` when not JSON).
async fn post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    let (status, text) = server.send_json(Method::POST, path, &body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Calls a server function the way the page swapper does (form body, JSON
/// answer, same origin); the status and the body text.
async fn call_server_fn(server: &Server, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let response = server
        .http
        .post(server.at(path))
        .header("content-type", content_type)
        .header("accept", "application/json")
        .header("origin", &server.url)
        .header("sec-fetch-site", "same-origin")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_outside_the_writer_never_fail_while_spans_pour_in() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    // Spans to delete (1..=24) and to flag (61..=80), each in its own trace.
    let seeded: Vec<_> = (1..=80).map(|n| span(u128::from(n), n, 0, "seed", n, 1, vec![])).collect();
    assert_eq!(server.export(&request(project("busy"), seeded), None).await.status(), 200);
    let (status, config) =
        post(&server, "/v1/annotation_configs", json!({"name": "comment", "type": "FREEFORM"})).await;
    assert_eq!(status, 200, "{config}");
    let config_id = config["data"]["id"].as_str().unwrap().to_owned();
    let (status, collection) = post(&server, "/v1/collections", json!({"name": "busy"})).await;
    assert_eq!(status, 200, "{collection}");
    let collection_id = collection["data"]["id"].as_str().unwrap().to_owned();

    // The ingest load: four clients posting batches of fresh spans until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for client in 0..4u64 {
        let (http, traces, stop) = (server.http.clone(), server.at("/v1/traces"), stop.clone());
        load.push(tokio::spawn(async move {
            use prost::Message;
            let mut statuses = Vec::new();
            let mut next = 1_000_000 * (client + 1);
            while !stop.load(Ordering::Relaxed) {
                let batch: Vec<_> =
                    (next..next + 300).map(|n| span(u128::from(n), n, 0, "load", 0, 1, vec![])).collect();
                next += 300;
                let body = request(project("busy"), batch).encode_to_vec();
                let call = http.post(&traces).header("content-type", "application/x-protobuf").body(body);
                statuses.push(call.send().await.unwrap().status().as_u16());
            }
            statuses
        }));
    }

    // Meanwhile, every kind of write that does not go through the writer.
    let mut answers: Vec<(String, u16, String)> = Vec::new();
    for n in 1..=24u64 {
        let path = format!("/v1/spans/{}", span_hex(n));
        let (status, body) = server.send_json(Method::DELETE, &path, &json!({})).await;
        answers.push((format!("DELETE {path}"), status, body));
        let ids = if n % 2 == 0 { json!([config_id]) } else { json!([]) };
        let (status, body) = server
            .send_json(Method::PUT, "/v1/projects/busy/annotation_configs", &json!({"annotation_config_ids": ids}))
            .await;
        answers.push(("PUT project configs".into(), status, body));
        let flagged = span_hex(60 + n % 20 + 1);
        let items = format!("/v1/collections/{collection_id}/items");
        let (status, body) = server.send_json(Method::POST, &items, &json!({"span_ids": [flagged]})).await;
        answers.push((format!("POST {items}"), status, body));
        if n % 3 == 0 {
            let (status, body) = server.send_json(Method::DELETE, &format!("{items}/{flagged}"), &json!({})).await;
            answers.push(("DELETE item".into(), status, body));
            let (status, body) =
                server.send_json(Method::POST, "/v1/public_links", &json!({"trace_id": trace_hex(70)})).await;
            answers.push(("POST public link".into(), status, body));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let mut ingested = Vec::new();
    for task in load {
        ingested.extend(task.await.unwrap());
    }

    let failed: Vec<_> = answers.iter().filter(|(_, status, _)| *status >= 500).collect();
    assert!(failed.is_empty(), "{} of {} writes failed, e.g. {:?}", failed.len(), answers.len(), failed.first());
    assert!(ingested.iter().all(|status| *status == 200), "ingest answered {ingested:?}");
    assert!(ingested.len() >= 4, "the load ran alongside the writes");
    let deletes: Vec<u16> =
        answers.iter().filter(|(what, ..)| what.starts_with("DELETE /v1/spans")).map(|a| a.1).collect();
    assert!(deletes.iter().all(|status| *status == 204), "{deletes:?}");
    for n in [1u64, 12, 24] {
        let (status, _) = server.send_json(Method::DELETE, &format!("/v1/spans/{}", span_hex(n)), &json!({})).await;
        assert_eq!(status, 404, "span {n} is gone");
    }
}

#[tokio::test]
async fn malformed_server_function_bodies_are_400s_that_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let form = "application/x-www-form-urlencoded";
    for path in [app::api::AddNote::PATH, app::api::SaveAnnotation::PATH, app::api::FlagSpan::PATH] {
        let (status, body) = call_server_fn(&server, path, form, "").await;
        assert_eq!(status, 400, "{path} with no fields: {body}");
        assert!(body.contains("span_id"), "{path}: the answer names the missing field: {body}");
        let (status, body) = call_server_fn(&server, path, form, "span_id[]=1&span_id[x]=2").await;
        assert_eq!(status, 400, "{path} with a mangled field: {body}");
        assert!(!body.is_empty());
        let (status, body) = call_server_fn(&server, path, "application/json", "{\"span_id\": [").await;
        assert_eq!(status, 400, "{path} with JSON: {body}");
    }
    // A well-formed call the server refuses is still the 422 it was.
    let (status, body) = call_server_fn(&server, app::api::AddNote::PATH, form, "span_id=00&note=").await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn internal_errors_are_logged_and_shown_only_as_a_generic_message() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    // Make every new collection fail inside the database, with a detail that must not leak.
    if on_postgres() {
        let db = database(dir.path()).await;
        sqlx::query(
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'secret-internal-detail'; END $$",
        )
        .execute(&db)
        .await
        .unwrap();
        sqlx::query("CREATE TRIGGER boom BEFORE INSERT ON collections FOR EACH ROW EXECUTE FUNCTION boom()")
            .execute(&db)
            .await
            .unwrap();
    } else {
        let database = dir.path().join("plume.db");
        let trigger = "CREATE TRIGGER boom BEFORE INSERT ON collections \
                       BEGIN SELECT RAISE(ABORT, 'secret-internal-detail'); END;";
        let script = format!(
            "import sqlite3; c = sqlite3.connect({:?}, timeout=30); c.execute({trigger:?}); c.commit()",
            database.display().to_string()
        );
        let done = std::process::Command::new("python3").args(["-c", &script]).status().expect("python3 runs");
        assert!(done.success());
    }

    let (status, body) =
        call_server_fn(&server, app::api::CreateCollection::PATH, "application/x-www-form-urlencoded", "name=doomed")
            .await;
    assert_eq!(status, 500, "{body}");
    assert!(!body.contains("secret-internal-detail") && !body.contains("database"), "{body}");
    assert!(body.contains("Internal error"), "{body}");
    let (status, body) = server.send_json(Method::POST, "/v1/collections", &json!({"name": "doomed"})).await;
    assert_eq!(status, 500);
    assert!(!body.contains("secret-internal-detail"), "{body}");

    let (_, log) = server.terminate();
    let logged = log.iter().filter(|line| line.contains("secret-internal-detail") && line.contains("ERROR")).count();
    assert!(logged >= 2, "both failures are logged as errors: {log:#?}");
}

#[tokio::test]
async fn csv_exports_neutralise_spreadsheet_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let answer = span(1, 1, 0, "answer", 0, 5, vec![attr("input.value", "@SUM(A1:A9)"), attr("output.value", "ok")]);
    assert_eq!(server.export(&request(project("csv"), vec![answer]), None).await.status(), 200);
    let evil = "=HYPERLINK(\"http://evil\",\"x\")";
    let vote = json!({"data": [{"span_id": span_hex(1), "name": "user feedback", "annotator_kind": "HUMAN",
        "result": {"label": "thumbs-down", "score": -1, "explanation": evil}}]});
    assert_eq!(post(&server, "/v1/span_annotations?sync=true", vote).await.0, 200);
    let (_, collection) = post(&server, "/v1/collections", json!({"name": "exported"})).await;
    let id = collection["data"]["id"].as_str().unwrap().to_owned();
    let items = json!({"span_ids": [span_hex(1)], "note": "+1 needs review"});
    assert_eq!(post(&server, &format!("/v1/collections/{id}/items"), items).await.0, 200);

    let (status, body, _) = server.get_text(&format!("/v1/collections/{id}/export?format=csv")).await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| row.get(header.iter().position(|h| h == name).unwrap()).unwrap().to_owned();
    assert_eq!(cell("annotation.user feedback.explanation"), format!("'{evil}"));
    assert_eq!(cell("input"), "'@SUM(A1:A9)");
    assert_eq!(cell("note"), "'+1 needs review");
    assert_eq!(cell("annotation.user feedback.score"), "-1", "numbers stay numbers");
    assert_eq!(cell("output"), "ok");
    assert!(row.iter().all(|cell| !cell.starts_with(['=', '+', '@', '\t', '\r'])), "{row:?}");
}

#[tokio::test]
async fn absurd_numbers_are_refused_or_clamped_never_a_5xx() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "0123456789abcdef0123456789abcdef";
    let server = Server::start_with(dir.path(), &["--feedback-secret", secret]);
    // Two LLM spans whose token counts add up past i64::MAX.
    let llm = |id: u64| {
        span(
            1,
            id,
            if id == 1 { 0 } else { 1 },
            "llm",
            0,
            5,
            vec![
                attr("openinference.span.kind", "LLM"),
                int_attr("llm.token_count.prompt", i64::MAX),
                int_attr("llm.token_count.completion", i64::MAX),
            ],
        )
    };
    assert_eq!(server.export(&request(project("huge"), vec![llm(1), llm(2)]), None).await.status(), 200);
    let traces = server.get_json("/v1/projects/huge/traces").await;
    assert_eq!(traces["data"][0]["token_count_total"], json!(i64::MAX), "{traces}");
    let (status, _, _) = server.get_text("/projects/huge").await;
    assert_eq!(status, 200, "the trace list page renders");

    // Lifetimes far beyond what is allowed: a 422 saying so.
    for ttl in [json!(u64::MAX), json!(1e30), json!(-1)] {
        let (status, body) =
            post(&server, "/v1/feedback_tokens", json!({"span_id": span_hex(1), "ttl_seconds": ttl})).await;
        assert_eq!(status, 422, "ttl_seconds {ttl}: {body}");
    }
    for expires in [json!(i64::MAX), json!(i64::MIN), json!(1e300)] {
        let link = json!({"trace_id": trace_hex(1), "expires_in_seconds": expires});
        let (status, body) = post(&server, "/v1/public_links", link).await;
        assert_eq!(status, 422, "expires_in_seconds {expires}: {body}");
    }

    // Tokens whose times are at the ends of i64: refused as tokens (401).
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes());
    for claims in [
        json!({"span_id": span_hex(1), "exp": i64::MAX}),
        json!({"span_id": span_hex(1), "exp": i64::MIN}),
        json!({"span_id": span_hex(1), "exp": 4_000_000_000_i64, "nbf": i64::MAX}),
    ] {
        let token = jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap();
        let vote = json!({"token": token, "vote": "up"});
        let (status, body) = server.send_json(Method::POST, "/v1/feedback", &vote).await;
        assert_eq!(status, 401, "{claims}: {body}");
    }
    assert_eq!(server.get_text("/healthz").await.0, 200);
}

/// Mints a token for span 1 as if forwarded for `forwarded`; the status.
async fn mint_from(server: &Server, forwarded: &str) -> reqwest::Response {
    server
        .http
        .post(server.at("/v1/feedback_tokens"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({"span_id": span_hex(1)}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    // Behind a trusted proxy (the test client is 127.0.0.1): one bucket per forwarded client.
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--trusted-proxies", "10.0.0.0/8,127.0.0.1", "--mint-rate-per-ip", "2", "--share-rate-per-ip", "2"];
    let proxied = Server::start_with(dir.path(), &flags);
    for _ in 0..2 {
        assert_eq!(mint_from(&proxied, "203.0.113.1").await.status(), 200);
    }
    let refused = mint_from(&proxied, "203.0.113.1").await;
    assert_eq!(refused.status(), 429);
    assert!(refused.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    // A made-up address to the left of the real one changes nothing.
    assert_eq!(mint_from(&proxied, "198.51.100.9, 203.0.113.1").await.status(), 429);
    assert_eq!(mint_from(&proxied, "203.0.113.2").await.status(), 200, "another client has its own bucket");
    // Shared pages are limited per client too.
    for expected in [404, 404, 429] {
        let response = proxied
            .http
            .get(proxied.at("/share/not-a-token"))
            .header("x-forwarded-for", "203.0.113.3")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected);
    }
    let other = proxied.http.get(proxied.at("/share/not-a-token")).header("x-forwarded-for", "203.0.113.4");
    assert_eq!(other.send().await.unwrap().status(), 404);

    // Without trusted proxies the header is ignored: the peer is the client.
    let dir = tempfile::tempdir().unwrap();
    let direct = Server::start_with(dir.path(), &["--mint-rate-per-ip", "2"]);
    assert_eq!(mint_from(&direct, "203.0.113.1").await.status(), 200);
    assert_eq!(mint_from(&direct, "203.0.113.2").await.status(), 200);
    assert_eq!(mint_from(&direct, "203.0.113.3").await.status(), 429);
}

/// A key-value-list attribute.
fn kvlist(key: &str, members: Vec<KeyValue>) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::KvlistValue(KeyValueList { values: members })) }),
        ..Default::default()
    }
}

#[tokio::test]
async fn public_links_hide_keys_in_any_case_nested_values_explanations_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let attributes = vec![
        attr("User.Email", "top@example.com"),
        attr("input.value", r#"{"user": {"email": "nested@example.com"}, "question": "visible question"}"#),
        kvlist("user", vec![attr("phone", "+1-555-0100")]),
        attr("output.value", "visible answer"),
    ];
    let shared = span(1, 1, 0, "shared", 0, 5, attributes);
    assert_eq!(server.export(&request(project("share"), vec![shared]), None).await.status(), 200);
    let vote = json!({"data": [{"span_id": span_hex(1), "name": "quality", "annotator_kind": "HUMAN",
        "result": {"label": "bad", "explanation": "secret explanation"}}]});
    assert_eq!(post(&server, "/v1/span_annotations?sync=true", vote).await.0, 200);
    let note = json!({"data": {"span_id": span_hex(1), "note": "secret span note"}});
    assert_eq!(post(&server, "/v1/span_notes", note).await.0, 200);
    let (_, collection) = post(&server, "/v1/collections", json!({"name": "shared"})).await;
    let id = collection["data"]["id"].as_str().unwrap().to_owned();
    let items = json!({"span_ids": [span_hex(1)], "note": "secret item note"});
    assert_eq!(post(&server, &format!("/v1/collections/{id}/items"), items).await.0, 200);

    let secrets = [
        "top@example.com",
        "nested@example.com",
        "555-0100",
        "secret explanation",
        "secret span note",
        "secret item note",
    ];
    let hiding = json!({"redact": ["user.*"], "redact_explanations": true, "redact_notes": true});
    let (status, link) = post(&server, &format!("/v1/collections/{id}/public_links"), hiding).await;
    assert_eq!(status, 200, "{link}");
    let token = link["data"]["token"].as_str().unwrap().to_owned();
    let (status, page, _) = server.get_text(&format!("/share/{token}")).await;
    assert_eq!(status, 200);
    let (status, data) = call_server_fn(
        &server,
        app::api::LoadShared::PATH,
        "application/x-www-form-urlencoded",
        &format!("token={token}"),
    )
    .await;
    assert_eq!(status, 200, "{data}");
    for shown in [&page, &data] {
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} is hidden");
        }
        assert!(shown.contains("visible question") && shown.contains("visible answer"), "the rest is shown");
        assert!(shown.contains("[redacted]"));
    }
    // The same collection shared without the flags shows the free text.
    let (_, plain) = post(&server, &format!("/v1/collections/{id}/public_links"), json!({"redact": ["user.*"]})).await;
    let (_, page, _) = server.get_text(&format!("/share/{}", plain["data"]["token"].as_str().unwrap())).await;
    assert!(page.contains("secret explanation") && page.contains("secret item note"));
    assert!(!page.contains("nested@example.com"));

    let links = server.get_json("/v1/public_links").await;
    let listed: Vec<(bool, bool)> = links["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["redact_explanations"].as_bool().unwrap(), l["redact_notes"].as_bool().unwrap()))
        .collect();
    assert_eq!(listed, [(false, false), (true, true)], "newest first");
}
