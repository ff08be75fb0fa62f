//! A byte budget shared by every OTLP request being decoded and stored.
//!
//! Without it, many concurrent large bodies each pin their decompressed bytes
//! and decoded rows until the writer commits them, and memory grows with the
//! number of clients. A request reserves its decoded body's size before
//! decoding and keeps the reservation until the writer answers. When the
//! budget is spent it waits up to [`WAIT`] (bursts are smoothed, not refused),
//! then is answered "busy" (HTTP 503 with `Retry-After`, gRPC `UNAVAILABLE`),
//! which OTLP exporters retry with back-off.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a request waits for room before it is told to retry.
pub const WAIT: Duration = Duration::from_secs(2);
/// What busy answers put in `Retry-After`, in seconds.
pub const RETRY_AFTER_SECONDS: u32 = 1;

/// Permits are bytes. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Budget {
    bytes: Arc<Semaphore>,
    total: u32,
    wait: Duration,
}

/// Held while a request's bytes are in memory; dropping it gives them back.
pub type Reservation = OwnedSemaphorePermit;

impl Budget {
    /// A budget of `total` bytes (capped at 4 GiB, a semaphore's largest
    /// single acquisition).
    pub fn new(total: usize) -> Budget {
        let total = u32::try_from(total).unwrap_or(u32::MAX).max(1);
        Budget { bytes: Arc::new(Semaphore::new(total as usize)), total, wait: WAIT }
    }

    /// Reserves `size` bytes, waiting up to [`WAIT`]; `None` when the budget
    /// stays spent. A body larger than the whole budget takes all of it, so
    /// it is decoded alone rather than never.
    pub async fn reserve(&self, size: usize) -> Option<Reservation> {
        let wanted = u32::try_from(size).unwrap_or(u32::MAX).clamp(1, self.total);
        tokio::time::timeout(self.wait, self.bytes.clone().acquire_many_owned(wanted)).await.ok()?.ok()
    }

    /// The busy message, for people reading a client's log.
    pub fn busy_message(&self) -> String {
        format!(
            "Server busy: {} bytes of OTLP requests are already being stored; retry after {RETRY_AFTER_SECONDS}s",
            self.total
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_spent_budget_answers_busy_after_waiting() {
        let budget = Budget { wait: Duration::from_millis(20), ..Budget::new(100) };
        let held = budget.reserve(60).await.expect("room");
        assert!(budget.reserve(30).await.is_some(), "40 bytes are left");
        assert!(budget.reserve(60).await.is_none(), "only 40 bytes are left");
        drop(held);
        // Larger than the whole budget: takes all of it.
        let all = budget.reserve(1_000).await.expect("alone, it fits");
        assert!(budget.reserve(1).await.is_none());
        drop(all);
        assert!(budget.reserve(1).await.is_some());
    }
}
