//! Printing figures.

use std::time::Duration;

/// Prints p50, p99 and max of `latencies` (sorted in place).
pub fn latencies(what: &str, latencies: &mut [Duration]) {
    if latencies.is_empty() {
        return;
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    println!("{what} latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms", at(0.5), at(0.99), at(1.0));
}

/// Prints the server's peak and current resident memory.
pub fn rss(pid: u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    for line in status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")) {
        println!("server {}", line.split_whitespace().collect::<Vec<_>>().join(" "));
    }
}
