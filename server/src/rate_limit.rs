//! Token buckets: at most N requests a minute per key (a token's hash, a
//! client IP), with bursts up to N; the 429 they answer; and the limit on
//! public-link pages (`/share/…` and the server function behind it).
//!
//! The buckets are in memory when one process serves the database (SQLite),
//! and in the database when several replicas may share it (PostgreSQL), so
//! that a client spreading requests over replicas gets no more than from
//! one ([`Store::take_token`]).
//!
//! Every per-IP limit keys on [`crate::client_ip`]'s idea of the client.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::store::Store;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::client_ip::peer;

/// Buckets kept before idle (full) ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// A token bucket per key.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    /// What the keys are of (`vote-ip`, …): their prefix in the shared table.
    scope: &'static str,
    buckets: Mutex<HashMap<String, Bucket>>,
    /// The database, when the buckets are kept there.
    shared: Option<Store>,
}

impl RateLimiter {
    /// `per_minute` requests a minute per key of `scope`; 0 turns the limit
    /// off. Counted in `store` when it is shared by replicas.
    pub fn new(per_minute: u32, scope: &'static str, store: &Store) -> RateLimiter {
        RateLimiter {
            shared: store.shares_limits().then(|| store.clone()),
            ..RateLimiter::in_memory(per_minute, scope)
        }
    }

    /// A limiter whose buckets are in this process's memory.
    fn in_memory(per_minute: u32, scope: &'static str) -> RateLimiter {
        RateLimiter { per_minute, scope, buckets: Mutex::new(HashMap::new()), shared: None }
    }

    /// Takes one request's token for `key`; `Err` says how long to wait
    /// before the next one is allowed. If the database fails to answer, the
    /// request is let through (and the failure logged): its own writes fail
    /// anyway, and a 429 would misname the trouble.
    pub async fn check(&self, key: &str) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let Some(store) = &self.shared else { return self.check_at(key, Instant::now()) };
        let now_ms = chrono::Utc::now().timestamp_millis();
        match store.take_token(&format!("{}:{key}", self.scope), self.per_minute, now_ms).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::warn!(%error, scope = self.scope, "rate limit not checked");
                Ok(())
            }
        }
    }

    /// [`RateLimiter::check`] in memory, at `now`.
    fn check_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let capacity = f64::from(self.per_minute);
        let per_second = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: capacity, updated: now });
        let refilled = bucket.tokens + now.saturating_duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = refilled.min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

/// The 429 of a refused request: "Too many `what`; retry in N s", and
/// `Retry-After: N` (whole seconds, at least 1).
pub fn too_many(what: &str, wait: Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let message = format!("Too many {what}; retry in {seconds} s");
    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, HeaderValue::from(seconds))], message).into_response()
}

/// What public-link pages are: the page and the server function it loads
/// its content with (callable on its own).
fn is_share_request(request: &Request) -> bool {
    let path = request.uri().path();
    path.starts_with("/share/") || path.starts_with("/api/load_shared")
}

/// Middleware of the UI routes: at most `--share-rate-per-ip` public-link
/// page views a minute per client. Tokens are 256 bits, so this is not about
/// guessing them: rendering a large shared collection costs CPU.
pub async fn share_pages(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_share_request(&request) {
        return next.run(request).await;
    }
    let client = state.trusted_proxies.client_ip(peer(request.extensions()), request.headers());
    if let Some(ip) = client
        && let Err(wait) = state.share_limit.check(&ip.to_string()).await
    {
        return too_many("shared-page views", wait);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_up_to_the_limit_then_refills() {
        let limiter = RateLimiter::in_memory(3, "test");
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at("a", start).is_ok());
        }
        let wait = limiter.check_at("a", start).unwrap_err();
        assert!(wait > Duration::from_secs(19) && wait <= Duration::from_secs(20), "{wait:?}");
        assert!(limiter.check_at("b", start).is_ok(), "keys are independent");
        assert!(limiter.check_at("a", start + Duration::from_secs(20)).is_ok(), "one token back after 20 s");
        assert!(limiter.check_at("a", start + Duration::from_secs(20)).is_err());
    }

    #[tokio::test]
    async fn zero_means_unlimited() {
        let limiter = RateLimiter::in_memory(0, "test");
        for _ in 0..1000 {
            assert!(limiter.check("a").await.is_ok());
        }
    }
}
