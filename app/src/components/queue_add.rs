//! "Add to a review queue": the span page's form for one span, the trace
//! list's for every trace its filter shows, the collection page's for every
//! span of the collection. A plain form (pick a queue, add), so it works
//! without JavaScript; adding many goes to the queue's page.

use leptos::form::ActionForm;
use leptos::prelude::*;

use crate::api::{AddToQueue, load_queues};

/// What the form adds.
#[derive(Clone, Debug, PartialEq)]
pub enum QueueAddTarget {
    /// One span.
    Span(String),
    /// The root span of every trace of `project` that the trace list shows
    /// with `filter` (its query string), on every page.
    Matching {
        /// The project's name.
        project: String,
        /// The trace list's query string.
        filter: String,
    },
    /// Every span of a collection (global id).
    Collection(String),
}

/// The form behind a `<details>` button labelled `label`.
#[component]
pub fn QueueAdd(target: QueueAddTarget, #[prop(into)] label: String) -> impl IntoView {
    let add = ServerAction::<AddToQueue>::new();
    let queues = Resource::new(|| (), |_| load_queues());
    let hidden = move |target: QueueAddTarget| match target {
        QueueAddTarget::Span(span_id) => view! { <input type="hidden" name="span_id" value=span_id /> }.into_any(),
        QueueAddTarget::Matching { project, filter } => view! {
            <input type="hidden" name="project" value=project />
            <input type="hidden" name="filter" value=filter />
        }
        .into_any(),
        QueueAddTarget::Collection(id) => view! { <input type="hidden" name="collection" value=id /> }.into_any(),
    };
    view! {
        <details class="queue-add" data-queue-add="">
            <summary class="button">{label}</summary>
            <Suspense fallback=|| ()>
                {move || {
                    let hidden = hidden(target.clone());
                    Suspend::new(async move {
                        let list = queues.await.unwrap_or_default();
                        if list.is_empty() {
                            return view! {
                                <p class="muted">"No review queues yet: " <a href="/queues">"make one"</a> "."</p>
                            }
                            .into_any();
                        }
                        view! {
                            <ActionForm action=add attr:class="inline-form queue-add-form" attr:data-done="Added to the review queue">
                                {hidden}
                                <label class="field">
                                    <span>"Queue"</span>
                                    <select name="queue">
                                        {list
                                            .into_iter()
                                            .map(|q| view! { <option value=q.id.to_string()>{q.name.clone()}</option> })
                                            .collect_view()}
                                    </select>
                                </label>
                                <button type="submit" class="button primary">"Add"</button>
                            </ActionForm>
                        }
                        .into_any()
                    })
                }}
            </Suspense>
            <super::FormError action=add />
        </details>
    }
}
