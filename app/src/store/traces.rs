//! Trace reads (`/v1/projects/{p}/traces`, the UI).

use std::collections::HashMap;

use sqlx::{FromRow, QueryBuilder, Sqlite};

use super::{Result, Store, page};
use crate::ids::{global_id, parse_global_id};
use crate::model::{Trace, TraceSpan};
use crate::time::from_nanos;

/// What traces are sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum TraceOrder {
    /// Trace start time.
    #[default]
    StartTime,
    /// `end_time - start_time`.
    LatencyMs,
}

/// Which traces to list.
#[derive(Clone, Debug, Default)]
pub struct TraceFilter {
    /// Rowid of the first trace to show (inclusive).
    pub cursor: Option<i64>,
    /// Page size.
    pub limit: u32,
    /// `start_time >= this` (ns).
    pub start_time: Option<i64>,
    /// `start_time < this` (ns).
    pub end_time: Option<i64>,
    /// Sort key.
    pub sort: TraceOrder,
    /// Ascending instead of descending.
    pub ascending: bool,
    /// Session global ids or `session.id` values; any of them.
    pub sessions: Vec<String>,
    /// Also return each trace's spans.
    pub include_spans: bool,
    /// `Some(true)`: only traces with a span whose status is `ERROR`; `Some(false)`: only those without.
    pub error: Option<bool>,
    /// Latency (`end_time - start_time`) `>= this` (ms).
    pub min_latency_ms: Option<f64>,
    /// Latency `<= this` (ms).
    pub max_latency_ms: Option<f64>,
}

/// A page of traces and the cursor of the next one.
pub type TracePage = (Vec<Trace>, Option<String>);

#[derive(FromRow)]
struct TraceRow {
    id: i64,
    trace_id: String,
    project_id: i64,
    start_time: i64,
    end_time: i64,
    prompt: i64,
    completion: i64,
}

/// SQL for the total of a token-count `column` over the LLM spans of the
/// trace whose rowid is `trace`. `total()` adds in floating point and the
/// cast saturates, so counts near `i64::MAX` (they come from spans, untrusted)
/// can't make the query fail the way `sum()`'s "integer overflow" does.
pub(super) fn token_total(column: &str, trace: &str) -> String {
    format!(
        "CAST((SELECT total(s.{column}) FROM spans s WHERE s.trace_rowid = {trace} AND s.span_kind = 'LLM') AS INTEGER)"
    )
}

#[derive(FromRow)]
struct TraceSpanRow {
    trace_rowid: i64,
    id: i64,
    span_id: String,
    parent_id: Option<String>,
    name: String,
    span_kind: String,
    status_code: String,
    start_time: i64,
    end_time: i64,
}

