//! `GET /v1/projects/{p}/traces`.

use app::store::{TraceFilter, TraceOrder};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;

use super::{Paginated, Params, cursor};
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
    let filter = TraceFilter {
        limit: params.limit("limit", 100, 1, 1000)?,
        start_time: params.time("start_time")?,
        end_time: params.time("end_time")?,
        sort: match params.choice("sort", &["start_time", "latency_ms"], "start_time")? {
            "latency_ms" => TraceOrder::LatencyMs,
            _ => TraceOrder::StartTime,
        },
        ascending: params.choice("order", &["asc", "desc"], "desc")? == "asc",
        include_spans: params.bool("include_spans", false)?,
        sessions: params.all("session_identifier"),
        error: params.opt_bool("error")?,
        min_latency_ms: params.number_at_least("min_latency_ms", 0.0)?,
        max_latency_ms: params.number_at_least("max_latency_ms", 0.0)?,
        cursor: None,
    };
    state.store.project_rowid(&project).await?;
    let filter = TraceFilter { cursor: cursor(&params, |raw| format!("Invalid cursor format: {raw}"))?, ..filter };
    let (data, next_cursor) = state.store.list_traces(&project, &filter).await?;
    Ok(Json(Paginated { data, next_cursor }))
}
