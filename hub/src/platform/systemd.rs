//! systemd integration: READY=1 once every listener is up, STOPPING=1 on the way out, and
//! watchdog pings at half the configured interval, sent only while the hub's own `/healthz`
//! answers over HTTP (the web listener and the store both), so a wedged hub is restarted. Outside systemd every call is a no-op.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
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
    let probe = match http.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, http.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, http.port()))
        }
        _ => http,
    };
    let url = format!("http://{probe}/healthz");
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(period / 2)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "No watchdog: cannot make its HTTP client.");
            return;
        }
    };
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(period).await;
            match client.get(&url).send().await {
                Ok(r) if r.status().is_success() => {
                    let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
                }
                Ok(r) => tracing::error!(
                    status = %r.status(),
                    "The hub is unhealthy; withholding the watchdog ping."
                ),
                Err(e) => tracing::error!(
                    error = %e,
                    "The web listener does not answer; withholding the watchdog ping."
                ),
            }
        }
    });
}
