//! Webhooks, alert rules and the delivery log: what `/v1/webhooks`,
//! `/v1/alert_rules` and `/settings/webhooks` manage, and what the
//! deliverer claims and records.

use serde_json::json;
use sqlx::FromRow;

use super::outbox::{self, GIVE_UP_AFTER_NANOS};
use super::webhook_keys::new_secret;
use super::{Error, Result, Store};
use crate::ids::{AlertRuleId, DeliveryId, WebhookId};
use crate::model::{
    AlertRule, AlertRuleRequest, CreatedWebhook, Delivery, DeliveryStatus, TEST_EVENT, Webhook, WebhookFilter,
    WebhookPatch, WebhookRequest,
};
use crate::time::{from_nanos, iso, to_nanos};

/// How long a claim on a delivery lasts: longer than one attempt (10 s), so
/// a claim expires only when its deliverer died (then another one retries).
const CLAIM_NANOS: i64 = 30 * 1_000_000_000;

/// Deletes the events no delivery refers to any more.
const ORPHAN_EVENTS: &str = "DELETE FROM webhook_events WHERE NOT EXISTS \
     (SELECT 1 FROM webhook_deliveries d WHERE d.event_rowid = webhook_events.id)";

/// A page of deliveries, newest first.
pub type DeliveryPage = Vec<Delivery>;

/// A delivery claimed for one attempt, with what sending it takes.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    /// The delivery's rowid (to record the attempt).
    pub rowid: i64,
    /// The webhook's rowid.
    pub webhook: i64,
    /// Where to post.
    pub url: String,
    /// The secret's bytes, `None` when it does not decrypt with this server's key.
    pub secret: Option<Vec<u8>>,
    /// The `webhook-id`.
    pub event_id: String,
    /// The body.
    pub payload: String,
    /// Attempts before this one.
    pub attempts: i64,
}

#[derive(FromRow)]
struct WebhookRow {
    id: i64,
    url: String,
    events: String,
    filter: String,
    created_at: i64,
    updated_at: i64,
}

impl WebhookRow {
    fn into_webhook(self) -> Webhook {
        Webhook {
            id: WebhookId(self.id),
            url: self.url,
            events: serde_json::from_str(&self.events).unwrap_or_default(),
            filter: serde_json::from_str(&self.filter).unwrap_or_default(),
            created_at: from_nanos(self.created_at),
            updated_at: from_nanos(self.updated_at),
        }
    }
}

#[derive(FromRow)]
struct DeliveryRow {
    id: i64,
    event_id: String,
    event_type: String,
    status: String,
    attempts: i64,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    next_attempt_at: i64,
    created_at: i64,
    updated_at: i64,
}

/// An alert rule as stored, with its project's name ([`RULES`] selects them).
#[derive(FromRow)]
pub(super) struct RuleRow {
    pub id: i64,
    pub webhook_id: i64,
    pub project: String,
    /// JSON ([`WebhookFilter`]).
    pub filter: String,
    pub threshold: i64,
    pub window_seconds: i64,
    pub cooldown_seconds: i64,
    pub last_fired_at: Option<i64>,
}

/// Every alert rule as [`RuleRow`]s, oldest first.
pub(super) const RULES: &str = "SELECT r.id, r.webhook_id, p.name AS project, r.filter, r.threshold, \
     r.window_seconds, r.cooldown_seconds, r.last_fired_at FROM alert_rules r \
     JOIN projects p ON p.id = r.project_id ORDER BY r.id";

fn now() -> i64 {
    to_nanos(chrono::Utc::now())
}

impl Store {
    /// Stores a webhook (already checked) with a fresh secret, returned here only.
    pub async fn create_webhook(&self, request: &WebhookRequest) -> Result<CreatedWebhook> {
        let (secret, text) = new_secret();
        let now = now();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhooks (url, events, filter, secret, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&request.url)
        .bind(json!(request.events).to_string())
        .bind(json!(request.filter).to_string())
        .bind(self.webhook_key.seal(&secret))
        .bind(now)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(CreatedWebhook { id: WebhookId(id), secret: text })
    }

