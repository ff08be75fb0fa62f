//! `/queues/{n}/review`: working a queue, one item at a time. The item's
//! input and output (or chat) on one side; the form built from the queue's
//! configs and the instructions on the other. Opening the page reserves the
//! caller's next item; the form posts and the page comes back with the next
//! one (`?item=` shows one the caller reviewed already, to change it).
//!
//! Keys (the `Shortcuts` island, with JavaScript): `1`–`9` pick a label,
//! `Enter` submits and loads the next, `s` skips, `u` goes back to the
//! previous item, `?` lists them. Without JavaScript the same buttons work.

use std::collections::HashMap;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::queue_page::Instructions;
use super::queues::ProgressBar;
use crate::api::{CompleteReview, SkipReview, load_review, queue_path};
use crate::components::{FormError, KindBadge, SpanIo, StatusBadge, chat_messages, format_time, value_text};
use crate::ids::QueueId;
use crate::model::{
    Annotation, AnnotationConfig, AnnotationConfigKind, ReviewItem, ReviewView, format_score, percent_encode,
};
use crate::pages::NotFound;

/// The review page; an unknown queue is a 404.
#[component]
pub fn QueueReview() -> impl IntoView {
    let rowid = use_params_map().read_untracked().get("id").and_then(|id| id.parse::<i64>().ok());
    let item = use_query_map().read_untracked().get("item").filter(|item| !item.is_empty());
    let view = Resource::new(
        move || (rowid, item.clone()),
        |(rowid, item)| async move {
            match rowid {
                Some(rowid) => load_review(rowid, item).await,
                None => Ok(None),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading the next item…"</p> }>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(Some(view)) => view! { <Review view /> }.into_any(),
                    Ok(None) => view! { <NotFound /> }.into_any(),
                    Err(error) => view! { <p class="error">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Review(view: ReviewView) -> impl IntoView {
    let ReviewView { queue: shown, refusal, item } = view;
    let queue = shown.queue;
    let path = queue_path(queue.id);
    let body = match (refusal, item) {
        (Some(why), _) => view! {
            <section class="empty"><h2>"You cannot work this queue"</h2><p>{why}</p></section>
        }
        .into_any(),
        (None, None) => view! {
            <section class="empty" data-review-done="">
                <h2>"Nothing left for you in this queue"</h2>
                <p>"Every item is done, reserved by someone else, or reviewed by you already."</p>
                <p><a class="button" href=path.clone()>"Back to the queue"</a></p>
            </section>
        }
        .into_any(),
        (None, Some(item)) => view! {
            <ReviewItemView queue_id=queue.id item configs=shown.configs instructions=shown.instructions_html />
        }
        .into_any(),
    };
    view! {
        <Title text=format!("Review · {} · Plume", queue.name) />
        <nav class="crumbs" aria-label="Breadcrumbs">
            <a href="/queues">"Review queues"</a>
            <span>"/"</span>
            <a href=path>{queue.name.clone()}</a>
            <span>"/"</span>
            <span>"Review"</span>
        </nav>
        <div class="page-head">
            <h1>"Review: " {queue.name.clone()}</h1>
            <ProgressBar progress=queue.progress.clone() label="Progress of this queue" />
        </div>
        {body}
    }
}

/// One item: what to judge, the form, the instructions.
#[component]
fn ReviewItemView(
    queue_id: QueueId,
    item: ReviewItem,
    configs: Vec<AnnotationConfig>,
    instructions: String,
) -> impl IntoView {
    let complete = ServerAction::<CompleteReview>::new();
    let skip = ServerAction::<SkipReview>::new();
    let span = &item.span;
    let attributes = &span.attributes;
    let text = |key: &str| attributes.get(key).map(value_text);
    let (input, output) = (text("input.value"), text("output.value"));
    let (input_messages, output_messages) =
        (chat_messages(attributes, "llm.input_messages"), chat_messages(attributes, "llm.output_messages"));
    let project = percent_encode(&item.project);
    let span_href = format!("/projects/{project}/spans/{}", span.context.span_id);
    let (what, what_href) = match &item.trace_id {
        Some(trace) => (format!("Trace {trace}"), format!("/projects/{project}/traces/{trace}")),
        None => (format!("Span {}", span.context.span_id), span_href),
    };
    let revising = item.reserved_until.is_none();
    let own: HashMap<String, Annotation> = item.own.iter().map(|a| (a.name.clone(), a.clone())).collect();
    let explanation = item.own.iter().find_map(|a| a.result.explanation.clone()).unwrap_or_default();
    let back = item.previous.map(|previous| format!("{}/review?item={previous}", queue_path(queue_id)));
    let submit = if revising { "Save and continue" } else { "Submit and next" };
    let (item_id, skip_item, skip_queue) = (item.item_id.to_string(), item.item_id.to_string(), queue_id.to_string());
    let marker = item.item_id.to_string();
    let next_href = format!("{}/review", queue_path(queue_id));
    let mut key = 0;
    let fields = configs
        .iter()
        .enumerate()
        .map(|(index, config)| config_field(index, config, own.get(&config.data.name), &mut key))
        .collect_view();
    view! {
        <div class="review-layout" data-review="" data-item=marker>
            <section class="review-target" aria-labelledby="review-target-title">
                <header class="span-head">
                    <div class="span-title">
                        <StatusBadge status=span.status_code.clone() />
                        <KindBadge kind=span.span_kind.clone() />
                        <h2 id="review-target-title">{span.name.clone()}</h2>
                    </div>
                    <p class="muted">
                        <a href=what_href><code>{what}</code></a>
                        " · " {format_time(span.start_time)}
                        {item.reserved_until.map(|until| format!(" · yours until {}", format_time(until)))}
                    </p>
                    {revising.then(|| view! {
                        <p class="notice" role="note">"You reviewed this item already; saving changes your answer."</p>
                    })}
                </header>
                <div class="io-grid">
                    <SpanIo title="Input" side="input" messages=input_messages value=input />
                    <SpanIo title="Output" side="output" messages=output_messages value=output />
                </div>
            </section>
            <aside class="review-side">
                <ActionForm action=complete attr:class="stack-form review-form" attr:aria-label="Your review"
                    attr:data-review-form="" attr:data-focus-main="" attr:data-done="Review saved; next item">
                    <input type="hidden" name="queue" value=queue_id.to_string() />
                    <input type="hidden" name="item" value=item_id />
                    {fields}
                    <label class="field">
                        <span>"Explanation (optional)"</span>
                        <textarea id="review-explanation" name="explanation" rows="2">{explanation}</textarea>
                    </label>
                    <button type="submit" class="button primary" data-review-submit="">
                        {submit} " " <kbd>"Enter"</kbd>
                    </button>
                </ActionForm>
                <FormError action=complete />
                <div class="review-actions">
                    {(!revising).then(|| view! {
                        <ActionForm action=skip attr:class="inline-form" attr:data-focus-main="" attr:data-done="Skipped; next item">
                            <input type="hidden" name="queue" value=skip_queue />
                            <input type="hidden" name="item" value=skip_item />
                            <button type="submit" class="button" data-review-skip="">"Skip " <kbd>"s"</kbd></button>
                        </ActionForm>
                    })}
                    {revising.then(|| view! {
                        <a class="button" href=next_href>"Back to my next item"</a>
                    })}
                    {back.map(|href| view! {
                        <a class="button" href=href data-review-back="" data-swap="">"Previous " <kbd>"u"</kbd></a>
                    })}
                </div>
                <p class="muted keys-hint">
                    <kbd>"1"</kbd> "–" <kbd>"9"</kbd> " pick a label · " <kbd>"Enter"</kbd> " submits · "
                    <kbd>"s"</kbd> " skips · " <kbd>"u"</kbd> " goes back · " <kbd>"?"</kbd> " lists the keys"
                </p>
                <Instructions html=instructions />
            </aside>
        </div>
    }
}

/// The field of the queue's `index`-th config; categorical labels are
/// numbered on from `key` (the first nine answer to `1`–`9`).
fn config_field(index: usize, config: &AnnotationConfig, own: Option<&Annotation>, key: &mut usize) -> AnyView {
    let name = config.data.name.clone();
    let marker = name.clone();
    let field = format!("a[c{index}]");
    match &config.data.kind {
        AnnotationConfigKind::Categorical { values, .. } => {
            let current = own.and_then(|a| a.result.label.clone());
            let choices = values
                .iter()
                .map(|value| {
                    *key += 1;
                    let number = (*key <= 9).then(|| key.to_string());
                    view! {
                        <label class="choice-option">
                            <input type="radio" name=field.clone() value=value.label.clone()
                                checked=current.as_deref() == Some(value.label.as_str())
                                data-review-key=number.clone().unwrap_or_default() />
                            {number.map(|n| view! { <kbd>{n}</kbd> " " })}
                            {value.label.clone()}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="review-config" data-config=marker>
                    <legend>{name}</legend>
                    <div class="choice-options">{choices}</div>
                </fieldset>
            }
            .into_any()
        }
        AnnotationConfigKind::Continuous { lower_bound, upper_bound, .. } => {
            let current = own.and_then(|a| a.result.score).map(format_score).unwrap_or_default();
            view! {
                <label class="field review-config" data-config=marker>
                    <span>{name}</span>
                    <input type="number" name=field step="any" value=current
                        min=lower_bound.map(format_score) max=upper_bound.map(format_score) />
                </label>
            }
            .into_any()
        }
        AnnotationConfigKind::Freeform { .. } => {
            let current = own.and_then(|a| a.result.explanation.clone()).unwrap_or_default();
            view! {
                <label class="field review-config" data-config=marker>
                    <span>{name}</span>
                    <input type="text" name=field value=current />
                </label>
            }
            .into_any()
        }
    }
}
