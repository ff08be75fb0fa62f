//! The trace list of the UI: what it asks for (all of it lives in the URL
//! query) and what one row shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::serde_iso;

/// The URL parameters that filter the trace list (sort and page aside), as
/// [`TraceListQuery::from_params`] reads them: also the keys a review queue's
/// `filter` object may hold.
pub const TRACE_FILTER_PARAMS: [&str; 15] = [
    "from",
    "to",
    "status",
    "kind",
    "q",
    "ann",
    "label",
    "min_score",
    "max_score",
    "unannotated",
    "error",
    "min_latency_ms",
    "max_latency_ms",
    "session",
    "condition",
];

/// Rows per page of the trace list.
pub const TRACE_PAGE_SIZE: u32 = 50;

/// Characters of `input.value` / `output.value` a row shows.
pub const PREVIEW_CHARS: i64 = 200;

/// What the trace list is sorted by (`sort=` in the URL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceSort {
    /// Start time of the trace.
    #[default]
    Time,
    /// `end_time - start_time`.
    Latency,
}

/// The trace list's filters, sort and page, exactly as the URL query holds
/// them (`?sort=latency&status=ERROR&q=refund&cursor=…`). Values stay text
/// so that a hand-edited URL never fails to parse; the store interprets them
/// and ignores what it can't read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceListQuery {
    /// `sort`: `time` (default) or `latency`.
    pub sort: TraceSort,
    /// `dir`: `asc`, else descending.
    pub ascending: bool,
    /// `cursor`: the first row of the page, from the previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// `from`: start time at or after (`YYYY-MM-DDTHH:MM`, UTC, or RFC 3339).
    pub from: Option<String>,
    /// `to`: start time before.
    pub to: Option<String>,
    /// `status`: the root span's status code (`OK`, `ERROR`, `UNSET`).
    pub status: Option<String>,
    /// `kind`: the root span's kind (`LLM`, `CHAIN`, …).
    pub kind: Option<String>,
    /// `q`: text in the root span's name, input, output or messages (see `store/search.rs`).
    pub text: Option<String>,
    /// `ann`: has an annotation with this name.
    pub annotation: Option<String>,
    /// `label`: … whose label is this.
    pub label: Option<String>,
    /// `min_score`: … whose score is at least this.
    pub min_score: Option<String>,
    /// `max_score`: … whose score is at most this.
    pub max_score: Option<String>,
    /// `unannotated=1`: no annotation yet (with `ann`: none of that name).
    pub unannotated: bool,
    /// `error=true`: only traces with a span whose status is `ERROR`; `error=false`: only those without.
    pub error: Option<bool>,
    /// `min_latency_ms`: latency (`end_time - start_time`) at least this.
    pub min_latency_ms: Option<f64>,
    /// `max_latency_ms`: latency at most this.
    pub max_latency_ms: Option<f64>,
    /// `session`: in this session, by `ProjectSession` global id or `session.id`. The URL carries
    /// one; the REST API (`session_identifier`) may ask for any of several.
    pub sessions: Vec<String>,
    /// `condition`: the advanced filter, in the span query's Python language
    /// (`POST /v1/spans`' `filter.condition`): traces with at least one span
    /// for which it holds.
    pub condition: Option<String>,
}

