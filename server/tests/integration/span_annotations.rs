//! `POST /v1/span_annotations` and `GET`/`DELETE /v1/projects/{p}/span_annotations`
//! against a real server: every rule of the contract.

use crate::common::*;
use serde_json::{Value, json};

/// Stores spans 1..=n (trace 1) in `project`.
async fn ingest(server: &Server, project: &str, ids: &[u64]) {
    let spans = ids.iter().map(|&id| span(1, id, 0, "s", id, 1, vec![])).collect();
    assert_eq!(server.export(&request(vec![], spans), Some(project)).await.status(), 200);
}

/// POSTs `body` to `/v1/span_annotations?{query}`; returns status and body text.
async fn post(server: &Server, query: &str, body: Value) -> (u16, String) {
    let response =
        server.http.post(server.at(&format!("/v1/span_annotations?{query}"))).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// GET a path; status and parsed JSON (or the text as a JSON string).
async fn get(server: &Server, path: &str) -> (u16, Value) {
    let response = server.http.get(server.at(path)).send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn delete(server: &Server, path: &str) -> (u16, String) {
    let response = server.http.delete(server.at(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn item(span: u64, name: &str, label: &str) -> Value {
    json!({"span_id": span_hex(span), "name": name, "annotator_kind": "HUMAN", "result": {"label": label, "score": 1}})
}

async fn listed(server: &Server, project: &str, spans: &[u64]) -> Vec<Value> {
    let query: Vec<String> = spans.iter().map(|s| format!("span_ids={}", span_hex(*s))).collect();
    let (status, body) =
        get(server, &format!("/v1/projects/{project}/span_annotations?limit=1000&{}", query.join("&"))).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn sync_true_answers_ids_in_order_and_upserts_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1, 2]).await;
    let (status, body) = post(
        &server,
        "sync=true",
        json!({"data": [item(1, "q", "first"), item(2, "q", "other"), item(1, "q", "last"), item(1, "r", "x")]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<String> = serde_json::from_str::<Value>(&body).unwrap()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], ids[2], "the same key shares one id");
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[0], "U3BhbkFubm90YXRpb246MQ==");

    let rows = listed(&server, "p", &[1, 2]).await;
    assert_eq!(rows.len(), 3);
    let q1 = rows.iter().find(|r| r["name"] == "q" && r["span_id"] == span_hex(1)).unwrap();
    assert_eq!(q1["result"], json!({"label": "last", "score": 1.0, "explanation": null}));
    assert_eq!(serde_json::to_string(&q1["result"]["score"]).unwrap(), "1.0");
    let keys: Vec<&str> = q1.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "created_at",
            "updated_at",
            "source",
            "user_id",
            "name",
            "annotator_kind",
            "result",
            "metadata",
            "identifier",
            "span_id"
        ]
    );
    assert_eq!(q1["source"], "API");
    assert_eq!(q1["user_id"], Value::Null);
    assert_eq!(q1["metadata"], json!({}));
    assert_eq!(q1["identifier"], "");
    assert!(q1["created_at"].as_str().unwrap().ends_with("+00:00"));

    // Replacing: missing fields become null / {}, id and created_at stay, updated_at moves.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let replacement =
        json!({"data": [{"span_id": span_hex(1), "name": "q", "annotator_kind": "LLM", "metadata": {"m": 1}}]});
    let (status, body) = post(&server, "sync=true", replacement).await;
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["data"][0]["id"], ids[0]);
    let rows = listed(&server, "p", &[1]).await;
    let q1b = rows.iter().find(|r| r["name"] == "q").unwrap();
    assert_eq!(q1b["id"], q1["id"]);
    assert_eq!(q1b["created_at"], q1["created_at"]);
    assert_ne!(q1b["updated_at"], q1["updated_at"]);
    assert_eq!(q1b["result"], json!({"label": null, "score": null, "explanation": null}));
    assert_eq!(q1b["annotator_kind"], "LLM");
    assert_eq!(q1b["metadata"], json!({"m": 1}));
}

#[tokio::test]
async fn sync_true_with_unknown_spans_is_404_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1]).await;
    let body = json!({"data": [item(1, "q", "a"), item(7, "q", "b"), item(5, "q", "c"), item(7, "r", "d")]});
    let (status, text) = post(&server, "sync=true", body).await;
    assert_eq!(status, 404);
    assert_eq!(text, format!("Spans with IDs {}, {} do not exist.", span_hex(7), span_hex(5)));
    assert!(listed(&server, "p", &[1]).await.is_empty());
}

