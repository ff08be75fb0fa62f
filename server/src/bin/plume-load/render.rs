//! `plume-load render`: times server-side rendering of UI pages (N
//! sequential GETs of each path, after a warm-up).

use std::time::{Duration, Instant};

use crate::report;

/// Options of `render`.
#[derive(clap::Args)]
pub struct Args {
    /// Page paths to fetch, e.g. `/projects/p` or `/projects/p?sort=latency`.
    #[arg(long = "path", required = true)]
    paths: Vec<String>,
    /// Timed GETs per path.
    #[arg(long, default_value_t = 50)]
    requests: usize,
    /// Untimed GETs per path first (caches warm).
    #[arg(long, default_value_t = 3)]
    warmup: usize,
}

/// Fetches every path `warmup + requests` times and prints its latencies;
/// a status other than 200 aborts (a 404 page renders fast but proves nothing).
pub async fn run(url: &str, args: Args) {
    let client = crate::client();
    for path in &args.paths {
        let target = format!("{url}{path}");
        let mut latencies: Vec<Duration> = Vec::with_capacity(args.requests);
        let mut bytes = 0;
        for i in 0..args.warmup + args.requests {
            let sent = Instant::now();
            let response = client.get(&target).send().await.expect("request failed");
            let status = response.status();
            let body = response.bytes().await.expect("reading the page failed");
            assert!(status.is_success(), "GET {path} answered {status}");
            if i >= args.warmup {
                latencies.push(sent.elapsed());
                bytes = body.len();
            }
        }
        println!("GET {path}: {} requests, {bytes} bytes of HTML", args.requests);
        report::latencies("render", &mut latencies);
    }
}
