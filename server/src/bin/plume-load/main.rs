//! `plume-load`: the load generator behind `docs/benchmarks.md`.
//!
//! - `ingest`: OTLP/protobuf export throughput until every span is readable.
//! - `annotate`: one-annotation requests (a 👍 click each) on known spans.
//! - `suite`: all of the above on fresh servers, as `docs/benchmarks.md` reports.
//! - `render`: server-side render time of UI pages (`--path /projects/p`).
//! - `span-query`: `POST /v1/spans` (`get_spans_dataframe`) per `--condition`.
//! - `agreement`: seeds many ratings of one name and times the agreement API and page.
//! - `bundle`: the browser bundle's size as served (raw, gzip, brotli).
//! - `review`: 20 reviewers working a review queue (`next` + `complete`)
//!   on a server of its own with accounts on (reviewers are accounts).
//! - `crash`: posts `sync=false` annotations, SIGKILLs the server the moment
//!   the last 200 arrives, restarts it and counts what survived.
//!
//! Benchmarks live here rather than in timed tests: figures depend on the
//! machine, correctness does not.

mod agreement;
mod annotate;
mod bundle;
mod crash;
mod ingest;
mod render;
mod report;
mod rest;
mod review;
mod server;
mod span_query;
mod spans;
mod suite;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "plume-load", about = "Load generator for Plume benchmarks")]
struct Cli {
    /// Plume's base URL.
    #[arg(long, default_value = "http://127.0.0.1:6006", global = true)]
    url: String,
    /// PID of the server, to report its peak RSS (Linux `VmHWM`).
    #[arg(long, global = true)]
    server_pid: Option<u32>,
    /// API key sent with every request (`Authorization: Bearer …`), for a
    /// server with `--auth on`.
    #[arg(long, env = "PLUME_API_KEY", global = true, hide_env_values = true)]
    api_key: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// OTLP ingestion throughput.
    Ingest(ingest::Args),
    /// Annotation requests per second and their latency.
    Annotate(annotate::Args),
    /// Reviewers working a review queue: `next` + `complete` per item.
    Review(review::Args),
    /// Durability of acknowledged `sync=false` annotations across `kill -9`.
    Crash(crash::Args),
    /// Server-side render time of UI pages.
    Render(render::Args),
    /// Times `POST /v1/spans`, the span query, per filter condition.
    SpanQuery(span_query::Args),
    /// Seeds ratings of one name, then times the agreement API and page.
    Agreement(agreement::Args),
    /// The browser bundle's size as the server sends it.
    Bundle,
    /// Every benchmark above, each on a fresh server.
    Suite(suite::Args),
}

/// `--api-key`, set once at start.
static API_KEY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// The HTTP client every benchmark uses: it sends `--api-key`, if given,
/// with each request.
pub fn client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(Some(key)) = API_KEY.get()
        && let Ok(value) = reqwest::header::HeaderValue::from_str(&format!("Bearer {key}"))
    {
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder().default_headers(headers).build().expect("an HTTP client")
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let _ = API_KEY.set(cli.api_key.clone());
    match cli.command {
        Command::Ingest(args) => ingest::run(&cli.url, args).await,
        Command::Annotate(args) => annotate::run(&cli.url, args).await,
        Command::Crash(args) => crash::run(args).await,
        Command::Review(args) => review::run(args).await,
        Command::Render(args) => render::run(&cli.url, args).await,
        Command::Agreement(args) => agreement::run(&cli.url, args).await,
        Command::SpanQuery(args) => span_query::run(&cli.url, args).await,
        Command::Bundle => bundle::run(&cli.url).await,
        Command::Suite(args) => suite::run(args).await,
    }
    if let Some(pid) = cli.server_pid {
        report::rss(pid);
    }
}
