//! Every filter has a plan: for the main combinations of the trace list's
//! and the span listing's filters, with each sort and a later page,
//! `EXPLAIN QUERY PLAN` must show index lookups, never a scan of a table or
//! of a whole index. A change that brings a scan back fails here.
//!
//! The data makes both kinds of plan happen: frequent text and annotations
//! (the listing is walked in index order and stops at a page) and rare ones
//! (the matches are collected from the search index or from the project's
//! annotations first).

use super::db::Sql;
use std::sync::Arc;

use crate::model::accounts::Author;
use crate::model::{AnnotationResult, AnnotationSource, AnnotatorKind, TargetKind, TraceListQuery};

use super::{NewAnnotation, NewSpan, SpanFilter, Store, WriteMode};

/// Traces in the test project: enough for the frequent text (two spans a
/// trace) and the frequent annotation to count as dense.
const TRACES: usize = 5_500;

fn new_span(trace: usize, child: bool) -> NewSpan {
    let text = if trace % 1000 == 7 { format!("a rare zebra {trace}") } else { format!("common words {trace}") };
    NewSpan {
        project: Arc::from("plans"),
        trace_id: format!("{trace:032x}"),
        span_id: format!("{:016x}", trace * 2 + usize::from(child) + 1),
        parent_id: child.then(|| format!("{:016x}", trace * 2 + 1)),
        name: if child { "llm".into() } else { "agent".into() },
        span_kind: if child { "LLM".into() } else { "AGENT".into() },
        start_time: 1_700_000_000_000_000_000 + i64::try_from(trace).unwrap() * 1_000_000_000,
        end_time: 1_700_000_000_000_000_000 + i64::try_from(trace).unwrap() * 1_000_000_000 + 5_000_000,
        status_code: if trace.is_multiple_of(100) { "ERROR" } else { "OK" },
        status_message: String::new(),
        attributes: serde_json::json!({ "input.value": text, "output.value": "common answer" }).to_string(),
        events: "[]".into(),
        resource_attributes: Arc::from("{}"),
        session_id: None,
        prompt_tokens: Some(10),
        completion_tokens: Some(5),
    }
}

fn annotation(span: usize, name: &str, label: &str) -> NewAnnotation {
    NewAnnotation {
        target_id: format!("{:016x}", span),
        name: name.into(),
        annotator_kind: AnnotatorKind::Human,
        result: AnnotationResult { label: Some(label.into()), score: Some(1.0), explanation: None },
        metadata: "{}".into(),
        identifier: String::new(),
        source: AnnotationSource::Api,
        author: Author::default(),
        only_own: false,
    }
}

/// A store with the test project, fully indexed.
async fn seeded() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = Store::sqlite_url_in(dir.path()).unwrap();
    let (store, _task) = Store::open(&url).await.unwrap();
    let spans: Vec<NewSpan> = (0..TRACES).flat_map(|t| [new_span(t, false), new_span(t, true)]).collect();
    store.writer().write_spans(spans).await.unwrap();
    // Every root is judged; three are also flagged as rare.
    let judged =
        (0..TRACES).map(|t| annotation(t * 2 + 1, "quality", if t.is_multiple_of(2) { "good" } else { "bad" }));
    let rare = [7, 1007, 2007].map(|t| annotation(t * 2 + 1, "escalated", "yes"));
    let items = judged.chain(rare).collect();
    store.writer().write_annotations(TargetKind::Span, items, WriteMode::Sync).await.unwrap();
    for _ in 0..600 {
        if store.unindexed_spans().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(store.unindexed_spans().await.unwrap(), 0, "the index did not catch up");
    (dir, store)
}

/// The plan's lines that read a whole table or index: every `SCAN` but of
/// the page being assembled (`p`, subqueries), of the JSON functions over one
/// row's attributes (`j`, `e`), and of the search index answering a MATCH
/// (`INDEX 0:M…`; without `M` it would read the whole index).
fn scans(plan: &[String]) -> Vec<String> {
    const ALLOWED: [&str; 6] = [
        "SCAN p",
        "SCAN (subquery-",
        "SCAN CONSTANT ROW",
        "SCAN j VIRTUAL TABLE",
        "SCAN e VIRTUAL TABLE",
        "SCAN span_text VIRTUAL TABLE INDEX 0:M",
    ];
    plan.iter()
        .filter(|line| line.starts_with("SCAN ") && !ALLOWED.iter().any(|allowed| line.starts_with(allowed)))
        .cloned()
        .collect()
}

