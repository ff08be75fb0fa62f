//! `POST /v1/spans`: the span query behind the Phoenix client's
//! `spans.get_spans_dataframe` and its RAG helpers. Each query of the body
//! (a filter condition in Python syntax, `select`, `explode`, …) becomes one
//! data frame; the frames are answered as `multipart/mixed`, one part each,
//! in pandas' "table" JSON, which is what the client decodes.

use app::model::span_condition::parse_condition;
use app::model::span_frame::{Column, ColumnType, Frame, SpanQuerySpec, build_frame};
use app::store::{MAX_SPAN_QUERY_ROWS, SpanQueryFilter};
use app::time::{parse_iso, to_nanos};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Params;
use crate::AppState;
use crate::error::ApiError;
use crate::json::JsonBody;

/// At most this many queries in one request.
const MAX_QUERIES: usize = 10;
/// Rows per query when the body names no `limit` (Phoenix's default).
const DEFAULT_LIMIT: i64 = 1000;

/// The body of `POST /v1/spans`, as `get_spans_dataframe` sends it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SpanQueryRequest {
    /// One frame per query: `{select?, filter?: {condition}, explode?, concat?, rename?, index?}`.
    #[schema(value_type = Vec<Object>)]
    pub queries: Vec<Value>,
    /// Spans starting at or after this time (ISO 8601).
    #[serde(default)]
    pub start_time: Option<String>,
    /// Spans starting before this time (ISO 8601).
    #[serde(default)]
    pub end_time: Option<String>,
    /// Deprecated name of `end_time`.
    #[serde(default)]
    pub stop_time: Option<String>,
    /// Rows per query (1–10,000, default 1,000).
    #[serde(default)]
    pub limit: Option<i64>,
    /// Only root spans (and orphans: Phoenix's `orphan_span_as_root_span`,
    /// which Plume always applies and so ignores).
    #[serde(default)]
    pub root_spans_only: Option<bool>,
    /// Deprecated: the `project_name` query parameter wins.
    #[serde(default)]
    pub project_name: Option<String>,
}

/// Queries a project's spans with Phoenix's span query language; answers
/// `multipart/mixed` with one pandas table-JSON part per query.
#[utoipa::path(post, path = "/v1/spans", security(("bearer" = ["read"])), tag = "spans",
    params(("project_name" = Option<String>, Query, description = "The project (default `default`)")),
    request_body = SpanQueryRequest,
    responses((status = 200, content_type = "multipart/mixed", description = "One pandas table-JSON part per query"),
        (status = 404), (status = 422)))]
pub async fn query(
    State(state): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody<SpanQueryRequest>,
) -> Result<Response, ApiError> {
    let project = params
        .non_empty("project_name")
        .or_else(|| params.non_empty("project-name"))
        .map(str::to_owned)
        .or(body.project_name.clone().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_owned());
    if body.queries.is_empty() {
        return Err(ApiError::NotFound("No queries were given".into()));
    }
    if body.queries.len() > MAX_QUERIES {
        return Err(ApiError::body_field(
            &["queries"],
            "too_long",
            &format!("List should have at most {MAX_QUERIES} items after validation"),
            body.queries.len(),
        ));
    }
    let limit = body.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=i64::from(MAX_SPAN_QUERY_ROWS)).contains(&limit) {
        return Err(ApiError::body_field(
            &["limit"],
            "value_error",
            &format!("limit must be between 1 and {MAX_SPAN_QUERY_ROWS}"),
            limit,
        ));
    }
    let time = |name: &str, value: &Option<String>| -> Result<Option<i64>, ApiError> {
        value
            .as_deref()
            .map(|text| {
                parse_iso(text).map(to_nanos).ok_or_else(|| {
                    ApiError::body_field(&[name], "datetime_parsing", "Input should be a valid datetime", text)
                })
            })
            .transpose()
    };
    let start_time = time("start_time", &body.start_time)?;
    let end_time = match time("end_time", &body.end_time)? {
        Some(end) => Some(end),
        None => time("stop_time", &body.stop_time)?,
    };
    let mut parts = Vec::with_capacity(body.queries.len());
    for raw in &body.queries {
        let spec: SpanQuerySpec =
            serde_json::from_value(raw.clone()).map_err(|e| ApiError::Unprocessable(format!("Invalid query: {e}")))?;
        let condition = spec
            .filter
            .as_ref()
            .filter(|f| !f.condition.trim().is_empty())
            .map(|f| parse_condition(&f.condition))
            .transpose()
            .map_err(|e| ApiError::Unprocessable(format!("Invalid query: {e}")))?;
        let filter = SpanQueryFilter {
            condition,
            start_time,
            end_time,
            root_spans_only: body.root_spans_only.unwrap_or(false),
            limit: u32::try_from(limit).unwrap_or(MAX_SPAN_QUERY_ROWS),
        };
        let spans = state.store.query_spans(&project, &filter).await?;
        let frame = build_frame(&spans, &spec).map_err(|e| ApiError::Unprocessable(format!("Invalid query: {e}")))?;
        parts.push(table_json(&frame));
    }
    Ok(multipart(&parts))
}

