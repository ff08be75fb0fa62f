//! OTLP export request → rows for the store.
//!
//! Everything that can be wrong with a request is found here, before the
//! writer sees it, so that a rejected request writes nothing; that includes
//! spans past the limits of [`app::model::span_limits`] (key size, nesting,
//! counts), which could otherwise make a page slow or overflow the stack.

use std::sync::Arc;

use app::ids::hex_id;
use app::model::span_limits::{MAX_ATTRIBUTES, MAX_EVENTS, MAX_KEY_BYTES, MAX_KEY_SEGMENTS, MAX_VALUE_DEPTH};
use app::store::NewSpan;
use base64::Engine as _;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use prost::Message as _;
use serde_json::{Map, Number, Value};

/// Resource attribute naming the project when no header does.
const PROJECT_ATTRIBUTE: &str = "openinference.project.name";
/// Project used when neither header nor attribute names one.
const DEFAULT_PROJECT: &str = "default";
/// OpenInference span kinds; anything else is stored as `UNKNOWN`.
const SPAN_KINDS: &[&str] = &[
    "LLM",
    "CHAIN",
    "TOOL",
    "RETRIEVER",
    "EMBEDDING",
    "AGENT",
    "RERANKER",
    "GUARDRAIL",
    "EVALUATOR",
    "PROMPT",
    "UNKNOWN",
];

/// Why a request can't be stored; the message names the offending span (or
/// resource) and, for a limit, the limit.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(String);

/// Parses an OTLP/protobuf body (prost refuses messages nested past its
/// recursion limit, so a hostile body can't overflow the stack).
pub fn protobuf_request(body: &[u8]) -> Result<ExportTraceServiceRequest, DecodeError> {
    ExportTraceServiceRequest::decode(body)
        .map_err(|e| DecodeError(format!("Request body is not a valid ExportTraceServiceRequest: {e}")))
}

/// Parses an OTLP/JSON body (serde_json refuses nesting past 128 levels).
pub fn json_request(body: &[u8]) -> Result<ExportTraceServiceRequest, DecodeError> {
    serde_json::from_slice(body)
        .map_err(|e| DecodeError(format!("Request body is not a valid OTLP/JSON export request: {e}")))
}

/// Turns an export request into spans, taking the project from `project_header`
/// if given, else from each resource's `openinference.project.name`.
pub fn spans(request: ExportTraceServiceRequest, project_header: Option<&str>) -> Result<Vec<NewSpan>, DecodeError> {
    let header_project: Option<Arc<str>> = project_header.filter(|p| !p.is_empty()).map(Arc::from);
    let mut rows = Vec::new();
    for (resource_index, resource_spans) in request.resource_spans.into_iter().enumerate() {
        let resource = resource_spans.resource.map(|r| r.attributes).unwrap_or_default();
        check_list(&resource).map_err(|problem| DecodeError(format!("resource {resource_index}: {problem}")))?;
        let project = header_project.clone().unwrap_or_else(|| {
            resource
                .iter()
                .find(|kv| kv.key == PROJECT_ATTRIBUTE)
                .and_then(|kv| kv.value.as_ref())
                .and_then(|v| match &v.value {
                    Some(any_value::Value::StringValue(s)) if !s.is_empty() => Some(Arc::from(s.as_str())),
                    _ => None,
                })
                .unwrap_or_else(|| Arc::from(DEFAULT_PROJECT))
        });
        let resource_json =
            json_object(resource, 0).map_err(|problem| DecodeError(format!("resource {resource_index}: {problem}")))?;
        let resource_json: Arc<str> = Value::Object(resource_json).to_string().into();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                rows.push(span_row(span, &project, &resource_json, rows.len())?);
            }
        }
    }
    Ok(rows)
}