impl TraceListQuery {
    /// Reads the query from URL parameters; empty values count as absent.
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> TraceListQuery {
        let text = |key: &str| get(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        TraceListQuery {
            sort: if text("sort").as_deref() == Some("latency") { TraceSort::Latency } else { TraceSort::Time },
            ascending: text("dir").as_deref() == Some("asc"),
            cursor: text("cursor"),
            from: text("from"),
            to: text("to"),
            status: text("status").map(|s| s.to_uppercase()),
            kind: text("kind").map(|s| s.to_uppercase()),
            text: text("q"),
            annotation: text("ann"),
            label: text("label"),
            min_score: text("min_score"),
            max_score: text("max_score"),
            unannotated: matches!(text("unannotated").as_deref(), Some("1" | "true" | "on")),
            error: match text("error").as_deref() {
                Some("1" | "true") => Some(true),
                Some("0" | "false") => Some(false),
                _ => None,
            },
            min_latency_ms: text("min_latency_ms").and_then(|v| parse_latency(&v)),
            max_latency_ms: text("max_latency_ms").and_then(|v| parse_latency(&v)),
            sessions: text("session").into_iter().collect(),
            condition: text("condition"),
        }
    }

    /// The URL parameters of this query, defaults left out.
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if self.sort == TraceSort::Latency {
            params.push(("sort", "latency".to_owned()));
        }
        if self.ascending {
            params.push(("dir", "asc".to_owned()));
        }
        let optional = [
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
            ("kind", &self.kind),
            ("q", &self.text),
            ("ann", &self.annotation),
            ("label", &self.label),
            ("min_score", &self.min_score),
            ("max_score", &self.max_score),
            ("condition", &self.condition),
        ];
        params.extend(optional.into_iter().filter_map(|(key, value)| Some((key, value.clone()?))));
        if self.unannotated {
            params.push(("unannotated", "1".to_owned()));
        }
        if let Some(error) = self.error {
            params.push(("error", error.to_string()));
        }
        let latencies = [("min_latency_ms", self.min_latency_ms), ("max_latency_ms", self.max_latency_ms)];
        params.extend(latencies.into_iter().filter_map(|(key, value)| Some((key, value?.to_string()))));
        params.extend(self.sessions.first().map(|session| ("session", session.clone())));
        if let Some(cursor) = &self.cursor {
            params.push(("cursor", cursor.clone()));
        }
        params
    }

    /// `?a=b&…` (or `""`), percent-encoded, for links.
    pub fn to_query_string(&self) -> String {
        let params = self.to_params();
        if params.is_empty() {
            return String::new();
        }
        let pairs: Vec<String> = params.iter().map(|(key, value)| format!("{key}={}", percent_encode(value))).collect();
        format!("?{}", pairs.join("&"))
    }

