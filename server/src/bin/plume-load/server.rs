//! Starting a `plume` process for the scenarios that need their own server.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `plume` binary: the one given, else the one next to `plume-load`.
pub fn binary(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| std::env::current_exe().expect("own path").with_file_name("plume"))
}

/// Starts `plume serve` on free ports with `data_dir` and returns it with its URL.
pub fn start(plume: &Path, data_dir: &Path) -> (Child, String) {
    start_with(plume, data_dir, &[])
}

/// [`start`] with extra flags (`--auth on …`).
pub fn start_with(plume: &Path, data_dir: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(plume)
        .args(["serve", "--port", "0", "--grpc-port", "0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting plume");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("plume exited before listening").expect("reading its log");
        if let Some(rest) = line.split("plume listening on ").nth(1) {
            break rest.split_whitespace().next().expect("address").to_owned();
        }
    };
    // Keep draining the log (a line per request) so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url)
}
