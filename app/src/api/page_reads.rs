//! Server functions that read what the trace list, trace, span and projects
//! pages show. `Ok(None)` means "no such project, trace or span" (a 404).

use leptos::prelude::*;

use crate::model::{ProjectFeedback, SpanDetail, TraceListPage, TraceListQuery, TraceTree};

/// One page of a project's trace list.
#[server(endpoint = "load_trace_list")]
pub async fn load_trace_list(project: String, query: TraceListQuery) -> Result<Option<TraceListPage>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.trace_rows(&project, &query, crate::model::TRACE_PAGE_SIZE).await.map_err(super::server_error)
}

/// A trace's spans, for the tree and the waterfall.
#[server(endpoint = "load_trace_tree")]
pub async fn load_trace_tree(project: String, trace_id: String) -> Result<Option<TraceTree>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.trace_tree(&project, &trace_id).await.map_err(super::server_error)
}

/// One span with its resource, annotations and the project's annotation configs.
#[server(endpoint = "load_span_detail")]
pub async fn load_span_detail(project: String, span_id: String) -> Result<Option<SpanDetail>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.span_detail(&project, &span_id).await.map_err(super::server_error)
}

/// Every project's annotation figures, by project name.
#[server(endpoint = "load_project_feedback")]
pub async fn load_project_feedback() -> Result<Vec<ProjectFeedback>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let mut all: Vec<ProjectFeedback> =
        store.project_feedback().await.map_err(super::server_error)?.into_values().collect();
    all.sort_by(|a, b| a.project.cmp(&b.project));
    Ok(all)
}
