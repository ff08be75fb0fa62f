//! Trace reads (`/v1/projects/{p}/traces`, the UI).

use super::db::{Dialect, Sql};
use std::collections::HashMap;

use sqlx::FromRow;

use super::{Page, Result, Store, push_values};
use crate::ids::{SpanRowid, TraceRowid};
use crate::model::{Trace, TraceListQuery, TraceSpan};
use crate::time::from_nanos;

/// SQL for the total of a token-count `column` over the LLM spans of the
/// trace whose rowid is `trace`. `total()` adds in floating point and the
/// cast saturates, so counts near `i64::MAX` (they come from spans, untrusted)
/// can't make the query fail the way `sum()`'s "integer overflow" does
/// (see [`Dialect::saturating_total`]).
pub(super) fn token_total(dialect: Dialect, column: &str, trace: &str) -> String {
    let total = dialect.saturating_total(&format!("s.{column}"));
    format!("CAST((SELECT {total} FROM spans s WHERE s.trace_rowid = {trace} AND s.span_kind = 'LLM') AS BIGINT)")
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
    /// `GET /v1/projects/{p}/traces`: a page of a project's traces with
    /// their LLM token totals (and, with `include_spans`, their spans),
    /// listed like the UI's trace list (`trace_page`), cursors included.
    pub async fn list_traces(
        &self,
        project: &str,
        query: &TraceListQuery,
        limit: u32,
        include_spans: bool,
    ) -> Result<Page<Trace, String>> {
        let project_rowid = self.project_rowid(project).await?;
        let Page { rows, next } = self.trace_page(project_rowid, query, limit).await?;
        let rowids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let mut spans = if include_spans { self.trace_spans(&rowids).await? } else { HashMap::new() };
        let traces = rows
            .into_iter()
            .map(|row| Trace {
                id: TraceRowid(row.id),
                trace_id: row.trace_id,
                project_id: crate::ids::ProjectId(project_rowid),
                start_time: from_nanos(row.start_time),
                end_time: from_nanos(row.end_time),
                token_count_prompt: row.prompt,
                token_count_completion: row.completion,
                token_count_total: row.prompt.saturating_add(row.completion),
                spans: include_spans.then(|| spans.remove(&row.id).unwrap_or_default()),
            })
            .collect();
        Ok(Page { rows: traces, next })
    }

    /// The short spans of the given traces, by start time, keyed by trace rowid.
    async fn trace_spans(&self, traces: &[i64]) -> Result<HashMap<i64, Vec<TraceSpan>>> {
        let mut by_trace: HashMap<i64, Vec<TraceSpan>> = HashMap::new();
        if traces.is_empty() {
            return Ok(by_trace);
        }
        let mut query = Sql::new(
            "SELECT trace_rowid, id, span_id, parent_id, name, span_kind, status_code, start_time, end_time
             FROM spans WHERE trace_rowid IN ",
        );
        push_values(&mut query, traces.iter().copied());
        query.push(" ORDER BY start_time, id");
        let rows: Vec<TraceSpanRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        for row in rows {
            by_trace.entry(row.trace_rowid).or_default().push(TraceSpan {
                id: SpanRowid(row.id),
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
