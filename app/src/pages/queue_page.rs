//! `/queues/{n}`: a review queue: its instructions, progress per reviewer,
//! and its items (`?cursor=` pages them).

use leptos::prelude::*;
use leptos_meta::Title;

use super::queues::ProgressBar;
use crate::api::{load_queue, queue_path};
use crate::model::{ItemStatus, QueueItem, QueueView, percent_encode};

/// The queue page; an unknown queue is a 404.
#[component]
pub fn QueuePage() -> impl IntoView {
    super::by_rowid::by_rowid("queue", load_queue, |view| view! { <Queue view /> })
}

/// The instructions, rendered on the server from Markdown with raw HTML escaped.
#[component]
pub fn Instructions(html: String) -> impl IntoView {
    (!html.trim().is_empty()).then(|| {
        view! {
            <section class="panel instructions" aria-labelledby="instructions-title">
                <h2 id="instructions-title">"Instructions"</h2>
                <div class="markdown" inner_html=html></div>
            </section>
        }
    })
}

#[component]
fn Queue(view: QueueView) -> impl IntoView {
    let QueueView { queue, instructions_html, configs, items, next_cursor } = view;
    let path = queue_path(queue.id);
    let next = next_cursor.map(|cursor| format!("{path}?cursor={cursor}"));
    let config_names = configs.into_iter().map(|c| c.data.name).collect::<Vec<_>>().join(", ");
    let minutes = (queue.reservation_seconds + 59) / 60;
    view! {
        <Title text=format!("{} · Review queues · Plume", queue.name) />
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/queues">"Review queues"</a>
            <span>"/"</span>
            <span>{queue.name.clone()}</span>
        </nav>
        <div class="page-head">
            <h1>{queue.name.clone()}</h1>
            <ProgressBar progress=queue.progress.clone() label="Progress of this queue" />
            {crate::api::may(crate::model::accounts::Permission::Annotate).then(|| view! {
                <a class="button primary push-right" href=format!("{path}/review")>"Start reviewing"</a>
            })}
        </div>
        <dl class="facts">
            <div><dt>"Reviewers per item"</dt><dd>{queue.reviewers_per_item}</dd></div>
            <div><dt>"Reservation"</dt><dd>{format!("{minutes} min")}</dd></div>
            <div><dt>"Fills in"</dt><dd>{if config_names.is_empty() { "nothing (mark reviewed)".to_owned() } else { config_names }}</dd></div>
            {queue.project_name.clone().map(|p| view! {
                <div><dt>"Project"</dt><dd><a href=format!("/projects/{}", percent_encode(&p))>{p.clone()}</a></dd></div>
            })}
        </dl>
        <Instructions html=instructions_html />
        <section class="panel" aria-labelledby="reviewers-title">
            <h2 id="reviewers-title">"Reviewers"</h2>
            {if queue.progress.by_reviewer.is_empty() {
                view! { <p class="muted">"Nobody has reviewed an item yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table reviewers">
                        <thead><tr><th>"Reviewer"</th><th class="num">"Reviews done"</th></tr></thead>
                        <tbody>
                            {queue.progress.by_reviewer.iter().map(|r| view! {
                                <tr data-reviewer=r.name.clone()><td>{r.name.clone()}</td><td class="num">{r.done}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
        <section class="panel" aria-labelledby="items-title">
            <h2 id="items-title">"Items"</h2>
            {if items.is_empty() {
                view! {
                    <p class="muted">"No items yet. Add spans from a trace list (its filter), a collection or a span page."</p>
                }
                .into_any()
            } else {
                view! { <ItemTable items /> }.into_any()
            }}
            {next.map(|href| view! { <nav class="pager" aria-label="Pages"><a class="button" href=href>"Next page »"</a></nav> })}
        </section>
    }
}

#[component]
fn ItemTable(items: Vec<QueueItem>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table queue-items">
                <thead><tr><th>"Item"</th><th>"Project"</th><th>"Status"</th><th class="num">"Reviews"</th></tr></thead>
                <tbody>
                    {items.into_iter().map(|item| {
                        let project = percent_encode(&item.project_name);
                        let (href, text) = match (&item.span_id, &item.trace_id) {
                            (Some(span), _) => (format!("/projects/{project}/spans/{span}"), format!("Span {span}")),
                            (None, Some(trace)) => (format!("/projects/{project}/traces/{trace}"), format!("Trace {trace}")),
                            (None, None) => (String::new(), String::new()),
                        };
                        let status = match item.status {
                            ItemStatus::Pending => "pending",
                            ItemStatus::Reserved => "reserved",
                            ItemStatus::Done => "done",
                        };
                        view! {
                            <tr data-item=item.id.to_string()>
                                <td><a href=href><code>{text}</code></a></td>
                                <td class="muted">{item.project_name.clone()}</td>
                                <td><span class=format!("item-status status-{status}")>{status}</span></td>
                                <td class="num">{item.reviews}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
