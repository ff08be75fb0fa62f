//! OTLP ingestion end to end: real payloads in, read back through the REST API.

use std::io::Write;

use crate::common::*;
use flate2::Compression;
use flate2::write::{GzEncoder, ZlibEncoder};
use prost::Message;
use serde_json::{Value, json};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

async fn span_count(server: &Server, project: &str) -> usize {
    let body = server.get_json(&format!("/v1/projects/{project}/spans?limit=1000")).await;
    body["data"].as_array().unwrap().len()
}

#[tokio::test]
async fn protobuf_spans_are_readable_when_export_returns() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let spans = vec![
        span(
            1,
            1,
            0,
            "agent",
            0,
            900,
            vec![
                attr("openinference.span.kind", "AGENT"),
                attr("input.value", "What is 2+2?"),
                attr("session.id", "s-1"),
            ],
        ),
        span(
            1,
            2,
            1,
            "llm",
            100,
            500,
            vec![
                attr("openinference.span.kind", "LLM"),
                attr("output.value", "4"),
                int_attr("llm.token_count.prompt", 12),
                int_attr("llm.token_count.completion", 3),
            ],
        ),
    ];
    let response = server.export(&request(vec![attr("service.name", "shop")], spans), Some("shop")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-protobuf");

    let body = server.get_json("/v1/projects/shop/spans").await;
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    // Newest first (by rowid), Phoenix's key order and formats.
    let llm = &data[0];
    assert_eq!(llm["name"], "llm");
    assert_eq!(llm["context"], json!({"trace_id": trace_hex(1), "span_id": span_hex(2)}));
    assert_eq!(llm["span_kind"], "LLM");
    assert_eq!(llm["parent_id"], span_hex(1));
    assert_eq!(llm["start_time"], "2023-11-14T22:13:20.100000+00:00");
    assert_eq!(llm["end_time"], "2023-11-14T22:13:20.600000+00:00");
    assert_eq!(llm["status_code"], "OK");
    assert_eq!(llm["attributes"]["llm.token_count.prompt"], 12);
    assert!(llm["attributes"].get("openinference.span.kind").is_none());
    let keys: Vec<&str> = llm.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "context",
            "span_kind",
            "parent_id",
            "start_time",
            "end_time",
            "status_code",
            "status_message",
            "attributes",
            "events"
        ]
    );
    assert_eq!(data[1]["parent_id"], Value::Null);
    assert_eq!(data[1]["attributes"]["input.value"], "What is 2+2?");

    let traces = server.get_json("/v1/projects/shop/traces?include_spans=true").await;
    let trace = &traces["data"][0];
    assert_eq!(trace["trace_id"], trace_hex(1));
    assert_eq!(trace["token_count_prompt"], 12);
    assert_eq!(trace["token_count_completion"], 3);
    assert_eq!(trace["token_count_total"], 15);
    assert_eq!(trace["spans"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn project_comes_from_header_then_resource_then_default() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let named = vec![attr("openinference.project.name", "from-resource")];
    assert_eq!(
        server
            .export(&request(named.clone(), vec![span(1, 1, 0, "a", 0, 1, vec![])]), Some("from-header"))
            .await
            .status(),
        200
    );
    assert_eq!(server.export(&request(named, vec![span(2, 2, 0, "b", 0, 1, vec![])]), None).await.status(), 200);
    assert_eq!(server.export(&request(vec![], vec![span(3, 3, 0, "c", 0, 1, vec![])]), None).await.status(), 200);
    assert_eq!(span_count(&server, "from-header").await, 1);
    assert_eq!(span_count(&server, "from-resource").await, 1);
    assert_eq!(span_count(&server, "default").await, 1);
    let projects = server.get_json("/v1/projects").await;
    let names: Vec<&str> = projects["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["from-resource", "from-header", "default"]);
}

#[tokio::test]
async fn duplicate_span_ids_are_ignored_and_traces_widen() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let first = request(vec![], vec![span(7, 1, 0, "root", 1000, 100, vec![])]);
    assert_eq!(server.export(&first, None).await.status(), 200);
    // Same span id again (renamed: the first write must win), plus spans that widen the trace both ways.
    let second = request(
        vec![],
        vec![
            span(7, 1, 0, "renamed", 1000, 100, vec![]),
            span(7, 2, 1, "early", 0, 10, vec![]),
            span(7, 3, 1, "late", 2000, 500, vec![]),
        ],
    );
    assert_eq!(server.export(&second, None).await.status(), 200);
    let spans = server.get_json("/v1/projects/default/spans?span_id=0000000000000001").await;
    assert_eq!(spans["data"].as_array().unwrap().len(), 1);
    assert_eq!(spans["data"][0]["name"], "root");
    let traces = server.get_json("/v1/projects/default/traces").await;
    assert_eq!(traces["data"].as_array().unwrap().len(), 1);
    assert_eq!(traces["data"][0]["start_time"], "2023-11-14T22:13:20+00:00");
    assert_eq!(traces["data"][0]["end_time"], "2023-11-14T22:13:22.500000+00:00");
}

#[tokio::test]
async fn json_gzip_deflate_and_content_type_parameters_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let otlp_json = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "openinference.project.name", "value": {"stringValue": "json"}}]},
        "scopeSpans": [{"spans": [{
            "traceId": "5b8efff798038103d269b633813fc60c",
            "spanId": "eee19b7ec3c1b174",
            "parentSpanId": "",
            "name": "chat",
            "kind": 1,
            "startTimeUnixNano": "1700000000000000000",
            "endTimeUnixNano": "1700000001000000000",
            "attributes": [
                {"key": "openinference.span.kind", "value": {"stringValue": "LLM"}},
                {"key": "llm.token_count.prompt", "value": {"intValue": "42"}},
                {"key": "tags", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"stringValue": "b"}]}}}
            ],
            "events": [{"timeUnixNano": "1700000000500000000", "name": "exception",
                        "attributes": [{"key": "exception.message", "value": {"stringValue": "boom"}}]}],
            "status": {"code": 2, "message": "failed"}
        }]}]
    }]});
    let response = server
        .http
        .post(server.at("/v1/traces"))
        .header("content-type", "application/json; charset=utf-8")
        .body(otlp_json.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());

    let body = server.get_json("/v1/projects/json/spans").await;
    let stored = &body["data"][0];
    assert_eq!(stored["context"]["span_id"], "eee19b7ec3c1b174");
    assert_eq!(stored["context"]["trace_id"], "5b8efff798038103d269b633813fc60c");
    assert_eq!(stored["status_code"], "ERROR");
    assert_eq!(stored["status_message"], "failed");
    assert_eq!(stored["attributes"]["llm.token_count.prompt"], 42);
    assert_eq!(stored["attributes"]["tags"], json!(["a", "b"]));
    assert_eq!(stored["events"][0]["name"], "exception");
    assert_eq!(stored["events"][0]["timestamp"], "2023-11-14T22:13:20.500000+00:00");
    assert_eq!(stored["events"][0]["attributes"], json!({"exception": {"message": "boom"}}));

    let payload = request(vec![], vec![span(9, 9, 0, "gz", 0, 1, vec![])]).encode_to_vec();
    let response = server
        .http
        .post(server.at("/v1/traces"))
        .header("content-type", "application/x-protobuf; proto=opentelemetry")
        .header("content-encoding", "gzip")
        .body(gzip(&payload))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::fast());
    zlib.write_all(&request(vec![], vec![span(10, 10, 0, "deflate", 0, 1, vec![])]).encode_to_vec()).unwrap();
    let response = server
        .http
        .post(server.at("/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "deflate")
        .body(zlib.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(span_count(&server, "default").await, 2);
}

#[tokio::test]
async fn grpc_export_lands_spans() {
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let mut client = TraceServiceClient::connect(server.grpc_url.clone())
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let mut call = tonic::Request::new(request(vec![], vec![span(5, 5, 0, "grpc", 0, 1, vec![])]));
    call.metadata_mut().insert("x-project-name", "grpc-project".parse().unwrap());
    client.export(call).await.unwrap();
    assert_eq!(span_count(&server, "grpc-project").await, 1);

    // An invalid span is refused with INVALID_ARGUMENT and writes nothing.
    let mut bad = span(6, 6, 0, "bad", 0, 1, vec![]);
    bad.span_id = vec![1, 2, 3];
    let status = client.export(request(vec![], vec![span(6, 7, 0, "good", 0, 1, vec![]), bad])).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(span_count(&server, "default").await, 0);
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-body-bytes", "100000"]);
    let valid = request(vec![], vec![span(1, 1, 0, "ok", 0, 1, vec![])]).encode_to_vec();
    let post = |content_type: &'static str, encoding: Option<&'static str>, body: Vec<u8>| {
        let mut call = server.http.post(server.at("/v1/traces")).header("content-type", content_type).body(body);
        if let Some(encoding) = encoding {
            call = call.header("content-encoding", encoding);
        }
        call.send()
    };
    let cases: Vec<(u16, reqwest::Response)> = vec![
        (415, post("text/plain", None, valid.clone()).await.unwrap()),
        (415, post("application/x-protobuf", Some("br"), valid.clone()).await.unwrap()),
        (422, post("application/x-protobuf", None, b"\xff\xff\xff not protobuf".to_vec()).await.unwrap()),
        (422, post("application/json", None, b"{\"resourceSpans\": 5}".to_vec()).await.unwrap()),
        (422, post("application/x-protobuf", Some("gzip"), b"not gzip at all".to_vec()).await.unwrap()),
        (422, post("application/x-protobuf", Some("deflate"), b"not deflate".to_vec()).await.unwrap()),
        // Just over the limit: small enough that the whole body fits the socket
        // buffers, so the client reads the early 413 instead of a broken pipe.
        (413, post("application/x-protobuf", None, vec![0; 101_000]).await.unwrap()),
        // A zip bomb: 50 MB of zeros gzip to ~50 KB, under the limit until inflated.
        (413, post("application/x-protobuf", Some("gzip"), gzip(&vec![0; 50_000_000])).await.unwrap()),
    ];
    for (index, (expected, response)) in cases.into_iter().enumerate() {
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, expected, "case {index}: {text}");
        assert!(!text.is_empty(), "case {index} gives no reason");
    }

    // One bad span sinks its whole request.
    let mut bad = span(2, 3, 0, "bad", 0, 1, vec![]);
    bad.trace_id = vec![0; 16];
    let response = server.export(&request(vec![], vec![span(2, 2, 0, "good", 0, 1, vec![]), bad]), Some("mixed")).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("trace_id"));

    assert_eq!(span_count(&server, "default").await, 0);
    let missing = server.http.get(server.at("/v1/projects/mixed")).send().await.unwrap();
    assert_eq!(missing.status(), 404, "a rejected request must not even create its project");
}

