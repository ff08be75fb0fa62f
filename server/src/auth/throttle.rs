//! The login throttle: after a few failed logins for an account, or from a
//! client address, each further attempt must wait longer (1 s, 2 s, 4 s, …
//! up to 15 minutes) or is refused with 429 and `Retry-After`. A success
//! clears the account's count. In memory: a restart forgets it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed for an account before delays start.
const FREE_PER_ACCOUNT: u32 = 5;
/// Failed attempts allowed from one address before delays start (an office
/// behind one address has several people typing).
const FREE_PER_ADDRESS: u32 = 20;
/// The longest delay.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
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
}

impl LoginThrottle {
    /// `Err(wait)` when the account or the address must wait before trying again.
    pub fn check(&self, account: &str, address: &str, now: Instant) -> Result<(), Duration> {
        let failures = self.lock();
        let wait = |key: String, free: u32| {
            failures.get(&key).and_then(|f| {
                let delay = delay(f.count, free);
                let waited = now.saturating_duration_since(f.last);
                (waited < delay).then(|| delay - waited)
            })
        };
        match wait(account_key(account), FREE_PER_ACCOUNT).max(wait(address_key(address), FREE_PER_ADDRESS)) {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Counts a failed attempt.
    pub fn failed(&self, account: &str, address: &str, now: Instant) {
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

    /// Clears the account's count after a successful login.
    pub fn succeeded(&self, account: &str) {
        self.lock().remove(&account_key(account));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
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
            assert!(throttle.check("ada@example.org", "10.0.0.1", start).is_ok());
            throttle.failed("ADA@example.org", "10.0.0.1", start);
        }
        assert_eq!(throttle.check("ada@example.org", "10.0.0.2", start), Err(Duration::from_secs(1)));
        assert!(throttle.check("ada@example.org", "10.0.0.2", start + Duration::from_secs(1)).is_ok());
        throttle.failed("ada@example.org", "10.0.0.2", start);
        assert_eq!(throttle.check("ada@example.org", "10.0.0.3", start), Err(Duration::from_secs(2)));
        // Another account from a new address is not held up; a success clears the account.
        assert!(throttle.check("bob@example.org", "10.0.0.3", start).is_ok());
        throttle.succeeded("ada@example.org");
        assert!(throttle.check("ada@example.org", "10.0.0.3", start).is_ok());
        assert_eq!(delay(100, 5), MAX_DELAY);
    }
}
