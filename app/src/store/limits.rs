//! Abuse limits kept in the database, so that they count across the
//! replicas serving one PostgreSQL (migration 0015): token buckets for the
//! feedback and public-link rate limits, and failed logins for the login
//! throttle. A SQLite file is served by one process, which keeps them in
//! memory instead ([`Store::shares_limits`]).
//!
//! Times are milliseconds since the epoch, from the replica's clock.

use std::time::Duration;

use super::db::{Dialect, Flag};
use super::{Result, Store};

/// A bucket idle this long is full again whatever its rate (capacity is a
/// minute's worth), so it can go.
const IDLE_MS: i64 = 60_000;

impl Store {
    /// Whether abuse limits belong in the database: on PostgreSQL, which
    /// several replicas may share.
    pub fn shares_limits(&self) -> bool {
        self.dialect == Dialect::Postgres
    }

    /// Takes a token from `key`'s bucket (`per_minute` a minute, bursts up to
    /// `per_minute`) at `now_ms`, in one atomic upsert, so that concurrent
    /// requests on any replica take distinct tokens; `Err` says how long to
    /// wait for the next one.
    pub async fn take_token(&self, key: &str, per_minute: u32, now_ms: i64) -> Result<Result<(), Duration>> {
        let capacity = f64::from(per_minute);
        let per_ms = capacity / 60_000.0;
        // `refilled`: the bucket's tokens now, before this request.
        let refilled = "LEAST($2, b.tokens + GREATEST(0, $3 - b.updated_at) * $4)";
        let (granted, tokens): (Flag, f64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO rate_limit_buckets AS b (key, tokens, granted, updated_at) VALUES ($1, $2 - 1, true, $3) \
             ON CONFLICT (key) DO UPDATE SET granted = {refilled} >= 1, \
             tokens = {refilled} - CASE WHEN {refilled} >= 1 THEN 1 ELSE 0 END, updated_at = $3 \
             RETURNING granted, tokens"
        )))
        .bind(key)
        .bind(capacity)
        .bind(now_ms)
        .bind(per_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(match granted.0 {
            true => Ok(()),
            false => Err(Duration::from_secs_f64(((1.0 - tokens) / per_ms / 1000.0).max(0.001))),
        })
    }

    /// The failed logins recorded under each of two keys (an account's and
    /// an address's): `(key, failures, last failure's time)`.
    pub async fn login_failures(&self, [first, second]: [&str; 2]) -> Result<Vec<(String, i64, i64)>> {
        let rows = sqlx::query_as("SELECT key, failures, failed_at FROM login_failures WHERE key IN ($1, $2)")
            .bind(first)
            .bind(second)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows)
    }

    /// Counts a failed login under each of two keys at `now_ms`.
    pub async fn record_login_failure(&self, [first, second]: [&str; 2], now_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_failures AS f (key, failures, failed_at) VALUES ($1, 1, $3), ($2, 1, $3) \
             ON CONFLICT (key) DO UPDATE SET failures = f.failures + 1, failed_at = $3",
        )
        .bind(first)
        .bind(second)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets `key`'s failed logins (after a success).
    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(&self.pool).await?;
        Ok(())
    }

    /// Drops the buckets that are full again and the failed logins older
    /// than `forget_after`: run now and then by one replica or another.
    pub async fn prune_limits(&self, now_ms: i64, forget_after: Duration) -> Result<()> {
        sqlx::query("DELETE FROM rate_limit_buckets WHERE updated_at < $1")
            .bind(now_ms - IDLE_MS)
            .execute(&self.pool)
            .await?;
        let forget_ms = i64::try_from(forget_after.as_millis()).unwrap_or(i64::MAX);
        sqlx::query("DELETE FROM login_failures WHERE failed_at < $1")
            .bind(now_ms.saturating_sub(forget_ms))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
