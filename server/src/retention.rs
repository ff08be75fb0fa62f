//! The retention sweep: a task started with the server that applies every
//! project's retention rule (`PATCH /v1/projects/{p}/retention`) once per
//! `--retention-sweep-interval`. The store deletes in short transactions of
//! 500 traces that take the writer's turn one at a time, so ingestion keeps
//! flowing while a large backlog is swept (see app/src/store/deletes.rs).
//!
//! The same tick drops what the shared abuse limits no longer need (see
//! [`Store::prune_limits`]) when they are kept in the database.

use std::future::Future;
use std::time::Duration;

use app::store::Store;

/// Sweeps every `interval` (the first sweep right away) until `stopped` completes.
pub async fn run(store: Store, interval: Duration, stopped: impl Future<Output = ()>) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = ticks.tick() => {}
        }
        // Stopping mid-sweep drops the batch in progress: it rolls back whole.
        tokio::select! {
            _ = &mut stopped => return,
            result = store.sweep_retention() => match result {
                Ok(0) => {}
                Ok(deleted) => tracing::info!("retention sweep deleted {deleted} traces"),
                Err(error) => tracing::warn!("retention sweep failed: {error}"),
            },
        }
        if store.shares_limits() {
            let now_ms = chrono::Utc::now().timestamp_millis();
            if let Err(error) = store.prune_limits(now_ms, crate::auth::throttle::MAX_DELAY).await {
                tracing::warn!("pruning rate limits failed: {error}");
            }
        }
    }
}
