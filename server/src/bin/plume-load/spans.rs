//! Synthetic OTLP payloads: traces of five spans (an agent and four LLM
//! calls) with ~1 KB of input/output text each. Each root's input ends with
//! `ticket-<n>` (n: the trace's number in its run), and one trace in
//! [`ZEBRA_EVERY`] also says `zebra`: rare words for the search benchmarks.
//! Every ten traces of a request share a session (a conversation), its own:
//! requests in flight at once touch no common session row, as exports of
//! different conversations don't.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;

/// One trace in this many mentions `zebra`.
pub const ZEBRA_EVERY: usize = 100_000;

/// Request number `request` of a run: `spans` spans, `text_bytes` of text in
/// each of `input.value` and `output.value`. Ids are unique per `run`.
pub fn payload(run: u64, request: usize, spans: usize, text_bytes: usize) -> ExportTraceServiceRequest {
    let text = "lorem ipsum dolor sit amet ".repeat(text_bytes / 27 + 1);
    let text = &text[..text_bytes];
    let base = 1_700_000_000_000_000_000u64 + (request as u64) * 1_000_000_000;
    let spans = (0..spans)
        .map(|i| {
            let trace = (u128::from(run) << 64) | ((request as u128) << 32) | (i as u128 / 5);
            let span = span_id(run, request, i);
            let root = i % 5 == 0;
            let start = base + (i as u64) * 1_000_000;
            let number = (request * spans + i) / 5;
            let input = if root {
                let zebra = if number.is_multiple_of(ZEBRA_EVERY) { " zebra" } else { "" };
                format!("{text} ticket-{number}{zebra}")
            } else {
                text.to_owned()
            };
            Span {
                trace_id: trace.to_be_bytes().to_vec(),
                span_id: span.to_be_bytes().to_vec(),
                parent_span_id: if root { vec![] } else { span_id(run, request, i - i % 5).to_be_bytes().to_vec() },
                name: if root { "agent".into() } else { "ChatCompletion".into() },
                kind: 1,
                start_time_unix_nano: start,
                end_time_unix_nano: start + 250_000_000,
                attributes: vec![
                    string("openinference.span.kind", if root { "AGENT" } else { "LLM" }),
                    string("input.value", &input),
                    string("output.value", text),
                    string("llm.model_name", "gpt-4o-mini"),
                    int("llm.token_count.prompt", 120),
                    int("llm.token_count.completion", 40),
                    string("session.id", &format!("session-{run:x}-{request}-{}", i / 50)),
                ],
                status: Some(Status { code: 1, message: String::new() }),
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![string("service.name", "plume-load")], ..Default::default() }),
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    }
}

/// The id of span `i` of request `request` in `run`, never zero.
pub fn span_id(run: u64, request: usize, i: usize) -> u64 {
    ((run << 40) ^ ((request as u64) << 20) ^ (i as u64)) | 1 << 63
}

/// Sends `requests` payloads of `spans` spans to `project`, returning the span ids (hex).
pub async fn seed(
    client: &reqwest::Client,
    url: &str,
    project: &str,
    run: u64,
    requests: usize,
    spans: usize,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(requests * spans);
    for request in 0..requests {
        let body = payload(run, request, spans, 512).encode_to_vec();
        let response = client
            .post(format!("{url}/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .header("x-project-name", project)
            .body(body)
            .send()
            .await
            .expect("seeding spans");
        assert!(response.status().is_success(), "seeding failed: {}", response.status());
        ids.extend((0..spans).map(|i| format!("{:016x}", span_id(run, request, i))));
    }
    ids
}

fn string(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }),
        ..Default::default()
    }
}

fn int(key: &str, value: i64) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::IntValue(value)) }),
        ..Default::default()
    }
}
