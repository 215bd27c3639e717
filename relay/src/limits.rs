//! Per-address counting windows: how many times an address may do something per period
//! (new connections, registrations), before the relay says no.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most `limit` events per address per `period`, counted in fixed windows.
pub struct Window {
    limit: u32,
    period: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

/// Addresses remembered at most; past it, finished windows are forgotten first.
const REMEMBERED: usize = 100_000;

impl Window {
    pub fn new(limit: u32, period: Duration) -> Window {
        Window {
            limit,
            period,
            seen: Mutex::default(),
        }
    }

    /// Counts one event of `ip`; `false` once it is over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= REMEMBERED {
            let period = self.period;
            seen.retain(|_, (start, _)| now.duration_since(*start) < period);
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.period {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_over_its_limit_is_refused_and_others_are_not() {
        let w = Window::new(3, Duration::from_secs(60));
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        assert!((0..3).all(|_| w.allow(a)));
        assert!(!w.allow(a));
        assert!(w.allow(b));
    }
}
