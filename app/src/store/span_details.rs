//! The trace and span pages' reads, made of the same span and annotation
//! reads as the REST API.

use super::db::{Flag, Sql};
use serde_json::{Map, Value};

use super::{AnnotationFilter, Error, Page, Result, SpanFilter, Store};
use crate::model::accounts::Author;
use crate::model::{SpanDetail, TargetKind, TraceSpan, TraceTree};

/// Spans a trace page shows at most.
const MAX_TRACE_SPANS: u32 = 10_000;

/// Annotations and configs a span page lists at most.
const MAX_LISTED: u32 = 1_000;

/// `Ok(None)` for a missing project, so that pages can answer 404.
fn found<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

impl Store {
    /// The spans of trace `trace_id` in `project`, by start time; `None` when
    /// the project or the trace is unknown.
    pub async fn trace_tree(&self, project: &str, trace_id: &str) -> Result<Option<TraceTree>> {
        let filter = SpanFilter { trace_ids: vec![trace_id.to_owned()], limit: MAX_TRACE_SPANS, ..Default::default() };
        let Some(Page { rows: spans, .. }) = found(self.list_spans(project, &filter).await)? else { return Ok(None) };
        if spans.is_empty() {
            return Ok(None);
        }
        let mut spans: Vec<TraceSpan> = spans
            .into_iter()
            .map(|span| TraceSpan {
                id: span.id,
                span_id: span.context.span_id,
                parent_id: span.parent_id,
                name: span.name,
                span_kind: span.span_kind,
                status_code: span.status_code,
                start_time: span.start_time,
                end_time: span.end_time,
            })
            .collect();
        spans.sort_by(|a, b| a.start_time.cmp(&b.start_time).then_with(|| a.span_id.cmp(&b.span_id)));
        let session_id = self.trace_session(trace_id).await?;
        Ok(Some(TraceTree { trace_id: trace_id.to_owned(), spans, session_id }))
    }

    /// Span `span_id` of `project` with its resource, annotations and the
    /// project's annotation configs; `None` when either is unknown.
    pub async fn span_detail(&self, project: &str, span_id: &str) -> Result<Option<SpanDetail>> {
        let filter = SpanFilter { span_ids: vec![span_id.to_owned()], limit: 1, ..Default::default() };
        let Some(Page { rows: mut spans, .. }) = found(self.list_spans(project, &filter).await)? else {
            return Ok(None);
        };
        let Some(span) = spans.pop() else { return Ok(None) };
        let resource: String = sqlx::query_scalar("SELECT resource_attributes FROM spans WHERE span_id = $1")
            .bind(span_id)
            .fetch_one(&self.pool)
            .await?;
        let resource = match serde_json::from_str(&resource) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let annotations =
            AnnotationFilter { target_ids: vec![span_id.to_owned()], limit: MAX_LISTED, ..Default::default() };
        let Page { rows: annotations, .. } = self.list_annotations(TargetKind::Span, project, &annotations).await?;
        let documents =
            AnnotationFilter { target_ids: vec![span_id.to_owned()], limit: MAX_LISTED, ..Default::default() };
        let Page { rows: document_annotations, .. } =
            self.list_annotations(TargetKind::Document, project, &documents).await?;
        let Page { rows: configs, .. } = self.list_annotation_configs(Some(project), None, MAX_LISTED).await?;
        Ok(Some(SpanDetail { span, resource, annotations, document_annotations, configs }))
    }

    /// Deletes one span annotation of `project`, if made by `made_by` when
    /// given (else 403); whether it existed.
    pub async fn delete_span_annotation(&self, project: &str, rowid: i64, made_by: Option<Author>) -> Result<bool> {
        let project_rowid = self.project_rowid(project).await?;
        let mut query = Sql::new("DELETE FROM span_annotations WHERE id = ");
        query.push_bind(rowid).push(" AND target_rowid IN (SELECT id FROM spans WHERE project_id = ");
        query.push_bind(project_rowid).push(")");
        super::annotations::push_made_by(&mut query, made_by);
        if self.delete_recording(TargetKind::Span, query).await? > 0 {
            return Ok(true);
        }
        let Flag(exists) = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM span_annotations WHERE id = $1
             AND target_rowid IN (SELECT id FROM spans WHERE project_id = $2))",
        )
        .bind(rowid)
        .bind(project_rowid)
        .fetch_one(&self.pool)
        .await?;
        match exists {
            true => Err(Error::Forbidden("Only admins may delete others' annotations".into())),
            false => Ok(false),
        }
    }
}
