//! `plume-load`: a load generator for Plume's benchmarks (`docs/benchmarks.md`).
//!
//! `plume-load ingest` sends N OTLP/protobuf export requests of M spans (each
//! with ~1 KB of input/output text) at concurrency C, and reports spans/s
//! until every span is acknowledged, and so readable: Plume answers an export
//! only after its commit. It then checks that the spans can be read back.
//! With `--server-pid` it also reports the server's peak RSS.

use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use rand::Rng;

#[derive(Parser)]
#[command(name = "plume-load", about = "Load generator for Plume benchmarks")]
struct Cli {
    /// Plume's base URL.
    #[arg(long, default_value = "http://127.0.0.1:6006", global = true)]
    url: String,
    /// PID of the server, to report its peak RSS (Linux `VmHWM`).
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// OTLP ingestion throughput.
    Ingest {
        /// Export requests to send.
        #[arg(long, default_value_t = 200)]
        requests: usize,
        /// Spans per request.
        #[arg(long, default_value_t = 500)]
        spans: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Bytes of text in each of `input.value` and `output.value`.
        #[arg(long, default_value_t = 512)]
        text_bytes: usize,
        /// Project to write to (a fresh one by default).
        #[arg(long)]
        project: Option<String>,
    },
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Ingest { requests, spans, concurrency, text_bytes, project } => {
            let project = project.unwrap_or_else(|| format!("bench-{}", std::process::id()));
            ingest(&cli.url, &project, requests, spans, concurrency, text_bytes).await;
        }
    }
    if let Some(pid) = cli.server_pid {
        report_rss(pid);
    }
}

async fn ingest(url: &str, project: &str, requests: usize, spans: usize, concurrency: usize, text_bytes: usize) {
    let mut rng = rand::rng();
    let run: u64 = rng.random();
    println!("encoding {requests} requests × {spans} spans…");
    let bodies: Vec<Vec<u8>> = (0..requests).map(|r| payload(run, r, spans, text_bytes).encode_to_vec()).collect();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let client = reqwest::Client::new();
    let endpoint = format!("{url}/v1/traces");
    let queue = queue_of(bodies);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, endpoint, queue, project) = (client.clone(), endpoint.clone(), queue.clone(), project.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while let Some(body) = next(&queue) {
                let sent = Instant::now();
                let response = client
                    .post(&endpoint)
                    .header("content-type", "application/x-protobuf")
                    .header("x-project-name", &project)
                    .body(body)
                    .send()
                    .await
                    .expect("request failed");
                assert!(response.status().is_success(), "export failed: {}", response.status());
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("worker panicked"));
    }
    let elapsed = started.elapsed();
    let total = requests * spans;
    println!(
        "ingested {total} spans ({:.1} MB of protobuf) in {:.2} s: {:.0} spans/s, {:.1} requests/s",
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        requests as f64 / elapsed.as_secs_f64()
    );
    print_latencies("export request", &mut latencies);
    let stored = count_spans(&client, url, project).await;
    println!("read back {stored} spans of {total}");
    assert_eq!(stored, total, "spans missing after acknowledged exports");
}

/// A shared queue of request bodies (a mutex'd vector is plenty here).
type Queue = std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

/// The bodies as a queue, first one out first.
fn queue_of(mut bodies: Vec<Vec<u8>>) -> Queue {
    bodies.reverse();
    std::sync::Arc::new(std::sync::Mutex::new(bodies))
}

/// The next body to send, if any is left.
fn next(queue: &Queue) -> Option<Vec<u8>> {
    queue.lock().expect("queue poisoned").pop()
}

/// Counts a project's spans by paging through the REST API.
async fn count_spans(client: &reqwest::Client, url: &str, project: &str) -> usize {
    let mut count = 0;
    let mut cursor = String::new();
    loop {
        let page: serde_json::Value = client
            .get(format!("{url}/v1/projects/{project}/spans?limit=1000&cursor={cursor}"))
            .send()
            .await
            .expect("reading spans")
            .json()
            .await
            .expect("spans JSON");
        count += page["data"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return count,
        }
    }
}

/// One export request: `spans` spans in traces of 5 (an agent, a chain, LLM calls).
fn payload(run: u64, request: usize, spans: usize, text_bytes: usize) -> ExportTraceServiceRequest {
    let text = "lorem ipsum dolor sit amet ".repeat(text_bytes / 27 + 1);
    let text = &text[..text_bytes];
    let base = 1_700_000_000_000_000_000u64 + (request as u64) * 1_000_000_000;
    let spans = (0..spans)
        .map(|i| {
            let trace = (u128::from(run) << 64) | ((request as u128) << 32) | (i as u128 / 5);
            let span = (run << 40) ^ ((request as u64) << 20) ^ (i as u64 + 1);
            let root = i % 5 == 0;
            let kind = if root { "AGENT" } else { "LLM" };
            let start = base + (i as u64) * 1_000_000;
            Span {
                trace_id: trace.to_be_bytes().to_vec(),
                span_id: span.to_be_bytes().to_vec(),
                parent_span_id: if root { vec![] } else { (span - (i as u64 % 5)).to_be_bytes().to_vec() },
                name: if root { "agent".into() } else { "ChatCompletion".into() },
                kind: 1,
                start_time_unix_nano: start,
                end_time_unix_nano: start + 250_000_000,
                attributes: vec![
                    string("openinference.span.kind", kind),
                    string("input.value", text),
                    string("output.value", text),
                    string("llm.model_name", "gpt-4o-mini"),
                    int("llm.token_count.prompt", 120),
                    int("llm.token_count.completion", 40),
                    string("session.id", &format!("session-{}", i / 50)),
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

fn print_latencies(what: &str, latencies: &mut [Duration]) {
    if latencies.is_empty() {
        return;
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    println!("{what} latency: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", at(0.5), at(0.99), at(1.0));
}

/// Prints the server's peak and current resident memory.
fn report_rss(pid: u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    for line in status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")) {
        println!("server {}", line.split_whitespace().collect::<Vec<_>>().join(" "));
    }
}
