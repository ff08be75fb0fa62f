//! The data frame a span query answers (`POST /v1/spans`), built from the
//! spans the store selected: Phoenix's `SpanQuery` semantics of `select`,
//! `rename`, `index`, `explode` and `concat`, as the Phoenix client's
//! `get_spans_dataframe` and its RAG helpers (`get_retrieved_documents`,
//! `get_input_output_context`) expect them. Columns carry a table-schema
//! type so the client's pandas rebuilds them with the right dtypes.

use std::collections::BTreeMap;

use chrono::SecondsFormat;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::Span;

/// One query of a `POST /v1/spans` body, as the client's `SpanQuery.to_dict()`
/// sends it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SpanQuerySpec {
    /// Output label → `{"key": field}`; absent: the full frame.
    #[serde(default)]
    pub select: Option<BTreeMapInOrder>,
    /// `{"condition": "<python expression>"}`.
    #[serde(default)]
    pub filter: Option<FilterSpec>,
    /// One row per element of an array attribute.
    #[serde(default)]
    pub explode: Option<ArraySpec>,
    /// One text per span joining an array attribute's elements.
    #[serde(default)]
    pub concat: Option<ArraySpec>,
    /// Column label → new label.
    #[serde(default)]
    pub rename: Option<Map<String, Value>>,
    /// `{"key": field}`: the index (default `context.span_id`).
    #[serde(default)]
    pub index: Option<KeySpec>,
}

/// `select` keeps its order (a JSON object read in order).
pub type BTreeMapInOrder = Map<String, Value>;

/// `{"condition": …}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FilterSpec {
    /// The Python expression.
    pub condition: String,
}

/// `{"key": …}`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct KeySpec {
    /// A span field or attribute.
    pub key: String,
}

/// `explode` / `concat`: the array attribute and what to take of each element.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ArraySpec {
    /// The array attribute (`retrieval.documents`).
    pub key: String,
    /// Output label → key inside an element (`document.content`).
    #[serde(default)]
    pub kwargs: Map<String, Value>,
    /// `explode`: the first index level (default `context.span_id`).
    #[serde(default)]
    pub primary_index_key: Option<String>,
    /// `concat`: what joins the texts (default two newlines).
    #[serde(default)]
    pub separator: Option<String>,
}

/// A column's table-schema type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Text (or missing).
    String,
    /// Numbers (or missing).
    Number,
    /// Whole numbers, never missing.
    Integer,
    /// UTC times as ISO 8601 texts.
    Datetime,
    /// Anything (objects, lists, mixed).
    Any,
}

/// One column: its label, type and one value per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// The label.
    pub name: String,
    /// The table-schema type.
    pub kind: ColumnType,
    /// One value per row (`null` for missing).
    pub values: Vec<Value>,
}

/// A frame: index levels and columns, all of the same length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// The index levels (the table's primary key).
    pub index: Vec<Column>,
    /// The other columns.
    pub columns: Vec<Column>,
}

/// Why a query's shape was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FrameError(pub String);

/// The label Phoenix gives span and trace ids in frames.
fn alias(label: &str) -> &str {
    match label {
        "span_id" => "context.span_id",
        "trace_id" => "context.trace_id",
        other => other,
    }
}

/// The columns of the full frame, before the attributes.
const FULL_COLUMNS: [&str; 10] = [
    "name",
    "span_kind",
    "parent_id",
    "start_time",
    "end_time",
    "status_code",
    "status_message",
    "events",
    "context.span_id",
    "context.trace_id",
];

/// Builds the frame of `spans` (newest first) for `spec`.
pub fn build_frame(spans: &[Span], spec: &SpanQuerySpec) -> Result<Frame, FrameError> {
    let index_key = spec.index.as_ref().map_or("context.span_id", |i| i.key.as_str());
    check_key(index_key)?;
    let selected = selection(spec)?;
    if spec.explode.is_some() && spec.concat.is_some() {
        return Err(FrameError("explode and concat in one query are not supported: send two queries".into()));
    }
    let whole = spec.explode.is_none() && spec.concat.is_none() && selected.is_empty();
    let mut frame = if let Some(explode) = &spec.explode {
        exploded(spans, &selected, explode)?
    } else if let Some(concat) = &spec.concat {
        concatenated(spans, &selected, concat, index_key)?
    } else if selected.is_empty() {
        full(spans, index_key)
    } else {
        let columns = selected.iter().map(|(label, key)| column(label, spans.iter().map(|s| value(s, key)))).collect();
        Frame { index: vec![column(index_key, spans.iter().map(|s| value(s, index_key)))], columns }
    };
    if !whole {
        // A selected field that is also the index moves into the index (as
        // pandas' `set_index` does in Phoenix), so the frame has it once.
        let index: Vec<String> = frame.index.iter().map(|c| alias(&c.name).to_owned()).collect();
        frame.columns.retain(|c| !index.iter().any(|i| i == alias(&c.name)));
    }
    for column in &mut frame.columns {
        let label = alias(&column.name).to_owned();
        column.name = spec
            .rename
            .as_ref()
            .and_then(|r| r.get(&label).and_then(Value::as_str).map(str::to_owned))
            .unwrap_or(label);
    }
    Ok(frame)
}

