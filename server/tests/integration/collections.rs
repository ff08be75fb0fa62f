//! Collections of flagged spans: CRUD, flagging by ids and by filter,
//! paging, exports parsed back field by field, a large streamed export, and
//! the Phoenix dataset routes over them.

use crate::common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Six traces in project `p`: a CHAIN root and an LLM child each. LLM span
/// `i*10+1` has chat messages; odd traces' LLM spans are ERROR-free `gold`
/// users. Spans of traces 1 and 2 get 👍, trace 3 gets 👎.
pub(crate) async fn seeded() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut spans = Vec::new();
    for i in 1..=6u64 {
        spans.push(span(
            u128::from(i),
            i * 10,
            0,
            "agent",
            i * 1000,
            50,
            vec![
                attr("openinference.span.kind", "CHAIN"),
                attr("input.value", &format!("question {i}")),
                attr("output.value", &format!("answer {i}")),
            ],
        ));
        spans.push(span(
            u128::from(i),
            i * 10 + 1,
            i * 10,
            "llm",
            i * 1000 + 1,
            10,
            vec![
                attr("openinference.span.kind", "LLM"),
                attr("user.tier", if i % 2 == 1 { "gold" } else { "free" }),
                attr("user.email", &format!("u{i}@example.com")),
                attr("llm.input_messages.0.message.role", "system"),
                attr("llm.input_messages.0.message.content", "Be brief."),
                attr("llm.input_messages.1.message.role", "user"),
                attr("llm.input_messages.1.message.content", &format!("question {i}, \"quoted\", comma")),
                attr("llm.output_messages.0.message.role", "assistant"),
                attr("llm.output_messages.0.message.content", &format!("answer {i}\nsecond line")),
                attr("input.value", &format!("question {i}")),
                attr("output.value", &format!("answer {i}")),
            ],
        ));
    }
    assert_eq!(server.export(&request(vec![], spans), Some("p")).await.status(), 200);
    let vote = |span: u64, label: &str, score: f64| {
        json!({"span_id": span_hex(span), "name": "user feedback", "annotator_kind": "HUMAN",
               "result": {"label": label, "score": score, "explanation": "why"}})
    };
    let body = json!({"data": [vote(11, "thumbs-up", 1.0), vote(21, "thumbs-up", 1.0), vote(31, "thumbs-down", 0.0),
        {"span_id": span_hex(11), "name": "correctness", "annotator_kind": "LLM", "result": {"score": 0.5}}]});
    let (status, text) = server.send_json(Method::POST, "/v1/span_annotations?sync=true", &body).await;
    assert_eq!(status, 200, "{text}");
    (dir, server)
}

pub(crate) async fn create(server: &Server, name: &str) -> Value {
    let (status, text) =
        server.send_json(Method::POST, "/v1/collections", &json!({"name": name, "description": "d"})).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str::<Value>(&text).unwrap()["data"].clone()
}

