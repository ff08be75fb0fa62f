//! Span reads (`/v1/projects/{p}/spans`, the UI) and deletion.

use super::db::{Dialect, Sql};
use serde_json::{Map, Value};
use sqlx::FromRow;

use super::search::{Plan, push_candidates, push_like};
use super::trace_list::push_annotation_conditions;
use super::{Error, Page, Result, Store, page, push_in};
use crate::ids::{GlobalId, SpanRowid};
use crate::model::{Span, SpanContext, SpanEvent};
use crate::time::from_nanos;

/// One `attribute=key:value` condition; the value keeps its JSON type.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    /// Matches a stored JSON string.
    Text(String),
    /// Matches a stored integer, or a float of the same value.
    Integer(i64),
    /// Matches a stored number of the same value.
    Float(f64),
    /// Matches a stored boolean.
    Bool(bool),
}

/// Which spans to list. Empty lists mean "no condition".
#[derive(Clone, Debug, Default)]
pub struct SpanFilter {
    /// Rowid of the first span to show (inclusive).
    pub cursor: Option<i64>,
    /// Page size.
    pub limit: u32,
    /// `start_time >= this` (ns).
    pub start_time: Option<i64>,
    /// `start_time < this` (ns).
    pub end_time: Option<i64>,
    /// Trace ids (hex).
    pub trace_ids: Vec<String>,
    /// Span ids (hex).
    pub span_ids: Vec<String>,
    /// Exact span names.
    pub names: Vec<String>,
    /// Span kinds (uppercase).
    pub span_kinds: Vec<String>,
    /// Status codes (uppercase).
    pub status_codes: Vec<String>,
    /// `Some(None)`: roots only; `Some(Some(id))`: children of `id`.
    pub parent_id: Option<Option<String>>,
    /// `attribute=key:value` conditions, all of which must hold.
    pub attributes: Vec<(String, AttributeValue)>,
    /// `q`: text in the span's name, input, output or messages (as the
    /// trace list's search: see `store/search.rs`).
    pub text: Option<String>,
    /// `annotation`: has an annotation of this name.
    pub annotation: Option<String>,
    /// `label`: has an annotation with this label (of the `annotation` name, if given).
    pub label: Option<String>,
}

#[derive(FromRow)]
pub(super) struct SpanRow {
    pub id: i64,
    pub trace_id: String,
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub span_kind: String,
    pub start_time: i64,
    pub end_time: i64,
    pub status_code: String,
    pub status_message: String,
    pub attributes: String,
    pub events: String,
}

/// The columns [`SpanRow`] reads, from `spans s JOIN traces t`.
pub(super) const SPAN_COLUMNS: &str = "s.id, t.trace_id, s.span_id, s.parent_id, s.name, s.span_kind, \
     s.start_time, s.end_time, s.status_code, s.status_message, s.attributes, s.events";

impl From<SpanRow> for Span {
    fn from(row: SpanRow) -> Self {
        let mut attributes = Map::new();
        if let Ok(Value::Object(stored)) = serde_json::from_str(&row.attributes) {
            flatten_into(&mut attributes, None, stored);
        }
        attributes.remove("openinference.span.kind");
        let events = serde_json::from_str::<Vec<StoredEvent>>(&row.events)
            .unwrap_or_default()
            .into_iter()
            .map(|event| SpanEvent {
                name: event.name,
                timestamp: from_nanos(event.timestamp),
                attributes: nest(event.attributes),
            })
            .collect();
        Span {
            id: SpanRowid(row.id),
            name: row.name,
            context: SpanContext { trace_id: row.trace_id, span_id: row.span_id },
            span_kind: row.span_kind,
            parent_id: row.parent_id,
            start_time: from_nanos(row.start_time),
            end_time: from_nanos(row.end_time),
            status_code: row.status_code,
            status_message: row.status_message,
            attributes,
            events,
        }
    }
}

/// An event as ingestion stores it.
#[derive(serde::Deserialize)]
struct StoredEvent {
    name: String,
    timestamp: i64,
    attributes: Map<String, Value>,
}

impl Store {
    /// The project name of each of these spans (hex ids), by span id; spans
    /// not stored are absent.
    pub async fn span_project_names(&self, span_ids: &[String]) -> Result<std::collections::HashMap<String, String>> {
        if span_ids.is_empty() {
            return Ok(Default::default());
        }
        let mut query =
            Sql::new("SELECT s.span_id, p.name FROM spans s JOIN projects p ON p.id = s.project_id WHERE true");
        push_in(&mut query, "s.span_id", "IN", span_ids);
        let rows: Vec<(String, String)> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().collect())
    }
}

