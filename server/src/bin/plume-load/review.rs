//! `plume-load review`: reviewers working one review queue at k = 1, each
//! asking for their next item and completing it with one label annotation,
//! until the queue is done. Reviewers are keyed by their credential, so this
//! starts its own server with accounts on and gives each reviewer a service
//! key of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::{report, server, spans};

/// Options of `review`.
#[derive(clap::Args)]
pub struct Args {
    /// Reviewers working at once (one connection each).
    #[arg(long, default_value_t = 20)]
    reviewers: usize,
    /// Items in the queue (spans; a multiple of 500 is seeded).
    #[arg(long, default_value_t = 10_000)]
    items: usize,
    /// The `plume` binary (default: next to this one).
    #[arg(long)]
    plume: Option<PathBuf>,
}

const ADMIN_EMAIL: &str = "load@example.org";
const ADMIN_PASSWORD: &str = "plume-load review password";

/// A client sending `Authorization: Bearer key`.
fn client_for(key: &str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, HeaderValue::from_str(&format!("Bearer {key}")).expect("a header"));
    reqwest::Client::builder().default_headers(headers).build().expect("an HTTP client")
}

/// `POST` JSON with `client`; the answer's JSON, asserting a 2xx.
async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    let response = client.post(url).json(body).send().await.expect("request failed");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "POST {url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Starts the server, seeds the queue, runs the reviewers, reports.
pub async fn run(args: Args) {
    let plume = server::binary(args.plume);
    let data_dir = std::env::temp_dir().join(format!("plume-review-{}", std::process::id()));
    let flags = ["--auth", "on", "--admin-email", ADMIN_EMAIL, "--admin-password", ADMIN_PASSWORD];
    let (mut child, url) = server::start_with(&plume, &data_dir, &flags);

    // The admin's session makes a service key for setup and one per reviewer.
    let login = reqwest::Client::new()
        .post(format!("{url}/auth/login"))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("logging in");
    let cookie = login
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok()?.split(';').next())
        .find(|pair| pair.starts_with("plume_session="))
        .expect("a session cookie")
        .to_owned();
    let mut headers = HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, HeaderValue::from_str(&cookie).expect("a header"));
    let session = reqwest::Client::builder().default_headers(headers).build().expect("an HTTP client");
    let key = |name: String, scope: &'static str| {
        let (session, url) = (session.clone(), url.clone());
        async move {
            let body = json!({"data": {"name": name, "scopes": [scope]}});
            let made = post(&session, &format!("{url}/v1/system/api_keys"), &body).await;
            made["data"]["key"].as_str().expect("a key").to_owned()
        }
    };
    let admin = client_for(&key("setup".to_owned(), "admin").await);
    let mut reviewers = Vec::with_capacity(args.reviewers);
    for i in 0..args.reviewers {
        reviewers.push(client_for(&key(format!("reviewer {i}"), "annotate").await));
    }

    let requests = args.items.div_ceil(500).max(1);
    let span_ids = spans::seed(&admin, &url, "review", rand::random(), requests, 500).await;
    let queue =
        post(&admin, &format!("{url}/v1/annotation_queues"), &json!({"name": "load", "project": "review"})).await;
    let queue = queue["data"]["id"].as_str().expect("a queue id").to_owned();
    for chunk in span_ids.chunks(10_000) {
        post(&admin, &format!("{url}/v1/annotation_queues/{queue}/items"), &json!({"span_ids": chunk})).await;
    }

    let base = Arc::new(format!("{url}/v1/annotation_queues/{queue}"));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in reviewers {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let (mut next, mut complete) = (Vec::<Duration>::new(), Vec::<Duration>::new());
            loop {
                let start = Instant::now();
                let response = client.post(format!("{base}/next")).send().await.expect("next failed");
                next.push(start.elapsed());
                if response.status() == 204 {
                    break;
                }
                assert_eq!(response.status(), 200, "next refused");
                let held: Value = response.json().await.expect("a reservation");
                let item = held["data"]["item_id"].as_str().expect("an item").to_owned();
                let body =
                    json!({"annotations": [{"name": "correctness", "result": {"label": "correct", "score": 1}}]});
                let start = Instant::now();
                let response = client
                    .post(format!("{base}/items/{item}/complete"))
                    .json(&body)
                    .send()
                    .await
                    .expect("complete failed");
                complete.push(start.elapsed());
                assert_eq!(response.status(), 204, "complete refused");
            }
            (next, complete)
        }));
    }
    let (mut next, mut complete) = (Vec::new(), Vec::new());
    for task in tasks {
        let (n, c) = task.await.expect("reviewer panicked");
        next.extend(n);
        complete.extend(c);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let progress: Value = admin.get(base.as_str()).send().await.expect("the queue").json().await.expect("JSON");
    let done = progress["data"]["progress"]["done"].as_i64().unwrap_or_default();
    println!(
        "{done} of {} items reviewed by {} reviewers in {elapsed:.2} s: {:.0} requests/s (next + complete), {:.0} reviews/s",
        span_ids.len(),
        args.reviewers,
        (next.len() + complete.len()) as f64 / elapsed,
        complete.len() as f64 / elapsed
    );
    assert_eq!(done as usize, span_ids.len(), "every item is done once");
    report::latencies("next", &mut next);
    report::latencies("complete", &mut complete);
    report::rss(child.id());
    child.kill().ok();
    child.wait().ok();
    std::fs::remove_dir_all(&data_dir).ok();
}
