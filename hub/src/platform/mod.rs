//! What the hub needs from the box it runs on: its LAN addresses, LAN discovery (mDNS),
//! the service manager (systemd readiness and watchdog), the hub's probe of its own
//! health, the open-file limit, allocator tuning, and a socket option on a listener a
//! library binds. The GPIO lines are a capability of their own (`gpio/`).

pub mod files;
pub mod health;
pub mod lan;
pub mod mdns;
pub mod memory;
pub mod systemd;

/// Returns on SIGTERM (systemd's stop) or ctrl-c.
pub async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
