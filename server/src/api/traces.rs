//! `GET /v1/projects/{p}/traces`, and deleting traces: one by id
//! (`DELETE /v1/traces/{id}`) or a project's by time range
//! (`DELETE /v1/projects/{p}/traces`).

use app::model::TracesDeleted;
use app::model::{TraceListQuery, TraceSort};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use super::{Data, Paginated, Params, no_content};
use crate::AppState;
use crate::error::ApiError;

/// Lists a project's traces with token totals, optionally with their spans.
#[utoipa::path(get, path = "/v1/projects/{project}/traces", security(("bearer" = ["read"])), tag = "traces",
    params(("project" = String, Path), ("cursor" = Option<String>, Query), ("limit" = Option<u32>, Query),
        ("start_time" = Option<String>, Query), ("end_time" = Option<String>, Query),
        ("sort" = Option<String>, Query, description = "start_time or latency_ms"),
        ("order" = Option<String>, Query, description = "asc or desc"), ("include_spans" = Option<bool>, Query),
        ("session_identifier" = Option<Vec<String>>, Query),
        ("error" = Option<bool>, Query, description = "true: only traces with an ERROR span; false: only those without"),
        ("min_latency_ms" = Option<f64>, Query, description = "inclusive lower bound on trace latency (ms)"),
        ("max_latency_ms" = Option<f64>, Query, description = "inclusive upper bound on trace latency (ms)")),
    responses((status = 200, body = Paginated<app::model::Trace>), (status = 404), (status = 422)))]
pub async fn list(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params.limit("limit", 100, 1, 1000)?;
    // Validated here for a 422 naming the parameter; the listing reads the
    // same text with the same parser.
    params.time("start_time")?;
    params.time("end_time")?;
    let query = TraceListQuery {
        sort: match params.choice("sort", &["start_time", "latency_ms"], "start_time")? {
            "latency_ms" => TraceSort::Latency,
            _ => TraceSort::Time,
        },
        ascending: params.choice("order", &["asc", "desc"], "desc")? == "asc",
        from: params.non_empty("start_time").map(str::to_owned),
        to: params.non_empty("end_time").map(str::to_owned),
        sessions: params.all("session_identifier"),
        error: params.opt_bool("error")?,
        min_latency_ms: params.number_at_least("min_latency_ms", 0.0)?,
        max_latency_ms: params.number_at_least("max_latency_ms", 0.0)?,
        cursor: params.non_empty("cursor").map(str::to_owned),
        ..TraceListQuery::default()
    };
    if let Some(raw) = &query.cursor
        && query.position().is_none()
    {
        return Err(ApiError::Unprocessable(format!("Invalid cursor format: {raw}")));
    }
    let include_spans = params.bool("include_spans", false)?;
    Ok(Json(Paginated::from(state.store.list_traces(&project, &query, limit, include_spans).await?)))
}

/// Deletes a trace (Phoenix's `deleteTrace`): by `Trace:` global id or
/// OpenTelemetry trace id, with all its spans, their annotations and notes;
/// collections keep a tombstone of the items they lose. 204; 404 when unknown.
#[utoipa::path(delete, path = "/v1/traces/{trace_identifier}", security(("bearer" = ["manage"])), tag = "traces",
    params(("trace_identifier" = String, Path, description = "a Trace global id or an OpenTelemetry trace_id")),
    responses((status = 204), (status = 404)))]
pub async fn remove(
    State(state): State<AppState>,
    Path(trace_identifier): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_trace(&trace_identifier).await?;
    Ok(no_content())
}

/// Deletes a project's traces that started in `[start_time, end_time)`, in
/// batches of 500 per transaction. At least one bound is required (deleting
/// everything is `DELETE /v1/projects/{p}`); `start_time` must precede `end_time`.
#[utoipa::path(delete, path = "/v1/projects/{project}/traces", security(("bearer" = ["manage"])), tag = "traces",
    params(("project" = String, Path), ("start_time" = Option<String>, Query, description = "inclusive, ISO 8601"),
        ("end_time" = Option<String>, Query, description = "exclusive, ISO 8601")),
    responses((status = 200, body = Data<TracesDeleted>), (status = 404), (status = 422)))]
pub async fn remove_between(
    State(state): State<AppState>,
    Path(project): Path<String>,
    params: Params,
) -> Result<impl IntoResponse, ApiError> {
    let (start, end) = (params.time("start_time")?, params.time("end_time")?);
    match (start, end) {
        (None, None) => {
            return Err(ApiError::Unprocessable("start_time or end_time is required to delete traces by time".into()));
        }
        (Some(start), Some(end)) if start >= end => {
            return Err(ApiError::query("end_time", "end_time must be later than start_time", params.get("end_time")));
        }
        _ => {}
    }
    let deleted_trace_count = state.store.delete_traces_between(&project, start, end).await?;
    Ok(Json(Data { data: TracesDeleted { deleted_trace_count } }))
}
