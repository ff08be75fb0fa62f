//! `GET /v1/projects/{p}/spans` and `DELETE /v1/spans/{id}`.

use app::ids::{GlobalId, SpanRowid};
use app::store::{AttributeValue, SpanFilter};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use super::{Paginated, Params, cursor, no_content};
use crate::AppState;
use crate::error::ApiError;

/// Span kinds the `span_kind` filter accepts.
const SPAN_KINDS: &[&str] = &[
    "TOOL",
    "CHAIN",
    "LLM",
    "PROMPT",
    "RETRIEVER",
    "EMBEDDING",
    "AGENT",
    "RERANKER",
    "EVALUATOR",
    "GUARDRAIL",
    "UNKNOWN",
];
/// Status codes the `status_code` filter accepts.
const STATUS_CODES: &[&str] = &["OK", "ERROR", "UNSET"];

/// Lists a project's spans, newest first, with every Phoenix filter.
#[utoipa::path(get, path = "/v1/projects/{project}/spans", security(("bearer" = ["read"])), tag = "spans",
    params(("project" = String, Path), ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query),
        ("start_time" = Option<String>, Query), ("end_time" = Option<String>, Query),
        ("trace_id" = Option<Vec<String>>, Query), ("span_id" = Option<Vec<String>>, Query),
        ("parent_id" = Option<String>, Query), ("name" = Option<Vec<String>>, Query),
        ("span_kind" = Option<Vec<String>>, Query), ("status_code" = Option<Vec<String>>, Query),
        ("attribute" = Option<Vec<String>>, Query, description = "key:value"),
        ("q" = Option<String>, Query, description = "Plume: text in the span's name, input, output or messages (a substring, ASCII case ignored)"),
        ("annotation" = Option<String>, Query, description = "Plume: has an annotation of this name"),
        ("label" = Option<String>, Query, description = "Plume: has an annotation with this label")),
    responses((status = 200, body = Paginated<app::model::Span>), (status = 404), (status = 422)))]
pub async fn list(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    let start_time = params.time("start_time")?;
    let end_time = params.time("end_time")?;
    // Phoenix resolves the project before checking the other filters.
    state.store.project_rowid(&project).await?;
    let filter = SpanFilter {
        limit,
        start_time,
        end_time,
        cursor: cursor(&params, |_| "Invalid cursor".to_owned())?,
        ..span_conditions(&params)?
    };
    let page = state.store.list_spans(&project, &filter).await?;
    Ok(Json(Paginated::of(page, SpanRowid::TYPE)))
}

/// The span conditions of the listing's query parameters (every filter but
/// `cursor` and `limit`); also how a span filter selects spans to flag.
pub fn span_conditions(params: &Params) -> Result<SpanFilter, ApiError> {
    Ok(SpanFilter {
        start_time: params.time("start_time")?,
        end_time: params.time("end_time")?,
        trace_ids: params.all("trace_id"),
        span_ids: params.all("span_id"),
        names: params.all("name"),
        span_kinds: enum_values(params, "span_kind", SPAN_KINDS)?,
        status_codes: enum_values(params, "status_code", STATUS_CODES)?,
        parent_id: params.get("parent_id").map(|p| (p != "null").then(|| p.to_owned())),
        attributes: params.all("attribute").iter().map(|raw| attribute(raw)).collect::<Result<_, _>>()?,
        text: non_empty(params.get("q")),
        annotation: non_empty(params.get("annotation")),
        label: non_empty(params.get("label")),
        ..SpanFilter::default()
    })
}

/// A parameter's value, trimmed; empty means absent (as the UI's filters).
fn non_empty(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Deletes a span by global id or hex span id: 204, or 404.
#[utoipa::path(delete, path = "/v1/spans/{span}", security(("bearer" = ["admin"])), tag = "spans", params(("span" = String, Path)),
    responses((status = 204), (status = 404)))]
pub async fn remove(State(state): State<AppState>, Path(span): Path<String>) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_span(&span).await?;
    Ok(no_content())
}

/// Uppercased values of a repeatable enum filter; unknown ones are a 422 naming them.
fn enum_values(params: &Params, name: &str, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    let values: Vec<String> = params.all(name).into_iter().map(|v| v.to_uppercase()).collect();
    let invalid: Vec<String> =
        values.iter().filter(|v| !allowed.contains(&v.as_str())).map(|v| format!("'{v}'")).collect();
    if invalid.is_empty() {
        Ok(values)
    } else {
        Err(ApiError::Unprocessable(format!("Invalid {name} values: [{}]", invalid.join(", "))))
    }
}

/// `key:value`, the value read as JSON when it parses, else as text.
fn attribute(raw: &str) -> Result<(String, AttributeValue), ApiError> {
    let Some((key, value)) = raw.split_once(':') else {
        return Err(ApiError::Unprocessable(format!("Invalid attribute '{raw}': expected format 'key:value'")));
    };
    if key.is_empty() {
        return Err(ApiError::Unprocessable("Invalid attribute: key must not be empty".into()));
    }
    if value.is_empty() {
        return Err(ApiError::Unprocessable("Invalid attribute: value must not be empty".into()));
    }
    let parsed = match serde_json::from_str::<serde_json::Value>(value) {
        Err(_) => AttributeValue::Text(value.to_owned()),
        Ok(serde_json::Value::String(text)) => AttributeValue::Text(text),
        Ok(serde_json::Value::Bool(b)) => AttributeValue::Bool(b),
        Ok(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(i) => AttributeValue::Integer(i),
            None => AttributeValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Ok(_) => {
            return Err(ApiError::Unprocessable(format!(
                "Invalid attribute value '{value}': must be a string, integer, float, or boolean. \
                 To match a string that looks like a number or boolean, JSON-quote the value: `key:\"12345\"`."
            )));
        }
    };
    Ok((key.to_owned(), parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_keep_their_json_type() {
        assert_eq!(attribute("a:1").unwrap().1, AttributeValue::Integer(1));
        assert_eq!(attribute("a:\"1\"").unwrap().1, AttributeValue::Text("1".into()));
        assert_eq!(attribute("a:true").unwrap().1, AttributeValue::Bool(true));
        assert_eq!(attribute("a:gpt-4").unwrap().1, AttributeValue::Text("gpt-4".into()));
        assert_eq!(attribute("url:http://x").unwrap(), ("url".into(), AttributeValue::Text("http://x".into())));
        assert!(attribute("a:null").is_err());
        assert!(attribute("novalue").is_err());
        assert!(attribute(":1").is_err());
    }
}
