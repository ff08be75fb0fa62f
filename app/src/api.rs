//! Server functions: what the UI asks the server for. Each one is a thin
//! call into the same store the REST API uses.

use leptos::prelude::*;

use crate::model::ProjectSummary;

/// Every project with its counts, for the projects page.
#[server]
pub async fn project_summaries() -> Result<Vec<ProjectSummary>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.project_summaries().await.map_err(|e| ServerFnError::new(e.to_string()))
}