pub(crate) async fn add(server: &Server, id: &str, body: Value) -> (u16, Value) {
    let (status, text) = server.send_json(Method::POST, &format!("/v1/collections/{id}/items"), &body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn crud_with_global_ids_and_clear_errors() {
    let (_dir, server) = seeded().await;
    let created = create(&server, "bad answers").await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id, "Q29sbGVjdGlvbjox"); // Collection:1
    assert_eq!(created["name"], "bad answers");
    assert_eq!(created["description"], "d");
    assert_eq!(created["item_count"], 0);
    assert!(created["created_at"].as_str().unwrap().ends_with("+00:00"));

    // Duplicate name → 409; empty name, wrong types, not JSON → 422.
    let (status, _) = server.send_json(Method::POST, "/v1/collections", &json!({"name": "bad answers"})).await;
    assert_eq!(status, 409);
    let (status, text) = server.send_json(Method::POST, "/v1/collections", &json!({"name": " "})).await;
    assert_eq!(status, 422);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["detail"][0]["loc"], json!(["body", "name"]));
    let (status, _) = server.send_json(Method::POST, "/v1/collections", &json!({"name": 3})).await;
    assert_eq!(status, 422);
    let response = server.http.post(server.at("/v1/collections")).body("name=x").send().await.unwrap();
    assert_eq!(response.status(), 422);

    // Read by global id and by name; unknown → 404.
    assert_eq!(server.get_json(&format!("/v1/collections/{id}")).await["data"]["name"], "bad answers");
    assert_eq!(server.get_json("/v1/collections/bad%20answers").await["data"]["id"], id.as_str());
    assert_eq!(server.get_text("/v1/collections/nope").await.0, 404);
    assert_eq!(server.get_text("/v1/collections/Q29sbGVjdGlvbjo5OQ==").await.0, 404);

    // Rename, then a rename onto a taken name is 409.
    create(&server, "other").await;
    let (status, text) = server
        .send_json(Method::PATCH, &format!("/v1/collections/{id}"), &json!({"name": "wrong", "description": ""}))
        .await;
    assert_eq!(status, 200, "{text}");
    let renamed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(renamed["data"]["name"], "wrong");
    assert_eq!(renamed["data"]["description"], Value::Null);
    let (status, _) =
        server.send_json(Method::PATCH, &format!("/v1/collections/{id}"), &json!({"name": "other"})).await;
    assert_eq!(status, 409);

    // List: newest first, paged with an inclusive cursor.
    let page = server.get_json("/v1/collections?limit=1").await;
    assert_eq!(page["data"][0]["name"], "other");
    let next = page["next_cursor"].as_str().unwrap();
    let page = server.get_json(&format!("/v1/collections?limit=1&cursor={next}")).await;
    assert_eq!(page["data"][0]["name"], "wrong");
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(server.get_text("/v1/collections?cursor=%%%").await.0, 422);
    assert_eq!(server.get_text("/v1/collections?limit=0").await.0, 422);

    // Delete → 204, then 404.
    let response = server.http.delete(server.at(&format!("/v1/collections/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(server.get_text(&format!("/v1/collections/{id}")).await.0, 404);
    let response = server.http.delete(server.at(&format!("/v1/collections/{id}"))).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn flagging_by_ids_ignores_duplicates_and_checks_spans() {
    let (_dir, server) = seeded().await;
    let id = create(&server, "c").await["id"].as_str().unwrap().to_owned();
    let (status, body) =
        add(&server, &id, json!({"span_ids": [span_hex(11), span_hex(21)], "note": "wrong tone"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"data": {"added": 2}}));
    // The same spans again (and one new): only the new one counts, the first note stays.
    let (_, body) =
        add(&server, &id, json!({"span_ids": [span_hex(21), span_hex(11), span_hex(31)], "note": "x"})).await;
    assert_eq!(body["data"]["added"], 1);
    // One unknown span → 404 naming it, nothing written.
    let (status, body) = add(&server, &id, json!({"span_ids": [span_hex(41), "ffffffffffffffff"]})).await;
    assert_eq!(status, 404);
    assert_eq!(body, Value::String("Spans with IDs ffffffffffffffff do not exist.".into()));
    assert_eq!(server.get_json(&format!("/v1/collections/{id}")).await["data"]["item_count"], 3);
    // Neither or both of span_ids / filter → 422; unknown collection → 404.
    assert_eq!(add(&server, &id, json!({"note": "n"})).await.0, 422);
    assert_eq!(add(&server, &id, json!({"span_ids": [], "filter": {"project": "p"}})).await.0, 422);
    assert_eq!(add(&server, "nope", json!({"span_ids": [span_hex(11)]})).await.0, 404);

    let items = server.get_json(&format!("/v1/collections/{id}/items")).await;
    let items = items["data"].as_array().unwrap();
    let first = &items[0];
    assert_eq!(first["span_id"], span_hex(11));
    assert_eq!(first["trace_id"], trace_hex(1));
    assert_eq!(first["note"], "wrong tone");
    assert_eq!(first["input"], "question 1");
    assert_eq!(first["output"], "answer 1");
    assert_eq!(first["span"]["name"], "llm");
    assert_eq!(first["span"]["attributes"]["user.tier"], "gold");
    let names: Vec<&str> =
        first["annotations"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["correctness", "user feedback"]);
    assert_eq!(items[2]["note"], "x");

    // Unflag: 204, then 404; global span ids work too.
    let path = format!("/v1/collections/{id}/items/{}", span_hex(21));
    assert_eq!(server.http.delete(server.at(&path)).send().await.unwrap().status(), 204);
    assert_eq!(server.http.delete(server.at(&path)).send().await.unwrap().status(), 404);
    assert_eq!(server.get_json(&format!("/v1/collections/{id}")).await["data"]["item_count"], 2);
    // A span can be in several collections.
    let other = create(&server, "c2").await["id"].as_str().unwrap().to_owned();
    assert_eq!(add(&server, &other, json!({"span_ids": [span_hex(11)]})).await.1["data"]["added"], 1);
}

#[tokio::test]
async fn a_filter_selects_every_matching_span_not_a_page() {
    let (_dir, server) = seeded().await;
    let id = create(&server, "gold llm").await["id"].as_str().unwrap().to_owned();
    let filter = json!({"project": "p", "span_kind": ["llm"], "attribute": "user.tier:gold"});
    let (status, body) = add(&server, &id, json!({"filter": filter, "note": "gold"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["added"], 3);
    let items = server.get_json(&format!("/v1/collections/{id}/items")).await;
    let spans: Vec<&str> = items["data"].as_array().unwrap().iter().map(|i| i["span_id"].as_str().unwrap()).collect();
    assert_eq!(spans, [span_hex(11), span_hex(31), span_hex(51)]);
    // Roots only, by a time range: traces 2..=4 start at 2s..4s.
    let roots = json!({"project": "p", "parent_id": null, "start_time": "2023-11-14T22:13:22+00:00",
                       "end_time": "2023-11-14T22:13:25+00:00"});
    assert_eq!(add(&server, &id, json!({"filter": roots})).await.1["data"]["added"], 3);
    // Same as the listing's own filter: the same count.
    let listed = server.get_json("/v1/projects/p/spans?parent_id=null&start_time=2023-11-14T22:13:22%2B00:00&end_time=2023-11-14T22:13:25%2B00:00").await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 3);
    // Bad filters: 422 pointing into the filter; unknown project 404.
    let (status, body) = add(&server, &id, json!({"filter": {"project": "p", "span_kind": "nope"}})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = add(&server, &id, json!({"filter": {"project": "p", "start_time": "yesterday"}})).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "filter", "start_time"]));
    let (status, body) = add(&server, &id, json!({"filter": {"project": "p", "colour": "red"}})).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "filter", "colour"]));
    let (status, body) = add(&server, &id, json!({"filter": {"span_kind": "llm"}})).await;
    assert_eq!(status, 422);
    assert_eq!(body["detail"][0]["loc"], json!(["body", "filter", "project"]));
    assert_eq!(add(&server, &id, json!({"filter": {"project": "p", "name": 3}})).await.0, 422);
    assert_eq!(add(&server, &id, json!({"filter": {"project": "nope"}})).await.0, 404);
}

