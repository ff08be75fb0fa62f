//! `POST /v1/datasets/upload`: Phoenix's dataset upload, so that
//! `arize-phoenix-client`'s `create_dataset(…)` and `add_examples_to_dataset(…)`
//! write into Plume. The examples land in the collection of that name (an
//! example without a span is an item holding its own input/output/metadata).
//!
//! Two bodies, as Phoenix takes them:
//! - JSON `{action, name, description, inputs: [{…}], outputs?, metadata?,
//!   splits?, span_ids?}` (lists as long as `inputs`; a split is a name, a list
//!   of names or `null`; `example_ids` are accepted and ignored);
//! - `multipart/form-data` with `action`, `name`, `description`,
//!   `input_keys[]`, `output_keys[]`, `metadata_keys[]`, `split_key` (or the
//!   older `split_keys[]`), `span_id_key` and a `file` part: a CSV, optionally
//!   `Content-Encoding: gzip`/`deflate` (what the client sends for a
//!   dataframe or a CSV path). Pyarrow and JSONL files are answered 415.
//!
//! The upload is stored in one transaction before the answer (also with
//! `sync=false`, which Phoenix answers with `null`). Bodies over
//! `--max-body-bytes` (also once decompressed) and uploads of more than
//! [`MAX_UPLOAD_EXAMPLES`] examples are 413s; malformed ones 422s.

use std::collections::{BTreeSet, HashMap};

use app::model::{DatasetUpload, MAX_UPLOAD_EXAMPLES, NewExample, UploadAction};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::{Data, Params};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// Stores uploaded examples into a dataset (collection); answers
/// `{"data": {"dataset_id", "version_id", …}}` with `sync=true`, else `null`.
#[utoipa::path(post, path = "/v1/datasets/upload", security(("bearer" = ["manage"])), tag = "datasets",
    params(("sync" = Option<bool>, Query, description = "answer with the ids (the upload is stored before the answer either way)")),
    request_body(content = Object, description = "JSON examples, or multipart/form-data with a (gzipped) CSV `file`"),
    responses((status = 200, body = Data<app::model::DatasetUploaded>), (status = 404, description = "append to an unknown dataset, or unknown span ids"),
        (status = 409, description = "create with a taken name"), (status = 413), (status = 415), (status = 422)))]
pub async fn upload(
    State(state): State<AppState>,
    Caller(caller): Caller,
    params: Params,
    request: Request,
) -> Result<Response, ApiError> {
    let sync = match params.non_empty("sync") {
        None => false,
        Some(raw) => parse_bool(raw).ok_or_else(|| ApiError::query("sync", "Input should be a valid boolean", raw))?,
    };
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let upload = if content_type.starts_with("application/json") {
        let bytes = Bytes::from_request(request, &state).await.map_err(too_large_or_bad)?;
        let body: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::Unprocessable(format!("Request body is not valid JSON: {e}")))?;
        from_json(body)?
    } else if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &state)
            .await
            .map_err(|rejection| ApiError::Unprocessable(rejection.body_text()))?;
        from_form(multipart, state.max_body_bytes).await?
    } else if content_type.is_empty() {
        return Err(ApiError::BadRequest("Missing content-type header".into()));
    } else {
        return Err(ApiError::Unprocessable("Invalid request Content-Type".into()));
    };
    if upload.examples.len() > MAX_UPLOAD_EXAMPLES {
        return Err(ApiError::TooLarge(format!(
            "An upload may hold at most {MAX_UPLOAD_EXAMPLES} examples; this one has {}",
            upload.examples.len()
        )));
    }
    let uploaded = state.store.upload_dataset(&upload, caller.author()).await?;
    Ok(if sync { Json(Data { data: uploaded }).into_response() } else { Json(Value::Null).into_response() })
}

/// `true`/`false` as FastAPI reads a boolean query value.
fn parse_bool(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A body-read failure: 413 when over the limit, else 400.
fn too_large_or_bad(rejection: axum::extract::rejection::BytesRejection) -> ApiError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(rejection.body_text())
    } else {
        ApiError::BadRequest(rejection.body_text())
    }
}

