//! Hostile spans and clients against the real server: a span built to
//! overflow the stack or to be slow to show is refused with a 422 naming the
//! limit (and nothing of its request is written), the pages keep rendering,
//! page sizes are capped, and OTLP bodies share a byte budget.

use crate::common::*;
use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans};
use serde_json::Value;

/// Exports `request`; the status and the body text.
async fn export(
    server: &Server,
    request: &opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
) -> (u16, String) {
    let response = server.export(request, None).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn stored_span_ids(server: &Server) -> Vec<String> {
    let body = server.get_json("/v1/projects/default/spans?limit=1000").await;
    body["data"].as_array().unwrap().iter().map(|s| s["context"]["span_id"].as_str().unwrap().to_owned()).collect()
}

/// Every page that shows trace 1 and its span 1 answers 200, and so does `/healthz`.
async fn pages_render(server: &Server) {
    for path in [
        "/v1/projects/default/spans".to_owned(),
        "/projects/default".to_owned(),
        format!("/projects/default/traces/{}", trace_hex(1)),
        format!("/projects/default/traces/{}?span={}", trace_hex(1), span_hex(1)),
        format!("/projects/default/spans/{}", span_hex(1)),
        "/healthz".to_owned(),
    ] {
        let (status, body, _) = server.get_text(&path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
    }
}

#[tokio::test]
async fn a_50000_segment_key_is_refused_and_every_page_still_renders() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let good = request(vec![], vec![span(1, 1, 0, "root", 0, 10, vec![attr("input.value", "hi")])]);
    assert_eq!(export(&server, &good).await.0, 200);

    let deep_key = vec!["a"; 50_000].join(".");
    let hostile = request(
        vec![],
        vec![
            span(1, 2, 1, "fine", 1, 5, vec![attr("llm.model_name", "gpt")]),
            span(1, 3, 1, "deep", 1, 5, vec![attr(&deep_key, "boom")]),
        ],
    );
    let (status, body) = export(&server, &hostile).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("span 1 (\"deep\")") && body.contains("is 99999 bytes long; at most 1024"), "{body}");
    assert_eq!(stored_span_ids(&server).await, [span_hex(1)], "a refused request writes nothing");

    // Within the key length, too many segments.
    let key = vec!["a"; 65].join(".");
    let (status, body) =
        export(&server, &request(vec![], vec![span(1, 4, 1, "deep", 1, 5, vec![attr(&key, "x")])])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("65 dot-separated segments; at most 64 are allowed"), "{body}");

    pages_render(&server).await;
}

#[tokio::test]
async fn too_many_attributes_or_too_deep_values_are_refused_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());

    let many: Vec<KeyValue> = (0..10_001).map(|i| int_attr(&format!("k{i}"), i)).collect();
    let (status, body) = export(&server, &request(vec![], vec![span(1, 1, 0, "wide", 0, 1, many)])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("10001 attributes; at most 10000 are allowed"), "{body}");

    // 40 arrays, one inside the other: within prost's recursion limit, past Plume's.
    let nested = (0..40).fold(any_value::Value::StringValue("x".into()), |inner, _| {
        any_value::Value::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(inner) }] })
    });
    let deep = KeyValue { key: "deep".into(), value: Some(AnyValue { value: Some(nested) }), ..Default::default() };
    let (status, body) = export(&server, &request(vec![], vec![span(1, 2, 0, "nested", 0, 1, vec![deep])])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("deeper than 32 levels"), "{body}");

    // The same limits hold for resource attributes.
    let wide_resource: Vec<KeyValue> = (0..10_001).map(|i| int_attr(&format!("r{i}"), i)).collect();
    let (status, body) = export(&server, &request(wide_resource, vec![span(1, 3, 0, "s", 0, 1, vec![])])).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.starts_with("resource 0:"), "{body}");

    assert!(stored_span_ids(&server).await.is_empty(), "nothing was written");
    assert_eq!(server.get_text("/healthz").await.0, 200);
}

#[tokio::test]
async fn limit_is_capped_at_1000_as_phoenix_does() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    // 1001 projects, one span each, in one request.
    let resource_spans = (0..1001u64)
        .map(|i| ResourceSpans {
            resource: Some(Resource {
                attributes: vec![attr("openinference.project.name", &format!("p{i:04}"))],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans: vec![span(u128::from(i) + 1, i + 1, 0, "s", 0, 1, vec![])],
                ..Default::default()
            }],
            ..Default::default()
        })
        .collect();
    let request = opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest { resource_spans };
    assert_eq!(export(&server, &request).await.0, 200);

    // Phoenix has no upper bound here: a larger limit is served as 1000 rows and a cursor.
    let page = server.get_json("/v1/projects?limit=5000").await;
    assert_eq!(page["data"].as_array().unwrap().len(), 1000);
    let cursor = page["next_cursor"].as_str().expect("a cursor to the rest");
    let rest = server.get_json(&format!("/v1/projects?limit=5000&cursor={cursor}")).await;
    let rest_len = rest["data"].as_array().unwrap().len();
    assert!((1..=2).contains(&rest_len), "1001 projects and perhaps `default`: {rest}");
    assert_eq!(rest["next_cursor"], Value::Null);

    // Phoenix refuses `limit` above 1000 on spans and traces (FastAPI `le=1000`): so does Plume.
    for path in ["/v1/projects/p0000/spans?limit=5000", "/v1/projects/p0000/traces?limit=5000"] {
        let (status, body, _) = server.get_text(path).await;
        assert_eq!(status, 422, "GET {path}: {body}");
        assert!(body.contains("less than or equal to 1000"), "{body}");
    }
}

#[tokio::test]
async fn concurrent_bodies_beyond_the_byte_budget_wait_or_are_told_to_retry() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-inflight-otlp-bytes", "100000"]);
    let big = "x".repeat(60_000);
    let calls = (0..16u64).map(|i| {
        let request = request(vec![], vec![span(u128::from(i) + 1, i + 1, 0, "big", 0, 1, vec![attr("v", &big)])]);
        let server = &server;
        async move {
            let response = server.export(&request, None).await;
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (i, status, retry_after)
        }
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut stored = 0;
    for (i, status, retry_after) in answers {
        match status {
            200 => stored += 1,
            503 => assert_eq!(retry_after.as_deref(), Some("1"), "request {i}"),
            other => panic!("request {i}: {other}"),
        }
    }
    assert!(stored > 0);
    assert_eq!(stored_span_ids(&server).await.len(), stored);
    assert_eq!(server.get_text("/healthz").await.0, 200);
}
