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
    let ready_file = data_dir.join("ready.json");
    let _ = std::fs::remove_file(&ready_file);
    let mut child = Command::new(plume)
        .args(["serve", "--port", "0", "--grpc-port", "0", "--data-dir"])
        .arg(data_dir)
        .arg("--ready-file")
        .arg(&ready_file)
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting plume");
    let stderr = child.stderr.take().expect("stderr");
    // Keep draining the log (a line per request) so the server never blocks on a full pipe.
    std::thread::spawn(move || BufReader::new(stderr).lines().for_each(drop));
    let url = loop {
        if let Ok(text) = std::fs::read_to_string(&ready_file) {
            let ready: serde_json::Value = serde_json::from_str(&text).expect("the ready file is JSON");
            break ready["http"].as_str().expect("http address").to_owned();
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("plume exited before it was ready: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    (child, url)
}
