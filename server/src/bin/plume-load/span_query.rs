//! `plume-load span-query`: times `POST /v1/spans`, the span query behind
//! the Phoenix client's `get_spans_dataframe`, once per `--condition`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::report;

/// Options of `span-query`.
#[derive(clap::Args)]
pub struct Args {
    /// The project queried.
    #[arg(long, default_value = "default")]
    project: String,
    /// A filter condition (a Python expression); repeatable. `""` asks for
    /// the full frame.
    #[arg(long = "condition", required = true)]
    conditions: Vec<String>,
    /// Rows asked for (`limit`).
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    /// Timed queries per condition.
    #[arg(long, default_value_t = 20)]
    requests: usize,
    /// Untimed queries per condition first (caches warm).
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// First give this many spans a `user feedback` 👎, one in every 100 of
    /// the newest, for the conditions on annotations.
    #[arg(long, default_value_t = 0)]
    thumbs_down: usize,
}

/// Seeds the 👎 (if asked), then runs each condition `warmup + requests`
/// times, printing rows returned and latencies; a status other than 200 aborts.
pub async fn run(url: &str, args: Args) {
    let client = crate::client();
    if args.thumbs_down > 0 {
        thumbs_down(&client, url, &args.project, args.thumbs_down).await;
    }
    let target = format!("{url}/v1/spans?project_name={}", args.project);
    for condition in &args.conditions {
        let query = if condition.is_empty() { json!({}) } else { json!({"filter": {"condition": condition}}) };
        let body = json!({"queries": [query], "limit": args.limit, "root_spans_only": false});
        let mut latencies: Vec<Duration> = Vec::with_capacity(args.requests);
        let mut answer = String::new();
        for i in 0..args.warmup + args.requests {
            let sent = Instant::now();
            let response = client
                .post(&target)
                .header("accept", "application/json")
                .json(&body)
                .send()
                .await
                .expect("request failed");
            let status = response.status();
            let text = response.text().await.expect("reading the answer failed");
            assert!(status.is_success(), "POST /v1/spans `{condition}` answered {status}: {text}");
            if i >= args.warmup {
                latencies.push(sent.elapsed());
                answer = text;
            }
        }
        println!("`{condition}`: {} rows, {} bytes", rows(&answer), answer.len());
        report::latencies("span query", &mut latencies);
    }
}

/// The rows of the first frame of a `multipart/mixed` answer: the length of
/// the `data` of its first pandas table JSON (none when nothing matched).
fn rows(answer: &str) -> usize {
    let Some(start) = answer.find("{\"schema\"") else { return 0 };
    let frame = serde_json::Deserializer::from_str(&answer[start..]).into_iter::<Value>().next();
    frame.and_then(Result::ok).and_then(|frame| frame["data"].as_array().map(Vec::len)).unwrap_or(0)
}

/// Gives `count` spans of `project` (one in every 100 of the newest) a
/// `user feedback` 👎, in one `sync=true` request.
async fn thumbs_down(client: &reqwest::Client, url: &str, project: &str, count: usize) {
    let mut ids: Vec<String> = Vec::new();
    let spans = format!("{url}/v1/projects/{project}/spans?limit=1000");
    crate::rest::walk(client, &spans, |page| {
        let data = page["data"].as_array().map_or(&[][..], Vec::as_slice);
        ids.extend(data.iter().filter_map(|span| span["context"]["span_id"].as_str().map(str::to_owned)));
        !data.is_empty() && ids.len() < count * 100
    })
    .await;
    let data: Vec<Value> = ids
        .iter()
        .step_by(100)
        .take(count)
        .map(|span_id| {
            json!({"span_id": span_id, "name": "user feedback", "annotator_kind": "HUMAN",
                "result": {"label": "thumbs-down", "score": 0}})
        })
        .collect();
    let status = client
        .post(format!("{url}/v1/span_annotations?sync=true"))
        .json(&json!({ "data": data }))
        .send()
        .await
        .expect("annotating")
        .status();
    assert!(status.is_success(), "annotating answered {status}");
    println!("gave {} spans a 👎", data.len());
}
