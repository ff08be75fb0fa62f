//! Flagging spans into collections: the span page's collections panel, the
//! trace list's per-row flag menu and its "flag all matching" form. Every
//! form is an `ActionForm`, so it posts and comes back without JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{FlagMatching, FlagSpan, UnflagSpan, count_matching_traces, load_collections, load_span_collections};
use crate::model::{TraceListQuery, collection_path};

/// `<datalist id="collection-names">` of every collection, for the flag
/// forms' name fields (render it once per page).
#[component]
pub fn CollectionNames() -> impl IntoView {
    let names = Resource::new(|| (), |_| load_collections());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let collections = names.await.unwrap_or_default();
                view! {
                    <datalist id="collection-names">
                        {collections.into_iter().map(|c| view! { <option value=c.name></option> }).collect_view()}
                    </datalist>
                }
            })}
        </Suspense>
    }
}

/// The collection name and note fields, and the submit button.
#[component]
fn FlagFields(#[prop(into)] button: String) -> impl IntoView {
    view! {
        <label class="field">
            <span>"Collection"</span>
            <input name="collection" required=true list="collection-names" autocomplete="off"
                placeholder="Pick one or type a new name" />
        </label>
        <label class="field">
            <span>"Why flag it"</span>
            <input name="note" placeholder="Note for reviewers (optional)" />
        </label>
        <button type="submit" class="button primary">{button}</button>
    }
}

/// What the last flag said: `Added to …`, or the error.
fn outcome(result: Option<Result<String, ServerFnError>>) -> Option<AnyView> {
    Some(match result? {
        Ok(message) => view! { <p class="flag-result" role="status">{message}</p> }.into_any(),
        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
    })
}

/// The span page's "Collections" panel: the collections the span is in
/// (each with a remove button) and the flag form.
#[component]
pub fn FlagControl(#[prop(into)] span_id: String) -> impl IntoView {
    let flag = ServerAction::<FlagSpan>::new();
    let unflag = ServerAction::<UnflagSpan>::new();
    let key = span_id.clone();
    let collections = Resource::new(
        move || (key.clone(), flag.version().get(), unflag.version().get()),
        |(span_id, _, _)| load_span_collections(span_id),
    );
    let remove_span = span_id.clone();
    view! {
        <section class="panel flag-panel" data-section="collections">
            <h3>"Collections"</h3>
            <CollectionNames />
            <Transition fallback=|| ()>
                {move || {
                    let span_id = remove_span.clone();
                    Suspend::new(async move {
                        let list = collections.await.unwrap_or_default();
                        if list.is_empty() {
                            return view! { <p class="muted">"Not in any collection."</p> }.into_any();
                        }
                        view! {
                            <ul class="in-collections">
                                {list
                                    .into_iter()
                                    .map(|c| {
                                        let span_id = span_id.clone();
                                        view! {
                                        <li data-collection=c.name.clone()>
                                            <a href=collection_path(&c.id)>{c.name.clone()}</a>
                                            <ActionForm action=unflag attr:class="inline-form">
                                                <input type="hidden" name="collection" value=c.id.clone() />
                                                <input type="hidden" name="span_id" value=span_id.clone() />
                                                <button type="submit" class="button small">"Remove"</button>
                                            </ActionForm>
                                        </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any()
                    })
                }}
            </Transition>
            <ActionForm action=flag attr:class="flag-form" attr:data-flag="">
                <input type="hidden" name="span_id" value=span_id />
                <FlagFields button="Flag" />
            </ActionForm>
            {move || outcome(flag.value().get())}
        </section>
    }
    .into_any()
}

/// A trace-list row's flag menu (`f` opens the selected row's).
#[component]
pub fn FlagMenu(#[prop(into)] span_id: String) -> impl IntoView {
    let flag = ServerAction::<FlagSpan>::new();
    view! {
        <details class="flag-menu" data-flag="">
            <summary class="button small" title="Flag into a collection (f)">"Flag"</summary>
            <div class="flag-popover">
                <ActionForm action=flag attr:class="flag-form">
                    <input type="hidden" name="span_id" value=span_id />
                    <FlagFields button="Flag" />
                </ActionForm>
                {move || outcome(flag.value().get())}
            </div>
        </details>
    }
    .into_any()
}

/// "Flag all N matching this filter": the root spans of every trace the
/// list's filters select, on every page.
#[component]
pub fn FlagAll(#[prop(into)] project: String, query: TraceListQuery) -> impl IntoView {
    let query = query.first_page();
    let filter = query.to_query_string();
    let flag = ServerAction::<FlagMatching>::new();
    let (count_project, count_query) = (project.clone(), query.clone());
    let count = Resource::new(|| (), move |_| count_matching_traces(count_project.clone(), count_query.clone()));
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let (project, filter) = (project.clone(), filter.clone());
                Suspend::new(async move {
                    let matching = count.await.ok().flatten().unwrap_or(0);
                    (matching > 0).then(|| view! {
                        <details class="flag-all" data-flag-all="">
                            <summary class="button">{format!("Flag all {matching} matching this filter")}</summary>
                            <ActionForm action=flag attr:class="flag-form">
                                <input type="hidden" name="project" value=project />
                                <input type="hidden" name="filter" value=filter />
                                <FlagFields button=format!("Flag {matching} traces") />
                            </ActionForm>
                            {move || outcome(flag.value().get())}
                        </details>
                    })
                })
            }}
        </Suspense>
    }
    .into_any()
}
