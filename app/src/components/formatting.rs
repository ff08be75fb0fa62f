//! How times, durations and counts read on every page.

use chrono::{DateTime, Utc};

/// `2024-05-01 10:30:12` (UTC).
pub fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `850 ms`, `1.25 s`, `3.2 min`.
pub fn format_latency(ms: f64) -> String {
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 1_000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.2} s", ms / 1_000.0)
    } else {
        format!("{:.1} min", ms / 60_000.0)
    }
}

/// Milliseconds between two times.
pub fn millis_between(start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
    (end - start).num_microseconds().unwrap_or(i64::MAX) as f64 / 1_000.0
}

/// The CSS class of a status code: `status-ok`, `status-error`, `status-unset`.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "OK" => "status status-ok",
        "ERROR" => "status status-error",
        _ => "status status-unset",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(format_latency(0.5), "0.50 ms");
        assert_eq!(format_latency(250.0), "250 ms");
        assert_eq!(format_latency(1_250.0), "1.25 s");
        assert_eq!(format_latency(192_000.0), "3.2 min");
        let start = crate::time::from_nanos(1_000_000_000);
        assert_eq!(millis_between(start, crate::time::from_nanos(1_250_000_000)), 250.0);
    }
}
