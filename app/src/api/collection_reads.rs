//! Server functions that read what the collection pages and the flag
//! controls show. `Ok(None)` means "no such collection or project" (a 404).

use leptos::prelude::*;

use crate::model::{Collection, CollectionView};

/// Collections the UI lists at most.
pub const MAX_LISTED_COLLECTIONS: u32 = 500;

/// Every collection, newest first.
#[server(endpoint = "load_collections")]
pub async fn load_collections() -> Result<Vec<Collection>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let crate::store::Page { rows: collections, .. } =
        store.list_collections(None, MAX_LISTED_COLLECTIONS, None).await.map_err(super::server_error)?;
    Ok(collections)
}

/// One page of collection `rowid` (from item `cursor`) with its summary and links.
#[server(endpoint = "load_collection")]
pub async fn load_collection(rowid: i64, cursor: Option<i64>) -> Result<Option<CollectionView>, ServerFnError> {
    use crate::model::{COLLECTION_PAGE_LINKS, COLLECTION_PAGE_SIZE, CollectionExample};
    let store = expect_context::<crate::store::Store>();
    let collection = match store.collection_by_rowid(rowid).await {
        Ok(collection) => collection,
        Err(crate::store::Error::NotFound(_)) => return Ok(None),
        Err(error) => return Err(super::server_error(error)),
    };
    let crate::store::Page { rows: items, next: next_cursor } =
        store.collection_items(rowid, cursor, COLLECTION_PAGE_SIZE).await.map_err(super::server_error)?;
    let span_ids: Vec<String> = items.iter().filter_map(|item| item.span_id.clone()).collect();
    let projects = store.span_project_names(&span_ids).await.map_err(super::server_error)?;
    let examples = items
        .into_iter()
        .map(|item| {
            let project = item.span_id.as_ref().and_then(|id| projects.get(id)).cloned().unwrap_or_default();
            CollectionExample { project, item }
        })
        .collect();
    let summary = store.collection_annotation_summary(rowid).await.map_err(super::server_error)?;
    let links = store.collection_public_links(rowid, COLLECTION_PAGE_LINKS).await.map_err(super::server_error)?;
    let removed = match cursor {
        None => {
            let crate::store::Page { rows: removed, next: more } =
                store.removed_items(rowid, None, COLLECTION_PAGE_SIZE).await.map_err(super::server_error)?;
            (removed, more.is_some())
        }
        Some(_) => (Vec::new(), false),
    };
    Ok(Some(CollectionView { collection, examples, next_cursor, summary, links, removed }))
}

/// The collections span `span_id` is in, by name.
#[server(endpoint = "load_span_collections")]
pub async fn load_span_collections(span_id: String) -> Result<Vec<Collection>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    store.span_collections(&span_id).await.map_err(super::server_error)
}

/// How many traces of `project` the trace list shows with the filters of
/// `filter` (its query string), over all pages (counting stops at
/// [`crate::model::MatchCount::CAP`]).
#[server(endpoint = "count_matching_traces")]
pub async fn count_matching_traces(
    project: String,
    filter: String,
) -> Result<Option<crate::model::MatchCount>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let query = crate::model::TraceListQuery::from_query_string(&filter).first_page();
    store.count_trace_rows(&project, &query).await.map_err(super::server_error)
}
