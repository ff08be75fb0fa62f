//! Server functions behind `/settings/webhooks` and a webhook's page: the
//! same rules as `/v1/webhooks` (members and admins only, checked by the
//! server's rule table and again here), with form fields taken as text so
//! that plain forms post them without JavaScript.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::ids::{DeliveryId, WebhookId};
use crate::model::{AnnotatorKind, CreatedWebhook, Delivery, WEBHOOK_EVENTS, Webhook, WebhookFilter, WebhookRequest};
#[cfg(feature = "ssr")]
use crate::store::{Error, Store, parse_id};

/// Deliveries a webhook's page shows.
pub const LOGGED_DELIVERIES: u32 = 100;

/// What a webhook's page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookView {
    /// The webhook.
    pub webhook: Webhook,
    /// Its delivery log, newest first.
    pub deliveries: Vec<Delivery>,
}

/// The create form's fields, as posted.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookForm {
    /// The URL.
    pub url: String,
    /// The ticked event boxes, in [`WEBHOOK_EVENTS`]' order (any text = ticked).
    pub events: [String; 3],
    /// Project name, blank for any.
    pub project: String,
    /// Comma-separated annotation names, blank for any.
    pub names: String,
    /// Comma-separated labels, blank for any.
    pub labels: String,
    /// A number, blank for none.
    pub score_lte: String,
    /// A number, blank for none.
    pub score_gte: String,
    /// `LLM`, `CODE`, `HUMAN`, blank for any.
    pub annotator_kind: String,
}

impl WebhookForm {
    /// The request the form describes, checked as `POST /v1/webhooks` checks it.
    pub fn request(&self) -> Result<WebhookRequest, String> {
        let list = |text: &str| -> Vec<String> {
            text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        };
        let number = |field: &str, text: &str| -> Result<Option<f64>, String> {
            match text.trim() {
                "" => Ok(None),
                text => text.parse().map(Some).map_err(|_| format!("{field} must be a number, not {text:?}")),
            }
        };
        let annotator_kind = match self.annotator_kind.trim() {
            "" => None,
            kind => Some(AnnotatorKind::parse(kind).ok_or_else(|| format!("Unknown annotator kind {kind:?}"))?),
        };
        let request = WebhookRequest {
            url: self.url.trim().to_owned(),
            events: WEBHOOK_EVENTS
                .iter()
                .zip(&self.events)
                .filter(|(_, ticked)| !ticked.is_empty())
                .map(|(event, _)| (*event).to_owned())
                .collect(),
            filter: WebhookFilter {
                project: Some(self.project.trim()).filter(|p| !p.is_empty()).map(str::to_owned),
                names: list(&self.names),
                labels: list(&self.labels),
                score_lte: number("Score at most", &self.score_lte)?,
                score_gte: number("Score at least", &self.score_gte)?,
                annotator_kind,
            },
        };
        request.check()?;
        Ok(request)
    }
}

/// A refusal with `error`'s status and words.
#[cfg(feature = "ssr")]
fn refuse(error: Error) -> ServerFnError {
    super::server_error(error)
}

/// The store, if the caller may manage webhooks (members and admins); else a 403.
#[cfg(feature = "ssr")]
fn manager() -> Result<Store, ServerFnError> {
    match super::caller().can(crate::model::accounts::Permission::Manage) {
        true => Ok(expect_context::<Store>()),
        false => Err(refuse(Error::Forbidden("Only members and admins manage webhooks".into()))),
    }
}

/// Every webhook.
#[server(endpoint = "load_webhooks")]
pub async fn load_webhooks() -> Result<Vec<Webhook>, ServerFnError> {
    manager()?.list_webhooks().await.map_err(refuse)
}

/// One webhook and its delivery log.
#[server(endpoint = "load_webhook")]
pub async fn load_webhook(id: String) -> Result<WebhookView, ServerFnError> {
    let store = manager()?;
    let id = parse_id::<WebhookId>(&id).map_err(refuse)?;
    let webhook = store.webhook(id).await.map_err(refuse)?;
    let deliveries = store.list_deliveries(id, LOGGED_DELIVERIES).await.map_err(refuse)?;
    Ok(WebhookView { webhook, deliveries })
}

/// Makes a webhook from the form; the answer (and the page, once) has its secret.
#[allow(clippy::too_many_arguments)]
#[server(endpoint = "create_webhook")]
pub async fn create_webhook(
    url: String,
    #[server(default)] event_created: String,
    #[server(default)] event_updated: String,
    #[server(default)] event_deleted: String,
    #[server(default)] project: String,
    #[server(default)] names: String,
    #[server(default)] labels: String,
    #[server(default)] score_lte: String,
    #[server(default)] score_gte: String,
    #[server(default)] annotator_kind: String,
) -> Result<CreatedWebhook, ServerFnError> {
    let store = manager()?;
    let form = WebhookForm {
        url,
        events: [event_created, event_updated, event_deleted],
        project,
        names,
        labels,
        score_lte,
        score_gte,
        annotator_kind,
    };
    let request = form.request().map_err(|message| refuse(Error::Invalid(message)))?;
    let created = store.create_webhook(&request).await.map_err(refuse)?;
    super::shown_once::keep(super::shown_once::NEW_WEBHOOK, &created);
    Ok(created)
}

/// Deletes webhook `id` with its alert rules and log.
#[server(endpoint = "delete_webhook")]
pub async fn delete_webhook(id: String) -> Result<(), ServerFnError> {
    let store = manager()?;
    store.delete_webhook(parse_id(&id).map_err(refuse)?).await.map_err(refuse)
}

/// Queues a `webhook.test` event for webhook `id`.
#[server(endpoint = "send_test_event")]
pub async fn send_test_event(id: String) -> Result<(), ServerFnError> {
    let store = manager()?;
    store.send_test_event(parse_id(&id).map_err(refuse)?).await.map_err(refuse)?;
    Ok(())
}

/// Sends delivery `delivery` of webhook `id` again, now, with the same `webhook-id`.
#[server(endpoint = "send_again")]
pub async fn send_again(id: String, delivery: String) -> Result<(), ServerFnError> {
    let store = manager()?;
    let (id, delivery) = (parse_id::<WebhookId>(&id), parse_id::<DeliveryId>(&delivery));
    store.redeliver(id.map_err(refuse)?, delivery.map_err(refuse)?).await.map_err(refuse)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_into_a_checked_request() {
        let form = WebhookForm {
            url: " https://hooks.slack.com/services/T/B/X ".into(),
            events: ["on".into(), String::new(), "on".into()],
            names: "thumbs, rating,".into(),
            score_lte: "0".into(),
            annotator_kind: "HUMAN".into(),
            ..Default::default()
        };
        let request = form.request().unwrap();
        assert_eq!(request.url, "https://hooks.slack.com/services/T/B/X");
        assert_eq!(request.events, ["annotation.created", "annotation.deleted"]);
        assert_eq!(request.filter.names, ["thumbs", "rating"]);
        assert_eq!(request.filter.score_lte, Some(0.0));
        assert!(WebhookForm { events: Default::default(), ..form.clone() }.request().is_err());
        assert!(WebhookForm { score_gte: "lots".into(), ..form.clone() }.request().is_err());
        assert!(WebhookForm { url: "ftp://x".into(), ..form }.request().is_err());
    }
}
