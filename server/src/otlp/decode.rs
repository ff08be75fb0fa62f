//! OTLP export request → rows for the store.
//!
//! Everything that can be wrong with a request is found here, before the
//! writer sees it, so that a rejected request writes nothing.

use std::sync::Arc;

use app::ids::hex_id;
use app::store::NewSpan;
use base64::Engine as _;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
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

/// Why a request can't be stored; the message names the offending span.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DecodeError(String);

/// Turns an export request into spans, taking the project from `project_header`
/// if given, else from each resource's `openinference.project.name`.
pub fn spans(request: ExportTraceServiceRequest, project_header: Option<&str>) -> Result<Vec<NewSpan>, DecodeError> {
    let header_project: Option<Arc<str>> = project_header.filter(|p| !p.is_empty()).map(Arc::from);
    let mut rows = Vec::new();
    for resource_spans in request.resource_spans {
        let resource = resource_spans.resource.map(|r| r.attributes).unwrap_or_default();
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
        let resource_json: Arc<str> = Value::Object(json_object(resource)).to_string().into();
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
    let attributes = json_object(span.attributes);
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
        .map(|event| {
            serde_json::json!({
                "name": event.name,
                "timestamp": nanos(event.time_unix_nano),
                "attributes": Value::Object(json_object(event.attributes)),
            })
        })
        .collect();
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

/// Key-value list → JSON object; the last value of a repeated key wins.
fn json_object(list: Vec<KeyValue>) -> Map<String, Value> {
    list.into_iter().map(|kv| (kv.key, kv.value.map(any_value).unwrap_or(Value::Null))).collect()
}

/// OTLP `AnyValue` → JSON: bytes as base64, non-finite floats as strings.
fn any_value(value: AnyValue) -> Value {
    use any_value::Value as V;
    match value.value {
        None => Value::Null,
        Some(V::StringValue(s)) => Value::String(s),
        Some(V::BoolValue(b)) => Value::Bool(b),
        Some(V::IntValue(i)) => Value::Number(i.into()),
        Some(V::DoubleValue(d)) => Number::from_f64(d).map_or_else(|| Value::String(d.to_string()), Value::Number),
        Some(V::BytesValue(bytes)) => Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
        Some(V::ArrayValue(array)) => Value::Array(array.values.into_iter().map(any_value).collect()),
        Some(V::KvlistValue(list)) => Value::Object(json_object(list.values)),
        // An index into a profiles dictionary: meaningless without one.
        Some(V::StringValueStrindex(_)) => Value::Null,
    }
}