fn span_row(
    span: opentelemetry_proto::tonic::trace::v1::Span,
    project: &Arc<str>,
    resource: &Arc<str>,
    index: usize,
) -> Result<NewSpan, DecodeError> {
    let fail = |what: &str| DecodeError(format!("span {index} ({:?}): {what}", span.name));
    if span.trace_id.len() != 16 || span.trace_id.iter().all(|b| *b == 0) {
        return Err(fail("trace_id must be 16 bytes, not all zero"));
    }
    if span.span_id.len() != 8 || span.span_id.iter().all(|b| *b == 0) {
        return Err(fail("span_id must be 8 bytes, not all zero"));
    }
    let parent_id = match span.parent_span_id.len() {
        0 => None,
        8 => Some(hex_id(&span.parent_span_id)).filter(|id| id != "0000000000000000"),
        _ => return Err(fail("parent_span_id must be 8 bytes or empty")),
    };
    let start_time = nanos(span.start_time_unix_nano);
    let end_time = nanos(span.end_time_unix_nano);
    if span.events.len() > MAX_EVENTS {
        return Err(fail(&format!("has {} events; at most {MAX_EVENTS} are allowed", span.events.len())));
    }
    check_list(&span.attributes).map_err(|problem| fail(&problem))?;
    for (at, event) in span.events.iter().enumerate() {
        check_list(&event.attributes).map_err(|problem| fail(&format!("event {at}: {problem}")))?;
    }
    let attributes = json_object(span.attributes, 0).map_err(|problem| fail(&problem))?;
    let span_kind = attributes
        .get("openinference.span.kind")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .filter(|kind| SPAN_KINDS.contains(&kind.as_str()))
        .unwrap_or_else(|| "UNKNOWN".to_owned());
    let (status_code, status_message) = match span.status {
        Some(status) => (
            match status.code {
                1 => "OK",
                2 => "ERROR",
                _ => "UNSET",
            },
            status.message,
        ),
        None => ("UNSET", String::new()),
    };
    let events: Vec<Value> = span
        .events
        .into_iter()
        .enumerate()
        .map(|(at, event)| {
            let attributes = json_object(event.attributes, 0).map_err(|problem| format!("event {at}: {problem}"))?;
            Ok(serde_json::json!({
                "name": event.name,
                "timestamp": nanos(event.time_unix_nano),
                "attributes": Value::Object(attributes),
            }))
        })
        .collect::<Result<_, String>>()
        .map_err(|problem| fail(&problem))?;
    Ok(NewSpan {
        project: project.clone(),
        trace_id: hex_id(&span.trace_id),
        span_id: hex_id(&span.span_id),
        parent_id,
        name: span.name,
        span_kind,
        start_time,
        end_time,
        status_code,
        status_message,
        session_id: attributes.get("session.id").and_then(scalar_text),
        prompt_tokens: attributes.get("llm.token_count.prompt").and_then(Value::as_f64).map(|n| n as i64),
        completion_tokens: attributes.get("llm.token_count.completion").and_then(Value::as_f64).map(|n| n as i64),
        attributes: Value::Object(attributes).to_string(),
        events: Value::Array(events).to_string(),
        resource_attributes: resource.clone(),
    })
}

