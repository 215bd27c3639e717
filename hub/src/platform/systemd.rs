//! systemd integration: READY=1 once every listener is up, STOPPING=1 on the way out, and
//! watchdog pings at half the configured interval, sent only while the hub's own `/healthz`
//! answers over HTTP (the web listener and the store both), so a wedged hub is restarted. Outside systemd every call is a no-op.

use std::net::SocketAddr;
use std::time::Duration;

use sd_notify::NotifyState;

pub fn ready() {
    let _ = sd_notify::notify(false, &[NotifyState::Ready]);
}

pub fn stopping() {
    let _ = sd_notify::notify(false, &[NotifyState::Stopping]);
}

/// Spawns the watchdog task if systemd asked for one. Each ping waits for `/healthz` on the
/// HTTP listener at `http` (which reads the store): a hub whose store or web listener no
/// longer answers is restarted.
pub fn spawn_watchdog(http: SocketAddr) {
    let mut usec = 0u64;
    if !sd_notify::watchdog_enabled(false, &mut usec) || usec == 0 {
        return;
    }
    let period = Duration::from_micros(usec / 2);
    let probe = match super::health::Probe::new(http, None, period / 2) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "No watchdog: cannot make its probe.");
            return;
        }
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            match probe.check().await {
                Ok(()) => {
                    let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
                }
                Err(why) => {
                    tracing::error!(%why, "The hub is unhealthy; withholding the watchdog ping.")
                }
            }
        }
    });
}
