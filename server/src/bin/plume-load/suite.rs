//! `plume-load suite`: every benchmark of `docs/benchmarks.md`, each on a
//! fresh server and data directory, with the server's peak memory.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::Instant;

use crate::{annotate, bundle, crash, ingest, report, server};

/// Options of `suite`.
#[derive(clap::Args)]
pub struct Args {
    /// The `plume` binary (default: next to this one).
    #[arg(long)]
    plume: Option<PathBuf>,
}

/// A `plume` on a data directory of its own.
struct Fresh {
    child: Child,
    url: String,
    data_dir: PathBuf,
}

impl Fresh {
    fn start(plume: &Path) -> Fresh {
        let data_dir = std::env::temp_dir().join(format!("plume-suite-{}", std::process::id()));
        let (child, url) = server::start(plume, &data_dir);
        Fresh { child, url, data_dir }
    }

    /// Kills the server and removes its data.
    fn stop(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
        std::fs::remove_dir_all(&self.data_dir).ok();
    }
}

/// Runs the scenarios one after the other.
pub async fn run(args: Args) {
    let plume = server::binary(args.plume);
    let scenarios: [(&str, &[&str]); 4] = [
        (
            "ingest: 200 requests × 500 spans, 4 connections",
            &["ingest", "--requests", "200", "--spans", "500", "--concurrency", "4"],
        ),
        (
            "ingest: 2000 requests × 50 spans, 16 connections",
            &["ingest", "--requests", "2000", "--spans", "50", "--concurrency", "16"],
        ),
        ("annotate: sync=true, 16 connections", &["annotate", "--requests", "50000", "--sync"]),
        ("annotate: sync=false, 16 connections", &["annotate", "--requests", "50000"]),
    ];
    for (title, words) in scenarios {
        println!("\n## {title}");
        let started = Instant::now();
        let fresh = Fresh::start(&plume);
        println!("server healthy after {} ms", started.elapsed().as_millis());
        let url = fresh.url.clone();
        let cli = <crate::Cli as clap::Parser>::parse_from(
            ["plume-load", "--url", &url].into_iter().chain(words.iter().copied()),
        );
        match cli.command {
            crate::Command::Ingest(args) => ingest::run(&url, args).await,
            crate::Command::Annotate(args) => annotate::run(&url, args).await,
            _ => unreachable!("only ingest and annotate scenarios are listed"),
        }
        report::rss(fresh.child.id());
        fresh.stop();
    }
    println!("\n## browser bundle");
    let fresh = Fresh::start(&plume);
    bundle::run(&fresh.url).await;
    fresh.stop();

    println!("\n## kill -9 durability");
    let plume = plume.to_string_lossy();
    match <crate::Cli as clap::Parser>::parse_from(["plume-load", "crash", "--plume", &plume]).command {
        crate::Command::Crash(args) => crash::run(args).await,
        _ => unreachable!("parsed a crash command"),
    }
}
