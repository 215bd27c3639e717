//! systemd integration: READY=1 once every listener is up, STOPPING=1 on the way out, and
//! watchdog pings at half the configured interval, sent only while the store still
//! answers, so a wedged hub is restarted. Outside systemd every call is a no-op.

use std::time::Duration;

use sd_notify::NotifyState;

use crate::store::{Store, StoreError};

pub fn ready() {
    let _ = sd_notify::notify(false, &[NotifyState::Ready]);
}

pub fn stopping() {
    let _ = sd_notify::notify(false, &[NotifyState::Stopping]);
}

/// Spawns the watchdog task if systemd asked for one.
pub fn spawn_watchdog(store: Store) {
    let mut usec = 0u64;
    if !sd_notify::watchdog_enabled(false, &mut usec) || usec == 0 {
        return;
    }
    let period = Duration::from_micros(usec / 2);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            let alive = store
                .read(|c| {
                    c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                        .map_err(StoreError::from)
                })
                .await
                .is_ok();
            if alive {
                let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
            } else {
                tracing::error!("The store does not answer; withholding the watchdog ping.");
            }
        }
    });
}