impl Store {
    /// Spans of a project, newest first, with Phoenix's filters.
    pub async fn list_spans(&self, project: &str, filter: &SpanFilter) -> Result<Page<Span>> {
        let project_rowid = self.project_rowid(project).await?;
        let mut query = self.list_spans_query("", project_rowid, filter).await?;
        let rows: Vec<SpanRow> = query.build_query_as(self.dialect).fetch_all(&self.pool).await?;
        Ok(page(rows, filter.limit, |row| row.id).map(Span::from))
    }

    /// The span listing's query for one page (`limit + 1` rows), after
    /// `prefix` (empty, or `EXPLAIN QUERY PLAN ` for the plan tests).
    pub(super) async fn list_spans_query(&self, prefix: &str, project_rowid: i64, filter: &SpanFilter) -> Result<Sql> {
        let mut query = Sql::new(format!(
            "{prefix}SELECT {SPAN_COLUMNS} FROM spans s JOIN traces t ON t.id = s.trace_rowid WHERE s.project_id = "
        ));
        query.push_bind(project_rowid);
        if let Some(cursor) = filter.cursor {
            query.push(" AND s.id <= ").push_bind(cursor);
        }
        self.push_span_conditions(&mut query, filter, project_rowid).await?;
        query.push(" ORDER BY s.id DESC LIMIT ").push_bind(i64::from(filter.limit) + 1);
        Ok(query)
    }

