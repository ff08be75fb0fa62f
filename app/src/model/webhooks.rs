//! Webhooks and alert rules (`/v1/webhooks`, `/v1/alert_rules`): what is
//! posted, what is listed, and the one filter rule both apply to annotations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AlertRuleId, DeliveryId, WebhookId};
use crate::model::{Annotation, AnnotatorKind};
use crate::time::serde_iso;

/// The event types a webhook may subscribe to.
pub const WEBHOOK_EVENTS: [&str; 3] = ["annotation.created", "annotation.updated", "annotation.deleted"];
/// The event an alert rule sends to its webhook.
pub const ALERT_EVENT: &str = "alert";
/// The event `POST /v1/webhooks/{id}/test` sends.
pub const TEST_EVENT: &str = "webhook.test";
/// Longest webhook URL accepted.
pub const MAX_URL_LENGTH: usize = 2048;
/// Most names or labels a filter may list.
pub const MAX_FILTER_VALUES: usize = 100;

/// Which annotations a webhook or an alert rule is about; every condition
/// given must hold (an empty list is no condition).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookFilter {
    /// Only annotations in this project (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Only annotations with one of these names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Only annotations whose label is one of these.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Only annotations with a score at most this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_lte: Option<f64>,
    /// Only annotations with a score at least this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score_gte: Option<f64>,
    /// Only annotations by this kind of annotator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotator_kind: Option<AnnotatorKind>,
}

impl WebhookFilter {
    /// Whether `annotation`, in `project`, meets every condition.
    pub fn matches(&self, project: &str, annotation: &Annotation) -> bool {
        let score = annotation.result.score;
        self.project.as_deref().is_none_or(|wanted| wanted == project)
            && (self.names.is_empty() || self.names.contains(&annotation.name))
            && (self.labels.is_empty()
                || annotation.result.label.as_ref().is_some_and(|label| self.labels.contains(label)))
            && self.score_lte.is_none_or(|limit| score.is_some_and(|s| s <= limit))
            && self.score_gte.is_none_or(|limit| score.is_some_and(|s| s >= limit))
            && self.annotator_kind.is_none_or(|kind| kind == annotation.annotator_kind)
    }

    /// `Err` names what is wrong: too many values, a non-finite score, or
    /// bounds that no score meets.
    pub fn check(&self) -> Result<(), String> {
        if self.names.len() > MAX_FILTER_VALUES || self.labels.len() > MAX_FILTER_VALUES {
            return Err(format!("filter: at most {MAX_FILTER_VALUES} names and {MAX_FILTER_VALUES} labels"));
        }
        for (field, value) in [("score_lte", self.score_lte), ("score_gte", self.score_gte)] {
            if value.is_some_and(|v| !v.is_finite()) {
                return Err(format!("filter.{field} must be a finite number"));
            }
        }
        if let (Some(lte), Some(gte)) = (self.score_lte, self.score_gte)
            && gte > lte
        {
            return Err(format!("filter: score_gte ({gte}) is above score_lte ({lte}); nothing would match"));
        }
        Ok(())
    }
}

/// `Err` names the problem unless `url` is an absolute `http` or `https` URL
/// with a host.
pub fn check_webhook_url(url: &str) -> Result<(), String> {
    if url.len() > MAX_URL_LENGTH {
        return Err(format!("url: at most {MAX_URL_LENGTH} characters"));
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !url.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(format!("url must be an http:// or https:// URL with a host, not {url:?}")),
    }
}

/// `Err` names an unknown event type or an empty list.
pub fn check_webhook_events(events: &[String]) -> Result<(), String> {
    if events.is_empty() {
        return Err(format!("events: give at least one of {}", WEBHOOK_EVENTS.join(", ")));
    }
    match events.iter().find(|event| !WEBHOOK_EVENTS.contains(&event.as_str())) {
        Some(unknown) => Err(format!("events: unknown event {unknown:?} (known: {})", WEBHOOK_EVENTS.join(", "))),
        None => Ok(()),
    }
}

/// Body of `POST /v1/webhooks`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where events are posted: an `http://` or `https://` URL.
    pub url: String,
    /// Event types sent, e.g. `["annotation.created"]`.
    pub events: Vec<String>,
    /// Which annotations; all when absent.
    #[serde(default)]
    pub filter: WebhookFilter,
}

impl WebhookRequest {
    /// `Err` names the first problem.
    pub fn check(&self) -> Result<(), String> {
        check_webhook_url(&self.url)?;
        check_webhook_events(&self.events)?;
        self.filter.check()
    }
}

/// Body of `PATCH /v1/webhooks/{id}`: what is given is replaced.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// A new URL.
    #[serde(default)]
    pub url: Option<String>,
    /// New event types.
    #[serde(default)]
    pub events: Option<Vec<String>>,
    /// A new filter (replacing the old one whole).
    #[serde(default)]
    pub filter: Option<WebhookFilter>,
}