/// Phoenix's `action` (absent: `create`).
fn action(raw: Option<&str>) -> Result<UploadAction, ApiError> {
    match raw.unwrap_or("create") {
        "" | "create" => Ok(UploadAction::Create),
        "append" => Ok(UploadAction::Append),
        "update" => Ok(UploadAction::Update),
        other => Err(ApiError::Unprocessable(format!("Invalid dataset action: {other}"))),
    }
}

/// A JSON upload, checked as Phoenix's `_process_json` checks it.
fn from_json(body: Value) -> Result<DatasetUpload, ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::Unprocessable("Request body should be a JSON object".into()));
    };
    let name = match body.remove("name") {
        Some(Value::String(name)) if !name.trim().is_empty() => name,
        _ => return Err(ApiError::Unprocessable("Dataset name is required".into())),
    };
    let action = action(body.get("action").and_then(Value::as_str))?;
    let description = body.get("description").and_then(Value::as_str).map(str::to_owned);
    let inputs = match body.remove("inputs") {
        None | Some(Value::Null) => return Err(ApiError::Unprocessable("input is required".into())),
        Some(Value::Array(items)) => objects(items).ok_or_else(|| {
            ApiError::Unprocessable("Input should be a list containing only dictionary objects".into())
        })?,
        Some(_) => {
            return Err(ApiError::Unprocessable("Input should be a list containing only dictionary objects".into()));
        }
    };
    if inputs.len() > MAX_UPLOAD_EXAMPLES {
        return Err(ApiError::TooLarge(format!(
            "An upload may hold at most {MAX_UPLOAD_EXAMPLES} examples; this one has {}",
            inputs.len()
        )));
    }
    let count = inputs.len();
    let mut side = |key: &str| -> Result<Vec<Map<String, Value>>, ApiError> {
        match body.remove(key) {
            None | Some(Value::Null) => Ok(vec![Map::new(); count]),
            Some(Value::Array(items)) if items.is_empty() => Ok(vec![Map::new(); count]),
            Some(Value::Array(items)) if items.len() == count => objects(items).ok_or_else(|| same_length(key)),
            Some(_) => Err(same_length(key)),
        }
    };
    let outputs = side("outputs")?;
    let metadata = side("metadata")?;
    let splits = list_of(&mut body, "splits", count)?;
    let span_ids = list_of(&mut body, "span_ids", count)?;
    let mut examples = Vec::with_capacity(count);
    for (i, ((input, output), metadata)) in inputs.into_iter().zip(outputs).zip(metadata).enumerate() {
        let splits = match splits.as_ref().map(|all| &all[i]) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(name)) => split_names([name.as_str()]),
            Some(Value::Array(names)) if names.iter().all(Value::is_string) => {
                split_names(names.iter().filter_map(Value::as_str))
            }
            Some(other) => {
                return Err(ApiError::Unprocessable(format!(
                    "Split value must be a string, list of strings, or None, got {other}"
                )));
            }
        };
        let span_id = match span_ids.as_ref().map(|all| &all[i]) {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => span_id(id),
            Some(other) => {
                return Err(ApiError::Unprocessable(format!("Span ID must be a string or None, got {other}")));
            }
        };
        examples.push(NewExample { input, output, metadata, splits, span_id });
    }
    Ok(DatasetUpload { action, name, description, examples })
}

fn same_length(key: &str) -> ApiError {
    ApiError::Unprocessable(format!(
        "{key} should be a list of same length as input containing only dictionary objects"
    ))
}

/// Every item an object, or `None`.
fn objects(items: Vec<Value>) -> Option<Vec<Map<String, Value>>> {
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .collect()
}

/// An optional list that must be as long as `inputs`.
fn list_of(body: &mut Map<String, Value>, key: &str, count: usize) -> Result<Option<Vec<Value>>, ApiError> {
    match body.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) if items.len() == count => Ok(Some(items)),
        Some(Value::Array(items)) => {
            Err(ApiError::Unprocessable(format!("{key} must have same length as inputs ({} != {count})", items.len())))
        }
        Some(_) => Err(ApiError::Unprocessable(format!("{key} must be a list"))),
    }
}

/// Split names trimmed, empty ones dropped, each once, sorted.
fn split_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let set: BTreeSet<String> =
        names.into_iter().map(str::trim).filter(|name| !name.is_empty()).map(str::to_owned).collect();
    set.into_iter().collect()
}

