//! `/queues`: every review queue with its progress, and the form that makes one.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateQueue, load_annotation_configs, load_queues, queue_path};
use crate::components::FormError;
use crate::model::{AnnotationQueue, DEFAULT_RESERVATION_SECONDS, QueueProgress};

/// The queues page.
#[component]
pub fn Queues() -> impl IntoView {
    let queues = Resource::new(|| (), |_| load_queues());
    view! {
        <Title text="Review queues · Plume" />
        <div class="page-head">
            <h1>"Review queues"</h1>
            <span class="muted">"Spans and traces handed to reviewers, each reviewed by k of them"</span>
        </div>
        {crate::api::may(crate::model::accounts::Permission::Manage).then(|| view! { <NewQueueForm /> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading queues…"</p> }>
            {move || Suspend::new(async move {
                match queues.await {
                    Ok(list) if list.is_empty() => view! {
                        <section class="empty">
                            <h2>"No review queues yet"</h2>
                            <p>"Make one above, then add spans to it from a trace list, a collection or a span page."</p>
                        </section>
                    }
                    .into_any(),
                    Ok(list) => view! { <QueueTable queues=list /> }.into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Progress as a bar and `done / total (n %)`.
#[component]
pub fn ProgressBar(progress: QueueProgress, #[prop(into)] label: String) -> impl IntoView {
    let text = format!("{} / {} done ({} %)", progress.done, progress.total, progress.percent());
    view! {
        <span class="queue-progress" data-progress=progress.percent()>
            <progress max=progress.total.max(1) value=progress.done aria-label=label></progress>
            <span class="nowrap">{text}</span>
        </span>
    }
}

/// One row per queue.
#[component]
fn QueueTable(queues: Vec<AnnotationQueue>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table queues">
                <thead>
                    <tr>
                        <th>"Name"</th>
                        <th>"Project"</th>
                        <th class="num">"Reviewers per item"</th>
                        <th>"Progress"</th>
                    </tr>
                </thead>
                <tbody>
                    {queues
                        .into_iter()
                        .enumerate()
                        .map(|(index, q)| {
                            let label = format!("Progress of {}", q.name);
                            view! {
                                <tr class="row" data-nav=index data-queue=q.name.clone()>
                                    <td><a class="name" href=queue_path(q.id) data-open="">{q.name.clone()}</a></td>
                                    <td class="muted">{q.project_name.clone().unwrap_or_default()}</td>
                                    <td class="num">{q.reviewers_per_item}</td>
                                    <td><ProgressBar progress=q.progress.clone() label /></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The new-queue form: name, project, instructions, k, reservation and the
/// configs a reviewer fills.
#[component]
fn NewQueueForm() -> impl IntoView {
    let create = ServerAction::<CreateQueue>::new();
    let configs = Resource::new(|| (), |_| load_annotation_configs());
    let minutes = (DEFAULT_RESERVATION_SECONDS / 60).to_string();
    view! {
        <details class="queue-create" open=create.value().get_untracked().is_some_and(|r| r.is_err())>
            <summary class="button primary">"New queue"</summary>
            <ActionForm action=create attr:class="stack-form" attr:aria-label="New review queue">
                <div class="form-row">
                    <label class="field">
                        <span>"Name"</span>
                        <input name="name" required=true placeholder="e.g. Refund answers, week 12" />
                    </label>
                    <label class="field">
                        <span>"Project (optional)"</span>
                        <input name="project" placeholder="Project name" />
                    </label>
                </div>
                <div class="form-row">
                    <label class="field">
                        <span>"Reviewers per item"</span>
                        <input name="reviewers_per_item" type="number" min="1" max="100" value="1" />
                    </label>
                    <label class="field">
                        <span>"Reservation (minutes)"</span>
                        <input name="reservation_minutes" type="number" min="1" value=minutes />
                    </label>
                </div>
                <label class="field">
                    <span>"Instructions (Markdown)"</span>
                    <textarea name="instructions" rows="4" placeholder="What reviewers should look for"></textarea>
                </label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = configs.await.unwrap_or_default();
                        if list.is_empty() {
                            return view! {
                                <p class="muted">"No annotation configs yet: reviewers will only mark items reviewed."</p>
                            }
                            .into_any();
                        }
                        view! {
                            <fieldset class="config-choices">
                                <legend>"What reviewers fill in"</legend>
                                {list
                                    .into_iter()
                                    .map(|config| view! {
                                        <label class="check">
                                            <input type="checkbox" name=format!("configs[{}]", config.id) value="on" />
                                            {config.data.name.clone()}
                                        </label>
                                    })
                                    .collect_view()}
                            </fieldset>
                        }
                        .into_any()
                    })}
                </Suspense>
                <button type="submit" class="button primary">"Create queue"</button>
            </ActionForm>
            <FormError action=create />
        </details>
    }
}