#[tokio::test]
async fn field_rules_and_coercions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1]).await;
    let s = span_hex(1);
    let cases: Vec<(Value, Value)> = vec![
        (json!({}), json!(["body", "data"])),
        (json!({"data": {}}), json!(["body", "data"])),
        (json!({"data": [{"name": "q", "annotator_kind": "HUMAN"}]}), json!(["body", "data", 0, "span_id"])),
        (json!({"data": [{"span_id": s, "annotator_kind": "HUMAN"}]}), json!(["body", "data", 0, "name"])),
        (json!({"data": [{"span_id": s, "name": "q"}]}), json!(["body", "data", 0, "annotator_kind"])),
        (
            json!({"data": [{"span_id": s, "name": "q", "annotator_kind": "human"}]}),
            json!(["body", "data", 0, "annotator_kind"]),
        ),
        (
            json!({"data": [{"span_id": s, "name": "q", "annotator_kind": "HUMAN", "identifier": null}]}),
            json!(["body", "data", 0, "identifier"]),
        ),
        (
            json!({"data": [{"span_id": s, "name": "q", "annotator_kind": "HUMAN", "result": {"label": 3}}]}),
            json!(["body", "data", 0, "result", "label"]),
        ),
        (
            json!({"data": [{"span_id": s, "name": "q", "annotator_kind": "HUMAN", "result": {"score": "high"}}]}),
            json!(["body", "data", 0, "result", "score"]),
        ),
        (
            json!({"data": [{"span_id": s, "name": "q", "annotator_kind": "HUMAN", "metadata": [1]}]}),
            json!(["body", "data", 0, "metadata"]),
        ),
        (
            json!({"data": [item(1, "ok", "a"), {"span_id": 5, "name": "q", "annotator_kind": "HUMAN"}]}),
            json!(["body", "data", 1, "span_id"]),
        ),
    ];
    for sync in ["true", "false"] {
        for (body, loc) in &cases {
            let (status, text) = post(&server, &format!("sync={sync}"), body.clone()).await;
            assert_eq!(status, 422, "{body}: {text}");
            let detail: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(&detail["detail"][0]["loc"], loc, "{body}");
        }
    }
    // Not JSON, or not declared as JSON.
    let response = server
        .http
        .post(server.at("/v1/span_annotations"))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = server
        .http
        .post(server.at("/v1/span_annotations"))
        .header("content-type", "text/plain")
        .body(json!({"data": []}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    // `note` is reserved.
    let (status, text) = post(&server, "sync=true", json!({"data": [item(1, "note", "a")]})).await;
    assert_eq!(status, 400, "{text}");
    // Over the limit: 422 naming `data`.
    let many: Vec<Value> = (0..10_001).map(|_| item(1, "q", "a")).collect();
    let (status, text) = post(&server, "sync=false", json!({"data": many})).await;
    assert_eq!(status, 422);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["detail"][0]["loc"], json!(["body", "data"]));
    // Bad sync spelling.
    let (status, text) = post(&server, "sync=maybe", json!({"data": []})).await;
    assert_eq!(status, 422);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["detail"][0]["loc"], json!(["query", "sync"]));
    // Nothing above wrote anything.
    assert!(listed(&server, "p", &[1]).await.is_empty());

    // Empty data, boolean spellings, coercions, unknown fields ignored.
    for sync in ["1", "yes", "on", "t", "y", "TRUE", "0", "no", "off", "f", "n"] {
        let (status, text) = post(&server, &format!("sync={sync}"), json!({"data": []})).await;
        assert_eq!((status, text.as_str()), (200, r#"{"data":[]}"#));
    }
    let coerced = json!({"data": [
        {"span_id": s, "name": "a", "annotator_kind": "CODE", "result": {"score": "0.25"}, "extra": 1},
        {"span_id": s, "name": "b", "annotator_kind": "LLM", "result": {"score": true}, "metadata": null},
        {"span_id": s, "name": "c", "annotator_kind": "HUMAN", "result": null, "identifier": "i"},
    ]});
    let (status, text) = post(&server, "sync=true", coerced).await;
    assert_eq!(status, 200, "{text}");
    let rows = listed(&server, "p", &[1]).await;
    let score = |name: &str| rows.iter().find(|r| r["name"] == name).unwrap()["result"]["score"].clone();
    assert_eq!(score("a"), json!(0.25));
    assert_eq!(score("b"), json!(1.0));
    assert_eq!(score("c"), Value::Null);
    assert_eq!(rows.iter().find(|r| r["name"] == "c").unwrap()["identifier"], "i");
}

#[tokio::test]
async fn sync_false_waits_durably_for_its_span_and_last_write_wins() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    let (status, text) = post(&server, "", json!({"data": [item(9, "q", "early")]})).await;
    assert_eq!((status, text.as_str()), (200, r#"{"data":[]}"#));
    let (status, _) = post(&server, "sync=false", json!({"data": [item(9, "q", "late"), item(9, "r", "other")]})).await;
    assert_eq!(status, 200);
    // A 200 means on disk: kill -9 and restart.
    server.kill();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[9]).await;
    let rows = listed(&server, "p", &[9]).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let q = rows.iter().find(|r| r["name"] == "q").unwrap();
    assert_eq!(q["result"]["label"], "late");
    // Attached once: a second export of the span changes nothing.
    ingest(&server, "p", &[9]).await;
    assert_eq!(listed(&server, "p", &[9]).await.len(), 2);
    // Known spans are written at once with sync=false too.
    let (status, _) = post(&server, "sync=false", json!({"data": [item(9, "q", "now")]})).await;
    assert_eq!(status, 200);
    let rows = listed(&server, "p", &[9]).await;
    assert_eq!(rows.iter().find(|r| r["name"] == "q").unwrap()["result"]["label"], "now");
}

#[tokio::test]
async fn pending_annotations_expire_after_the_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--pending-annotation-ttl", "300ms"]);
    let (status, _) = post(&server, "sync=false", json!({"data": [item(4, "q", "stale")]})).await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    ingest(&server, "p", &[4]).await;
    assert!(listed(&server, "p", &[4]).await.is_empty());
}