/// A span id cell: trimmed, `None` when empty.
fn span_id(raw: &str) -> Option<String> {
    let id = raw.trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// A split column's cell: a JSON list of names or one plain name.
fn split_cell(raw: &str) -> Vec<String> {
    match serde_json::from_str::<Value>(raw.trim()) {
        Ok(Value::Array(names)) => {
            let names: Vec<String> =
                names.iter().map(|n| n.as_str().map_or_else(|| n.to_string(), str::to_owned)).collect();
            split_names(names.iter().map(String::as_str))
        }
        _ => split_names([raw]),
    }
}

/// The form fields of a multipart upload, and its file.
#[derive(Default)]
struct Form {
    fields: HashMap<String, Vec<String>>,
    file: Option<(String, Option<String>, Bytes, HeaderMap)>,
}

impl Form {
    fn one(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(|values| values.first()).map(String::as_str).filter(|v| !v.is_empty())
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.fields
            .get(key)
            .map(|values| values.iter().filter(|v| !v.is_empty()).cloned().collect())
            .unwrap_or_default()
    }
}

/// A multipart upload, checked as Phoenix's `_parse_form_data` and `_process_csv` check it.
async fn from_form(mut multipart: Multipart, max_bytes: usize) -> Result<DatasetUpload, ApiError> {
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let content_type = field.content_type().unwrap_or_default().to_ascii_lowercase();
            let file_name = field.file_name().map(str::to_owned);
            let headers = field.headers().clone();
            let bytes = field.bytes().await.map_err(multipart_error)?;
            form.file = Some((content_type, file_name, bytes, headers));
        } else {
            let value = field.text().await.map_err(multipart_error)?;
            form.fields.entry(name).or_default().push(value);
        }
    }
    let Some(name) = form.one("name").map(str::to_owned) else {
        return Err(ApiError::Unprocessable("Dataset name must not be empty".into()));
    };
    let action = action(form.one("action"))?;
    let Some((content_type, file_name, bytes, headers)) = form.file.take() else {
        return Err(ApiError::Unprocessable("Malformed file in form data.".into()));
    };
    let description = form.one("description").map(str::to_owned).or(file_name);
    let split_key = form.one("split_key").map(str::to_owned);
    let split_keys = form.all("split_keys[]");
    if split_key.is_some() && !split_keys.is_empty() {
        return Err(ApiError::Unprocessable(
            "Cannot specify both 'split_keys[]' and 'split_key'. Use 'split_key' for a single column with JSON-encoded split lists.".into(),
        ));
    }
    let keys = CsvKeys {
        input: form.all("input_keys[]"),
        output: form.all("output_keys[]"),
        metadata: form.all("metadata_keys[]"),
        split_key,
        split_keys,
        span_id: form.one("span_id_key").map(str::to_owned),
    };
    let essence = content_type.split(';').next().unwrap_or("").trim().to_owned();
    if essence != "text/csv" {
        return Err(ApiError::UnsupportedMedia(format!(
            "Unsupported file content type: {essence:?}; Plume takes text/csv (optionally gzip or deflate encoded)"
        )));
    }
    let csv = crate::otlp::http::decompress(&headers, bytes, max_bytes)?;
    let examples = csv_examples(&csv, &keys)?;
    Ok(DatasetUpload { action, name, description, examples })
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(error.body_text())
    } else {
        ApiError::Unprocessable(format!("Malformed multipart body: {}", error.body_text()))
    }
}

/// Which CSV columns go where.
struct CsvKeys {
    input: Vec<String>,
    output: Vec<String>,
    metadata: Vec<String>,
    split_key: Option<String>,
    split_keys: Vec<String>,
    span_id: Option<String>,
}