/// `select` as (label, key) pairs in order, each key checked.
fn selection(spec: &SpanQuerySpec) -> Result<Vec<(String, String)>, FrameError> {
    let Some(select) = &spec.select else { return Ok(Vec::new()) };
    select
        .iter()
        .map(|(label, projection)| {
            let key = projection
                .get("key")
                .and_then(Value::as_str)
                .ok_or_else(|| FrameError(format!("select[{label:?}] needs a \"key\"")))?;
            check_key(key)?;
            Ok((label.clone(), key.to_owned()))
        })
        .collect()
}

/// Fields computed from several spans cannot be selected (only filtered on).
fn check_key(key: &str) -> Result<(), FrameError> {
    if key.is_empty() {
        return Err(FrameError("a key may not be empty".into()));
    }
    if key.starts_with("cumulative_") {
        return Err(FrameError(format!("{key:?} can be filtered on but not selected")));
    }
    Ok(())
}

fn full(spans: &[Span], index_key: &str) -> Frame {
    let mut columns: Vec<Column> =
        FULL_COLUMNS.iter().map(|key| column(key, spans.iter().map(|s| value(s, key)))).collect();
    // Every attribute key any span has, in order of first appearance.
    let mut keys: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for span in spans {
        for key in span.attributes.keys() {
            if seen.insert(key.as_str()) {
                keys.push(key);
            }
        }
    }
    for key in keys {
        let values = spans.iter().map(|s| s.attributes.get(key).cloned().unwrap_or(Value::Null)).collect();
        columns.push(Column { name: format!("attributes.{key}"), kind: ColumnType::Any, values });
    }
    Frame { index: vec![column(index_key, spans.iter().map(|s| value(s, index_key)))], columns }
}

/// A column typed by its values.
fn column(name: &str, values: impl Iterator<Item = Value>) -> Column {
    let values: Vec<Value> = values.collect();
    let kind = if matches!(name, "start_time" | "end_time") {
        ColumnType::Datetime
    } else if values.iter().all(|v| v.is_string() || v.is_null()) {
        ColumnType::String
    } else if values.iter().all(|v| v.is_number() || v.is_null()) {
        ColumnType::Number
    } else {
        ColumnType::Any
    };
    Column { name: name.to_owned(), kind, values }
}

/// The value of a span field or attribute (`attributes.` prefix optional).
pub fn value(span: &Span, key: &str) -> Value {
    let time = |t: &chrono::DateTime<chrono::Utc>| Value::String(t.to_rfc3339_opts(SecondsFormat::Nanos, true));
    match key {
        "name" => Value::String(span.name.clone()),
        "span_kind" => Value::String(span.span_kind.clone()),
        "parent_id" => span.parent_id.clone().map_or(Value::Null, Value::String),
        "start_time" => time(&span.start_time),
        "end_time" => time(&span.end_time),
        "status_code" => Value::String(span.status_code.clone()),
        "status_message" => Value::String(span.status_message.clone()),
        "events" => serde_json::to_value(&span.events).unwrap_or(Value::Null),
        "span_id" | "context.span_id" => Value::String(span.context.span_id.clone()),
        "trace_id" | "context.trace_id" => Value::String(span.context.trace_id.clone()),
        "latency_ms" => {
            let nanos = (span.end_time - span.start_time).num_nanoseconds().unwrap_or(0);
            serde_json::Number::from_f64(nanos as f64 / 1e6).map_or(Value::Null, Value::Number)
        }
        other => lookup(&span.attributes, other.strip_prefix("attributes.").unwrap_or(other)),
    }
}

/// A dotted key in a flat map: the key itself, else the keys under it
/// nested back into an object; `metadata`-like JSON texts are read as JSON.
fn lookup(flat: &Map<String, Value>, key: &str) -> Value {
    if let Some(found) = flat.get(key) {
        return match found {
            Value::String(text) if text.starts_with('{') => serde_json::from_str(text).unwrap_or(found.clone()),
            other => other.clone(),
        };
    }
    let prefix = format!("{key}.");
    let under: Map<String, Value> =
        flat.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rest| (rest.to_owned(), v.clone()))).collect();
    if under.is_empty() { Value::Null } else { Value::Object(under) }
}