    /// Reads `a=b&…` (with or without the leading `?`), the inverse of
    /// [`TraceListQuery::to_query_string`].
    pub fn from_query_string(text: &str) -> TraceListQuery {
        let pairs = query_pairs(text);
        TraceListQuery::from_params(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    /// The same view from its first page.
    pub fn first_page(&self) -> TraceListQuery {
        TraceListQuery { cursor: None, ..self.clone() }
    }

    /// Whether any filter is set (sort and page aside).
    pub fn is_filtered(&self) -> bool {
        self.active_filters() > 0
    }

    /// How many filters are set (sort and page aside): the count the
    /// folded filter panel shows on narrow screens.
    pub fn active_filters(&self) -> usize {
        let texts = [
            &self.from,
            &self.to,
            &self.status,
            &self.kind,
            &self.text,
            &self.annotation,
            &self.label,
            &self.min_score,
            &self.max_score,
            &self.condition,
        ];
        texts.into_iter().filter(|value| value.is_some()).count()
            + usize::from(self.unannotated)
            + usize::from(self.error.is_some())
            + usize::from(self.min_latency_ms.is_some())
            + usize::from(self.max_latency_ms.is_some())
            + usize::from(!self.sessions.is_empty())
    }

    /// Where the page starts: the `(sort key, rowid)` its cursor names, `None`
    /// without a cursor or with one that is not `value:rowid`.
    pub fn position(&self) -> Option<(i64, i64)> {
        parse_cursor(self.cursor.as_deref()?)
    }
}

/// `value:rowid`, a row's place in the trace list (its sort key, then its
/// rowid): the cursor of the UI's pages and of `GET /v1/projects/{p}/traces`.
pub fn parse_cursor(cursor: &str) -> Option<(i64, i64)> {
    let (value, rowid) = cursor.split_once(':')?;
    Some((value.parse().ok()?, rowid.parse().ok()?))
}

/// A latency bound in ms: finite and not negative.
fn parse_latency(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|ms| ms.is_finite() && *ms >= 0.0)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes and `+` (a space in forms); `None` when the
/// result is not UTF-8 or an escape is malformed.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(index + 1..index + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// An annotation as a row shows it: `name: label/score`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnnotationChip {
    /// What is judged.
    pub name: String,
    /// The label, if any.
    pub label: Option<String>,
    /// The score, if any.
    pub score: Option<f64>,
}

impl AnnotationChip {
    /// `label`, `score`, or `label · score`.
    pub fn verdict(&self) -> String {
        let score = self.score.map(format_score);
        match (&self.label, score) {
            (Some(label), Some(score)) => format!("{label} · {score}"),
            (Some(label), None) => label.clone(),
            (None, Some(score)) => score,
            (None, None) => "—".to_owned(),
        }
    }
}

/// A score with at most three decimals and no trailing zeros.
pub fn format_score(score: f64) -> String {
    let text = format!("{score:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

/// One trace of the list, described by its root span.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceRow {
    /// 32 hex digits.
    pub trace_id: String,
    /// The root span's id, `None` while the root has not arrived.
    pub root_span_id: Option<String>,
    /// The root span's name.
    pub name: Option<String>,
    /// The root span's kind.
    pub span_kind: Option<String>,
    /// The root span's status code.
    pub status_code: Option<String>,
    /// Start of the trace.
    #[serde(with = "serde_iso")]
    pub start_time: DateTime<Utc>,
    /// `end_time - start_time`, in milliseconds.
    pub latency_ms: f64,
    /// Prompt tokens of the trace's LLM spans.
    pub prompt_tokens: i64,
    /// Completion tokens of the trace's LLM spans.
    pub completion_tokens: i64,
    /// The root's `input.value`, at most [`PREVIEW_CHARS`] characters.
    pub input_preview: Option<String>,
    /// The root's `output.value`, at most [`PREVIEW_CHARS`] characters.
    pub output_preview: Option<String>,
    /// The root span's annotations (notes left out), by name.
    pub annotations: Vec<AnnotationChip>,
    /// The session (`session.id`) the trace belongs to, if any.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// How many traces match a filter: exact up to [`MatchCount::CAP`], beyond
/// which counting stops (a frequent filter would otherwise read every trace
/// of the project just to say how many).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchCount {
    /// Matching traces, at most [`MatchCount::CAP`].
    pub count: i64,
    /// Whether more than `count` match.
    pub at_least: bool,
}

impl MatchCount {
    /// Where counting stops.
    pub const CAP: i64 = 10_000;
}

impl std::fmt::Display for MatchCount {
    /// `42`, or `10000+` when counting stopped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.count, if self.at_least { "+" } else { "" })
    }
}

/// One page of the trace list.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceListPage {
    /// The rows.
    pub rows: Vec<TraceRow>,
    /// The cursor of the next page, if there is one.
    pub next_cursor: Option<String>,
    /// With a text search, while the search index catches up with data
    /// stored before it (so many spans that searches read them directly
    /// and are slower): how many spans it has left.
    pub search_backlog: Option<i64>,
    /// Why the advanced filter's condition was refused (no rows are listed then).
    pub condition_error: Option<String>,
}