#[tokio::test]
async fn items_page_with_an_inclusive_cursor() {
    let (_dir, server) = seeded().await;
    let id = create(&server, "all").await["id"].as_str().unwrap().to_owned();
    assert_eq!(add(&server, &id, json!({"filter": {"project": "p"}})).await.1["data"]["added"], 12);
    let mut seen = Vec::new();
    let mut path = format!("/v1/collections/{id}/items?limit=5");
    loop {
        let page = server.get_json(&path).await;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 5);
        seen.extend(data.iter().map(|i| i["span_id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => path = format!("/v1/collections/{id}/items?limit=5&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 12);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 12);
    assert_eq!(server.get_text(&format!("/v1/collections/{id}/items?limit=1001")).await.0, 422);
    assert_eq!(server.get_text(&format!("/v1/collections/{id}/items?cursor=notbase64")).await.0, 422);
    assert_eq!(server.get_text("/v1/collections/nope/items").await.0, 404);
}

#[tokio::test]
async fn exports_parse_back_field_by_field() {
    let (_dir, server) = seeded().await;
    let id = create(&server, "a/b \"c\"").await["id"].as_str().unwrap().to_owned();
    add(&server, &id, json!({"span_ids": [span_hex(11), span_hex(31), span_hex(20)], "note": "n, \"q\""})).await;

    // JSONL
    let (status, text, headers) = server.get_text(&format!("/v1/collections/{id}/export?format=jsonl")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-disposition"], "attachment; filename=\"a_b__c_.jsonl\"");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    let first = &lines[0];
    assert_eq!(first["span_id"], span_hex(11));
    assert_eq!(first["trace_id"], trace_hex(1));
    assert_eq!(first["name"], "llm");
    assert_eq!(first["span_kind"], "LLM");
    assert_eq!(first["input"], "question 1");
    assert_eq!(first["output"], "answer 1");
    assert_eq!(first["note"], "n, \"q\"");
    assert_eq!(first["attributes"]["user.email"], "u1@example.com");
    assert_eq!(first["attributes"]["llm.output_messages.0.message.content"], "answer 1\nsecond line");
    let feedback = first["annotations"].as_array().unwrap().iter().find(|a| a["name"] == "user feedback").unwrap();
    assert_eq!(feedback["label"], "thumbs-up");
    assert_eq!(feedback["score"], 1.0);
    assert_eq!(feedback["explanation"], "why");
    assert_eq!(feedback["annotator_kind"], "HUMAN");
    // Items come in the order the spans arrived, not the order asked.
    assert_eq!(lines[1]["span_id"], span_hex(20));
    assert_eq!(lines[1]["annotations"], json!([]));
    assert_eq!(lines[2]["span_id"], span_hex(31));

    // CSV
    let (status, text, headers) = server.get_text(&format!("/v1/collections/{id}/export?format=csv")).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let cell = |row: &csv::StringRecord, column: &str| {
        row.get(header.iter().position(|h| h == column).unwrap_or_else(|| panic!("no {column}"))).unwrap().to_owned()
    };
    assert_eq!(cell(&rows[0], "span_id"), span_hex(11));
    assert_eq!(cell(&rows[0], "input"), "question 1");
    assert_eq!(cell(&rows[0], "note"), "n, \"q\"");
    assert_eq!(cell(&rows[0], "annotation.user feedback.label"), "thumbs-up");
    assert_eq!(cell(&rows[0], "annotation.user feedback.score"), "1");
    assert_eq!(cell(&rows[0], "annotation.correctness.score"), "0.5");
    assert_eq!(cell(&rows[1], "annotation.user feedback.label"), "");
    assert_eq!(cell(&rows[2], "annotation.user feedback.label"), "thumbs-down");
    let attributes: Value = serde_json::from_str(&cell(&rows[0], "attributes")).unwrap();
    assert_eq!(attributes["user.tier"], "gold");

    // chat: only the 👍 span, messages in order, roles OpenAI's.
    let (status, text, headers) = server.get_text(&format!("/v1/collections/{id}/export?format=chat")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-disposition"], "attachment; filename=\"a_b__c_.chat.jsonl\"");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        lines,
        [json!({"messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "question 1, \"quoted\", comma"},
            {"role": "assistant", "content": "answer 1\nsecond line"},
        ]})]
    );

    // A 👍 on a span without LLM messages uses input.value / output.value.
    let vote = json!({"data": [{"span_id": span_hex(20), "name": "review", "annotator_kind": "HUMAN",
                                 "result": {"label": "thumbs-up"}}]});
    server.send_json(Method::POST, "/v1/span_annotations?sync=true", &vote).await;
    let (_, text, _) = server.get_text(&format!("/v1/collections/{id}/export?format=chat")).await;
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(
        last,
        json!({"messages": [{"role": "user", "content": "question 2"}, {"role": "assistant", "content": "answer 2"}]})
    );

    assert_eq!(server.get_text(&format!("/v1/collections/{id}/export?format=xml")).await.0, 422);
    assert_eq!(server.get_text("/v1/collections/nope/export").await.0, 404);
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_large_export_streams_in_flat_memory() {
    const SPANS: u64 = 20_000;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    let padding = "x".repeat(3000);
    for batch in 0..(SPANS / 2000) {
        let spans = (0..2000)
            .map(|i| {
                let n = batch * 2000 + i + 1;
                span(u128::from(n), n, 0, "llm", n, 1, vec![attr("input.value", &padding), attr("output.value", "ok")])
            })
            .collect();
        assert_eq!(server.export(&request(vec![], spans), Some("big")).await.status(), 200);
    }
    let id = create(&server, "big").await["id"].as_str().unwrap().to_owned();
    let (status, body) = add(&server, &id, json!({"filter": {"project": "big"}})).await;
    assert_eq!((status, body["data"]["added"].as_u64()), (200, Some(SPANS)));

    // Warm up (caches, allocator), then measure.
    let (_, small, _) = server.get_text(&format!("/v1/collections/{id}/items?limit=1000")).await;
    assert!(small.len() > 3_000_000);
    let baseline = rss_kib(server.pid());
    let mut response = server.http.get(server.at(&format!("/v1/collections/{id}/export"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.content_length().is_none(), "an export is streamed, not sized up front");
    let (mut bytes, mut chunks, mut lines, mut peak) = (0usize, 0usize, 0usize, baseline);
    while let Some(chunk) = response.chunk().await.unwrap() {
        bytes += chunk.len();
        chunks += 1;
        lines += chunk.iter().filter(|b| **b == b'\n').count();
        if chunks % 16 == 0 {
            peak = peak.max(rss_kib(server.pid()));
        }
    }
    assert_eq!(lines, SPANS as usize);
    assert!(bytes > 60_000_000, "{bytes} bytes");
    assert!(chunks > 20, "{chunks} chunks");
    // The whole file is over 60 MB; the server grows by a fraction of that.
    let grown_mib = peak.saturating_sub(baseline) / 1024;
    eprintln!("export: {bytes} bytes in {chunks} chunks; server RSS {baseline} KiB → peak {peak} KiB");
    assert!(grown_mib < 30, "server RSS grew by {grown_mib} MiB while streaming {} MiB", bytes / 1_048_576);
}

#[tokio::test]
async fn collections_read_as_phoenix_datasets() {
    let (_dir, server) = seeded().await;
    let id = create(&server, "regressions").await["id"].as_str().unwrap().to_owned();
    add(&server, &id, json!({"span_ids": [span_hex(11), span_hex(20)], "note": "look"})).await;
    create(&server, "empty").await;

    let list = server.get_json("/v1/datasets?name=regressions").await;
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    let dataset_id = data[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(dataset_id, "RGF0YXNldDox"); // Dataset:1
    let keys: Vec<&str> = data[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["id", "name", "description", "metadata", "created_at", "updated_at", "example_count"]);
    assert_eq!(data[0]["example_count"], 2);
    assert_eq!(server.get_json("/v1/datasets?limit=1").await["data"][0]["name"], "empty");

    assert_eq!(server.get_json(&format!("/v1/datasets/{dataset_id}")).await["data"]["name"], "regressions");
    assert_eq!(server.get_text("/v1/datasets/regressions").await.0, 404);
    assert_eq!(server.get_text("/v1/datasets/RGF0YXNldDo5OQ==").await.0, 404);

    let examples = server.get_json(&format!("/v1/datasets/{dataset_id}/examples")).await["data"].clone();
    assert_eq!(examples["dataset_id"], dataset_id.as_str());
    let version = examples["version_id"].as_str().unwrap().to_owned();
    let first = &examples["examples"][0];
    assert_eq!(first["input"], json!({"input": "question 1"}));
    assert_eq!(first["output"], json!({"output": "answer 1"}));
    assert_eq!(first["metadata"]["span_id"], span_hex(11));
    assert_eq!(first["metadata"]["trace_id"], trace_hex(1));
    assert_eq!(first["metadata"]["note"], "look");
    assert_eq!(first["id"], first["node_id"]);
    assert!(first["metadata"]["annotations"].as_array().unwrap().iter().any(|a| a["label"] == "thumbs-up"));
    assert_eq!(examples["examples"].as_array().unwrap().len(), 2);
    let same = server.get_json(&format!("/v1/datasets/{dataset_id}/examples?version_id={version}")).await;
    assert_eq!(same["data"]["examples"].as_array().unwrap().len(), 2);
    assert_eq!(
        server.get_text(&format!("/v1/datasets/{dataset_id}/examples?version_id=RGF0YXNldFZlcnNpb246OTk=")).await.0,
        404
    );
    let split = server.get_json(&format!("/v1/datasets/{dataset_id}/examples?split=train")).await;
    assert_eq!(split["data"]["examples"], json!([]));
    let versions = server.get_json(&format!("/v1/datasets/{dataset_id}/versions")).await;
    assert_eq!(versions["data"][0]["version_id"], version.as_str());
}

#[tokio::test]
async fn the_openapi_document_lists_the_new_routes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let doc = server.get_json("/openapi.json").await;
    for path in [
        "/v1/collections",
        "/v1/collections/{collection}/items",
        "/v1/collections/{collection}/export",
        "/v1/public_links",
        "/v1/public_links/{id}",
        "/v1/datasets/{id}/examples",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
}
