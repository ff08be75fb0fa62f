//! `plume-load crash`: is every acknowledged `sync=false` annotation still
//! there after `kill -9`? Half of them target a span that has not arrived
//! yet (kept as pending), half an existing one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use prost::Message;

use crate::server::start;
use crate::spans;

/// Options of `crash`.
#[derive(clap::Args)]
pub struct Args {
    /// The `plume` binary (default: next to this one).
    #[arg(long)]
    plume: Option<PathBuf>,
    /// Annotations to post before the kill.
    #[arg(long, default_value_t = 5_000)]
    annotations: usize,
    /// Connections posting at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

/// Runs the scenario and exits non-zero if anything acknowledged was lost.
pub async fn run(args: Args) {
    let plume = crate::server::binary(args.plume);
    let data_dir = std::env::temp_dir().join(format!("plume-crash-{}", std::process::id()));
    let client = crate::client();

    let (mut server, url) = start(&plume, &data_dir);
    let run: u64 = rand::random();
    let present = spans::seed(&client, &url, "crash", run, 1, 1).await.remove(0);
    let absent = format!("{:016x}", spans::span_id(run, 1, 0));

    let posted = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, url, posted, present, absent) =
            (client.clone(), url.clone(), posted.clone(), present.clone(), absent.clone());
        let total = args.annotations;
        tasks.push(tokio::spawn(async move {
            loop {
                let i = posted.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let span = if i % 2 == 0 { &present } else { &absent };
                let body = serde_json::json!({"data": [{
                    "span_id": span, "name": format!("crash-{i}"), "annotator_kind": "CODE",
                    "result": {"score": i}, "identifier": "crash",
                }]});
                let response = client
                    .post(format!("{url}/v1/span_annotations?sync=false"))
                    .json(&body)
                    .send()
                    .await
                    .expect("posting");
                assert_eq!(response.status(), 200);
            }
        }));
    }
    for task in tasks {
        task.await.expect("poster panicked");
    }
    // The last 200 is in: kill -9 at once.
    server.kill().expect("SIGKILL");
    server.wait().expect("reaping the server");
    println!("posted {} sync=false annotations, then kill -9", args.annotations);

    let (mut server, url) = start(&plume, &data_dir);
    let body = spans::payload(run, 1, 1, 512).encode_to_vec();
    let response = client
        .post(format!("{url}/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .header("x-project-name", "crash")
        .body(body)
        .send()
        .await
        .expect("sending the late span");
    assert!(response.status().is_success());
    let found = count(&client, &url, &present).await + count(&client, &url, &absent).await;
    server.kill().ok();
    server.wait().ok();
    std::fs::remove_dir_all(&data_dir).ok();
    println!("after restart: {found} of {} annotations found", args.annotations);
    if found != args.annotations {
        eprintln!("LOST {} acknowledged annotations", args.annotations - found);
        std::process::exit(1);
    }
}

/// Annotations of `span` in project `crash`.
async fn count(client: &reqwest::Client, url: &str, span: &str) -> usize {
    crate::rest::count(client, &format!("{url}/v1/projects/crash/span_annotations?span_ids={span}&limit=10000")).await
}
