//! Server functions that read what the review queue pages show. `Ok(None)`
//! means "no such queue" (a 404).

use leptos::prelude::*;

use crate::model::{AnnotationQueue, QueueView, ReviewView};

/// Queues the UI lists at most.
pub const MAX_LISTED_QUEUES: u32 = 500;

/// Items per page of the queue page.
pub const QUEUE_PAGE_SIZE: u32 = 50;

/// Every queue with its progress, newest first.
#[server(endpoint = "load_queues")]
pub async fn load_queues() -> Result<Vec<AnnotationQueue>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    Ok(store.list_queues(None, MAX_LISTED_QUEUES).await.map_err(super::server_error)?.rows)
}

/// Queue `rowid` with instructions, configs, and its items from `cursor`.
#[server(endpoint = "load_queue")]
pub async fn load_queue(rowid: i64, cursor: Option<i64>) -> Result<Option<QueueView>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let Some(mut view) = queue_view(&store, rowid).await? else { return Ok(None) };
    let crate::store::Page { rows: items, next } =
        store.queue_items(rowid, None, cursor, QUEUE_PAGE_SIZE).await.map_err(super::server_error)?;
    view.items = items;
    view.next_cursor = next;
    Ok(Some(view))
}

/// The queue, its instructions rendered and its configs; `None` if there is no such queue.
#[cfg(feature = "ssr")]
async fn queue_view(store: &crate::store::Store, rowid: i64) -> Result<Option<QueueView>, ServerFnError> {
    let queue = match store.queue(crate::ids::QueueId(rowid)).await {
        Ok(queue) => queue,
        Err(crate::store::Error::NotFound(_)) => return Ok(None),
        Err(error) => return Err(super::server_error(error)),
    };
    let configs = store.queue_configs(rowid).await.map_err(super::server_error)?;
    let instructions_html = crate::markdown::to_safe_html(&queue.instructions);
    Ok(Some(QueueView { queue, instructions_html, configs, items: Vec::new(), next_cursor: None }))
}

/// The review page of queue `rowid` for the caller: the item they hold
/// (reserving the next one if they hold none), or with `item` one they
/// reviewed already (to change their answer). Opening the page is asking
/// for work, so this reserves.
#[server(endpoint = "load_review")]
pub async fn load_review(rowid: i64, item: Option<String>) -> Result<Option<ReviewView>, ServerFnError> {
    use crate::model::{ReviewItem, Reviewer};
    let store = expect_context::<crate::store::Store>();
    let Some(queue) = queue_view(&store, rowid).await? else { return Ok(None) };
    let caller = super::caller();
    let reviewer: Reviewer = match store.queue_reviewer(rowid, &caller).await {
        Ok(reviewer) => reviewer,
        Err(crate::store::Error::Forbidden(why)) => {
            return Ok(Some(ReviewView { queue, refusal: Some(why), item: None }));
        }
        Err(error) => return Err(super::server_error(error)),
    };
    let revisit = match item {
        Some(item) => {
            let item = crate::store::parse_id(&item).map_err(super::server_error)?;
            let target = store.queue_item_target(rowid, item).await.map_err(super::server_error)?;
            let done = store.reviewed(target.item_rowid, &reviewer).await.map_err(super::server_error)?;
            done.then_some(target)
        }
        None => None,
    };
    let (target, reserved_until) = match revisit {
        Some(target) => (target, None),
        None => match store.next_queue_item(rowid, &reviewer, None).await.map_err(super::server_error)? {
            Some(held) => {
                let target = store.queue_item_target(rowid, held.item_id).await.map_err(super::server_error)?;
                (target, Some(held.reserved_until))
            }
            None => return Ok(Some(ReviewView { queue, refusal: None, item: None })),
        },
    };
    let before = reserved_until.is_none().then_some(target.item_rowid);
    let previous = store.previous_review(rowid, &reviewer, before).await.map_err(super::server_error)?;
    let shown = target.shown_span_id.clone().unwrap_or_default();
    let detail = store.span_detail(&target.project_name, &shown).await.map_err(super::server_error)?;
    let Some(detail) = detail else { return Err(ServerFnError::new("The item's span is gone")) };
    let mine = caller.own_identifier("");
    let own = match target.trace_id {
        Some(_) => Vec::new(),
        None => detail
            .annotations
            .into_iter()
            .filter(|a| a.identifier == mine && a.name != crate::model::NOTE_NAME)
            .collect(),
    };
    let item = ReviewItem {
        item_id: crate::ids::QueueItemId(target.item_rowid),
        project: target.project_name,
        trace_id: target.trace_id,
        span: detail.span,
        reserved_until,
        own,
        previous: previous.map(crate::ids::QueueItemId),
    };
    Ok(Some(ReviewView { queue, refusal: None, item: Some(item) }))
}

/// Every annotation config (the new-queue form offers them), by name.
#[server(endpoint = "load_annotation_configs")]
pub async fn load_annotation_configs() -> Result<Vec<crate::model::AnnotationConfig>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let crate::store::Page { rows: mut configs, .. } =
        store.list_annotation_configs(None, None, 1000).await.map_err(super::server_error)?;
    configs.sort_by(|a, b| a.data.name.cmp(&b.data.name));
    Ok(configs)
}
