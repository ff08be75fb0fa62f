//! Timestamps: stored as nanoseconds since the Unix epoch, shown as ISO-8601
//! with a `+00:00` offset (never `Z`), as Phoenix does.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// Nanoseconds since the epoch → UTC time (saturating far outside chrono's range).
pub fn from_nanos(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

/// UTC time → nanoseconds since the epoch (saturating outside ±292 years).
pub fn to_nanos(time: DateTime<Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(if time.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

/// ISO-8601 with a `+00:00` offset, and microseconds unless they are zero:
/// what Python's `datetime.isoformat()` writes.
pub fn iso(time: DateTime<Utc>) -> String {
    let format = if time.timestamp_subsec_micros() == 0 { SecondsFormat::Secs } else { SecondsFormat::Micros };
    time.to_rfc3339_opts(format, false)
}

/// Parses a query-string time: RFC 3339 with an offset, or a naive time taken as UTC.
pub fn parse_iso(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]
        .iter()
        .find_map(|format| {
            NaiveDateTime::parse_from_str(text, format).ok().or_else(|| {
                chrono::NaiveDate::parse_from_str(text, format).ok().and_then(|date| date.and_hms_opt(0, 0, 0))
            })
        })
        .map(|naive| naive.and_utc())
}

/// Serde adapter: `DateTime<Utc>` as Phoenix's ISO-8601 string.
pub mod serde_iso {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the time with a `+00:00` offset.
    pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&iso(*time))
    }

    /// Reads any RFC 3339 time.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_iso(&text).ok_or_else(|| serde::de::Error::custom(format!("invalid time: {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_uses_offset_not_z() {
        assert_eq!(iso(from_nanos(1_700_000_000_123_456_789)), "2023-11-14T22:13:20.123456+00:00");
        assert_eq!(iso(from_nanos(1_700_000_000_000_000_999)), "2023-11-14T22:13:20+00:00");
    }

    #[test]
    fn parses_offsets_and_naive_times() {
        let expected = from_nanos(1_700_000_000_000_000_000);
        assert_eq!(parse_iso("2023-11-14T22:13:20+00:00"), Some(expected));
        assert_eq!(parse_iso("2023-11-14T22:13:20Z"), Some(expected));
        assert_eq!(parse_iso("2023-11-14T23:13:20+01:00"), Some(expected));
        assert_eq!(parse_iso("2023-11-14T22:13:20"), Some(expected));
        assert_eq!(parse_iso("yesterday"), None);
    }
}
