//! `POST /v1/spans`: the multipart answer's shape, the project choice, and
//! the 4xx answers to bad bodies and conditions.

use crate::common::*;
use serde_json::{Value, json};

/// Project `p`: trace 1 = root `chat` (CHAIN) → `llm` (LLM); project `other`: one span.
async fn seeded() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let spans = vec![
        span(1, 1, 0, "chat", 0, 10, vec![attr("openinference.span.kind", "CHAIN"), attr("input.value", "hi")]),
        span(1, 2, 1, "llm", 1, 5, vec![attr("openinference.span.kind", "LLM"), attr("llm.model_name", "gpt")]),
    ];
    assert_eq!(server.export(&request(vec![], spans), Some("p")).await.status(), 200);
    let other = vec![span(2, 3, 0, "elsewhere", 0, 1, vec![])];
    assert_eq!(server.export(&request(vec![], other), Some("other")).await.status(), 200);
    (dir, server)
}

/// POSTs `body` to `/v1/spans{query}` as the client does: status, content type, body.
async fn post(server: &Server, query: &str, body: &Value) -> (u16, String, String) {
    let response = server
        .http
        .post(server.at(&format!("/v1/spans{query}")))
        .header("accept", "application/json")
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The JSON parts of a multipart answer, split on its boundary as the client does.
fn parts(content_type: &str, body: &str) -> Vec<Value> {
    let boundary = content_type.split("boundary=").nth(1).expect("a boundary");
    let delimiter = format!("--{boundary}");
    assert!(body.ends_with(&format!("--{boundary}--\r\n")), "closing delimiter");
    body.split(&delimiter)
        .filter(|part| part.contains("Content-Type: application/json"))
        .map(|part| serde_json::from_str(part.split_once("\r\n\r\n").unwrap().1.trim()).unwrap())
        .collect()
}

fn span_ids(table: &Value) -> Vec<String> {
    table["data"].as_array().unwrap().iter().map(|row| row["0_context.span_id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn multipart_tables_one_per_query() {
    let (_dir, server) = seeded().await;
    let body = json!({"queries": [{}, {"filter": {"condition": "span_kind == 'LLM'"},
        "select": {"model": {"key": "llm.model_name"}}, "index": {"key": "context.span_id"}}],
        "start_time": null, "end_time": null, "limit": 1000, "root_spans_only": null});
    let (status, content_type, text) = post(&server, "?project_name=p", &body).await;
    assert_eq!(status, 200, "{text}");
    assert!(content_type.starts_with("multipart/mixed; boundary="), "{content_type}");
    let tables = parts(&content_type, &text);
    assert_eq!(tables.len(), 2);
    let full = &tables[0];
    assert_eq!(full["schema"]["primaryKey"], json!(["0_context.span_id"]));
    let fields = full["schema"]["fields"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..5], &["0_context.span_id", "1_name", "2_span_kind", "3_parent_id", "4_start_time"]);
    assert!(
        names.contains(&"11_attributes.input.value") || names.iter().any(|n| n.ends_with("_attributes.input.value"))
    );
    assert_eq!(fields[4], json!({"name": "4_start_time", "type": "datetime", "tz": "UTC"}));
    assert_eq!(span_ids(full), vec![span_hex(2), span_hex(1)], "newest first, project p only");
    let selected = &tables[1];
    assert_eq!(span_ids(selected), vec![span_hex(2)]);
    assert_eq!(selected["data"][0]["1_model"], "gpt");
}

#[tokio::test]
async fn project_from_query_body_or_default() {
    let (_dir, server) = seeded().await;
    let body = json!({"queries": [{}], "project_name": "other"});
    let (status, content_type, text) = post(&server, "", &body).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(span_ids(&parts(&content_type, &text)[0]), vec![span_hex(3)]);
    // The query parameter wins over the body.
    let (_, content_type, text) = post(&server, "?project_name=p", &body).await;
    assert_eq!(span_ids(&parts(&content_type, &text)[0]).len(), 2);
    // No project at all: `default`, which is empty here.
    let (status, content_type, text) = post(&server, "", &json!({"queries": [{}]})).await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(parts(&content_type, &text)[0]["data"], json!([]));
    let (status, _, _) = post(&server, "?project_name=missing", &json!({"queries": [{}]})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_bodies_and_conditions_are_named_4xx() {
    let (_dir, server) = seeded().await;
    let condition = |c: &str| json!({"queries": [{"filter": {"condition": c}}]});
    for (body, needle) in [
        (condition("len(name) > 3"), "function call"),
        (condition("name == "), "invalid Python expression"),
        (condition("latency_ms * 2 > 1"), "arithmetic"),
        (condition("start_time > 'soon'"), "ISO 8601"),
        (condition("attributes['a\"b'] == 1"), "unsupported attribute key"),
        (condition(&"x".repeat(5000)), "longer than"),
        (json!({"queries": [{"select": {"x": {"key": "cumulative_token_count.total"}}}]}), "not selected"),
        (json!({"queries": [{"select": 3}]}), "Invalid query"),
        (json!({"queries": [{}], "limit": 0}), "limit"),
        (json!({"queries": [{}], "limit": 1_000_000}), "limit"),
        (json!({"queries": [{}], "start_time": "yesterday"}), "datetime"),
        (json!({"queries": vec![json!({}); 11]}), "at most 10"),
        (json!({"limit": 3}), "queries"),
    ] {
        let (status, _, text) = post(&server, "?project_name=p", &body).await;
        assert_eq!(status, 422, "{body}: {text}");
        assert!(text.contains(needle), "{body}: {text}");
    }
    let (status, _, _) = post(&server, "?project_name=p", &json!({"queries": []})).await;
    assert_eq!(status, 404);
    // The spans are untouched by the hostile conditions.
    let (_, content_type, text) = post(&server, "?project_name=p", &json!({"queries": [{}]})).await;
    assert_eq!(span_ids(&parts(&content_type, &text)[0]).len(), 2);
}
