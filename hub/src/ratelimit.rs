//! A small fixed-window counter of events per key (client address, e-mail): failed sign-in
//! and set-up code attempts, guest messages and connects. Memory is bounded: past `max_keys` the oldest windows go.

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
        if entries.len() >= self.max_keys && !entries.contains_key(key) {
            let window = self.window;
            entries.retain(|_, (start, _)| now.saturating_duration_since(*start) < window);
            if entries.len() >= self.max_keys {
                entries.clear();
            }
        }
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
}
