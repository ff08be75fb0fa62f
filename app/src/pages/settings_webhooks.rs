//! `/settings/webhooks` (members and admins): the webhooks with a delete
//! button each and the form that makes one, whose secret is shown once on
//! the page after the post ([`crate::api::shown_once`]); and each webhook's
//! page, `/settings/webhooks/{id}`, with its delivery log, "send again" per
//! delivery and "send a test event". Plain forms: they work without JavaScript.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{
    CreateWebhook, DeleteWebhook, SendAgain, SendTestEvent, WebhookView, load_webhook, load_webhooks, shown_once,
};
use crate::components::{FormError, error_text, format_time};
use crate::model::{CreatedWebhook, Delivery, DeliveryStatus, WEBHOOK_EVENTS, Webhook, WebhookFilter};

/// The webhooks page.
#[component]
pub fn SettingsWebhooks() -> impl IntoView {
    let hooks = Resource::new(|| (), |_| load_webhooks());
    // Taken here, once: the suspended part below may render more than once.
    let created = shown_once::take::<CreatedWebhook>(shown_once::NEW_WEBHOOK);
    let create = ServerAction::<CreateWebhook>::new();
    view! {
        <Title text="Webhooks · Settings · Plume" />
        <div class="page-head">
            <h1>"Webhooks"</h1>
            <span class="muted">"Plume posts annotation events and alerts here, signed (Standard Webhooks)"</span>
        </div>
        {created.map(|created| view! { <NewSecret created /> })}
        <section class="panel" aria-labelledby="new-webhook">
            <h2 id="new-webhook">"New webhook"</h2>
            <p class="muted">
                "A Slack incoming-webhook URL works as is: every event carries a " <code>"text"</code> " field."
            </p>
            <ActionForm action=create attr:class="stack-form">
                <WebhookFields />
                <button type="submit" class="button primary">"Create webhook"</button>
            </ActionForm>
            <FormError action=create />
        </section>
        <section class="panel" aria-labelledby="webhooks">
            <h2 id="webhooks">"Webhooks"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading webhooks…"</p> }>
                {move || Suspend::new(async move {
                    match hooks.await {
                        Ok(hooks) => view! { <WebhookTable hooks /> }.into_any(),
                        Err(error) => view! { <p class="error" role="alert">{error_text(&error)}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The create form's fields: URL, events, filter.
#[component]
fn WebhookFields() -> impl IntoView {
    let names = ["event_created", "event_updated", "event_deleted"];
    view! {
        <label class="field">
            <span>"URL (http or https)"</span>
            <input name="url" type="url" required=true autocomplete="off" placeholder="https://hooks.slack.com/services/…" />
        </label>
        <fieldset class="scopes">
            <legend>"Events"</legend>
            {WEBHOOK_EVENTS
                .into_iter()
                .zip(names)
                .map(|(event, name)| view! {
                    <label class="field check">
                        <input type="checkbox" name=name value="on" checked=event == "annotation.created" />
                        <span>{event}</span>
                    </label>
                })
                .collect_view()}
        </fieldset>
        <fieldset class="scopes webhook-filter">
            <legend>"Only annotations matching (blank: any)"</legend>
            <div class="form-row">
                <label class="field">
                    <span>"Project"</span>
                    <input name="project" autocomplete="off" />
                </label>
                <label class="field">
                    <span>"Names (comma-separated)"</span>
                    <input name="names" autocomplete="off" placeholder="e.g. thumbs" />
                </label>
                <label class="field">
                    <span>"Labels (comma-separated)"</span>
                    <input name="labels" autocomplete="off" placeholder="e.g. down" />
                </label>
            </div>
            <div class="form-row">
                <label class="field">
                    <span>"Score at most"</span>
                    <input name="score_lte" inputmode="decimal" autocomplete="off" />
                </label>
                <label class="field">
                    <span>"Score at least"</span>
                    <input name="score_gte" inputmode="decimal" autocomplete="off" />
                </label>
                <label class="field">
                    <span>"Annotator kind"</span>
                    <select name="annotator_kind">
                        <option value="">"Any"</option>
                        <option value="HUMAN">"HUMAN"</option>
                        <option value="LLM">"LLM"</option>
                        <option value="CODE">"CODE"</option>
                    </select>
                </label>
            </div>
        </fieldset>
    }
}

/// A webhook just made: its secret, the only time it is shown.
#[component]
fn NewSecret(created: CreatedWebhook) -> impl IntoView {
    let href = format!("/settings/webhooks/{}", created.id);
    view! {
        <div class="created-link" role="status">
            <p>
                "New webhook. Copy its signing secret now: it is shown only once. "
                <a href=href>"Open its page"</a>
            </p>
            <input class="share-url" readonly=true value=created.secret aria-label="Signing secret" />
        </div>
    }
}

/// A filter in a few words.
fn describe(filter: &WebhookFilter) -> String {
    let mut parts = Vec::new();
    if let Some(project) = &filter.project {
        parts.push(format!("project {project}"));
    }
    if !filter.names.is_empty() {
        parts.push(format!("name {}", filter.names.join(" or ")));
    }
    if !filter.labels.is_empty() {
        parts.push(format!("label {}", filter.labels.join(" or ")));
    }
    if let Some(score) = filter.score_lte {
        parts.push(format!("score ≤ {score}"));
    }
    if let Some(score) = filter.score_gte {
        parts.push(format!("score ≥ {score}"));
    }
    if let Some(kind) = filter.annotator_kind {
        parts.push(kind.as_str().to_owned());
    }
    match parts.is_empty() {
        true => "every annotation".to_owned(),
        false => parts.join(", "),
    }
}

/// The webhooks, each with a link to its page and a delete button.
#[component]
fn WebhookTable(hooks: Vec<Webhook>) -> impl IntoView {
    if hooks.is_empty() {
        return view! { <p class="muted">"No webhooks yet."</p> }.into_any();
    }
    let delete = ServerAction::<DeleteWebhook>::new();
    view! {
        <FormError action=delete />
        // Focusable: a table wider than the screen scrolls, by keyboard too.
        <div class="table-wrap" tabindex="0" role="region" aria-label="Webhooks">
            <table class="table webhooks">
                <thead>
                    <tr>
                        <th scope="col">"URL"</th>
                        <th scope="col">"Events"</th>
                        <th scope="col">"Filter"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col"><span class="visually-hidden">"Delete"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {hooks
                        .into_iter()
                        .map(|hook| {
                            let href = format!("/settings/webhooks/{}", hook.id);
                            let label = format!("Delete the webhook to {}", hook.url);
                            let id = hook.id.to_string();
                            view! {
                                <tr data-webhook=hook.id.to_string()>
                                    <td class="url-cell"><a href=href>{hook.url.clone()}</a></td>
                                    <td>{hook.events.join(", ")}</td>
                                    <td>{describe(&hook.filter)}</td>
                                    <td class="muted nowrap">{format_time(hook.created_at)}</td>
                                    <td>
                                        <ActionForm action=delete attr:class="inline-form">
                                            <input type="hidden" name="id" value=id />
                                            <button type="submit" class="button small danger" aria-label=label>"Delete"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// One webhook's page: what it sends and its delivery log.
#[component]
pub fn WebhookPage() -> impl IntoView {
    let params = use_params_map();
    let view = Resource::new(move || params.read().get("id").unwrap_or_default(), load_webhook);
    view! {
        <Title text="Webhook · Settings · Plume" />
        <Suspense fallback=|| view! { <p class="muted">"Loading the webhook…"</p> }>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(view) => view! { <WebhookDetail view /> }.into_any(),
                    Err(error) => view! {
                        <h1>"Webhook"</h1>
                        <p class="error" role="alert">{error_text(&error)}</p>
                        <p><a href="/settings/webhooks">"All webhooks"</a></p>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn WebhookDetail(view: WebhookView) -> impl IntoView {
    let WebhookView { webhook, deliveries } = view;
    let test = ServerAction::<SendTestEvent>::new();
    let again = ServerAction::<SendAgain>::new();
    let id = webhook.id.to_string();
    view! {
        <div class="page-head">
            <h1>"Webhook"</h1>
            <a href="/settings/webhooks">"All webhooks"</a>
        </div>
        <section class="panel" aria-labelledby="webhook-about">
            <h2 id="webhook-about" class="url-cell">{webhook.url.clone()}</h2>
            <dl class="webhook-facts">
                <dt>"Events"</dt>
                <dd>{webhook.events.join(", ")}</dd>
                <dt>"Filter"</dt>
                <dd>{describe(&webhook.filter)}</dd>
                <dt>"Created"</dt>
                <dd>{format_time(webhook.created_at)}</dd>
            </dl>
            <ActionForm action=test attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <button type="submit" class="button">"Send a test event"</button>
            </ActionForm>
            <FormError action=test />
        </section>
        <section class="panel" aria-labelledby="delivery-log">
            <h2 id="delivery-log">"Delivery log"</h2>
            <p class="muted">
                "Newest first. Failed attempts are retried with growing pauses for 24 hours; "
                "“Send again” sends the same event (same " <code>"webhook-id"</code> ") now."
            </p>
            <FormError action=again />
            <DeliveryTable deliveries webhook=webhook.id.to_string() again />
        </section>
    }
}

/// The delivery log.
#[component]
fn DeliveryTable(deliveries: Vec<Delivery>, webhook: String, again: ServerAction<SendAgain>) -> impl IntoView {
    if deliveries.is_empty() {
        return view! { <p class="muted">"Nothing sent yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Deliveries">
            <table class="table deliveries">
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Last response"</th>
                        <th scope="col">"Time"</th>
                        <th scope="col"><span class="visually-hidden">"Send again"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {deliveries
                        .into_iter()
                        .map(|delivery| {
                            let status = delivery.status;
                            let response = match (delivery.last_status_code, &delivery.last_error) {
                                (Some(code), _) => code.to_string(),
                                (None, Some(error)) => error.clone(),
                                (None, None) => "—".to_owned(),
                            };
                            let label = format!("Send event {} again", delivery.event_id);
                            let (webhook, delivery_id) = (webhook.clone(), delivery.id.to_string());
                            let next = delivery
                                .next_attempt_at
                                .as_deref()
                                .and_then(crate::time::parse_iso)
                                .map(|at| format!("next attempt {}", format_time(at)));
                            view! {
                                <tr data-delivery=delivery.id.to_string()>
                                    <td>
                                        {delivery.event_type.clone()}
                                        <br />
                                        <code class="muted">{delivery.event_id.clone()}</code>
                                    </td>
                                    <td>
                                        <span class=format!("delivery-status {}", status.as_str())>{status.as_str()}</span>
                                        {next.map(|next| view! { <br /><span class="muted">{next}</span> })}
                                    </td>
                                    <td>{delivery.attempts}</td>
                                    <td>{response}</td>
                                    <td class="muted nowrap">{format_time(delivery.updated_at)}</td>
                                    <td>
                                        {(status != DeliveryStatus::Pending).then(|| view! {
                                            <ActionForm action=again attr:class="inline-form">
                                                <input type="hidden" name="id" value=webhook />
                                                <input type="hidden" name="delivery" value=delivery_id />
                                                <button type="submit" class="button small" aria-label=label>"Send again"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