#[tokio::test]
async fn concurrent_upserts_of_one_key_leave_one_row() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1]).await;
    let mut tasks = Vec::new();
    for worker in 0..16 {
        // A client per task: separate connections.
        let client = reqwest::Client::new();
        let url = server.at(&format!("/v1/span_annotations?sync={}", worker % 2 == 0));
        tasks.push(tokio::spawn(async move {
            for n in 0..10 {
                let body = json!({"data": [item(1, "q", &format!("{worker}-{n}"))]});
                let response = client.post(&url).json(&body).send().await.unwrap();
                assert_eq!(response.status(), 200);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(listed(&server, "p", &[1]).await.len(), 1);
}

#[tokio::test]
async fn requests_that_share_annotation_keys_in_opposite_orders_do_not_deadlock() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    let spans: Vec<u64> = (1..=200).collect();
    ingest(&server, "p", &spans).await;
    // Evaluations re-run side by side write the same keys, in any order.
    // Writers side by side (PostgreSQL) take them in one order, else each
    // would hold a row the other waits for.
    for round in 0..10 {
        let send = |order: Vec<u64>, sync: bool| {
            let data: Vec<Value> = order.iter().map(|&s| item(s, "grade", &format!("{round}"))).collect();
            let (server, query) = (&server, format!("sync={sync}"));
            async move { post(server, &query, json!({ "data": data })).await.0 }
        };
        let reversed: Vec<u64> = spans.iter().rev().copied().collect();
        let (a, b, c) = tokio::join!(send(spans.clone(), true), send(reversed.clone(), true), send(reversed, false));
        assert_eq!((a, b, c), (200, 200, 200));
    }
    assert_eq!(listed(&server, "p", &spans).await.len(), 200);
    let (status, log) = server.terminate();
    assert!(status.success());
    assert!(
        !log.iter().any(|line| line.contains("write batch failed")),
        "{:?}",
        log.iter().filter(|l| l.contains("WARN")).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn listing_filters_pages_and_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1, 2]).await;
    let other = request(vec![], vec![span(2, 3, 0, "s", 0, 1, vec![])]);
    assert_eq!(server.export(&other, Some("other")).await.status(), 200);
    let mut data: Vec<Value> = (0..5).map(|n| item(1, &format!("n{n}"), "a")).collect();
    data.push(json!({"span_id": span_hex(2), "name": "n0", "annotator_kind": "HUMAN", "identifier": "x"}));
    data.push(item(3, "n0", "elsewhere"));
    assert_eq!(post(&server, "sync=true", json!({ "data": data })).await.0, 200);

    // Newest first, inclusive cursor.
    let (status, page) =
        get(&server, &format!("/v1/projects/p/span_annotations?span_ids={}&limit=2", span_hex(1))).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = page["data"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["n4", "n3"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    assert_eq!(cursor, "U3BhbkFubm90YXRpb246Mw==");
    let (_, page) =
        get(&server, &format!("/v1/projects/p/span_annotations?span_ids={}&limit=2&cursor={cursor}", span_hex(1)))
            .await;
    let names: Vec<&str> = page["data"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["n2", "n1"]);
    let (_, page) = get(
        &server,
        &format!("/v1/projects/p/span_annotations?span_ids={}&limit=10&cursor=U3BhbkFubm90YXRpb246MQ==", span_hex(1)),
    )
    .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["next_cursor"], Value::Null);

    // Identifier alone; names in and out; project scope.
    let (_, page) = get(&server, "/v1/projects/p/span_annotations?identifier=x").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1);
    assert_eq!(page["data"][0]["span_id"], span_hex(2));
    let both = format!("span_ids={}&span_ids={}", span_hex(1), span_hex(2));
    let (_, page) = get(
        &server,
        &format!("/v1/projects/p/span_annotations?{both}&include_annotation_names=n0&include_annotation_names=n1"),
    )
    .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 3);
    let (_, page) = get(&server, &format!("/v1/projects/p/span_annotations?{both}&exclude_annotation_names=n0")).await;
    assert_eq!(page["data"].as_array().unwrap().len(), 4);
    assert_eq!(listed(&server, "other", &[3]).await.len(), 1);
    let (status, page) = get(&server, "/v1/projects/p/span_annotations?identifier=").await;
    assert_eq!(status, 200);
    assert_eq!(page["data"].as_array().unwrap().len(), 5, "identifier= is the empty identifier");

    // Empty versus 404.
    let (status, page) = get(&server, &format!("/v1/projects/p/span_annotations?span_ids={}", span_hex(3))).await;
    assert_eq!(status, 404, "{page}");
    let (status, page) = get(&server, "/v1/projects/p/span_annotations?span_ids=nope&identifier=x").await;
    assert_eq!((status, page), (200, json!({"data": [], "next_cursor": null})));
    let (status, page) =
        get(&server, &format!("/v1/projects/p/span_annotations?span_ids={}&include_annotation_names=zzz", span_hex(1)))
            .await;
    assert_eq!((status, page), (200, json!({"data": [], "next_cursor": null})));
    assert_eq!(get(&server, "/v1/projects/nope/span_annotations?identifier=x").await.0, 404);

    // Bad requests.
    assert_eq!(get(&server, "/v1/projects/p/span_annotations").await.0, 422);
    assert_eq!(get(&server, "/v1/projects/p/span_annotations?identifier=x&limit=0").await.0, 422);
    assert_eq!(get(&server, "/v1/projects/p/span_annotations?identifier=x&limit=10001").await.0, 422);
    assert_eq!(get(&server, "/v1/projects/p/span_annotations?identifier=x&cursor=%%%").await.0, 422);
    let many: Vec<String> = (0..1001).map(|n| format!("span_ids={n}")).collect();
    assert_eq!(get(&server, &format!("/v1/projects/p/span_annotations?{}", many.join("&"))).await.0, 422);
}

#[tokio::test]
async fn deleting_needs_a_bound_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1]).await;
    let other = request(vec![], vec![span(2, 3, 0, "s", 0, 1, vec![])]);
    assert_eq!(server.export(&other, Some("other")).await.status(), 200);
    let data = json!({"data": [
        item(1, "a", "x"),
        {"span_id": span_hex(1), "name": "b", "annotator_kind": "LLM"},
        {"span_id": span_hex(1), "name": "c", "annotator_kind": "HUMAN", "identifier": "keep"},
        item(3, "a", "x"),
    ]});
    assert_eq!(post(&server, "sync=true", data).await.0, 200);

    let (status, text) = delete(&server, "/v1/projects/p/span_annotations?name=a").await;
    assert_eq!(status, 422);
    assert_eq!(
        text,
        "Delete is unbounded. Set delete_all=true to acknowledge, or supply both start_time and end_time to bound the time range."
    );
    assert_eq!(delete(&server, "/v1/projects/p/span_annotations?start_time=2020-01-01T00:00:00").await.0, 422);
    assert_eq!(
        delete(&server, "/v1/projects/p/span_annotations?start_time=2030-01-01T00:00:00&end_time=2020-01-01T00:00:00")
            .await
            .0,
        422
    );
    assert_eq!(delete(&server, "/v1/projects/p/span_annotations?delete_all=true&annotator_kind=robot").await.0, 422);
    assert_eq!(delete(&server, "/v1/projects/nope/span_annotations?delete_all=true").await.0, 404);
    assert_eq!(listed(&server, "p", &[1]).await.len(), 3, "refused deletes delete nothing");

    // A time range that misses everything.
    assert_eq!(
        delete(&server, "/v1/projects/p/span_annotations?start_time=2000-01-01T00:00:00&end_time=2001-01-01T00:00:00")
            .await
            .0,
        204
    );
    assert_eq!(listed(&server, "p", &[1]).await.len(), 3);
    // Filters AND together and stay in the project.
    assert_eq!(
        delete(&server, "/v1/projects/p/span_annotations?delete_all=true&name=a&annotator_kind=LLM").await.0,
        204
    );
    assert_eq!(listed(&server, "p", &[1]).await.len(), 3);
    assert_eq!(delete(&server, "/v1/projects/p/span_annotations?delete_all=true&name=a").await.0, 204);
    assert_eq!(listed(&server, "p", &[1]).await.len(), 2);
    assert_eq!(listed(&server, "other", &[3]).await.len(), 1);
    assert_eq!(
        delete(
            &server,
            "/v1/projects/p/span_annotations?start_time=2000-01-01T00:00:00&end_time=2100-01-01T00:00:00&identifier="
        )
        .await
        .0,
        204
    );
    let rows = listed(&server, "p", &[1]).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["identifier"], "keep");
}

