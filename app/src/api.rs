//! Server functions: what the UI asks the server for. Each one is a thin
//! call into the same store the REST API uses.

use leptos::prelude::*;

use crate::model::ProjectSummary;

mod annotation_forms;
mod collection_forms;
mod collection_reads;
mod page_reads;
mod share_reads;

pub use annotation_forms::*;
pub use collection_forms::*;
pub use collection_reads::*;
pub use page_reads::*;
pub use share_reads::*;

/// Every project with its counts, for the projects page.
#[server]
pub async fn project_summaries() -> Result<Vec<ProjectSummary>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.project_summaries().await.map_err(server_error)
}

/// A store error as a server function error.
#[cfg(feature = "ssr")]
fn server_error(error: crate::store::Error) -> ServerFnError {
    ServerFnError::new(error.to_string())
}
