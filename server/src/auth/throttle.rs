//! The login throttle: after a few failed logins for an account, or from a
//! client address, each further attempt must wait longer (1 s, 2 s, 4 s, …
//! up to 15 minutes) or is refused with 429 and `Retry-After`. A success
//! clears the account's count. In memory when one process serves the
//! database (a restart forgets it); in the database when replicas share it
//! (PostgreSQL), so that spreading guesses over replicas gains nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use app::store::Store;

/// Failed attempts allowed for an account before delays start.
const FREE_PER_ACCOUNT: u32 = 5;
/// Failed attempts allowed from one address before delays start (an office
/// behind one address has several people typing).
const FREE_PER_ADDRESS: u32 = 20;
/// The longest delay, and how long failures are remembered in the database.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Entries kept before old ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failed logins per account and per client address.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
    /// The database, when the failures are kept there.
    shared: Option<Store>,
}

impl LoginThrottle {
    /// A throttle that counts in `store` when replicas share it.
    pub fn new(store: &Store) -> LoginThrottle {
        LoginThrottle { shared: store.shares_limits().then(|| store.clone()), ..LoginThrottle::default() }
    }

    /// `Err(wait)` when the account or the address must wait before trying
    /// again. (A database failure lets the attempt through: the login itself
    /// then fails on the same database.)
    pub async fn check(&self, account: &str, address: &str) -> Result<(), Duration> {
        let Some(store) = &self.shared else { return self.check_at(account, address, Instant::now()) };
        let keys = [account_key(account), address_key(address)];
        let rows = match store.login_failures([&keys[0], &keys[1]]).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "login throttle not checked");
                return Ok(());
            }
        };
        let now_ms = chrono::Utc::now().timestamp_millis();
        let wait = rows
            .iter()
            .filter_map(|(key, count, last_ms)| {
                let free = if *key == keys[0] { FREE_PER_ACCOUNT } else { FREE_PER_ADDRESS };
                let waited = Duration::from_millis(u64::try_from(now_ms - last_ms).unwrap_or(0));
                wait(u32::try_from(*count).unwrap_or(u32::MAX), free, waited)
            })
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// Counts a failed attempt.
    pub async fn failed(&self, account: &str, address: &str) {
        let Some(store) = &self.shared else { return self.failed_at(account, address, Instant::now()) };
        let keys = [account_key(account), address_key(address)];
        let now_ms = chrono::Utc::now().timestamp_millis();
        if let Err(error) = store.record_login_failure([&keys[0], &keys[1]], now_ms).await {
            tracing::warn!(%error, "failed login not counted");
        }
    }

    /// Clears the account's count after a successful login.
    pub async fn succeeded(&self, account: &str) {
        let Some(store) = &self.shared else {
            self.lock().remove(&account_key(account));
            return;
        };
        if let Err(error) = store.clear_login_failures(&account_key(account)).await {
            tracing::warn!(%error, "failed logins not cleared");
        }
    }

    /// [`LoginThrottle::check`] in memory, at `now`.
    fn check_at(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let failures = self.lock();
        let wait_for = |key: String, free: u32| {
            failures.get(&key).and_then(|f| wait(f.count, free, now.saturating_duration_since(f.last)))
        };
        match wait_for(account_key(account), FREE_PER_ACCOUNT).max(wait_for(address_key(address), FREE_PER_ADDRESS)) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// [`LoginThrottle::failed`] in memory, at `now`.
    fn failed_at(&self, account: &str, address: &str, now: Instant) {
        let mut failures = self.lock();
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, f| now.saturating_duration_since(f.last) < MAX_DELAY);
        }
        for key in [account_key(account), address_key(address)] {
            let entry = failures.entry(key).or_insert(Failures { count: 0, last: now });
            entry.count = entry.count.saturating_add(1);
            entry.last = now;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What is left to wait after `count` failures (`free` allowed), the last
/// one `waited` ago.
fn wait(count: u32, free: u32, waited: Duration) -> Option<Duration> {
    let delay = delay(count, free);
    (waited < delay).then(|| delay - waited)
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.trim().to_lowercase())
}

fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// The wait after `count` failures when `free` are allowed: none, then
/// doubling from one second.
fn delay(count: u32, free: u32) -> Duration {
    match count.checked_sub(free) {
        None => Duration::ZERO,
        Some(over) => Duration::from_secs(1u64 << over.min(20)).min(MAX_DELAY),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_attempts() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for _ in 0..FREE_PER_ACCOUNT {
            assert!(throttle.check_at("ada@example.org", "10.0.0.1", start).is_ok());
            throttle.failed_at("ADA@example.org", "10.0.0.1", start);
        }
        assert_eq!(throttle.check_at("ada@example.org", "10.0.0.2", start), Err(Duration::from_secs(1)));
        assert!(throttle.check_at("ada@example.org", "10.0.0.2", start + Duration::from_secs(1)).is_ok());
        throttle.failed_at("ada@example.org", "10.0.0.2", start);
        assert_eq!(throttle.check_at("ada@example.org", "10.0.0.3", start), Err(Duration::from_secs(2)));
        // Another account from a new address is not held up; a success clears the account.
        assert!(throttle.check_at("bob@example.org", "10.0.0.3", start).is_ok());
        throttle.lock().remove(&account_key("ada@example.org"));
        assert!(throttle.check_at("ada@example.org", "10.0.0.3", start).is_ok());
        assert_eq!(delay(100, 5), MAX_DELAY);
    }
}