#[tokio::test]
async fn sync_false_upserts_in_place_and_splits_known_from_pending() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1]).await;
    let (status, _) = post(&server, "sync=true", json!({"data": [item(1, "q", "first")]})).await;
    assert_eq!(status, 200);
    let before = listed(&server, "p", &[1]).await;

    // Only stored spans: the one-statement path. Equal keys in one request: the last wins.
    let (status, body) =
        post(&server, "sync=false", json!({"data": [item(1, "q", "second"), item(1, "q", "third")]})).await;
    assert_eq!((status, body.as_str()), (200, r#"{"data":[]}"#));
    let after = listed(&server, "p", &[1]).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["result"]["label"], "third");
    assert_eq!(after[0]["id"], before[0]["id"], "replaced in place");
    assert_eq!(after[0]["created_at"], before[0]["created_at"]);

    // A stored span and one not seen yet in one request: the first is stored
    // now, the second waits and attaches when its span arrives.
    let (status, _) = post(&server, "sync=false", json!({"data": [item(1, "r", "now"), item(2, "r", "later")]})).await;
    assert_eq!(status, 200);
    assert_eq!(listed(&server, "p", &[1]).await.len(), 2);
    ingest(&server, "p", &[2]).await;
    let late = listed(&server, "p", &[2]).await;
    assert_eq!(late.len(), 1);
    assert_eq!(late[0]["result"]["label"], "later");
}

/// One writer, one connection, one prepared upsert: an annotation without a
/// score, then ones with a score, then without again, each its own request
/// (PostgreSQL keeps the parameter types of a statement's first run).
#[tokio::test]
async fn scores_and_no_scores_alternate_on_one_connection() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    ingest(&server, "p", &[1, 2, 3]).await;
    for (span, score) in [(1, Value::Null), (2, json!(0.5)), (3, Value::Null), (1, json!(1))] {
        let body = json!({"data": [{"span_id": span_hex(span), "name": "q", "annotator_kind": "HUMAN",
                                    "result": {"label": "l", "score": score}}]});
        let (status, text) = post(&server, "sync=true", body).await;
        assert_eq!(status, 200, "score {score}: {text}");
    }
    let scores: Vec<Value> =
        listed(&server, "p", &[1, 2, 3]).await.iter().map(|a| a["result"]["score"].clone()).collect();
    assert_eq!(scores.iter().filter(|s| s.is_null()).count(), 1, "{scores:?}");
    assert!(scores.contains(&json!(1.0)) && scores.contains(&json!(0.5)), "{scores:?}");
}
