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

    /// Counts one event and refuses it once `key` is over the limit: a rate limit for
    /// things that are not failures (guest messages, connects).
    pub fn hit(&self, key: &str, now: Instant) -> Result<(), u64> {
        self.check(key, now)?;
        self.record_failure(key, now);
        Ok(())
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
}
