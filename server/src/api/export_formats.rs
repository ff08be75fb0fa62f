//! How one collection item is written in each export format: a JSONL
//! record, a flat CSV row, or an OpenAI fine-tuning chat line.

use app::components::{ChatMessage, chat_messages, value_text};
use app::model::{CollectionItem, RemovedItem};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON record per example.
    Jsonl,
    /// Flat columns for spreadsheets.
    Csv,
    /// `{"messages": [...]}` per 👍-rated example.
    Chat,
}

impl Format {
    /// The `format` query values.
    pub const CHOICES: [&'static str; 3] = ["jsonl", "csv", "chat"];

    /// From a `format` query value.
    pub fn parse(text: &str) -> Format {
        match text {
            "csv" => Format::Csv,
            "chat" => Format::Chat,
            _ => Format::Jsonl,
        }
    }

    /// File extension and media type.
    pub fn file_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Jsonl => ("jsonl", "application/x-ndjson"),
            Format::Csv => ("csv", "text/csv; charset=utf-8"),
            Format::Chat => ("chat.jsonl", "application/x-ndjson"),
        }
    }
}

/// One annotation in a JSONL record.
#[derive(Serialize)]
struct ExportedAnnotation<'a> {
    name: &'a str,
    label: &'a Option<String>,
    score: Option<f64>,
    explanation: &'a Option<String>,
    annotator_kind: &'static str,
    identifier: &'a str,
}

/// A JSONL line (with its newline).
pub fn jsonl_line(item: &CollectionItem) -> String {
    let annotations: Vec<ExportedAnnotation> = item
        .annotations
        .iter()
        .map(|a| ExportedAnnotation {
            name: &a.name,
            label: &a.result.label,
            score: a.result.score,
            explanation: &a.result.explanation,
            annotator_kind: a.annotator_kind.as_str(),
            identifier: &a.identifier,
        })
        .collect();
    let span = item.span.as_ref();
    let record = json!({
        "id": item.id,
        "span_id": item.span_id,
        "trace_id": item.trace_id,
        "name": span.map(|s| &s.name),
        "span_kind": span.map(|s| &s.span_kind),
        "status_code": span.map(|s| &s.status_code),
        "start_time": span.map(|s| app::time::iso(s.start_time)),
        "end_time": span.map(|s| app::time::iso(s.end_time)),
        "input": item.input,
        "output": item.output,
        "expected_output": item.expected_output,
        "metadata": item.metadata,
        "splits": item.splits,
        "attributes": span.map(|s| &s.attributes),
        "annotations": annotations,
        "note": item.note,
        "added_at": app::time::iso(item.added_at),
    });
    format!("{record}\n")
}

/// The fixed CSV columns, before one `annotation.<name>.{label,score,explanation}`
/// triple per annotation name, an `attributes` (JSON) column and a final
/// `removed_at` (set on the rows of items whose spans were deleted).
const CSV_COLUMNS: [&str; 12] = [
    "id",
    "span_id",
    "trace_id",
    "name",
    "span_kind",
    "status_code",
    "start_time",
    "end_time",
    "input",
    "output",
    "note",
    "added_at",
];

/// The CSV header for a collection whose annotations have these names.
pub fn csv_header(annotation_names: &[String]) -> Vec<String> {
    let mut header: Vec<String> = CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    for name in annotation_names {
        for part in ["label", "score", "explanation"] {
            header.push(format!("annotation.{name}.{part}"));
        }
    }
    header.push("attributes".into());
    header.push("removed_at".into());
    header
}

/// One CSV row matching [`csv_header`]; several annotations of one name are
/// joined with `; ` (newest first). Every text cell goes through
/// [`csv_text_cell`]; only the score cells, numbers Plume writes itself, are
/// left as they are, so that a score of `-1` stays a number.
pub fn csv_row(item: &CollectionItem, annotation_names: &[String]) -> Vec<String> {
    let text = |value: &Value| if value.is_null() { String::new() } else { value_text(value) };
    let span = item.span.as_ref();
    let span_text = |part: fn(&app::model::Span) -> String| span.map(part).unwrap_or_default();
    let mut row: Vec<String> = [
        item.id.to_string(),
        item.span_id.clone().unwrap_or_default(),
        item.trace_id.clone().unwrap_or_default(),
        span_text(|s| s.name.clone()),
        span_text(|s| s.span_kind.clone()),
        span_text(|s| s.status_code.clone()),
        span_text(|s| app::time::iso(s.start_time)),
        span_text(|s| app::time::iso(s.end_time)),
        text(&item.input),
        text(&item.output),
        item.note.clone().unwrap_or_default(),
        app::time::iso(item.added_at),
    ]
    .into_iter()
    .map(csv_text_cell)
    .collect();
    for name in annotation_names {
        let named: Vec<_> = item.annotations.iter().filter(|a| &a.name == name).collect();
        let join = |part: &dyn Fn(&app::model::Annotation) -> Option<String>| {
            named.iter().filter_map(|a| part(a)).collect::<Vec<_>>().join("; ")
        };
        row.push(csv_text_cell(join(&|a| a.result.label.clone())));
        row.push(join(&|a| a.result.score.map(|s| s.to_string())));
        row.push(csv_text_cell(join(&|a| a.result.explanation.clone())));
    }
    let attributes = span.map(|s| Value::Object(s.attributes.clone())).unwrap_or(Value::Null);
    row.push(csv_text_cell(attributes.to_string()));
    row.push(String::new());
    row
}