    /// Every webhook, oldest first.
    pub async fn list_webhooks(&self) -> Result<Vec<Webhook>> {
        let rows: Vec<WebhookRow> =
            sqlx::query_as("SELECT id, url, events, filter, created_at, updated_at FROM webhooks ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(WebhookRow::into_webhook).collect())
    }

    /// One webhook (404 when unknown).
    pub async fn webhook(&self, id: WebhookId) -> Result<Webhook> {
        let row: Option<WebhookRow> =
            sqlx::query_as("SELECT id, url, events, filter, created_at, updated_at FROM webhooks WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        row.map(WebhookRow::into_webhook).ok_or_else(|| Error::not_found::<WebhookId>(id))
    }

    /// Replaces what `patch` gives (already checked); the webhook after.
    pub async fn update_webhook(&self, id: WebhookId, patch: &WebhookPatch) -> Result<Webhook> {
        let changed = sqlx::query(
            "UPDATE webhooks SET url = coalesce($1, url), events = coalesce($2, events), \
             filter = coalesce($3, filter), updated_at = $4 WHERE id = $5",
        )
        .bind(&patch.url)
        .bind(patch.events.as_ref().map(|events| json!(events).to_string()))
        .bind(patch.filter.as_ref().map(|filter| json!(filter).to_string()))
        .bind(now())
        .bind(id.0)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(Error::not_found::<WebhookId>(id));
        }
        self.webhook(id).await
    }

    /// Deletes a webhook with its alert rules and deliveries (404 when unknown).
    pub async fn delete_webhook(&self, id: WebhookId) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id.0).execute(&mut *tx).await?;
        if deleted.rows_affected() == 0 {
            return Err(Error::not_found::<WebhookId>(id));
        }
        sqlx::query(ORPHAN_EVENTS).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A webhook's deliveries, newest first, at most `limit`.
    pub async fn list_deliveries(&self, id: WebhookId, limit: u32) -> Result<DeliveryPage> {
        self.webhook(id).await?;
        let rows: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT d.id, e.event_id, e.event_type, d.status, d.attempts, d.last_status_code, d.last_error, \
             d.next_attempt_at, d.created_at, d.updated_at FROM webhook_deliveries d \
             JOIN webhook_events e ON e.id = d.event_rowid WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2",
        )
        .bind(id.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let status = DeliveryStatus::parse(&row.status);
                Delivery {
                    id: DeliveryId(row.id),
                    event_id: row.event_id,
                    event_type: row.event_type,
                    status,
                    attempts: row.attempts,
                    last_status_code: row.last_status_code,
                    last_error: row.last_error,
                    next_attempt_at: (status == DeliveryStatus::Pending).then(|| iso(from_nanos(row.next_attempt_at))),
                    created_at: from_nanos(row.created_at),
                    updated_at: from_nanos(row.updated_at),
                }
            })
            .collect())
    }

    /// "Send again": the delivery is due now, with the same `webhook-id`,
    /// retried for another 24 hours if it fails (404 when unknown).
    pub async fn redeliver(&self, webhook: WebhookId, delivery: DeliveryId) -> Result<()> {
        let now = now();
        let changed = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, give_up_at = $2, \
             claimed_until = 0, updated_at = $3 WHERE id = $4 AND webhook_id = $5",
        )
        .bind(now)
        .bind(now + GIVE_UP_AFTER_NANOS)
        .bind(now)
        .bind(delivery.0)
        .bind(webhook.0)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(Error::not_found::<DeliveryId>(delivery));
        }
        self.outbox.wake.notify_one();
        Ok(())
    }

    /// Records a `webhook.test` event for one webhook; its `webhook-id`.
    pub async fn send_test_event(&self, id: WebhookId) -> Result<String> {
        let webhook = self.webhook(id).await?;
        let now = now();
        let payload = json!({
            "type": TEST_EVENT,
            "timestamp": iso(from_nanos(now)),
            "data": { "webhook_id": webhook.id },
            "text": "Plume: test event. This webhook works.",
        });
        let mut tx = self.begin_write().await?;
        let event_id = outbox::insert_event(&mut tx, TEST_EVENT, &payload, &[id.0], now).await?;
        tx.commit().await?;
        self.outbox.wake.notify_one();
        Ok(event_id)
    }

    /// Stores an alert rule (already checked; 404 for an unknown webhook or project).
    pub async fn create_alert_rule(&self, request: &AlertRuleRequest) -> Result<AlertRule> {
        self.webhook(request.webhook_id).await?;
        let project = self.project_rowid(&request.project).await?;
        let filter = WebhookFilter { project: None, ..request.filter.clone() };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO alert_rules (webhook_id, project_id, filter, threshold, window_seconds, cooldown_seconds, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(request.webhook_id.0)
        .bind(project)
        .bind(json!(filter).to_string())
        .bind(request.threshold)
        .bind(request.window_seconds)
        .bind(request.cooldown_seconds)
        .bind(now())
        .fetch_one(&self.pool)
        .await?;
        let rules = self.list_alert_rules().await?;
        rules.into_iter().find(|rule| rule.id == AlertRuleId(id)).ok_or(Error::Closed)
    }

    /// Every alert rule, oldest first.
    pub async fn list_alert_rules(&self) -> Result<Vec<AlertRule>> {
        let rows: Vec<RuleRow> = sqlx::query_as(RULES).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|row| AlertRule {
                id: AlertRuleId(row.id),
                webhook_id: WebhookId(row.webhook_id),
                project: row.project,
                filter: serde_json::from_str(&row.filter).unwrap_or_default(),
                threshold: row.threshold,
                window_seconds: row.window_seconds,
                cooldown_seconds: row.cooldown_seconds,
                last_fired_at: row.last_fired_at.map(|at| iso(from_nanos(at))),
            })
            .collect())
    }

    /// Deletes an alert rule (404 when unknown).
    pub async fn delete_alert_rule(&self, id: AlertRuleId) -> Result<()> {
        let done = sqlx::query("DELETE FROM alert_rules WHERE id = $1").bind(id.0).execute(&self.pool).await?;
        match done.rows_affected() {
            0 => Err(Error::not_found::<AlertRuleId>(id)),
            _ => Ok(()),
        }
    }

    /// Waits until a commit records webhook events (or a delivery is sent again).
    pub async fn webhook_events_recorded(&self) {
        self.outbox.wake.notified().await;
    }

    /// The webhooks with a delivery due now and not claimed, and when the
    /// next later one is due (ns), for the deliverer's sleep.
    pub async fn due_webhooks(&self) -> Result<(Vec<i64>, Option<i64>)> {
        let now = now();
        let due: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT webhook_id FROM webhook_deliveries \
             WHERE status = 'pending' AND next_attempt_at <= $1 AND claimed_until <= $2",
        )
        .bind(now)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let next: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT min({}(next_attempt_at, claimed_until)) FROM webhook_deliveries WHERE status = 'pending'",
            self.dialect.greatest()
        )))
        .fetch_one(&self.pool)
        .await?;
        Ok((due, next))
    }

    /// Claims the oldest due delivery of a webhook for one attempt: one
    /// statement, so two deliverers never claim the same row (on
    /// PostgreSQL, the inner select takes `FOR UPDATE SKIP LOCKED`).
    pub async fn claim_delivery(&self, webhook: i64) -> Result<Option<ClaimedDelivery>> {
        let now = now();
        let claimed: Option<(i64, i64, i64)> = sqlx::query_as(
            "UPDATE webhook_deliveries SET claimed_until = $1 WHERE id = (SELECT id FROM webhook_deliveries \
             WHERE webhook_id = $2 AND status = 'pending' AND next_attempt_at <= $3 AND claimed_until <= $4 \
             ORDER BY id LIMIT 1) RETURNING id, event_rowid, attempts",
        )
        .bind(now + CLAIM_NANOS)
        .bind(webhook)
        .bind(now)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some((rowid, event, attempts)) = claimed else { return Ok(None) };
        let (url, secret, event_id, payload): (String, Vec<u8>, String, String) = sqlx::query_as(
            "SELECT w.url, w.secret, e.event_id, e.payload FROM webhooks w, webhook_events e WHERE w.id = $1 AND e.id = $2",
        )
        .bind(webhook)
        .bind(event)
        .fetch_one(&self.pool)
        .await?;
        let secret = self.webhook_key.open(&secret);
        Ok(Some(ClaimedDelivery { rowid, webhook, url, secret, event_id, payload, attempts }))
    }

    /// Forgets deliveries finished (delivered or failed) before `before`
    /// (ns), and the events left without any; returns how many deliveries went.
    pub async fn purge_delivery_log(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if gone > 0 {
            sqlx::query(ORPHAN_EVENTS).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Records a delivered attempt.
    pub async fn record_delivered(&self, delivery: i64, status_code: u16) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, last_status_code = $1, \
             last_error = NULL, claimed_until = 0, updated_at = $2 WHERE id = $3",
        )
        .bind(i64::from(status_code))
        .bind(now())
        .bind(delivery)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt: retried at `retry_at` (ns), unless that is
    /// past the delivery's 24 hours, which marks it failed.
    pub async fn record_failed(
        &self,
        delivery: i64,
        status_code: Option<u16>,
        error: Option<&str>,
        retry_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = $1, last_error = $2, \
             next_attempt_at = $3, status = CASE WHEN $4 > give_up_at THEN 'failed' ELSE 'pending' END, \
             claimed_until = 0, updated_at = $5 WHERE id = $6",
        )
        .bind(status_code.map(i64::from))
        .bind(error)
        .bind(retry_at)
        .bind(retry_at)
        .bind(now())
        .bind(delivery)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
