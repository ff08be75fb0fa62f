//! Phoenix's dataset downloads: `GET /v1/datasets/{id}/csv`,
//! `/jsonl/openai_ft` and `/jsonl/openai_evals` (`?version_id=`, the latest
//! version only, as the examples route). The rows are the examples of
//! [`super::datasets::example`]; the conversations of the two OpenAI formats
//! come from [`super::export_formats::item_messages`], which the collection's
//! `chat` export uses too, so an edited expected output is the answer in all three.

use app::model::{CollectionItem, DatasetExample};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::Params;
use super::datasets::{all_items, checked_version, dataset_rowid, example};
use super::export_formats::{csv_text_cell, item_messages};
use crate::AppState;
use crate::error::ApiError;

/// `GET /v1/datasets/{id}/csv`: `id`, `node_id`, the flattened
/// `input.*`/`output.*`/`metadata.*` columns (nested objects by dotted keys,
/// lists as JSON) and `splits` (a JSON list), as Phoenix writes it.
#[utoipa::path(get, path = "/v1/datasets/{id}/csv", security(("bearer" = ["read"])), tag = "datasets",
    params(("id" = String, Path), ("version_id" = Option<String>, Query)),
    responses((status = 200, description = "text/csv attachment"), (status = 404), (status = 422)))]
pub async fn csv(State(state): State<AppState>, Path(id): Path<String>, params: Params) -> Result<Response, ApiError> {
    let (name, items) = read(&state, &id, &params).await?;
    let records: Vec<Map<String, Value>> = items.into_iter().map(csv_record).collect();
    let mut header: Vec<String> = Vec::new();
    for record in &records {
        for key in record.keys() {
            if !header.contains(key) {
                header.push(key.clone());
            }
        }
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = out.write_record(&header);
    for record in &records {
        let row = header.iter().map(|key| match record.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => csv_text_cell(text.clone()),
            Some(other) => csv_text_cell(other.to_string()),
        });
        let _ = out.write_record(row);
    }
    Ok(attachment(&name, "csv", "text/csv; charset=utf-8", out.into_inner().unwrap_or_default()))
}

/// `GET /v1/datasets/{id}/jsonl/openai_ft`: `{"messages": [input…, answer…]}`
/// per example (and `tools` when the input has them).
#[utoipa::path(get, path = "/v1/datasets/{id}/jsonl/openai_ft", security(("bearer" = ["read"])), tag = "datasets",
    params(("id" = String, Path), ("version_id" = Option<String>, Query)),
    responses((status = 200, description = "JSONL attachment"), (status = 404), (status = 422)))]
pub async fn openai_ft(state: State<AppState>, id: Path<String>, params: Params) -> Result<Response, ApiError> {
    jsonl(state, id, params, openai_ft_line).await
}

/// `GET /v1/datasets/{id}/jsonl/openai_evals`: `{"messages": [input…],
/// "ideal": <the answer's last message's text>}` per example.
#[utoipa::path(get, path = "/v1/datasets/{id}/jsonl/openai_evals", security(("bearer" = ["read"])), tag = "datasets",
    params(("id" = String, Path), ("version_id" = Option<String>, Query)),
    responses((status = 200, description = "JSONL attachment"), (status = 404), (status = 422)))]
pub async fn openai_evals(state: State<AppState>, id: Path<String>, params: Params) -> Result<Response, ApiError> {
    jsonl(state, id, params, openai_evals_line).await
}

/// A JSONL download: one `line` per example.
async fn jsonl(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
    line: fn(&CollectionItem) -> Value,
) -> Result<Response, ApiError> {
    let (name, items) = read(&state, &id, &params).await?;
    let body: String = items.iter().map(|item| format!("{}\n", line(item))).collect();
    Ok(attachment(&name, "jsonl", "application/jsonl", body.into_bytes()))
}

/// An `openai_ft` record: the whole conversation, and an uploaded input's `tools`.
fn openai_ft_line(item: &CollectionItem) -> Value {
    let (mut messages, answer) = item_messages(item);
    messages.extend(answer);
    let mut record = json!({ "messages": messages });
    let tools = item.input.get("tools").filter(|t| item.uploaded && t.as_array().is_some_and(|a| !a.is_empty()));
    if let Some(tools) = tools {
        record["tools"] = tools.clone();
    }
    record
}

/// An `openai_evals` record: the input messages and the answer's last text as `ideal`.
fn openai_evals_line(item: &CollectionItem) -> Value {
    let (messages, answer) = item_messages(item);
    let ideal = answer.last().and_then(|m| m.get("content")).and_then(Value::as_str).unwrap_or_default();
    json!({ "messages": messages, "ideal": ideal })
}

/// The dataset's name and the items of its (checked) version.
async fn read(state: &AppState, id: &str, params: &Params) -> Result<(String, Vec<CollectionItem>), ApiError> {
    let rowid = dataset_rowid(state, id).await?;
    checked_version(state, rowid, params).await?;
    let name = state.store.collection_by_rowid(rowid).await?.name;
    Ok((name, all_items(state, rowid, &[]).await?))
}

/// One CSV record of an item: Phoenix's columns, in its order.
fn csv_record(item: CollectionItem) -> Map<String, Value> {
    let splits = Value::from(item.splits.clone()).to_string();
    let DatasetExample { id, node_id, input, output, metadata, .. } = example(item);
    let mut record = Map::from_iter([
        ("id".to_owned(), Value::from(id.to_string())),
        ("node_id".to_owned(), Value::from(node_id.to_string())),
    ]);
    flatten(&mut record, "input", input);
    flatten(&mut record, "output", output);
    flatten(&mut record, "metadata", metadata);
    record.insert("splits".into(), Value::from(splits));
    record
}

/// Nested objects as dotted keys; lists as JSON text; scalars as they are.
fn flatten(record: &mut Map<String, Value>, prefix: &str, object: Map<String, Value>) {
    for (key, value) in object {
        let key = format!("{prefix}.{key}");
        match value {
            Value::Object(inner) => flatten(record, &key, inner),
            Value::Array(_) => {
                record.insert(key, Value::from(value.to_string()));
            }
            other => {
                record.insert(key, other);
            }
        }
    }
}

/// A download named after the dataset (`filename*`, percent-encoded, as Phoenix sends it).
fn attachment(name: &str, extension: &str, media_type: &str, body: Vec<u8>) -> Response {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename*=UTF-8''{encoded}.{extension}");
    ([(header::CONTENT_TYPE, media_type.to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_objects_flatten_to_dotted_keys() {
        let mut record = Map::new();
        let object = json!({"a": {"b": 1, "c": [1, 2]}, "d": "x"});
        flatten(&mut record, "input", object.as_object().cloned().unwrap_or_default());
        assert_eq!(record["input.a.b"], 1);
        assert_eq!(record["input.a.c"], "[1,2]");
        assert_eq!(record["input.d"], "x");
    }
}