impl WebhookPatch {
    /// `Err` names the first problem.
    pub fn check(&self) -> Result<(), String> {
        if let Some(url) = &self.url {
            check_webhook_url(url)?;
        }
        if let Some(events) = &self.events {
            check_webhook_events(events)?;
        }
        self.filter.as_ref().map_or(Ok(()), WebhookFilter::check)
    }
}

/// A webhook just created: the secret is in this answer only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    /// Global id, `Webhook:<rowid>`.
    pub id: WebhookId,
    /// The signing secret in Standard Webhooks form, `whsec_` + base64.
    pub secret: String,
}

/// A webhook as listed (never with its secret).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Webhook {
    /// Global id, `Webhook:<rowid>`.
    pub id: WebhookId,
    /// Where events are posted.
    pub url: String,
    /// Event types sent.
    pub events: Vec<String>,
    /// Which annotations.
    pub filter: WebhookFilter,
    /// Created.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(with = "serde_iso")]
    pub updated_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not delivered yet; another attempt is due at `next_attempt_at`.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up after 24 hours of failures.
    Failed,
}

impl DeliveryStatus {
    /// The database spelling (as on the wire).
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// From the database spelling; anything unknown reads as failed.
    pub fn parse(text: &str) -> DeliveryStatus {
        match text {
            "pending" => DeliveryStatus::Pending,
            "delivered" => DeliveryStatus::Delivered,
            _ => DeliveryStatus::Failed,
        }
    }
}

/// One event to one webhook, as the delivery log shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Delivery {
    /// Global id, `WebhookDelivery:<rowid>`.
    pub id: DeliveryId,
    /// The event's id: the `webhook-id` header, the same on every attempt.
    pub event_id: String,
    /// `annotation.created`, `alert`, `webhook.test`, ….
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// HTTP status of the last answer, `null` before any or when none came.
    pub last_status_code: Option<i64>,
    /// Why the last attempt failed without an answer (timeout, refused, …).
    pub last_error: Option<String>,
    /// When the next attempt is due, ISO 8601 (pending deliveries only).
    pub next_attempt_at: Option<String>,
    /// When the event was recorded.
    #[serde(with = "serde_iso")]
    pub created_at: DateTime<Utc>,
    /// Last attempt (or creation).
    #[serde(with = "serde_iso")]
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /v1/alert_rules`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertRuleRequest {
    /// The webhook alerts go to (`Webhook:<rowid>`).
    pub webhook_id: WebhookId,
    /// The project watched (by name).
    pub project: String,
    /// Which annotations count (its `project`, if any, must be this one).
    #[serde(default)]
    pub filter: WebhookFilter,
    /// How many matching annotations within the window fire the alert (1 to 100,000).
    pub threshold: i64,
    /// The window, in seconds (1 to 7 days' worth).
    pub window_seconds: i64,
    /// Quiet time after an alert, in seconds (0 to 7 days' worth).
    pub cooldown_seconds: i64,
}

/// Longest window and cool-down of an alert rule: 7 days.
pub const MAX_ALERT_SECONDS: i64 = 7 * 24 * 3600;

impl AlertRuleRequest {
    /// `Err` names the first problem.
    pub fn check(&self) -> Result<(), String> {
        self.filter.check()?;
        if self.filter.project.as_ref().is_some_and(|p| *p != self.project) {
            return Err("filter.project differs from project; leave it out".into());
        }
        if !(1..=100_000).contains(&self.threshold) {
            return Err(format!("threshold must be between 1 and 100000, not {}", self.threshold));
        }
        if !(1..=MAX_ALERT_SECONDS).contains(&self.window_seconds) {
            return Err(format!("window_seconds must be between 1 and {MAX_ALERT_SECONDS}"));
        }
        if !(0..=MAX_ALERT_SECONDS).contains(&self.cooldown_seconds) {
            return Err(format!("cooldown_seconds must be between 0 and {MAX_ALERT_SECONDS}"));
        }
        Ok(())
    }
}

/// An alert rule as listed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AlertRule {
    /// Global id, `AlertRule:<rowid>`.
    pub id: AlertRuleId,
    /// `Webhook:<rowid>`.
    pub webhook_id: WebhookId,
    /// The project watched.
    pub project: String,
    /// Which annotations count.
    pub filter: WebhookFilter,
    /// Matching annotations within the window that fire it.
    pub threshold: i64,
    /// The window, in seconds.
    pub window_seconds: i64,
    /// Quiet time after an alert, in seconds.
    pub cooldown_seconds: i64,
    /// When it last fired, ISO 8601.
    pub last_fired_at: Option<String>,
}