async fn explain(store: &Store, mut query: Sql) -> Vec<String> {
    let rows: Vec<(i64, i64, i64, String)> = query.build_query_as(store.dialect).fetch_all(&store.pool).await.unwrap();
    rows.into_iter().map(|row| row.3).collect()
}

/// Trace-list filters that few traces of the test project match.
const FEW: [&str; 8] = [
    "status=ERROR",
    "kind=LLM",
    "q=zebra",
    "q=absent-term",
    "ann=escalated",
    "ann=quality&label=bad&q=zebra",
    "condition=annotations",
    "condition=name%20%3D%3D%20%27agent%27%20and%20annotations",
];

#[tokio::test]
async fn trace_list_filters_never_scan() {
    let (_dir, store) = seeded().await;
    let project = store.project_rowid("plans").await.unwrap();
    let filters = [
        "",
        "status=ERROR",
        "kind=LLM",
        "from=2023-11-14T22:13&to=2023-11-14T23:00",
        "q=common",
        "q=zebra",
        "q=absent-term",
        "q=ze",
        "ann=quality",
        "ann=quality&label=good",
        "ann=escalated",
        "ann=quality&min_score=0.5",
        "unannotated=1",
        "unannotated=1&ann=escalated",
        "q=zebra&ann=escalated",
        "q=common&status=ERROR",
        "ann=quality&label=bad&q=zebra",
        // The advanced condition: any span of the trace (`span_kind`, `name`, `annotations['escalated']…`).
        "condition=span_kind%20%3D%3D%20%27LLM%27",
        "condition=annotations%5B%27escalated%27%5D.label%20%3D%3D%20%27yes%27",
        "condition=name%20%3D%3D%20%27agent%27%20and%20annotations%5B%27escalated%27%5D.label%20%3D%3D%20%27yes%27",
    ];
    for filter in filters {
        for order in ["", "&sort=latency", "&dir=asc", "&sort=latency&dir=asc", "&cursor=1700000002000000000:3"] {
            let query = TraceListQuery::from_query_string(&format!("{filter}{order}"));
            let plan =
                explain(&store, store.trace_rows_query("EXPLAIN QUERY PLAN ", project, &query, 50).await.unwrap())
                    .await;
            assert!(scans(&plan).is_empty(), "?{filter}{order} scans: {plan:#?}");
            // Few matches: read those traces, not the project's in order.
            if FEW.iter().any(|few| filter.starts_with(few)) {
                let walks = plan.iter().any(|line| line.contains("USING INDEX traces_project"));
                assert!(!walks, "?{filter}{order} walks the project: {plan:#?}");
            }
        }
    }
}

#[tokio::test]
async fn span_listing_filters_never_scan() {
    let (_dir, store) = seeded().await;
    let project = store.project_rowid("plans").await.unwrap();
    let text = |t: &str| Some(t.to_owned());
    let filters = [
        SpanFilter::default(),
        SpanFilter { text: text("zebra"), ..Default::default() },
        SpanFilter { text: text("common"), ..Default::default() },
        SpanFilter { text: text("absent-term"), ..Default::default() },
        SpanFilter { annotation: text("quality"), ..Default::default() },
        SpanFilter { annotation: text("escalated"), label: text("yes"), ..Default::default() },
        SpanFilter { text: text("zebra"), annotation: text("escalated"), ..Default::default() },
        SpanFilter { status_codes: vec!["ERROR".into()], text: text("common"), ..Default::default() },
        SpanFilter { cursor: Some(5_000), text: text("zebra"), ..Default::default() },
    ];
    for filter in filters {
        let filter = SpanFilter { limit: 100, ..filter };
        let plan =
            explain(&store, store.list_spans_query("EXPLAIN QUERY PLAN ", project, &filter).await.unwrap()).await;
        assert!(scans(&plan).is_empty(), "{filter:?} scans: {plan:#?}");
    }
}
