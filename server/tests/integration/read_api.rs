//! The Phoenix-compatible read API: projects, spans, traces, deletion.

use crate::common::*;
use serde_json::{Value, json};

/// Ten traces of two spans each in project `p`; trace `i` starts at `i` seconds
/// and lasts `10 - i` seconds, span names alternate, child spans are LLM with tokens.
async fn seeded() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut spans = Vec::new();
    for i in 1..=10u64 {
        let trace = u128::from(i);
        spans.push(span(
            trace,
            i * 100,
            0,
            if i % 2 == 0 { "even" } else { "odd" },
            i * 1000,
            (10 - i) * 1000 + 1,
            vec![
                attr("openinference.span.kind", "CHAIN"),
                attr("user.tier", if i <= 3 { "gold" } else { "free" }),
                int_attr("turn", i as i64),
                attr("session.id", if i <= 5 { "session-a" } else { "session-b" }),
            ],
        ));
        spans.push(span(
            trace,
            i * 100 + 1,
            i * 100,
            "llm",
            i * 1000 + 1,
            1,
            vec![
                attr("openinference.span.kind", "llm"),
                int_attr("llm.token_count.prompt", 10),
                int_attr("llm.token_count.completion", i as i64),
            ],
        ));
    }
    assert_eq!(server.export(&request(vec![], spans), Some("p")).await.status(), 200);
    (dir, server)
}