#[tokio::test]
async fn data_survives_a_restart_and_sigterm_is_graceful() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    let spans: Vec<_> = (1..=50).map(|i| span(u128::from(i), i, 0, "s", i, 1, vec![])).collect();
    assert_eq!(server.export(&request(vec![], spans), Some("kept")).await.status(), 200);
    let (status, _) = server.terminate();
    assert!(status.success(), "plume exited with {status}");

    let server = Server::start_process(dir.path(), &[], &[]);
    assert_eq!(span_count(&server, "kept").await, 50);
    // Even SIGKILL right after the 200 loses nothing: the 200 follows the commit.
    let more: Vec<_> = (51..=60).map(|i| span(u128::from(i), i, 0, "s", i, 1, vec![])).collect();
    assert_eq!(server.export(&request(vec![], more), Some("kept")).await.status(), 200);
    server.kill();
    let server = Server::start(dir.path());
    assert_eq!(span_count(&server, "kept").await, 60);
}

#[tokio::test]
async fn exports_that_create_one_project_at_the_same_moment_all_land_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    // On PostgreSQL two writers (and any replica) may each find the project
    // missing and create it: one row wins and the other batch reads it,
    // rather than failing on the unique name and replaying job by job.
    for round in 0..5u64 {
        let project = format!("new-{round}");
        let exports = (0..8u64).map(|i| {
            let id = round * 100 + i + 1;
            let spans = vec![span(u128::from(id), id, 0, "s", id, 1, vec![])];
            let (server, project) = (&server, project.clone());
            async move { server.export(&request(vec![], spans), Some(&project)).await.status() }
        });
        for status in futures_util::future::join_all(exports).await {
            assert_eq!(status, 200);
        }
        assert_eq!(span_count(&server, &project).await, 8);
    }
    let (status, log) = server.terminate();
    assert!(status.success());
    assert!(!log.iter().any(|line| line.contains("write batch failed")), "{log:?}");
}

