//! `plume-load annotate`: one annotation per request — a 👍/👎 click each —
//! on random known spans, from many connections at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rand::Rng;

use crate::{report, spans};

/// Options of `annotate`.
#[derive(clap::Args)]
pub struct Args {
    /// Annotation requests to send.
    #[arg(long, default_value_t = 50_000)]
    requests: usize,
    /// Connections sending at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// `sync=true` (wait for ids; spans must exist) instead of `sync=false`.
    #[arg(long)]
    sync: bool,
    /// Spans to create first, the targets of the clicks.
    #[arg(long, default_value_t = 10_000)]
    seed_spans: usize,
}

/// Seeds spans, then sends the clicks and reports requests/s and latency.
pub async fn run(url: &str, args: Args) {
    let client = crate::client();
    let project = format!("annotate-{}", std::process::id());
    let requests = args.seed_spans.div_ceil(500);
    let span_ids = Arc::new(spans::seed(&client, url, &project, rand::random(), requests, 500).await);
    let endpoint = format!("{url}/v1/span_annotations?sync={}", args.sync);
    let sent = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, endpoint, sent, span_ids) = (client.clone(), endpoint.clone(), sent.clone(), span_ids.clone());
        let total = args.requests;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while sent.fetch_add(1, Ordering::Relaxed) < total {
                let (span, user, up) = {
                    let mut rng = rand::rng();
                    (rng.random_range(0..span_ids.len()), rng.random_range(0..100_000u32), rng.random_bool(0.7))
                };
                let body = serde_json::json!({"data": [{
                    "span_id": span_ids[span],
                    "name": "user feedback",
                    "annotator_kind": "HUMAN",
                    "result": if up { serde_json::json!({"label": "thumbs-up", "score": 1}) }
                              else { serde_json::json!({"label": "thumbs-down", "score": 0}) },
                    "identifier": format!("user-{user}"),
                    "metadata": {},
                }]});
                let start = Instant::now();
                let response = client.post(&endpoint).json(&body).send().await.expect("request failed");
                assert_eq!(response.status(), 200, "annotation refused");
                latencies.push(start.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("worker panicked"));
    }
    let elapsed = started.elapsed();
    println!(
        "{} annotations (sync={}, {} connections) in {:.2} s: {:.0} requests/s",
        latencies.len(),
        args.sync,
        args.concurrency,
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    report::latencies("annotation request", &mut latencies);
}
