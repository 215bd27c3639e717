//! Counters of events per key (client address, address and e-mail): a fixed window for
//! failed sign-in and set-up code attempts, guest messages and connects, and an exponential
//! backoff for sign-ins per account. Memory is bounded: past `max_keys` the oldest go.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailureLimiter {
    window: Duration,
    max_failures: u32,
    max_keys: usize,
    entries: Mutex<HashMap<String, (Instant, u32)>>,
}

impl FailureLimiter {
    pub fn new(window: Duration, max_failures: u32) -> FailureLimiter {
        FailureLimiter {
            window,
            max_failures,
            max_keys: 10_000,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` while `key` has used up its failures for the current window.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let entries = self.lock();
        match entries.get(key) {
            Some((start, count)) if *count >= self.max_failures => {
                let elapsed = now.saturating_duration_since(*start);
                if elapsed < self.window {
                    Err((self.window - elapsed).as_secs().max(1))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut entries = self.lock();
        self.record(&mut entries, key, now);
    }

    fn record(&self, entries: &mut HashMap<String, (Instant, u32)>, key: &str, now: Instant) {
        make_room(entries, key, self.max_keys, now, self.window);
        let entry = entries.entry(key.to_owned()).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// Counts one event and refuses it once `key` is over the limit, under one lock so a
    /// burst cannot pass the check together: a rate limit for guest messages and connects,
    /// and the reservation a sign-in takes before its password is hashed.
    pub fn hit(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut entries = self.lock();
        if let Some((start, count)) = entries.get(key) {
            let elapsed = now.saturating_duration_since(*start);
            if *count >= self.max_failures && elapsed < self.window {
                return Err((self.window - elapsed).as_secs().max(1));
            }
        }
        self.record(&mut entries, key, now);
        Ok(())
    }

    /// Takes back one event `hit` counted (the attempt succeeded, or never happened).
    pub fn undo(&self, key: &str) {
        if let Some((_, count)) = self.lock().get_mut(key) {
            *count = count.saturating_sub(1);
        }
    }

    pub fn forget(&self, key: &str) {
        self.lock().remove(key);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, u32)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Keeps memory bounded before `key` is added: past `max_keys`, entries untouched for
/// `stale` go, and if that frees nothing, all of them.
fn make_room(
    entries: &mut HashMap<String, (Instant, u32)>,
    key: &str,
    max_keys: usize,
    now: Instant,
    stale: Duration,
) {
    if entries.len() >= max_keys && !entries.contains_key(key) {
        entries.retain(|_, (at, _)| now.saturating_duration_since(*at) < stale);
        if entries.len() >= max_keys {
            entries.clear();
        }
    }
}

/// Exponential backoff per key: the first `free` attempts pass at once; after them each
/// attempt must wait `base` × 2^(attempts past `free`) since the previous one, at most `max`.
/// A key quiet for `max` starts over. For sign-ins per (address, account): a guesser slows
/// to a crawl while nobody is ever locked out for good.
pub struct Backoff {
    free: u32,
    base: Duration,
    max: Duration,
    max_keys: usize,
    /// Key → (last attempt, attempts so far).
    entries: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Backoff {
    pub fn new(free: u32, base: Duration, max: Duration) -> Backoff {
        Backoff {
            free,
            base,
            max,
            max_keys: 10_000,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The wait after `attempts` attempts.
    fn delay(&self, attempts: u32) -> Duration {
        match attempts.checked_sub(self.free) {
            None => Duration::ZERO,
            Some(past) => self
                .base
                .saturating_mul(1u32.checked_shl(past).unwrap_or(u32::MAX))
                .min(self.max),
        }
    }

    /// Counts an attempt, or `Err(seconds to wait)` while `key` must still wait. Counted
    /// under one lock, before the work it guards, so a burst cannot pass together.
    pub fn hit(&self, key: &str, now: Instant) -> Result<(), u64> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        make_room(&mut entries, key, self.max_keys, now, self.max);
        let entry = entries.entry(key.to_owned()).or_insert((now, 0));
        let since = now.saturating_duration_since(entry.0);
        if entry.1 > 0 && since >= self.max {
            *entry = (now, 0);
        }
        let wait = self.delay(entry.1).saturating_sub(since);
        if entry.1 > 0 && !wait.is_zero() {
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        *entry = (now, entry.1 + 1);
        Ok(())
    }

    /// The attempt succeeded: `key` starts over.
    pub fn forget(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_passes() {
        let limiter = FailureLimiter::new(Duration::from_secs(60), 3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("ip", t0).is_ok());
            limiter.record_failure("ip", t0);
        }
        assert_eq!(limiter.check("ip", t0 + Duration::from_secs(1)), Err(59));
        assert!(limiter.check("other", t0).is_ok());
        assert!(limiter.check("ip", t0 + Duration::from_secs(61)).is_ok());
        limiter.forget("ip");
        assert!(limiter.check("ip", t0).is_ok());
    }

    #[test]
    fn hits_count_at_once_and_a_success_takes_its_count_back() {
        let limiter = FailureLimiter::new(Duration::from_secs(60), 2);
        let t0 = Instant::now();
        assert!(limiter.hit("ip", t0).is_ok());
        assert!(limiter.hit("ip", t0).is_ok());
        assert!(
            limiter.hit("ip", t0).is_err(),
            "the third in the window is refused"
        );
        limiter.undo("ip");
        assert!(
            limiter.hit("ip", t0).is_ok(),
            "an attempt taken back frees its place"
        );
    }

    #[test]
    fn backoff_doubles_past_the_free_attempts_and_never_locks_for_good() {
        let b = Backoff::new(3, Duration::from_secs(30), Duration::from_secs(600));
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        for _ in 0..3 {
            assert!(b.hit("k", t0).is_ok());
        }
        assert_eq!(b.hit("k", at(1)), Err(29), "30 s after the third");
        assert!(b.hit("k", at(30)).is_ok());
        assert_eq!(b.hit("k", at(31)), Err(59), "then 60 s");
        assert!(b.hit("k", at(90)).is_ok());
        assert!(b.hit("k", at(209)).is_err(), "then 120 s");
        assert!(b.hit("k", at(210)).is_ok());
        // Capped at 10 minutes; a key quiet that long starts over.
        assert!(b.hit("k", at(210 + 600)).is_ok());
        assert!(b.hit("other", at(211)).is_ok());
        b.forget("k");
        assert!(b.hit("k", at(211)).is_ok());
    }
}
