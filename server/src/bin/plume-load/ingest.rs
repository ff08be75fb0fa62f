//! `plume-load ingest`: N export requests of M spans at concurrency C.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use prost::Message;

use crate::{report, spans};

/// Options of `ingest`.
#[derive(clap::Args)]
pub struct Args {
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
    /// Don't count the spans back (at millions of spans that reads gigabytes).
    #[arg(long)]
    no_read_back: bool,
}

/// Pre-encodes every payload (so the generator's CPU stays out of the
/// measurement), sends them, then counts the spans back.
pub async fn run(url: &str, args: Args) {
    let project = args.project.unwrap_or_else(|| format!("bench-{}", std::process::id()));
    let run: u64 = rand::random();
    println!("encoding {} requests × {} spans…", args.requests, args.spans);
    let mut bodies: Vec<Vec<u8>> =
        (0..args.requests).map(|r| spans::payload(run, r, args.spans, args.text_bytes).encode_to_vec()).collect();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    bodies.reverse();
    let queue = Arc::new(Mutex::new(bodies));
    let client = crate::client();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, queue, project) = (client.clone(), queue.clone(), project.clone());
        let endpoint = format!("{url}/v1/traces");
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some(body) = queue.lock().expect("queue poisoned").pop() else { break };
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
    let total = args.requests * args.spans;
    println!(
        "ingested {total} spans ({:.1} MB of protobuf) in {:.2} s: {:.0} spans/s, {:.1} requests/s",
        bytes as f64 / 1e6,
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        args.requests as f64 / elapsed.as_secs_f64()
    );
    report::latencies("export request", &mut latencies);
    if args.no_read_back {
        return;
    }
    let stored = crate::rest::count(&client, &format!("{url}/v1/projects/{project}/spans?limit=1000")).await;
    println!("read back {stored} spans of {total}");
    assert_eq!(stored, total, "spans missing after acknowledged exports");
}