/// OTLP's unsigned nanoseconds as the store's signed ones.
fn nanos(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A string or number attribute as text (`session.id` may be either).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks an attribute list against the span limits: its length, and each
/// key's size and segment count (the depth of the tree a span page draws).
fn check_list(list: &[KeyValue]) -> Result<(), String> {
    if list.len() > MAX_ATTRIBUTES {
        return Err(format!("has {} attributes; at most {MAX_ATTRIBUTES} are allowed", list.len()));
    }
    list.iter().try_for_each(|kv| check_key(&kv.key))
}

fn check_key(key: &str) -> Result<(), String> {
    if key.len() > MAX_KEY_BYTES {
        return Err(format!(
            "attribute key {:?}… is {} bytes long; at most {MAX_KEY_BYTES} are allowed",
            preview(key),
            key.len()
        ));
    }
    let segments = key.bytes().filter(|b| *b == b'.').count() + 1;
    if segments > MAX_KEY_SEGMENTS {
        return Err(format!(
            "attribute key {:?}… has {segments} dot-separated segments; at most {MAX_KEY_SEGMENTS} are allowed",
            preview(key)
        ));
    }
    Ok(())
}

/// The start of a long key, for an error message.
fn preview(key: &str) -> &str {
    let mut end = key.len().min(40);
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    &key[..end]
}

/// Key-value list → JSON object; the last value of a repeated key wins.
/// `depth` counts the arrays and key-value lists around it.
fn json_object(list: Vec<KeyValue>, depth: usize) -> Result<Map<String, Value>, String> {
    list.into_iter().map(|kv| Ok((kv.key, kv.value.map_or(Ok(Value::Null), |v| any_value(v, depth))?))).collect()
}

/// OTLP `AnyValue` → JSON: bytes as base64, non-finite floats as strings;
/// refuses arrays and lists nested deeper than [`MAX_VALUE_DEPTH`].
fn any_value(value: AnyValue, depth: usize) -> Result<Value, String> {
    use any_value::Value as V;
    let nested = |depth: usize| {
        if depth >= MAX_VALUE_DEPTH {
            return Err(format!("an attribute value nests arrays or lists deeper than {MAX_VALUE_DEPTH} levels"));
        }
        Ok(depth + 1)
    };
    Ok(match value.value {
        None => Value::Null,
        Some(V::StringValue(s)) => Value::String(s),
        Some(V::BoolValue(b)) => Value::Bool(b),
        Some(V::IntValue(i)) => Value::Number(i.into()),
        Some(V::DoubleValue(d)) => Number::from_f64(d).map_or_else(|| Value::String(d.to_string()), Value::Number),
        Some(V::BytesValue(bytes)) => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        Some(V::ArrayValue(array)) => {
            let depth = nested(depth)?;
            Value::Array(array.values.into_iter().map(|v| any_value(v, depth)).collect::<Result<_, _>>()?)
        }
        Some(V::KvlistValue(list)) => {
            let depth = nested(depth)?;
            list.values.iter().try_for_each(|kv| check_key(&kv.key))?;
            Value::Object(json_object(list.values, depth)?)
        }
        // An index into a profiles dictionary: meaningless without one.
        Some(V::StringValueStrindex(_)) => Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::common::v1::{ArrayValue, KeyValueList};
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, span};
    use proptest::prelude::*;

    use super::*;

    fn kv(key: impl Into<String>, value: any_value::Value) -> KeyValue {
        KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
    }

    fn request(spans: Vec<Span>, resource: Vec<KeyValue>) -> ExportTraceServiceRequest {
        ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans {
                resource: Some(Resource { attributes: resource, ..Default::default() }),
                scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
                ..Default::default()
            }],
        }
    }

    fn span_with(attributes: Vec<KeyValue>) -> Span {
        Span { trace_id: vec![1; 16], span_id: vec![2; 8], name: "s".into(), attributes, ..Default::default() }
    }

    /// `levels` arrays, one inside the other, around a string.
    fn nested(levels: usize) -> any_value::Value {
        (0..levels).fold(any_value::Value::StringValue("x".into()), |inner, _| {
            any_value::Value::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(inner) }] })
        })
    }

    fn refused(request: ExportTraceServiceRequest) -> String {
        spans(request, None).expect_err("refused").to_string()
    }

    #[test]
    fn keys_are_bounded_in_segments_and_bytes() {
        let deep = vec!["a"; MAX_KEY_SEGMENTS + 1].join(".");
        let error = refused(request(vec![span_with(vec![kv(deep, any_value::Value::IntValue(1))])], vec![]));
        assert!(error.contains("span 0 (\"s\")") && error.contains("at most 64"), "{error}");
        let long = "k".repeat(MAX_KEY_BYTES + 1);
        let error = refused(request(vec![], vec![kv(long, any_value::Value::IntValue(1))]));
        assert!(error.starts_with("resource 0:") && error.contains("at most 1024"), "{error}");
        let ok = vec!["a"; MAX_KEY_SEGMENTS].join(".");
        assert!(spans(request(vec![span_with(vec![kv(ok, any_value::Value::IntValue(1))])], vec![]), None).is_ok());
    }

    #[test]
    fn counts_and_nesting_are_bounded() {
        let many = (0..=MAX_ATTRIBUTES).map(|i| kv(format!("k{i}"), any_value::Value::IntValue(1))).collect();
        assert!(refused(request(vec![span_with(many)], vec![])).contains("at most 10000 are allowed"));
        let mut span = span_with(vec![]);
        span.events = vec![span::Event::default(); MAX_EVENTS + 1];
        assert!(refused(request(vec![span], vec![])).contains("events; at most 1000"));
        let deep = kv("v", nested(MAX_VALUE_DEPTH + 1));
        assert!(refused(request(vec![span_with(vec![deep])], vec![])).contains("deeper than 32"));
        let kvlist = any_value::Value::KvlistValue(KeyValueList { values: vec![kv("a", nested(MAX_VALUE_DEPTH))] });
        assert!(refused(request(vec![span_with(vec![kv("v", kvlist)])], vec![])).contains("deeper than 32"));
        let rows = spans(request(vec![span_with(vec![kv("v", nested(MAX_VALUE_DEPTH))])], vec![]), None).unwrap();
        let stored: Value = serde_json::from_str(&rows[0].attributes).expect("readable");
        assert!(stored["v"].is_array());
    }

    /// The fuzz corpus seeds are valid requests, so fuzzing starts from real payloads.
    #[test]
    fn the_fuzz_seeds_decode() {
        let protobuf = include_bytes!("../../../fuzz/corpus/otlp_protobuf/llm_trace.bin");
        let rows = spans(protobuf_request(protobuf).unwrap(), None).unwrap();
        assert_eq!((rows.len(), &*rows[0].project, rows[1].prompt_tokens), (2, "fuzz", Some(12)));
        let nested = include_bytes!("../../../fuzz/corpus/otlp_protobuf/nested_values.bin");
        let rows = spans(protobuf_request(nested).unwrap(), None).unwrap();
        assert!(rows[0].attributes.contains(r#""list":[{"a":true}]"#), "{}", rows[0].attributes);
        assert!(rows[0].events.contains("boom"));
        let json = include_bytes!("../../../fuzz/corpus/otlp_json/llm_trace.json");
        let rows = spans(json_request(json).unwrap(), None).unwrap();
        assert_eq!((rows.len(), rows[0].span_kind.as_str()), (1, "LLM"));
    }

    fn leaf() -> impl Strategy<Value = any_value::Value> {
        prop_oneof![
            ".{0,8}".prop_map(any_value::Value::StringValue),
            any::<bool>().prop_map(any_value::Value::BoolValue),
            any::<i64>().prop_map(any_value::Value::IntValue),
            any::<f64>().prop_map(any_value::Value::DoubleValue),
            prop::collection::vec(any::<u8>(), 0..8).prop_map(any_value::Value::BytesValue),
        ]
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![".{0,12}", prop::collection::vec("[a-z0-9]{0,3}", 0..80).prop_map(|parts| parts.join("."))]
    }

    fn value() -> impl Strategy<Value = Option<AnyValue>> {
        let tree = leaf().prop_recursive(8, 32, 4, |inner| {
            let item = inner.clone().prop_map(|v| AnyValue { value: Some(v) });
            prop_oneof![
                prop::collection::vec(item.clone(), 0..4)
                    .prop_map(|values| any_value::Value::ArrayValue(ArrayValue { values })),
                prop::collection::vec((key(), item), 0..4).prop_map(|pairs| {
                    let values = pairs
                        .into_iter()
                        .map(|(key, v)| KeyValue { key, value: Some(v), ..Default::default() })
                        .collect();
                    any_value::Value::KvlistValue(KeyValueList { values })
                }),
            ]
        });
        // Straight chains reach past the depth limit, which random trees rarely do.
        let chain = (0..MAX_VALUE_DEPTH + 8).prop_map(nested);
        prop::option::of(prop_oneof![4 => tree, 1 => chain].prop_map(|v| AnyValue { value: Some(v) }))
    }

    fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
        prop::collection::vec(
            (key(), value()).prop_map(|(key, value)| KeyValue { key, value, ..Default::default() }),
            0..6,
        )
    }

    fn id(len: usize) -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![4 => prop::collection::vec(1..=255u8, len), 1 => prop::collection::vec(any::<u8>(), 0..20)]
    }

    fn arbitrary_span() -> impl Strategy<Value = Span> {
        let event = (".{0,4}", any::<u64>(), attributes()).prop_map(|(name, time_unix_nano, attributes)| span::Event {
            name,
            time_unix_nano,
            attributes,
            ..Default::default()
        });
        (id(16), id(8), prop_oneof![Just(vec![]), id(8)], ".{0,8}", attributes(), prop::collection::vec(event, 0..3))
            .prop_map(|(trace_id, span_id, parent_span_id, name, attributes, events)| Span {
                trace_id,
                span_id,
                parent_span_id,
                name,
                attributes,
                events,
                start_time_unix_nano: 1,
                end_time_unix_nano: 2,
                ..Default::default()
            })
    }

    fn arbitrary_request() -> impl Strategy<Value = ExportTraceServiceRequest> {
        (prop::collection::vec(arbitrary_span(), 0..4), attributes())
            .prop_map(|(spans, resource)| request(spans, resource))
    }

    /// What every accepted request must satisfy: its JSON reads back (so no
    /// stored span is deeper than serde_json's recursion limit).
    fn check_rows(rows: &[NewSpan]) {
        for row in rows {
            let attributes: Value = serde_json::from_str(&row.attributes).expect("attributes read back");
            assert!(attributes.is_object());
            let events: Value = serde_json::from_str(&row.events).expect("events read back");
            assert!(events.is_array());
            serde_json::from_str::<Value>(&row.resource_attributes).expect("resource reads back");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_protobuf_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(request) = protobuf_request(&body)
                && let Ok(rows) = spans(request, None)
            {
                check_rows(&rows);
            }
        }

        #[test]
        fn arbitrary_json_never_panics(body in ".{0,256}") {
            if let Ok(request) = json_request(body.as_bytes())
                && let Ok(rows) = spans(request, Some("p"))
            {
                check_rows(&rows);
            }
        }

        #[test]
        fn structured_requests_are_stored_readably_or_refused(request in arbitrary_request()) {
            let body = request.encode_to_vec();
            if let Ok(rows) = spans(request.clone(), None) {
                check_rows(&rows);
            }
            // The same request off the wire: prost may refuse deep nesting first.
            if let Ok(decoded) = protobuf_request(&body) {
                prop_assert_eq!(spans(decoded, None).is_ok(), spans(request.clone(), None).is_ok());
            }
            if let Ok(json) = serde_json::to_vec(&request)
                && let Ok(decoded) = json_request(&json)
                && let Ok(rows) = spans(decoded, None)
            {
                check_rows(&rows);
            }
        }
    }
}