/// The elements of an array attribute by position: stored flat as
/// `key.N.rest` (or as a JSON array of objects).
fn elements(span: &Span, key: &str) -> BTreeMap<usize, Map<String, Value>> {
    let key = key.strip_prefix("attributes.").unwrap_or(key);
    let mut out: BTreeMap<usize, Map<String, Value>> = BTreeMap::new();
    if let Some(Value::Array(items)) = span.attributes.get(key) {
        for (i, item) in items.iter().enumerate() {
            if let Value::Object(object) = item {
                out.insert(i, object.clone());
            }
        }
        return out;
    }
    let prefix = format!("{key}.");
    for (k, v) in &span.attributes {
        let Some(rest) = k.strip_prefix(&prefix) else { continue };
        let Some((position, inner)) = rest.split_once('.') else { continue };
        let Ok(position) = position.parse::<usize>() else { continue };
        out.entry(position).or_default().insert(inner.to_owned(), v.clone());
    }
    out
}

/// The (label, key) pairs taken from each element; none given: every key.
fn element_columns(spec: &ArraySpec, elements: &BTreeMap<usize, Map<String, Value>>) -> Vec<(String, String)> {
    if !spec.kwargs.is_empty() {
        return spec
            .kwargs
            .iter()
            .map(|(label, key)| (label.clone(), key.as_str().unwrap_or(label).to_owned()))
            .collect();
    }
    let mut keys: Vec<String> = elements.values().flat_map(|e| e.keys().cloned()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().map(|k| (k.clone(), k)).collect()
}

/// The index levels' position label (`document_position` for documents).
fn position_label(key: &str) -> &'static str {
    if key.strip_prefix("attributes.").unwrap_or(key) == "retrieval.documents" {
        "document_position"
    } else {
        "position"
    }
}

