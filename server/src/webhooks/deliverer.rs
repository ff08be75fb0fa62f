//! The deliverer: sends the events the outbox recorded, at least once.
//!
//! One task watches for due deliveries (woken by the store after a commit
//! that recorded events, and polling for retries, restarts and events
//! recorded by other processes); each webhook with due deliveries gets its
//! own worker, which sends them one at a time, oldest first, so a slow or
//! dead endpoint holds up only itself. A delivery is claimed with a lease
//! before each attempt (one statement), so several replicas never send the
//! same attempt twice, and a crashed one's claims expire.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::store::{ClaimedDelivery, Store};
use rand::Rng as _;
use tokio::task::JoinSet;

/// One attempt's time limit.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait between two looks at the table.
const POLL: Duration = Duration::from_secs(5);
/// Shortest wait between two looks (while a busy worker has more due).
const MIN_WAIT: Duration = Duration::from_millis(100);
/// Longest wait between two retries of one delivery.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);
/// How long finished deliveries stay in the log.
const KEEP_LOG: Duration = Duration::from_secs(30 * 24 * 3600);
/// How often the log is trimmed.
const TRIM_EVERY: Duration = Duration::from_secs(3600);
/// Characters of an error kept in the delivery log.
const ERROR_CHARS: usize = 200;

/// How the deliverer retries.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Delay before the first retry; doubled for each further one, ±25 % jitter.
    pub retry_base: Duration,
}

/// Runs until `stop` resolves; then lets the attempts in flight finish
/// (each takes at most 10 s) and returns, dropping its store handles.
pub async fn run(store: Store, settings: Settings, stop: impl std::future::Future<Output = ()>) {
    let client = match reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Plume-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhook deliveries are off: no HTTP client");
            return;
        }
    };
    let busy: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let mut workers = JoinSet::new();
    tokio::pin!(stop);
    let mut trimmed: Option<std::time::Instant> = None;
    loop {
        if trimmed.is_none_or(|at| at.elapsed() >= TRIM_EVERY) {
            trimmed = Some(std::time::Instant::now());
            let before = chrono::Utc::now() - KEEP_LOG;
            match store.purge_delivery_log(app::time::to_nanos(before)).await {
                Ok(0) => {}
                Ok(gone) => tracing::info!(gone, "old webhook deliveries dropped from the log"),
                Err(error) => tracing::warn!(%error, "trimming the webhook delivery log failed"),
            }
        }
        let wait = match store.due_webhooks().await {
            Ok((due, next)) => {
                for webhook in due {
                    if busy.lock().expect("busy set").insert(webhook) {
                        let worker = Worker { store: store.clone(), client: client.clone(), settings };
                        let busy = busy.clone();
                        workers.spawn(async move {
                            worker.drain(webhook).await;
                            busy.lock().expect("busy set").remove(&webhook);
                        });
                    }
                }
                let now = app::time::to_nanos(chrono::Utc::now());
                next.map_or(POLL, |at| Duration::from_nanos(u64::try_from(at - now).unwrap_or(0)).min(POLL))
            }
            Err(error) => {
                tracing::warn!(%error, "looking for due webhook deliveries failed");
                POLL
            }
        };
        tokio::select! {
            () = &mut stop => break,
            () = store.webhook_events_recorded() => {}
            () = tokio::time::sleep(wait.max(MIN_WAIT)) => {}
            Some(_) = workers.join_next(), if !workers.is_empty() => {}
        }
    }
    // Attempts in flight end within their timeout; their claims would
    // otherwise only expire later.
    let _ = tokio::time::timeout(ATTEMPT_TIMEOUT + Duration::from_secs(1), async {
        while workers.join_next().await.is_some() {}
    })
    .await;
    workers.abort_all();
    tracing::debug!("webhook deliverer stopped");
}

/// Sends one webhook's due deliveries.
struct Worker {
    store: Store,
    client: reqwest::Client,
    settings: Settings,
}

impl Worker {
    /// Sends the webhook's due deliveries, oldest first, until none is due.
    async fn drain(&self, webhook: i64) {
        loop {
            match self.store.claim_delivery(webhook).await {
                Ok(Some(delivery)) => self.attempt(delivery).await,
                Ok(None) => return,
                Err(error) => {
                    tracing::warn!(%error, webhook, "claiming a webhook delivery failed");
                    return;
                }
            }
        }
    }

    /// One attempt, recorded.
    async fn attempt(&self, delivery: ClaimedDelivery) {
        let outcome = self.send(&delivery).await;
        let recorded = match outcome {
            Ok(status) if (200..300).contains(&status) => self.store.record_delivered(delivery.rowid, status).await,
            failed => {
                let (status, error) = match failed {
                    Ok(status) => (Some(status), None),
                    Err(error) => (None, Some(error)),
                };
                let retry_at = app::time::to_nanos(chrono::Utc::now())
                    + i64::try_from(backoff(self.settings.retry_base, delivery.attempts).as_nanos())
                        .unwrap_or(i64::MAX);
                tracing::info!(webhook = delivery.webhook, event = %delivery.event_id, ?status, ?error, "webhook delivery failed; retrying later");
                self.store.record_failed(delivery.rowid, status, error.as_deref(), retry_at).await
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(%error, "recording a webhook delivery failed");
        }
    }

    /// Posts the event, signed; the answer's status, or why there was none.
    /// Only the Standard Webhooks headers go with it, never a credential.
    async fn send(&self, delivery: &ClaimedDelivery) -> Result<u16, String> {
        let Some(secret) = &delivery.secret else {
            return Err("the secret does not decrypt with this server's --secret-key-file".into());
        };
        let timestamp = chrono::Utc::now().timestamp();
        let signature = app::store::sign(secret, &delivery.event_id, timestamp, &delivery.payload);
        let response = self
            .client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.payload.clone())
            .send()
            .await
            .map_err(|error| describe(&error))?;
        Ok(response.status().as_u16())
    }
}

/// Why an attempt got no answer, in a few words, with the innermost cause
/// (a refused connection, a certificate that does not verify, …).
fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause: &dyn std::error::Error = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    format!("{what}: {cause}").chars().take(ERROR_CHARS).collect()
}

/// The wait after `attempts` earlier attempts and this failed one: `base`
/// doubled per earlier attempt, at most an hour, ±25 % jitter (so many
/// deliveries failing together do not retry together).
fn backoff(base: Duration, attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    let wait = base.saturating_mul(2u32.saturating_pow(doublings)).min(MAX_BACKOFF);
    wait.mul_f64(rand::rng().random_range(0.75..=1.25))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let base = Duration::from_secs(2);
        let first = backoff(base, 0);
        assert!(first >= Duration::from_millis(1500) && first <= Duration::from_millis(2500), "{first:?}");
        let third = backoff(base, 2);
        assert!(third >= Duration::from_secs(6) && third <= Duration::from_secs(10), "{third:?}");
        assert!(backoff(base, 40) <= MAX_BACKOFF.mul_f64(1.25));
    }
}