/// Frames as `multipart/mixed`, one `application/json` part each (Phoenix's
/// `_json_multipart`).
fn multipart(parts: &[String]) -> Response {
    let boundary = app::store::new_token();
    let mut body = String::new();
    for part in parts {
        body.push_str(&format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n{part}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    ([(header::CONTENT_TYPE, format!("multipart/mixed; boundary={boundary}"))], body).into_response()
}

/// A frame in pandas' "table" orient, with Phoenix's `<i>_<name>` labels
/// (index levels first) so duplicate and dotted names survive the trip.
fn table_json(frame: &Frame) -> String {
    let labelled: Vec<(String, &Column)> =
        frame.index.iter().chain(&frame.columns).enumerate().map(|(i, c)| (format!("{i}_{}", c.name), c)).collect();
    let fields: Vec<Value> = labelled
        .iter()
        .map(|(label, column)| match column.kind {
            ColumnType::String => json!({"name": label, "type": "string"}),
            ColumnType::Number => json!({"name": label, "type": "number"}),
            ColumnType::Integer => json!({"name": label, "type": "integer"}),
            ColumnType::Datetime => json!({"name": label, "type": "datetime", "tz": "UTC"}),
            ColumnType::Any => json!({"name": label, "type": "any"}),
        })
        .collect();
    let primary_key: Vec<&String> = labelled[..frame.index.len()].iter().map(|(label, _)| label).collect();
    let rows = frame.index.first().map_or(0, |c| c.values.len());
    let data: Vec<Value> = (0..rows)
        .map(|row| {
            let record: Map<String, Value> =
                labelled.iter().map(|(label, column)| (label.clone(), column.values[row].clone())).collect();
            Value::Object(record)
        })
        .collect();
    json!({"schema": {"fields": fields, "primaryKey": primary_key, "pandas_version": "1.4.0"}, "data": data})
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_json_labels_and_types() {
        let frame = Frame {
            index: vec![Column { name: "context.span_id".into(), kind: ColumnType::String, values: vec![json!("a")] }],
            columns: vec![
                Column {
                    name: "start_time".into(),
                    kind: ColumnType::Datetime,
                    values: vec![json!("2024-01-01T00:00:00Z")],
                },
                Column { name: "attributes.x".into(), kind: ColumnType::Any, values: vec![json!({"k": 1})] },
            ],
        };
        let table: Value = serde_json::from_str(&table_json(&frame)).unwrap();
        assert_eq!(table["schema"]["primaryKey"], json!(["0_context.span_id"]));
        assert_eq!(table["schema"]["fields"][1], json!({"name": "1_start_time", "type": "datetime", "tz": "UTC"}));
        assert_eq!(table["data"][0]["2_attributes.x"], json!({"k": 1}));
    }
}
