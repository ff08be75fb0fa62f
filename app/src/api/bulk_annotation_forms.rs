//! Server functions behind "Annotate all": the confirm page's count of the
//! selection (the trace list's filters, or a collection) and the one
//! transaction that writes the annotation on every selected span. Form
//! fields are text, so the page works with or without JavaScript.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the confirm page shows before anything is written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkSelection {
    /// What is selected, in words.
    pub description: String,
    /// Spans selected, at most one past [`crate::model::MAX_BULK_ANNOTATED`].
    pub count: i64,
    /// Where the selection comes from (the trace list or the collection page).
    pub back_href: String,
}

/// What the last bulk annotation did, carried to the page after its post.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkDone {
    /// The annotation name.
    pub name: String,
    /// Spans annotated.
    pub annotated: u64,
}

/// The selection of the form's fields: `collection` (a rowid) when given,
/// else the trace list of `project` with `filter` (its query string).
#[cfg(feature = "ssr")]
fn selection(project: &str, filter: &str, collection: &str) -> crate::store::Selection {
    use crate::store::Selection;
    match collection.trim() {
        "" => Selection::TraceList {
            project: project.to_owned(),
            query: Box::new(crate::model::TraceListQuery::from_query_string(filter).first_page()),
        },
        rowid => Selection::Collection {
            collection: match rowid.parse::<i64>() {
                Ok(rowid) => crate::ids::CollectionId(rowid).to_string(),
                Err(_) => rowid.to_owned(),
            },
            project: None,
        },
    }
}

/// Counts the selection for the confirm page; `Ok(None)` when its project
/// or collection does not exist.
#[server(endpoint = "load_bulk_selection")]
pub async fn load_bulk_selection(
    project: String,
    filter: String,
    collection: String,
) -> Result<Option<BulkSelection>, ServerFnError> {
    let store = expect_context::<crate::store::Store>();
    let found = async {
        let count = store.count_selection(&selection(&project, &filter, &collection)).await?;
        let (description, back_href) = match collection.trim() {
            "" => {
                let query = crate::model::TraceListQuery::from_query_string(&filter).first_page();
                let base = format!("/projects/{}", crate::model::percent_encode(&project));
                let which = if query.is_filtered() { "matching the list's filters" } else { "(no filter)" };
                (
                    format!("The root spans of the traces of {project} {which}"),
                    format!("{base}{}", query.to_query_string()),
                )
            }
            rowid => {
                let found = store.collection_by_rowid(rowid.parse().unwrap_or(-1)).await?;
                (format!("The spans of collection {}", found.name), crate::model::collection_path(found.id))
            }
        };
        Ok::<_, crate::store::Error>(BulkSelection { description, count, back_href })
    };
    match found.await {
        Ok(selection) => Ok(Some(selection)),
        Err(crate::store::Error::NotFound(_)) => Ok(None),
        Err(error) => Err(super::server_error(error)),
    }
}

/// Writes one annotation (as the caller, HUMAN, source APP) on every span of
/// the selection, in one transaction. `expected` is the count the caller
/// confirmed (with `confirm` ticked): if the selection has changed since,
/// nothing is written and the page shows the new count.
#[server(endpoint = "annotate_selection")]
#[allow(clippy::too_many_arguments)]
pub async fn annotate_selection(
    #[server(default)] project: String,
    #[server(default)] filter: String,
    #[server(default)] collection: String,
    expected: String,
    name: String,
    #[server(default)] label: String,
    #[server(default)] score: String,
    #[server(default)] explanation: String,
    #[server(default)] confirm: String,
) -> Result<String, ServerFnError> {
    use super::annotation_forms::{app_annotation, form_annotation};
    use crate::model::MAX_BULK_ANNOTATED;
    let store = expect_context::<crate::store::Store>();
    if confirm.trim().is_empty() {
        return Err(super::refused("Tick the box that confirms the count"));
    }
    let (name, result) = form_annotation(name, label, score, explanation)?;
    let selection = selection(&project, &filter, &collection);
    let count = store.count_selection(&selection).await.map_err(super::server_error)?;
    if count > MAX_BULK_ANNOTATED {
        return Err(super::refused(format!("More than {MAX_BULK_ANNOTATED} spans are selected; narrow the selection")));
    }
    if expected.trim().parse::<i64>().ok() != Some(count) {
        return Err(super::refused(format!(
            "The selection has changed: it now holds {count} spans. Check the count and confirm again."
        )));
    }
    let identifier = super::caller().own_identifier("");
    let annotation = app_annotation(String::new(), name.clone(), result, identifier);
    let annotated = store.annotate_selection(&selection, &annotation).await.map_err(super::server_error)?;
    // The page after the post (a redirect, or the page swapper's reload) says what happened.
    let carrier = match collection.trim() {
        "" => super::shown_once::BULK_DONE_PROJECTS,
        _ => super::shown_once::BULK_DONE_COLLECTIONS,
    };
    super::shown_once::keep(carrier, &BulkDone { name: name.clone(), annotated });
    Ok(bulk_message(annotated, &name))
}

/// `Annotated 3 spans with “quality”`.
pub fn bulk_message(annotated: u64, name: &str) -> String {
    match annotated {
        1 => format!("Annotated 1 span with “{name}”"),
        n => format!("Annotated {n} spans with “{name}”"),
    }
}
