//! "Annotate all": the confirm page that shows how many spans a selection
//! holds and writes one annotation on all of them. Two routes share it:
//! `/projects/{p}/annotate?<the trace list's filters>` (the root spans of
//! every matching trace, like "Flag all") and `/collections/{id}/annotate`.
//! A plain form: the count it confirms travels with it, and the server
//! refuses if the selection changed in between.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{AnnotateSelection, BulkDone, BulkSelection, bulk_message, load_bulk_selection, shown_once};
use crate::components::{FormError, error_text};
use crate::model::{MAX_BULK_ANNOTATED, TraceListQuery};
use crate::pages::NotFound;

/// `/projects/{p}/annotate?…`: the trace list's selection.
#[component]
pub fn ProjectBulkAnnotate() -> impl IntoView {
    let project = use_params_map().read_untracked().get("project").unwrap_or_default();
    let query_map = use_query_map();
    let filter = TraceListQuery::from_params(|key| query_map.read_untracked().get(key)).first_page().to_query_string();
    let done = shown_once::take::<BulkDone>(shown_once::BULK_DONE_PROJECTS);
    view! { <BulkAnnotate project filter collection=String::new() done /> }
}

/// `/collections/{id}/annotate`: a collection's spans.
#[component]
pub fn CollectionBulkAnnotate() -> impl IntoView {
    let collection = use_params_map().read_untracked().get("id").unwrap_or_default();
    let done = shown_once::take::<BulkDone>(shown_once::BULK_DONE_COLLECTIONS);
    view! { <BulkAnnotate project=String::new() filter=String::new() collection done /> }
}

/// Loads the count, then shows it with the form.
#[component]
fn BulkAnnotate(project: String, filter: String, collection: String, done: Option<BulkDone>) -> impl IntoView {
    let key = (project.clone(), filter.clone(), collection.clone());
    let selected = Resource::new(move || key.clone(), |(p, f, c)| load_bulk_selection(p, f, c));
    view! {
        <Title text="Annotate all · Plume" />
        <Suspense fallback=|| view! { <p class="muted">"Counting the selection…"</p> }>
            {move || {
                let (project, filter, collection, done) = (project.clone(), filter.clone(), collection.clone(), done.clone());
                Suspend::new(async move {
                    match selected.await {
                        Ok(Some(selected)) => view! { <Confirm project filter collection selected done /> }.into_any(),
                        Ok(None) => view! { <NotFound /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_text(&error)}</p> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// The count, what the last post did, and the form (for those who may annotate).
#[component]
fn Confirm(
    project: String,
    filter: String,
    collection: String,
    selected: BulkSelection,
    done: Option<BulkDone>,
) -> impl IntoView {
    let BulkSelection { description, count, back_href } = selected;
    let action = ServerAction::<AnnotateSelection>::new();
    let may = crate::api::may(crate::model::accounts::Permission::Annotate);
    let body = if count > MAX_BULK_ANNOTATED {
        view! {
            <p class="error" role="alert">
                {format!("More than {MAX_BULK_ANNOTATED} spans are selected: at most {MAX_BULK_ANNOTATED} are annotated at once. ")}
                <a href=back_href.clone()>"Narrow the selection"</a>
            </p>
        }
        .into_any()
    } else if count == 0 {
        view! { <p class="muted">"No span is selected: nothing to annotate."</p> }.into_any()
    } else if !may {
        view! { <p class="muted">"Your role may read but not annotate."</p> }.into_any()
    } else {
        let spans = if count == 1 { "1 span".to_owned() } else { format!("{count} spans") };
        view! {
            <ActionForm action attr:class="stack-form panel bulk-form" attr:data-done="Annotated">
                <input type="hidden" name="project" value=project />
                <input type="hidden" name="filter" value=filter />
                <input type="hidden" name="collection" value=collection />
                <input type="hidden" name="expected" value=count.to_string() />
                <div class="form-row">
                    <label class="field">
                        <span>"Name"</span>
                        <input name="name" required=true autocomplete="off" placeholder="e.g. correctness" />
                    </label>
                    <label class="field">
                        <span>"Label"</span>
                        <input name="label" autocomplete="off" />
                    </label>
                    <label class="field">
                        <span>"Score"</span>
                        <input name="score" inputmode="decimal" autocomplete="off" />
                    </label>
                </div>
                <label class="field">
                    <span>"Explanation"</span>
                    <textarea name="explanation" rows="2"></textarea>
                </label>
                <label class="field check">
                    <input type="checkbox" name="confirm" required=true />
                    <span>{format!("Yes, write this annotation on all {spans}")}</span>
                </label>
                <button type="submit" class="button primary">{format!("Annotate {spans}")}</button>
            </ActionForm>
            <FormError action />
        }
        .into_any()
    };
    view! {
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href=back_href.clone()>"Back to the selection"</a>
        </nav>
        <div class="page-head">
            <h1>"Annotate all"</h1>
        </div>
        {done.map(|done| view! { <p class="notice" role="status">{bulk_message(done.annotated, &done.name)}</p> })}
        <p>
            {description} ": "
            <strong data-count=count>
                {if count > MAX_BULK_ANNOTATED { format!("more than {MAX_BULK_ANNOTATED}") } else { count.to_string() }}
                " spans"
            </strong>
            ". One annotation, written as you (HUMAN) on every one of them, in one step: all of them or none."
        </p>
        {body}
    }
}