#[tokio::test]
async fn exports_that_share_traces_in_opposite_orders_do_not_deadlock() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_process(dir.path(), &[], &[]);
    // A trace's spans come in several exports (services, batches), in any
    // order. Writers side by side (PostgreSQL) upsert the traces they share
    // in one order, else each would hold a trace the other waits for.
    for round in 0..10u64 {
        let traces: Vec<u64> = (1..=200).map(|t| round * 1000 + t).collect();
        let export = |order: Vec<u64>, side: u64| {
            let spans = order.iter().map(|&t| span(u128::from(t), t * 10 + side, 0, "s", t, 1, vec![])).collect();
            let server = &server;
            async move { server.export(&request(vec![], spans), Some("shared")).await.status() }
        };
        let reversed: Vec<u64> = traces.iter().rev().copied().collect();
        let (a, b) = tokio::join!(export(traces, 1), export(reversed, 2));
        assert_eq!((a.as_u16(), b.as_u16()), (200, 200));
    }
    let db = database(dir.path()).await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM spans").fetch_one(&db).await.unwrap();
    assert_eq!(stored, 4000);
    let (status, log) = server.terminate();
    assert!(status.success());
    assert!(
        !log.iter().any(|line| line.contains("write batch failed")),
        "{:?}",
        log.iter().filter(|l| l.contains("WARN")).collect::<Vec<_>>()
    );
}