/// The rows of a CSV as examples: each named column's cell (a string;
/// empty cells are left out, as Phoenix does).
fn csv_examples(csv: &[u8], keys: &CsvKeys) -> Result<Vec<NewExample>, ApiError> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(csv);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| ApiError::Unprocessable(format!("Missing CSV column header: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut seen = BTreeSet::new();
    if let Some(duplicate) = header.iter().find(|h| !seen.insert(h.as_str())) {
        return Err(ApiError::Unprocessable(format!("Duplicated column header in CSV file: {duplicate}")));
    }
    let column = |key: &str| header.iter().position(|h| h == key);
    let mut missing: Vec<&str> = Vec::new();
    let named = keys.input.iter().chain(&keys.output).chain(&keys.metadata).chain(&keys.split_keys);
    for key in named.chain(keys.split_key.iter()).chain(keys.span_id.iter()) {
        if column(key).is_none() {
            missing.push(key);
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::Unprocessable(format!("Keys not found in column headers: {}", missing.join(", "))));
    }
    let columns = |names: &[String]| -> Vec<(String, usize)> {
        names.iter().filter_map(|name| column(name).map(|i| (name.clone(), i))).collect()
    };
    let (input, output, metadata, split_columns) =
        (columns(&keys.input), columns(&keys.output), columns(&keys.metadata), columns(&keys.split_keys));
    let split_key = keys.split_key.as_deref().and_then(column);
    let span_column = keys.span_id.as_deref().and_then(column);
    let mut examples = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| ApiError::Unprocessable(format!("Invalid CSV at row {}: {e}", line + 1)))?;
        if examples.len() == MAX_UPLOAD_EXAMPLES {
            return Err(ApiError::TooLarge(format!("An upload may hold at most {MAX_UPLOAD_EXAMPLES} examples")));
        }
        let cell = |i: usize| record.get(i).unwrap_or_default();
        let bucket = |cols: &[(String, usize)]| -> Map<String, Value> {
            cols.iter().filter(|(_, i)| !cell(*i).is_empty()).map(|(k, i)| (k.clone(), Value::from(cell(*i)))).collect()
        };
        let splits = match split_key {
            Some(i) => split_cell(cell(i)),
            None => split_names(split_columns.iter().map(|(_, i)| cell(*i))),
        };
        examples.push(NewExample {
            input: bucket(&input),
            output: bucket(&output),
            metadata: bucket(&metadata),
            splits,
            span_id: span_column.and_then(|i| span_id(cell(i))),
        });
    }
    Ok(examples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_uploads_are_checked_like_phoenix() {
        let upload = from_json(json!({
            "action": "append", "name": "qa", "inputs": [{"q": "a"}, {"q": "b"}],
            "outputs": [{"a": 1}, {"a": 2}], "splits": ["train", [" test ", "train", ""]],
            "span_ids": [null, " 00000000000000aa "]
        }))
        .unwrap();
        assert_eq!(upload.action, UploadAction::Append);
        assert_eq!(upload.examples[1].splits, vec!["test", "train"]);
        assert_eq!(upload.examples[1].span_id.as_deref(), Some("00000000000000aa"));
        assert!(upload.examples[0].metadata.is_empty());
        for bad in [
            json!({"inputs": [{}]}),
            json!({"name": "x"}),
            json!({"name": "x", "inputs": [1]}),
            json!({"name": "x", "inputs": [{}], "outputs": [{}, {}]}),
            json!({"name": "x", "inputs": [{}], "splits": [1]}),
            json!({"name": "x", "inputs": [{}], "action": "merge"}),
        ] {
            assert!(matches!(from_json(bad), Err(ApiError::Unprocessable(_))));
        }
    }

    #[test]
    fn csv_rows_become_examples() {
        let keys = CsvKeys {
            input: vec!["q".into()],
            output: vec!["a".into()],
            metadata: vec![],
            split_key: Some("split".into()),
            split_keys: vec![],
            span_id: None,
        };
        let examples = csv_examples(b"q,a,split\n\"1,2\",,\"[\"\"x\"\",\"\"y\"\"]\"\nq2,a2,train\n", &keys).unwrap();
        assert_eq!(examples.len(), 2);
        assert_eq!(examples[0].input["q"], "1,2");
        assert!(examples[0].output.is_empty());
        assert_eq!(examples[0].splits, vec!["x", "y"]);
        assert_eq!(examples[1].splits, vec!["train"]);
        let missing = CsvKeys { input: vec!["nope".into()], ..keys };
        assert!(matches!(csv_examples(b"q\n1\n", &missing), Err(ApiError::Unprocessable(_))));
    }
}
