//! `plume-load agreement`: seeds a project with many ratings of one
//! annotation name (several human identifiers and an LLM judge per span,
//! 1,000 annotations a request), then times the agreement API and page.
//! `render --path /projects/<p>/agreement?name=quality` times the page again
//! later, on the same data.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::{report, spans};

/// Options of `agreement`.
#[derive(clap::Args)]
pub struct Args {
    /// The project to seed (its spans are created first).
    #[arg(long, default_value = "agreement")]
    project: String,
    /// Annotations to write in all: spans × (raters + 1 LLM judge).
    #[arg(long, default_value_t = 100_000)]
    annotations: usize,
    /// Human raters per span (identifiers `rater-1`…); each span also gets the LLM judge.
    #[arg(long, default_value_t = 3)]
    raters: usize,
    /// Timed GETs of the API and of the page after seeding.
    #[arg(long, default_value_t = 20)]
    requests: usize,
}

/// The labels raters choose from.
const LABELS: [&str; 3] = ["correct", "partially correct", "incorrect"];

/// Seeds, then times `GET /v1/projects/{p}/annotation_agreement` and the page.
pub async fn run(url: &str, args: Args) {
    let client = crate::client();
    let per_span = args.raters + 1;
    let span_count = args.annotations.div_ceil(per_span);
    let started = Instant::now();
    let span_ids = spans::seed(&client, url, &args.project, rand::random(), span_count.div_ceil(500), 500).await;
    let mut items = Vec::with_capacity(1000);
    let mut written = 0;
    for span_id in span_ids.iter().take(span_count) {
        // A true label per span; each rater agrees with it 80 % of the time.
        let truth = rand::rng().random_range(0..LABELS.len());
        for rater in 0..per_span {
            let label = if rand::rng().random_bool(0.8) { truth } else { rand::rng().random_range(0..LABELS.len()) };
            let (kind, identifier) = if rater == args.raters {
                ("LLM", "judge".to_owned())
            } else {
                ("HUMAN", format!("rater-{}", rater + 1))
            };
            items.push(serde_json::json!({
                "span_id": span_id, "name": "quality", "annotator_kind": kind, "identifier": identifier,
                "result": {"label": LABELS[label], "score": 1.0 - label as f64 / 2.0},
            }));
            if items.len() == 1000 {
                written += post(&client, url, &mut items).await;
            }
        }
    }
    written += post(&client, url, &mut items).await;
    println!("seeded {written} annotations on {span_count} spans in {:.1} s", started.elapsed().as_secs_f64());
    let paths = [
        format!("/v1/projects/{}/annotation_agreement?name=quality", args.project),
        format!("/projects/{}/agreement?name=quality", args.project),
    ];
    for path in paths {
        let mut latencies: Vec<Duration> = Vec::with_capacity(args.requests);
        for i in 0..args.requests + 2 {
            let sent = Instant::now();
            let response = client.get(format!("{url}{path}")).send().await.expect("request failed");
            assert!(response.status().is_success(), "GET {path} answered {}", response.status());
            response.bytes().await.expect("reading the answer failed");
            if i >= 2 {
                latencies.push(sent.elapsed());
            }
        }
        report::latencies(&path, &mut latencies);
    }
}

/// Posts the items (`sync=true`, so they are readable when it returns); how many.
async fn post(client: &reqwest::Client, url: &str, items: &mut Vec<serde_json::Value>) -> usize {
    if items.is_empty() {
        return 0;
    }
    let body = serde_json::json!({ "data": std::mem::take(items) });
    let response =
        client.post(format!("{url}/v1/span_annotations?sync=true")).json(&body).send().await.expect("request failed");
    assert_eq!(response.status(), 200, "annotations refused");
    body["data"].as_array().map_or(0, Vec::len)
}
