//! `plume serve --demo`: a small chat page on a second port. Each answer is
//! stored as an OTLP span (decoded and written like any export) in the
//! project `plume-demo`, and shown with the feedback widget under it, so a
//! newcomer sees the whole loop: answer → 👍/👎 → annotation in the UI.

use std::net::SocketAddr;

use app::model::FEEDBACK_NAME;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, extract::DefaultBodyLimit};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::AppState;
use crate::error::ApiError;
use crate::feedback::token::Claims;
use crate::json::JsonBody;
use crate::otlp::decode;

/// The project the demo's spans go to.
pub const DEMO_PROJECT: &str = "plume-demo";

/// The demo page.
const PAGE: &str = include_str!("page.html");

#[derive(Clone)]
struct Demo {
    state: AppState,
    origin: String,
    page: String,
}

/// The demo page's origin for a listener address.
pub fn origin(addr: SocketAddr) -> String {
    format!("http://{}", browser_addr(addr))
}

/// `addr` as a browser can reach it (an unspecified IP becomes 127.0.0.1).
fn browser_addr(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() { SocketAddr::from(([127, 0, 0, 1], addr.port())) } else { addr }
}

/// Serves the demo on `listener` until `shutdown` completes; await the task
/// before the store's writer (it holds a store handle).
pub fn spawn(
    listener: TcpListener,
    state: AppState,
    edge: &crate::edge::Edge,
    plume_addr: SocketAddr,
    public_url: Option<String>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<JoinHandle<()>> {
    let addr = listener.local_addr()?;
    let plume = public_url.unwrap_or_else(|| format!("http://{}", browser_addr(plume_addr)));
    let plume = plume.trim_end_matches('/');
    let page = PAGE.replace("{{PLUME_HTML}}", &escape_html(plume));
    let demo = Demo { state, origin: origin(addr), page };
    let app = Router::new()
        .route("/", get(|State(demo): State<Demo>| async move { Html(demo.page) }))
        .route("/ask", post(ask))
        .layer(DefaultBodyLimit::max(4096))
        .with_state(demo);
    let app = edge.check_hosts(app);
    tracing::info!("feedback demo on http://{} (widget from {plume})", browser_addr(addr));
    let header_read_timeout = edge.header_read_timeout;
    Ok(tokio::spawn(crate::edge::connections::serve(listener, app, header_read_timeout, shutdown)))
}

#[derive(Deserialize)]
struct Question {
    question: String,
}

#[derive(Serialize)]
struct Answer {
    answer: String,
    token: String,
    span_id: String,
    trace_id: String,
}

/// Answers, stores the span, and mints a token for it.
async fn ask(State(demo): State<Demo>, JsonBody(body): JsonBody<Question>) -> Result<Json<Answer>, ApiError> {
    let question: String = body.question.trim().chars().take(500).collect();
    if question.is_empty() {
        return Err(ApiError::body_field(&["question"], "string_too_short", "Ask something", ""));
    }
    let answer = reply(&question);
    let mut ids = [0u8; 24];
    rand::rng().fill_bytes(&mut ids);
    let (trace, span) = (ids[..16].to_vec(), ids[16..].to_vec());
    let now = u64::try_from(chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)).unwrap_or(0);
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![text("service.name", "plume-demo")], ..Default::default() }),
            scope_spans: vec![ScopeSpans {
                spans: vec![Span {
                    trace_id: trace.clone(),
                    span_id: span.clone(),
                    name: "chat".into(),
                    kind: 1,
                    start_time_unix_nano: now.saturating_sub(350_000_000),
                    end_time_unix_nano: now,
                    attributes: vec![
                        text("openinference.span.kind", "LLM"),
                        text("llm.model_name", "plume-demo-echo"),
                        text("input.value", &question),
                        text("output.value", &answer),
                    ],
                    status: Some(Status { message: String::new(), code: 1 }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let spans = decode::spans(request, Some(DEMO_PROJECT)).map_err(|e| ApiError::Unprocessable(e.to_string()))?;
    demo.state.store.writer().write_spans(spans).await?;

    let (span_id, trace_id) = (app::ids::hex_id(&span), app::ids::hex_id(&trace));
    let keys = demo.state.feedback.keys();
    let now = chrono::Utc::now().timestamp();
    let ttl = i64::try_from(keys.max_ttl.as_secs().min(24 * 3600)).unwrap_or(3600);
    let claims = Claims {
        span_id: Some(span_id.clone()),
        name: Some(FEEDBACK_NAME.to_owned()),
        exp: now + ttl,
        iat: Some(now),
        sub: Some("demo-visitor".into()),
        origins: Some(vec![demo.origin.clone()]),
        ..Default::default()
    };
    Ok(Json(Answer { answer, token: keys.sign(&claims), span_id, trace_id }))
}

/// A canned, slightly helpful answer.
fn reply(question: &str) -> String {
    let lower = question.to_lowercase();
    if lower.contains("plume") {
        "Plume collects traces from your LLM app and the feedback your users give on each answer.".into()
    } else if lower.contains("weather") {
        "I can't see outside, but it is always sunny in a demo.".into()
    } else if lower.ends_with('?') {
        format!("Good question. The short answer to \"{question}\" is: it depends — rate this answer below.")
    } else {
        format!("You said \"{question}\". I'm a demo assistant: my answers are canned, your ratings are real.")
    }
}

fn text(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }),
        ..Default::default()
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