    /// Deletes one span by global id or hex span id; a trace left empty goes too.
    pub async fn delete_span(&self, identifier: &str) -> Result<()> {
        let (rowid, missing) = match SpanRowid::parse(identifier) {
            Some(id) => (
                sqlx::query_scalar("SELECT id FROM spans WHERE id = $1").bind(id.0),
                format!("Span with relay ID '{identifier}' not found"),
            ),
            None => (
                sqlx::query_scalar("SELECT id FROM spans WHERE span_id = $1").bind(identifier.to_owned()),
                format!("Span with span_id '{identifier}' not found"),
            ),
        };
        let mut tx = self.begin_write().await?;
        let rowid: i64 = rowid.fetch_optional(&mut *tx).await?.ok_or(Error::NotFound(missing))?;
        let trace: i64 = sqlx::query_scalar("DELETE FROM spans WHERE id = $1 RETURNING trace_rowid")
            .bind(rowid)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM traces WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM spans WHERE trace_rowid = $2)")
            .bind(trace)
            .bind(trace)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Store {
    /// The conditions of `filter` other than its cursor and page size, as
    /// ` AND …` clauses on `spans s JOIN traces t` of project `project_rowid`
    /// (the listing and flagging a filter's spans into a collection select
    /// the same rows).
    pub(super) async fn push_span_conditions(
        &self,
        query: &mut Sql,
        filter: &SpanFilter,
        project_rowid: i64,
    ) -> Result<()> {
        if let Some(start) = filter.start_time {
            query.push(" AND s.start_time >= ").push_bind(start);
        }
        if let Some(end) = filter.end_time {
            query.push(" AND s.start_time < ").push_bind(end);
        }
        push_in(query, "t.trace_id", "IN", &filter.trace_ids);
        push_in(query, "s.span_id", "IN", &filter.span_ids);
        push_in(query, "s.name", "IN", &filter.names);
        push_in(query, "s.span_kind", "IN", &filter.span_kinds);
        push_in(query, "s.status_code", "IN", &filter.status_codes);
        match &filter.parent_id {
            None => {}
            Some(None) => {
                query.push(" AND s.parent_id IS NULL");
            }
            Some(Some(parent)) => {
                query.push(" AND s.parent_id = ").push_bind(parent.clone());
            }
        }
        for (key, value) in &filter.attributes {
            push_attribute(self.dialect, query, key, value);
        }
        if let Some(text) = &filter.text {
            if let Plan::Collect { fts, unindexed_above } = self.search_plan(text).await? {
                query.push(" AND s.id IN (");
                push_candidates(self.dialect, query, &fts, unindexed_above);
                query.push(")");
            }
            query.push(" AND ");
            push_like(self.dialect, query, "s", text);
        }
        if filter.annotation.is_some() || filter.label.is_some() {
            let matching = |q: &mut Sql| {
                push_annotation_conditions(q, filter.annotation.as_deref(), filter.label.as_deref(), None, None);
            };
            // As the trace list's annotation filters: walk when matches are
            // many, else collect them from this project's annotations.
            let here = |q: &mut Sql| {
                q.push(" AND a.project_id = ").push_bind(project_rowid);
                matching(q);
            };
            if self
                .dense(&format!("span_annotations a{}", self.dialect.indexed_by("span_annotations_project")), here)
                .await?
            {
                query.push(" AND EXISTS (SELECT 1 FROM span_annotations a WHERE a.target_rowid = s.id");
                matching(query);
            } else {
                query.push(" AND s.id IN (SELECT a.target_rowid FROM span_annotations a WHERE a.project_id = ");
                query.push_bind(project_rowid);
                matching(query);
            }
            query.push(")");
        }
        Ok(())
    }
}

/// Type-strict match of one top-level attribute, as Phoenix does it.
fn push_attribute(dialect: Dialect, query: &mut Sql, key: &str, value: &AttributeValue) {
    if dialect == Dialect::Postgres {
        // JSONB equality is type-strict, and equal numbers are equal (5 = 5.0).
        let json = match value {
            AttributeValue::Text(text) => serde_json::Value::from(text.as_str()),
            AttributeValue::Integer(i) => serde_json::Value::from(*i),
            AttributeValue::Float(f) => serde_json::Value::from(*f),
            AttributeValue::Bool(b) => serde_json::Value::from(*b),
        };
        query.push(" AND (s.attributes::jsonb -> ").push_bind(key.to_owned()).push(") = ");
        query.push_bind(json.to_string()).push("::jsonb");
        return;
    }
    // JSON path with the dotted key quoted as one member name.
    let path = format!("$.\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""));
    query.push(" AND json_type(s.attributes, ").push_bind(path.clone()).push(")");
    match value {
        AttributeValue::Bool(b) => {
            query.push(if *b { " = 'true'" } else { " = 'false'" });
        }
        AttributeValue::Integer(i) => {
            query.push(" IN ('integer', 'real') AND json_extract(s.attributes, ").push_bind(path).push(") = ");
            query.push_bind(*i);
        }
        AttributeValue::Float(f) => {
            query.push(" IN ('integer', 'real') AND json_extract(s.attributes, ").push_bind(path).push(") = ");
            query.push_bind(*f);
        }
        AttributeValue::Text(text) => {
            query.push(" = 'text' AND json_extract(s.attributes, ").push_bind(path).push(") = ");
            query.push_bind(text.clone());
        }
    }
}

/// Phoenix's `flatten(recurse_on_sequence=True)`: nested objects become dotted
/// keys, lists holding objects become `key.N.…`, nulls are dropped.
fn flatten_into(out: &mut Map<String, Value>, prefix: Option<&str>, object: Map<String, Value>) {
    for (key, value) in object {
        let key = match prefix {
            Some(prefix) => format!("{prefix}.{key}"),
            None => key,
        };
        match value {
            Value::Null => {}
            Value::Object(inner) => flatten_into(out, Some(&key), inner),
            Value::Array(items) if items.iter().any(Value::is_object) => {
                for (index, item) in items.into_iter().enumerate() {
                    if let Value::Object(inner) = item {
                        flatten_into(out, Some(&format!("{key}.{index}")), inner);
                    }
                }
            }
            other => {
                out.insert(key, other);
            }
        }
    }
}

/// Dotted keys → nested objects (`exception.message` → `{"exception": {"message": …}}`).
fn nest(flat: Map<String, Value>) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in flat {
        let mut parts: Vec<&str> = key.split('.').collect();
        let last = parts.pop().unwrap_or_default();
        let mut node = &mut root;
        for part in parts {
            let entry = node.entry(part.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(next) = entry else { unreachable!("just made an object") };
            node = next;
        }
        node.insert(last.to_owned(), value);
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flattens_like_phoenix() {
        let Value::Object(stored) = json!({
            "input.value": "hi",
            "llm": {"model_name": "gpt", "none": null},
            "llm.input_messages": [{"message.role": "user"}, {"message.role": "ai"}],
            "tag.tags": ["a", "b"],
        }) else {
            unreachable!()
        };
        let mut out = Map::new();
        flatten_into(&mut out, None, stored);
        assert_eq!(
            Value::Object(out),
            json!({
                "input.value": "hi",
                "llm.model_name": "gpt",
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.1.message.role": "ai",
                "tag.tags": ["a", "b"],
            })
        );
    }

    #[test]
    fn nests_event_attributes() {
        let Value::Object(flat) = json!({"exception.message": "boom", "exception.type": "E", "n": 1}) else {
            unreachable!()
        };
        assert_eq!(Value::Object(nest(flat)), json!({"exception": {"message": "boom", "type": "E"}, "n": 1}));
    }
}