/// The decoded `key=value` pairs of a query string (with or without the
/// leading `?`); pairs that do not decode are left out.
pub fn query_pairs(text: &str) -> Vec<(String, String)> {
    text.trim_start_matches('?')
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(key)?, percent_decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_round_trip_keeps_every_filter() {
        let query = TraceListQuery {
            sort: TraceSort::Latency,
            ascending: true,
            cursor: Some("5:7".into()),
            status: Some("ERROR".into()),
            text: Some("a b&c".into()),
            annotation: Some("user feedback".into()),
            min_score: Some("0.5".into()),
            unannotated: true,
            ..Default::default()
        };
        let qs = query.to_query_string();
        assert_eq!(
            qs,
            "?sort=latency&dir=asc&status=ERROR&q=a%20b%26c&ann=user%20feedback&min_score=0.5&unannotated=1&cursor=5%3A7"
        );
        let params = query.to_params();
        let back = TraceListQuery::from_params(|key| params.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()));
        assert_eq!(back, query);
        assert!(back.is_filtered());
        assert_eq!(TraceListQuery::from_query_string(&qs), query);
        assert_eq!(percent_decode("a+b%26%C3%A9"), Some("a b&é".into()));
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%FF"), None);
        assert!(!TraceListQuery { sort: TraceSort::Latency, ..Default::default() }.is_filtered());
    }

    #[test]
    fn active_filters_counts_filters_not_sort_or_page() {
        assert_eq!(TraceListQuery::from_query_string("?sort=latency&dir=asc&cursor=5%3A7").active_filters(), 0);
        assert_eq!(TraceListQuery::from_query_string("?kind=LLM").active_filters(), 1);
        let all = "?q=a&status=OK&kind=LLM&from=2024-01-01T00:00&to=2024-02-01T00:00&ann=x&label=y&min_score=0&max_score=1&unannotated=1";
        assert_eq!(TraceListQuery::from_query_string(all).active_filters(), 10);
        assert_eq!(TraceListQuery::from_query_string("?q=&kind=").active_filters(), 0);
        let api = "?error=true&min_latency_ms=1.5&max_latency_ms=20&session=s-1&condition=name%20%3D%3D%20'x'";
        assert_eq!(TraceListQuery::from_query_string(api).active_filters(), 5);
        assert_eq!(TraceListQuery::from_query_string("?error=maybe&min_latency_ms=-1").active_filters(), 0);
    }

    #[test]
    fn every_filter_param_is_read() {
        for key in TRACE_FILTER_PARAMS {
            let query = TraceListQuery::from_params(|k| (k == key).then(|| "1".to_owned()));
            assert_eq!(query.active_filters(), 1, "{key}");
        }
    }

    #[test]
    fn api_filters_round_trip() {
        let query = TraceListQuery {
            error: Some(false),
            min_latency_ms: Some(2.5),
            max_latency_ms: Some(10.0),
            sessions: vec!["chat 1".into()],
            condition: Some("span_kind == 'LLM' and metadata['topic'] in ['a&b', \"c d\"]".into()),
            ..Default::default()
        };
        assert_eq!(TraceListQuery::from_query_string(&query.to_query_string()), query);
    }

    #[test]
    fn reads_cursors() {
        assert_eq!(parse_cursor("17:3"), Some((17, 3)));
        assert_eq!(parse_cursor("-5:3"), Some((-5, 3)));
        assert_eq!(parse_cursor("x:3"), None);
        assert_eq!(parse_cursor("17"), None);
        let query = TraceListQuery::from_query_string("?cursor=9%3A4");
        assert_eq!(query.position(), Some((9, 4)));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn any_cursor_text_is_a_position_or_none(text in ".{0,40}") {
            let _ = parse_cursor(&text);
        }

        #[test]
        fn cursors_round_trip(value: i64, rowid: i64) {
            proptest::prop_assert_eq!(parse_cursor(&format!("{value}:{rowid}")), Some((value, rowid)));
        }
    }

    #[test]
    fn chips_and_scores_read_well() {
        assert_eq!(format_score(1.0), "1");
        assert_eq!(format_score(0.25), "0.25");
        let chip = AnnotationChip { name: "q".into(), label: Some("good".into()), score: Some(0.5) };
        assert_eq!(chip.verdict(), "good · 0.5");
    }
}