impl Store {
    /// Traces of a project with their LLM token totals.
    pub async fn list_traces(&self, project: &str, filter: &TraceFilter) -> Result<TracePage> {
        let project_rowid = self.project_rowid(project).await?;
        let mut query = QueryBuilder::<Sqlite>::new(format!(
            "SELECT t.id, t.trace_id, t.project_id, t.start_time, t.end_time, {} AS prompt, {} AS completion \
                 FROM traces t WHERE t.project_id = ",
            token_total("prompt_tokens", "t.id"),
            token_total("completion_tokens", "t.id"),
        ));
        query.push_bind(project_rowid);
        let direction = if filter.ascending { "ASC" } else { "DESC" };
        let sort = match filter.sort {
            TraceOrder::StartTime => "t.start_time",
            TraceOrder::LatencyMs => "(t.end_time - t.start_time)",
        };
        if let Some(cursor) = filter.cursor {
            // Keyset paging on (sort key, id), the cursor row included. Phoenix
            // compares ids only, which skips and repeats traces whenever the
            // sort disagrees with insertion order; the cursor stays a Trace id.
            let comparison = if filter.ascending { ">=" } else { "<=" };
            query
                .push(format!(" AND ({sort}, t.id) {comparison} (SELECT {sort}, t.id FROM traces t WHERE t.id = "))
                .push_bind(cursor)
                .push(")");
        }
        if let Some(start) = filter.start_time {
            query.push(" AND t.start_time >= ").push_bind(start);
        }
        if let Some(end) = filter.end_time {
            query.push(" AND t.start_time < ").push_bind(end);
        }
        if let Some(error) = filter.error {
            query.push(if error { " AND EXISTS" } else { " AND NOT EXISTS" });
            query.push(" (SELECT 1 FROM spans s WHERE s.trace_rowid = t.id AND s.status_code = 'ERROR')");
        }
        if let Some(min) = filter.min_latency_ms {
            query.push(" AND (t.end_time - t.start_time) / 1000000.0 >= ").push_bind(min);
        }
        if let Some(max) = filter.max_latency_ms {
            query.push(" AND (t.end_time - t.start_time) / 1000000.0 <= ").push_bind(max);
        }
        if !filter.sessions.is_empty() {
            let (rowids, names): (Vec<_>, Vec<_>) =
                filter.sessions.iter().partition(|s| parse_global_id("ProjectSession", s).is_some());
            query.push(" AND t.session_rowid IN (SELECT id FROM sessions WHERE project_id = ");
            query.push_bind(project_rowid).push(" AND (id IN (");
            let mut list = query.separated(", ");
            list.push("NULL");
            for rowid in rowids {
                list.push_bind(parse_global_id("ProjectSession", rowid));
            }
            query.push(") OR session_id IN (");
            let mut list = query.separated(", ");
            list.push("NULL");
            for name in names {
                list.push_bind(name.clone());
            }
            query.push(")))");
        }
        query.push(format!(" ORDER BY {sort} {direction}, t.id {direction} LIMIT "));
        query.push_bind(i64::from(filter.limit) + 1);
        let rows: Vec<TraceRow> = query.build_query_as().fetch_all(&self.pool).await?;
        let (rows, next) = page(rows, filter.limit, |row| row.id);

        let mut spans = if filter.include_spans { self.trace_spans(&rows).await? } else { HashMap::new() };
        let traces = rows
            .into_iter()
            .map(|row| Trace {
                id: global_id("Trace", row.id),
                trace_id: row.trace_id,
                project_id: global_id("Project", row.project_id),
                start_time: from_nanos(row.start_time),
                end_time: from_nanos(row.end_time),
                token_count_prompt: row.prompt,
                token_count_completion: row.completion,
                token_count_total: row.prompt.saturating_add(row.completion),
                spans: filter.include_spans.then(|| spans.remove(&row.id).unwrap_or_default()),
            })
            .collect();
        Ok((traces, next.map(|id| global_id("Trace", id))))
    }

    /// The short spans of the given traces, by start time, keyed by trace rowid.
    async fn trace_spans(&self, traces: &[TraceRow]) -> Result<HashMap<i64, Vec<TraceSpan>>> {
        let mut by_trace: HashMap<i64, Vec<TraceSpan>> = HashMap::new();
        if traces.is_empty() {
            return Ok(by_trace);
        }
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT trace_rowid, id, span_id, parent_id, name, span_kind, status_code, start_time, end_time
             FROM spans WHERE trace_rowid IN (",
        );
        let mut list = query.separated(", ");
        for trace in traces {
            list.push_bind(trace.id);
        }
        query.push(") ORDER BY start_time, id");
        let rows: Vec<TraceSpanRow> = query.build_query_as().fetch_all(&self.pool).await?;
        for row in rows {
            by_trace.entry(row.trace_rowid).or_default().push(TraceSpan {
                id: global_id("Span", row.id),
                span_id: row.span_id,
                parent_id: row.parent_id,
                name: row.name,
                span_kind: row.span_kind,
                status_code: row.status_code,
                start_time: from_nanos(row.start_time),
                end_time: from_nanos(row.end_time),
            });
        }
        Ok(by_trace)
    }
}