/// The spans holding the array attribute, each with its elements, and the
/// (label, key) pairs taken from each element.
#[allow(clippy::type_complexity)]
fn arrays<'a>(
    spans: &'a [Span],
    spec: &ArraySpec,
) -> (Vec<(&'a Span, BTreeMap<usize, Map<String, Value>>)>, Vec<(String, String)>) {
    let per_span: Vec<(&Span, BTreeMap<usize, Map<String, Value>>)> =
        spans.iter().map(|s| (s, elements(s, &spec.key))).filter(|(_, e)| !e.is_empty()).collect();
    let mut all = BTreeMap::new();
    for (_, elements) in &per_span {
        for (i, e) in elements {
            all.entry(*i).or_insert_with(|| e.clone());
        }
    }
    let inner = element_columns(spec, &all);
    (per_span, inner)
}

fn exploded(spans: &[Span], selected: &[(String, String)], spec: &ArraySpec) -> Result<Frame, FrameError> {
    let primary = spec.primary_index_key.as_deref().unwrap_or("context.span_id");
    check_key(primary)?;
    let (per_span, inner) = arrays(spans, spec);
    let rows = || per_span.iter().flat_map(|(span, elements)| elements.iter().map(move |(i, e)| (*span, *i, e)));
    let index = vec![
        column(primary, rows().map(|(span, _, _)| value(span, primary))),
        Column {
            name: position_label(&spec.key).to_owned(),
            kind: ColumnType::Integer,
            values: rows().map(|(_, i, _)| Value::from(i)).collect(),
        },
    ];
    let mut columns: Vec<Column> =
        selected.iter().map(|(label, key)| column(label, rows().map(|(span, _, _)| value(span, key)))).collect();
    columns.extend(inner.iter().map(|(label, key)| column(label, rows().map(|(_, _, e)| lookup(e, key)))));
    Ok(Frame { index, columns })
}

fn concatenated(
    spans: &[Span],
    selected: &[(String, String)],
    spec: &ArraySpec,
    index_key: &str,
) -> Result<Frame, FrameError> {
    let separator = spec.separator.as_deref().unwrap_or("\n\n");
    let (per_span, inner) = arrays(spans, spec);
    let index = vec![column(index_key, per_span.iter().map(|(span, _)| value(span, index_key)))];
    let mut columns: Vec<Column> =
        selected.iter().map(|(label, key)| column(label, per_span.iter().map(|(span, _)| value(span, key)))).collect();
    columns.extend(inner.iter().map(|(label, key)| {
        column(
            label,
            per_span.iter().map(|(_, elements)| {
                let texts: Vec<String> = elements
                    .values()
                    .map(|e| lookup(e, key))
                    .filter(|v| !v.is_null())
                    .map(|v| match v {
                        Value::String(text) => text,
                        other => other.to_string(),
                    })
                    .collect();
                if texts.is_empty() { Value::Null } else { Value::String(texts.join(separator)) }
            }),
        )
    }));
    Ok(Frame { index, columns })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpanContext;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn span(id: &str, attributes: Value) -> Span {
        Span {
            id: crate::ids::SpanRowid(0),
            name: format!("n{id}"),
            context: SpanContext { trace_id: format!("t{id}"), span_id: id.into() },
            span_kind: "RETRIEVER".into(),
            parent_id: None,
            start_time: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            end_time: Utc.timestamp_opt(1_700_000_001, 0).unwrap(),
            status_code: "OK".into(),
            status_message: String::new(),
            attributes: attributes.as_object().unwrap().clone(),
            events: vec![],
        }
    }

    fn spec(value: Value) -> SpanQuerySpec {
        serde_json::from_value(value).unwrap()
    }

    fn docs() -> Vec<Span> {
        vec![
            span(
                "a",
                json!({"input.value": "q1", "retrieval.documents.0.document.content": "c0",
                "retrieval.documents.0.document.score": 0.9, "retrieval.documents.1.document.content": "c1"}),
            ),
            span("b", json!({"input.value": "q2"})),
        ]
    }

    #[test]
    fn full_frame_has_every_column_and_attributes() {
        let frame = build_frame(&docs(), &SpanQuerySpec::default()).unwrap();
        assert_eq!(frame.index[0].name, "context.span_id");
        assert_eq!(frame.index[0].values, vec![json!("a"), json!("b")]);
        let names: Vec<&str> = frame.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(&names[..10], &FULL_COLUMNS);
        assert!(names.contains(&"attributes.input.value"));
        assert_eq!(frame.columns[3].kind, ColumnType::Datetime);
        assert_eq!(frame.columns[3].values[0], json!("2023-11-14T22:13:20.000000000Z"));
    }

    #[test]
    fn select_rename_and_index() {
        let frame = build_frame(
            &docs(),
            &spec(json!({"select": {"context.span_id": {"key": "span_id"}, "trace_id": {"key": "trace_id"},
                "input.value": {"key": "input.value"}},
                "rename": {"input.value": "input"}, "index": {"key": "context.trace_id"}})),
        )
        .unwrap();
        assert_eq!(frame.index[0].name, "context.trace_id");
        assert_eq!(frame.index[0].values, vec![json!("ta"), json!("tb")]);
        assert_eq!(frame.columns.len(), 2, "a selected index field is not also a column");
        assert_eq!(frame.columns[0].name, "context.span_id");
        assert_eq!(frame.columns[1].name, "input");
        assert_eq!(frame.columns[1].values, vec![json!("q1"), json!("q2")]);
    }

    #[test]
    fn explode_documents() {
        let frame = build_frame(
            &docs(),
            &spec(json!({"select": {"trace_id": {"key": "trace_id"}},
                "explode": {"key": "retrieval.documents", "primary_index_key": "context.span_id",
                    "kwargs": {"document": "document.content", "document_score": "document.score"}}})),
        )
        .unwrap();
        assert_eq!(frame.index[0].values, vec![json!("a"), json!("a")]);
        assert_eq!(frame.index[1].name, "document_position");
        assert_eq!(frame.index[1].values, vec![json!(0), json!(1)]);
        assert_eq!(frame.columns[0].name, "context.trace_id");
        assert_eq!(frame.columns[1].values, vec![json!("c0"), json!("c1")]);
        assert_eq!(frame.columns[2].values, vec![json!(0.9), Value::Null]);
    }

    #[test]
    fn concat_documents() {
        let frame = build_frame(
            &docs(),
            &spec(json!({"concat": {"key": "retrieval.documents", "separator": "|", "kwargs": {"context": "document.content"}},
                "index": {"key": "context.trace_id"}})),
        )
        .unwrap();
        assert_eq!(frame.index[0].values, vec![json!("ta")]);
        assert_eq!(frame.columns[0].values, vec![json!("c0|c1")]);
    }

    #[test]
    fn refused_shapes() {
        assert!(
            build_frame(&docs(), &spec(json!({"select": {"x": {"key": "cumulative_token_count.total"}}}))).is_err()
        );
        assert!(build_frame(&docs(), &spec(json!({"select": {"x": {}}}))).is_err());
        assert!(serde_json::from_value::<SpanQuerySpec>(json!({"select": 1})).is_err());
    }
}
