//! Flagging spans into collections: the span page's collections panel, the
//! trace list's per-row flag menu and its "flag all matching" form. The flag
//! form is an island (it shows what it did in place); without JavaScript it
//! posts and comes back like every other form.

use leptos::form::ActionForm;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::{FlagMatching, FlagSpan, UnflagSpan, count_matching_traces, load_collections, load_span_collections};
use crate::model::collection_path;

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

/// What a flag form flags.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FlagTarget {
    /// One span.
    Span(String),
    /// The root span of every trace of `project` matching `filter` (a trace
    /// list query string).
    Matching {
        /// The project's name.
        project: String,
        /// The trace list's filters, as in its URL.
        filter: String,
    },
}

/// The flag form: collection name, note, submit, and what the last flag did.
/// `refresh`: reload the page's server-rendered parts after a flag (the span
/// page lists the span's collections).
#[island]
pub fn FlagForm(target: FlagTarget, button: String, refresh: bool) -> impl IntoView {
    view! { <FlagFields target button=Signal::stored(button) refresh /> }
}

/// The flag form's fields and outcome, for the islands that show it.
#[component]
fn FlagFields(target: FlagTarget, button: Signal<String>, refresh: bool) -> impl IntoView {
    let flag = ServerAction::<FlagSpan>::new();
    let flag_all = ServerAction::<FlagMatching>::new();
    let fields = view! {
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
    };
    let form = match target {
        FlagTarget::Span(span_id) => view! {
            <ActionForm action=flag attr:class="flag-form">
                <input type="hidden" name="span_id" value=span_id />
                {fields}
            </ActionForm>
        }
        .into_any(),
        FlagTarget::Matching { project, filter } => view! {
            <ActionForm action=flag_all attr:class="flag-form">
                <input type="hidden" name="project" value=project />
                <input type="hidden" name="filter" value=filter />
                {fields}
            </ActionForm>
        }
        .into_any(),
    };
    let outcome = move || flag.value().get().or_else(|| flag_all.value().get());
    #[cfg(feature = "hydrate")]
    if refresh {
        super::refresh_on_success(move || matches!(outcome(), Some(Ok(_))));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = refresh;
    view! {
        {form}
        {move || outcome().map(|result| match result {
            Ok(message) => view! { <p class="flag-result" role="status">{message}</p> }.into_any(),
            Err(error) => view! { <p class="error" role="alert">{super::error_text(&error)}</p> }.into_any(),
        })}
    }
}

/// The span page's "Collections" panel: the collections the span is in
/// (each with a remove button) and the flag form.
#[component]
pub fn FlagControl(#[prop(into)] span_id: String) -> impl IntoView {
    let unflag = ServerAction::<UnflagSpan>::new();
    let key = span_id.clone();
    let collections = Resource::new(move || key.clone(), load_span_collections);
    let remove_span = span_id.clone();
    view! {
        <section class="panel flag-panel" data-section="collections">
            <h3>"Collections"</h3>
            <CollectionNames />
            <Suspense fallback=|| ()>
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
                                            <a href=collection_path(c.id)>{c.name.clone()}</a>
                                            <ActionForm action=unflag attr:class="inline-form">
                                                <input type="hidden" name="collection" value=c.id.to_string() />
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
            </Suspense>
            <div data-flag="">
                <FlagForm target=FlagTarget::Span(span_id) button="Flag".to_owned() refresh=true />
            </div>
        </section>
    }
    .into_any()
}

/// A trace-list row's flag menu (`f` opens the selected row's).
#[component]
pub fn FlagMenu(#[prop(into)] span_id: String) -> impl IntoView {
    view! {
        <details class="flag-menu" data-flag="">
            <summary class="button small" title="Flag into a collection (f)">"Flag"</summary>
            <div class="flag-popover">
                <FlagForm target=FlagTarget::Span(span_id) button="Flag".to_owned() refresh=false />
            </div>
        </details>
    }
    .into_any()
}

/// "Flag all N matching this filter": the root spans of every trace the
/// list's filters (`filter`, the list's query string) select, on every page.
/// N is counted when the menu opens, not when the page renders: counting can
/// mean reading every trace of the project, which the list itself never does.
#[island]
pub fn FlagAll(project: String, filter: String) -> impl IntoView {
    let count = RwSignal::new(None::<crate::model::MatchCount>);
    let (count_project, count_filter) = (project.clone(), filter.clone());
    let load_count = move |_| {
        if count.get_untracked().is_none() {
            let (project, filter) = (count_project.clone(), count_filter.clone());
            leptos::task::spawn_local(async move {
                if let Ok(Some(matching)) = count_matching_traces(project, filter).await {
                    count.set(Some(matching));
                }
            });
        }
    };
    let summary = move || match count.get() {
        Some(matching) => format!("Flag all {matching} matching this filter"),
        None => "Flag all matching this filter".to_owned(),
    };
    let button = Signal::derive(move || match count.get() {
        Some(matching) => format!("Flag {matching} traces"),
        None => "Flag them all".to_owned(),
    });
    view! {
        <details class="flag-all" data-flag-all="" on:toggle=load_count>
            <summary class="button">{summary}</summary>
            <FlagFields target=FlagTarget::Matching { project, filter } button refresh=false />
        </details>
    }
}
