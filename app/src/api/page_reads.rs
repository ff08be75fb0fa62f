//! Server functions that read what the trace list, trace, span and projects
//! pages show. `Ok(None)` means "no such project, trace or span" (a 404).

use leptos::prelude::*;

use crate::model::{AgreementView, ProjectFeedback, SpanDetail, TraceListPage, TraceListQuery, TraceTree};

/// One page of a project's trace list.
#[server(endpoint = "load_trace_list")]
pub async fn load_trace_list(project: String, query: TraceListQuery) -> Result<Option<TraceListPage>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let page = store.trace_rows(&project, &query, crate::model::TRACE_PAGE_SIZE).await.map_err(super::server_error)?;
    if page.as_ref().is_some_and(|page| page.condition_error.is_some()) {
        super::set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
    }
    Ok(page)
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

/// The agreement page's names and the figures of `name` (the project's
/// first name when blank); `Ok(None)` for an unknown project.
#[server(endpoint = "load_agreement")]
pub async fn load_agreement(project: String, name: String) -> Result<Option<AgreementView>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let names = match store.agreement_names(&project).await {
        Ok(names) => names,
        Err(crate::store::Error::NotFound(_)) => return Ok(None),
        Err(error) => return Err(super::server_error(error)),
    };
    let chosen = match name.trim() {
        "" => names.first().cloned(),
        name => Some(name.to_owned()),
    };
    let agreement = match chosen {
        Some(name) => Some(store.annotation_agreement(&project, &name).await.map_err(super::server_error)?),
        None => None,
    };
    Ok(Some(AgreementView { names, agreement }))
}

/// One page of a project's sessions, newest first, from session rowid `cursor`.
#[server(endpoint = "load_session_list")]
pub async fn load_session_list(
    project: String,
    cursor: Option<i64>,
) -> Result<Option<crate::model::SessionListPage>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.session_rows(&project, cursor, crate::model::SESSION_PAGE_SIZE).await.map_err(super::server_error)
}

/// A session of a project, turn by turn, for the session page.
#[server(endpoint = "load_session")]
pub async fn load_session(
    project: String,
    session_id: String,
) -> Result<Option<crate::model::SessionView>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.session_view(&project, &session_id).await.map_err(super::server_error)
}