/// The JSONL line of an item whose span was deleted: what is known of it,
/// and `"removed": true`.
pub fn removed_line(item: &RemovedItem) -> String {
    let record = json!({
        "span_id": item.span_id,
        "trace_id": item.trace_id,
        "name": item.name,
        "note": item.note,
        "added_at": app::time::iso(item.added_at),
        "removed": true,
        "removed_at": app::time::iso(item.removed_at),
    });
    format!("{record}\n")
}

/// The CSV row (matching [`csv_header`]) of an item whose span was deleted:
/// its ids, name, note and times; the span's own columns empty.
pub fn removed_csv_row(item: &RemovedItem, annotation_names: &[String]) -> Vec<String> {
    let mut row = vec![String::new(); CSV_COLUMNS.len() + 3 * annotation_names.len() + 2];
    let cells = [
        ("span_id", item.span_id.clone()),
        ("trace_id", item.trace_id.clone().unwrap_or_default()),
        ("name", item.name.clone()),
        ("note", item.note.clone().unwrap_or_default()),
        ("added_at", app::time::iso(item.added_at)),
    ];
    for (column, value) in cells {
        if let Some(at) = CSV_COLUMNS.iter().position(|c| *c == column) {
            row[at] = csv_text_cell(value);
        }
    }
    if let Some(last) = row.last_mut() {
        *last = app::time::iso(item.removed_at);
    }
    row
}

/// A text cell safe to open in a spreadsheet: one starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return would be run as a formula (an end
/// user's comment `=HYPERLINK(...)`), so it gets a leading `'`, as OWASP's
/// "CSV injection" advice says. The text is otherwise unchanged.
pub fn csv_text_cell(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell }
}

/// The chat line of a 👍-rated example, or of one with an edited expected
/// output (a reviewer's corrected answer, written instead of the original):
/// the conversation of [`item_messages`]. `None` otherwise, or when it has no answer.
pub fn chat_line(item: &CollectionItem) -> Option<String> {
    if !item.rated_thumbs_up() && item.expected_output.is_none() {
        return None;
    }
    let (mut messages, answer) = item_messages(item);
    if messages.is_empty() || !answer.iter().any(|m| m["role"] == "assistant") {
        return None;
    }
    messages.extend(answer);
    Some(format!("{}\n", json!({ "messages": messages })))
}

/// An item as a conversation: its input messages (the span's LLM input
/// messages, an uploaded input's `messages`, or the input as the user's
/// message) and its answer (the edited expected output when there is one,
/// else the span's output messages, an uploaded output's `messages`, or the
/// output as the assistant's message). The chat export and Phoenix's
/// `openai_ft`/`openai_evals` dataset exports all read examples through here.
pub fn item_messages(item: &CollectionItem) -> (Vec<Value>, Vec<Value>) {
    let no_attributes = Map::new();
    let attributes = item.span.as_ref().filter(|_| !item.uploaded).map_or(&no_attributes, |s| &s.attributes);
    let input = side(attributes, "llm.input_messages", &item.input, "user");
    let answer = match &item.expected_output {
        Some(expected) => side(&no_attributes, "", expected, "assistant"),
        None => side(attributes, "llm.output_messages", &item.output, "assistant"),
    };
    (input, answer)
}

/// The messages of one side: the span's `prefix` messages, a value's own
/// `messages` list, or the value as one message of `role` (an object of one
/// field counts as that field's value).
fn side(attributes: &Map<String, Value>, prefix: &str, value: &Value, role: &str) -> Vec<Value> {
    let messages = if prefix.is_empty() { Vec::new() } else { chat_messages(attributes, prefix) };
    if messages.is_empty() {
        return match value {
            Value::Null => vec![],
            Value::Object(map) if map.get("messages").is_some_and(Value::is_array) => {
                map["messages"].as_array().cloned().unwrap_or_default()
            }
            Value::Object(map) if map.is_empty() => vec![],
            Value::Object(map) if map.len() == 1 => {
                side(attributes, "", map.values().next().unwrap_or(&Value::Null), role)
            }
            other => vec![json!({"role": role, "content": value_text(other)})],
        };
    }
    messages
        .into_iter()
        .map(|ChatMessage { role, content }| json!({"role": openai_role(&role), "content": content}))
        .collect()
}

/// OpenAI's role names for OpenInference's (`ai` → `assistant`, `human` → `user`).
fn openai_role(role: &str) -> String {
    match role.to_ascii_lowercase().as_str() {
        "ai" | "model" | "assistant" => "assistant".into(),
        "human" | "user" => "user".into(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for cell in ["=HYPERLINK(\"http://evil\",\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(csv_text_cell(cell.into()), format!("'{cell}"));
        }
        for cell in ["plain", "", "1.5", "a=b", " =x"] {
            assert_eq!(csv_text_cell(cell.into()), cell);
        }
    }
}