fn names(page: &Value) -> Vec<String> {
    page["data"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
}

async fn status_and_text(server: &Server, method: reqwest::Method, path: impl AsRef<str>) -> (u16, String) {
    let response = server.http.request(method, server.at(path.as_ref())).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn projects_crud_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let created = server
        .http
        .post(server.at("/v1/projects"))
        .json(&json!({"name": "new", "description": "d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["data"], json!({"name": "new", "description": "d", "id": id}));

    // By global id and by name.
    assert_eq!(server.get_json(&format!("/v1/projects/{id}")).await["data"]["name"], "new");
    assert_eq!(server.get_json("/v1/projects/new").await["data"]["id"], id);

    let duplicate = server.http.post(server.at("/v1/projects")).json(&json!({"name": "new"})).send().await.unwrap();
    assert_eq!(duplicate.status(), 409);
    let empty = server.http.post(server.at("/v1/projects")).json(&json!({"name": ""})).send().await.unwrap();
    assert_eq!(empty.status(), 422);
    let detail: Value = empty.json().await.unwrap();
    assert_eq!(detail["detail"][0]["loc"], json!(["body", "name"]));
    let missing = server.http.post(server.at("/v1/projects")).json(&json!({})).send().await.unwrap();
    assert_eq!(missing.status(), 422);
    let not_json = server
        .http
        .post(server.at("/v1/projects"))
        .header("content-type", "text/plain")
        .body("{\"name\":\"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 422);

    let updated =
        server.http.put(server.at("/v1/projects/new")).json(&json!({"description": "changed"})).send().await.unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(server.get_json("/v1/projects/new").await["data"]["description"], "changed");

    // Paging: newest first, cursor inclusive.
    for name in ["a", "b", "c"] {
        server.http.post(server.at("/v1/projects")).json(&json!({"name": name})).send().await.unwrap();
    }
    let first = server.get_json("/v1/projects?limit=2").await;
    assert_eq!(names(&first), ["c", "b"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = server.get_json(&format!("/v1/projects?limit=2&cursor={cursor}")).await;
    assert_eq!(names(&second), ["a", "new"]);
    let third =
        server.get_json(&format!("/v1/projects?limit=2&cursor={}", second["next_cursor"].as_str().unwrap())).await;
    assert_eq!(names(&third), ["default"]);
    assert_eq!(third["next_cursor"], Value::Null);
    assert_eq!(names(&server.get_json("/v1/projects?name_contains=NE").await), ["new"]);
    assert_eq!(status_and_text(&server, reqwest::Method::GET, "/v1/projects?cursor=%%%").await.0, 422);

    assert_eq!(status_and_text(&server, reqwest::Method::DELETE, "/v1/projects/new").await.0, 204);
    assert_eq!(
        status_and_text(&server, reqwest::Method::GET, "/v1/projects/new").await,
        (404, "Project with name new not found".to_owned())
    );
    assert_eq!(status_and_text(&server, reqwest::Method::GET, &format!("/v1/projects/{id}")).await.0, 404);
    assert_eq!(
        status_and_text(&server, reqwest::Method::DELETE, "/v1/projects/default").await,
        (403, "The default project cannot be deleted".to_owned())
    );
}

#[tokio::test]
async fn span_filters_and_cursor_paging() {
    let (_dir, server) = seeded().await;
    let q = |query: &str| format!("/v1/projects/p/spans?{query}");

    let roots = server.get_json(&q("parent_id=null&limit=1000")).await;
    assert_eq!(roots["data"].as_array().unwrap().len(), 10);
    let children = server.get_json(&q(&format!("parent_id={}", span_hex(300)))).await;
    assert_eq!(children["data"][0]["context"]["span_id"], span_hex(301));

    assert_eq!(server.get_json(&q("name=even&name=llm&limit=1000")).await["data"].as_array().unwrap().len(), 15);
    assert_eq!(server.get_json(&q("span_kind=llm&limit=1000")).await["data"].as_array().unwrap().len(), 10);
    assert_eq!(server.get_json(&q("status_code=ok&limit=1000")).await["data"].as_array().unwrap().len(), 20);
    assert_eq!(server.get_json(&q("status_code=ERROR")).await["data"].as_array().unwrap().len(), 0);
    let by_trace = server.get_json(&q(&format!("trace_id={}&trace_id={}", trace_hex(1), trace_hex(2)))).await;
    assert_eq!(by_trace["data"].as_array().unwrap().len(), 4);
    let by_span = server.get_json(&q(&format!("span_id={}", span_hex(501)))).await;
    assert_eq!(by_span["data"][0]["context"]["span_id"], span_hex(501));

    // attribute=key:value is type-strict.
    assert_eq!(server.get_json(&q("attribute=user.tier:gold")).await["data"].as_array().unwrap().len(), 3);
    assert_eq!(server.get_json(&q("attribute=turn:4")).await["data"].as_array().unwrap().len(), 1);
    assert_eq!(server.get_json(&q("attribute=turn:%224%22")).await["data"].as_array().unwrap().len(), 0);
    assert_eq!(
        server.get_json(&q("attribute=user.tier:free&attribute=turn:4")).await["data"].as_array().unwrap().len(),
        1
    );

    // Time range on start time: [start, end).
    let window = server.get_json(&q("start_time=2023-11-14T22:13:22Z&end_time=2023-11-14T22:13:24%2B00:00")).await;
    assert_eq!(window["data"].as_array().unwrap().len(), 4);

    // Cursor paging walks every span exactly once, newest first.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => q(&format!("limit=7&cursor={c}")),
            None => q("limit=7"),
        };
        let page = server.get_json(&path).await;
        seen.extend(
            page["data"].as_array().unwrap().iter().map(|s| s["context"]["span_id"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 20);
    assert_eq!(seen.first().unwrap(), &span_hex(1001));
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 20);
}

#[tokio::test]
async fn span_list_errors() {
    let (_dir, server) = seeded().await;
    let get = |path: &str| status_and_text(&server, reqwest::Method::GET, path.to_owned());
    assert_eq!(get("/v1/projects/p/spans?span_kind=FOO").await, (422, "Invalid span_kind values: ['FOO']".into()));
    assert_eq!(get("/v1/projects/p/spans?status_code=bad").await, (422, "Invalid status_code values: ['BAD']".into()));
    assert_eq!(get("/v1/projects/p/spans?cursor=nonsense").await, (422, "Invalid cursor".into()));
    assert_eq!(get("/v1/projects/p/spans?attribute=novalue").await.0, 422);
    assert_eq!(get("/v1/projects/p/spans?attribute=k:null").await.0, 422);
    assert_eq!(get("/v1/projects/nope/spans").await, (404, "Project with name nope not found".into()));
    let (status, body) = get("/v1/projects/p/spans?limit=0").await;
    assert_eq!(status, 422);
    let detail: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(detail["detail"][0]["loc"], json!(["query", "limit"]));
    assert_eq!(get("/v1/projects/p/spans?limit=1001").await.0, 422);
    assert_eq!(get("/v1/projects/p/spans?start_time=yesterday").await.0, 422);
}

#[tokio::test]
async fn traces_sort_filter_and_include_spans() {
    let (_dir, server) = seeded().await;
    let ids = |page: &Value| -> Vec<String> {
        page["data"].as_array().unwrap().iter().map(|t| t["trace_id"].as_str().unwrap().to_owned()).collect()
    };
    let newest = server.get_json("/v1/projects/p/traces?limit=3").await;
    assert_eq!(ids(&newest), [trace_hex(10), trace_hex(9), trace_hex(8)]);
    assert_eq!(newest["data"][0]["spans"], Value::Null);
    let keys: Vec<&str> = newest["data"][0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "trace_id",
            "project_id",
            "start_time",
            "end_time",
            "token_count_prompt",
            "token_count_completion",
            "token_count_total",
            "spans"
        ]
    );
    assert_eq!(newest["data"][0]["project_id"], server.get_json("/v1/projects/p").await["data"]["id"]);
    assert_eq!(newest["data"][0]["token_count_completion"], 10);
    assert_eq!(newest["data"][0]["token_count_total"], 20);

    let oldest = server.get_json("/v1/projects/p/traces?order=asc&limit=2").await;
    assert_eq!(ids(&oldest), [trace_hex(1), trace_hex(2)]);
    let slowest = server.get_json("/v1/projects/p/traces?sort=latency_ms&limit=2").await;
    assert_eq!(ids(&slowest), [trace_hex(1), trace_hex(2)]);
    let with_spans = server.get_json("/v1/projects/p/traces?include_spans=yes&limit=1").await;
    let spans = with_spans["data"][0]["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0]["span_id"], span_hex(1000));
    assert_eq!(spans[1]["span_kind"], "LLM");
    let session_b = server.get_json("/v1/projects/p/traces?session_identifier=session-b&limit=100").await;
    assert_eq!(session_b["data"].as_array().unwrap().len(), 5);
    let window = server.get_json("/v1/projects/p/traces?start_time=2023-11-14T22:13:25&limit=100").await;
    assert_eq!(window["data"].as_array().unwrap().len(), 6);

    let page = server.get_json("/v1/projects/p/traces?limit=4").await;
    let next = server
        .get_json(&format!("/v1/projects/p/traces?limit=4&cursor={}", page["next_cursor"].as_str().unwrap()))
        .await;
    assert_eq!(ids(&next), [trace_hex(6), trace_hex(5), trace_hex(4), trace_hex(3)]);

    // One listing: the UI's trace list takes the REST filters and cursors
    // and shows the same traces.
    let in_b = ids(&session_b);
    let (status, html, _) = server.get_text("/projects/p?session=session-b").await;
    assert_eq!(status, 200);
    for trace in (1..=10).map(trace_hex) {
        assert_eq!(html.contains(&trace), in_b.contains(&trace), "{trace} in the session-b page");
    }
    let cursor = page["next_cursor"].as_str().unwrap().replace(':', "%3A");
    let (_, html, _) = server.get_text(&format!("/projects/p?cursor={cursor}")).await;
    assert!(html.contains(&trace_hex(6)) && html.contains(&trace_hex(3)));
    assert!(!html.contains(&trace_hex(7)), "the REST cursor starts the UI's page where REST's next page starts");

    // Keyset paging is exact for every sort (Phoenix's id-only cursor is not).
    for sort in ["sort=latency_ms", "sort=start_time&order=asc", "sort=latency_ms&order=asc"] {
        let mut seen = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = server.get_json(&format!("/v1/projects/p/traces?{sort}&limit=3&cursor={cursor}")).await;
            seen.extend(ids(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        let expected: Vec<String> = if sort == "sort=latency_ms&order=asc" {
            (1..=10).rev().map(trace_hex).collect()
        } else {
            (1..=10).map(trace_hex).collect()
        };
        assert_eq!(seen, expected, "{sort}");
    }

    let bad_sort = server.http.get(server.at("/v1/projects/p/traces?sort=name")).send().await.unwrap();
    assert_eq!(bad_sort.status(), 422);
}

/// `error`, `min_latency_ms` and `max_latency_ms` (Phoenix >= 20.8; `arize-phoenix-client`'s
/// `get_traces(error=…, min_latency_ms=…, max_latency_ms=…)` sends them because Plume reports 20.26.1).
#[tokio::test]
async fn traces_error_and_latency_filters() {
    let (_dir, server) = seeded().await;
    // One more span in trace 3, inside its time range, with status ERROR.
    let mut failing = span(3, 3002, 300, "tool", 3001, 1, vec![]);
    failing.status = Some(opentelemetry_proto::tonic::trace::v1::Status { message: "boom".into(), code: 2 });
    assert_eq!(server.export(&request(vec![], vec![failing]), Some("p")).await.status(), 200);
    let ids = |query: &str| {
        let server = &server;
        let query = query.to_owned();
        async move {
            let page = server.get_json(&format!("/v1/projects/p/traces?limit=100&order=asc&{query}")).await;
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["trace_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let hexes = |range: &[u128]| range.iter().map(|i| trace_hex(*i)).collect::<Vec<_>>();

    assert_eq!(ids("error=true").await, hexes(&[3]));
    assert_eq!(ids("error=false").await, hexes(&[1, 2, 4, 5, 6, 7, 8, 9, 10]));
    // Trace i lasts (10 - i) s + 1 ms; bounds are inclusive.
    assert_eq!(ids("min_latency_ms=5000.5").await, hexes(&[1, 2, 3, 4, 5]));
    assert_eq!(ids("max_latency_ms=2001").await, hexes(&[8, 9, 10]));
    assert_eq!(ids("min_latency_ms=2001&max_latency_ms=4001").await, hexes(&[6, 7, 8]));
    assert_eq!(ids("error=1&min_latency_ms=7001").await, hexes(&[3]));
    assert_eq!(ids("error=true&max_latency_ms=7000").await, hexes(&[]));
    assert_eq!(ids("min_latency_ms=0").await.len(), 10);

    for (query, field) in
        [("min_latency_ms=-1", "min_latency_ms"), ("max_latency_ms=slow", "max_latency_ms"), ("error=maybe", "error")]
    {
        let response = server.http.get(server.at(&format!("/v1/projects/p/traces?{query}"))).send().await.unwrap();
        assert_eq!(response.status(), 422, "{query}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["detail"][0]["loc"], json!(["query", field]), "{query}");
    }
}

#[tokio::test]
async fn delete_span_by_hex_or_global_id() {
    let (_dir, server) = seeded().await;
    let del = |id: String| status_and_text(&server, reqwest::Method::DELETE, format!("/v1/spans/{id}"));
    assert_eq!(del(span_hex(101)).await.0, 204);
    assert_eq!(del(span_hex(101)).await, (404, format!("Span with span_id '{}' not found", span_hex(101))));
    let root = server.get_json(&format!("/v1/projects/p/spans?span_id={}", span_hex(100))).await;
    let global = root["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(del(global.clone()).await.0, 204);
    assert_eq!(del(global).await.0, 404);
    // Its trace had no spans left, so it is gone too.
    let traces = server.get_json("/v1/projects/p/traces?limit=100").await;
    assert_eq!(traces["data"].as_array().unwrap().len(), 9);
}

#[tokio::test]
async fn health_version_and_home_page() {
    let (_dir, server) = seeded().await;
    assert_eq!(status_and_text(&server, reqwest::Method::GET, "/healthz").await, (200, "OK".into()));
    let (status, version) = status_and_text(&server, reqwest::Method::GET, "/arize_phoenix_version").await;
    assert_eq!(status, 200);
    assert!(version.split('.').count() == 3, "{version}");
    let (status, html) = status_and_text(&server, reqwest::Method::GET, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-project="p""#), "the home page lists project p");
    assert!(html.contains("<td class=\"num traces\">10</td>"), "with its trace count");
    assert!(html.contains("<td class=\"num spans\">20</td>"), "and its span count");
    assert_eq!(status_and_text(&server, reqwest::Method::GET, "/no/such/page").await.0, 404);
    // Unknown API paths answer as Phoenix does, in JSON; known ones with another method, 405.
    assert_eq!(
        status_and_text(&server, reqwest::Method::GET, "/v1/no_such_route").await,
        (404, r#"{"detail":"Not Found"}"#.to_owned())
    );
    assert_eq!(status_and_text(&server, reqwest::Method::PATCH, "/v1/projects").await.0, 405);
}
