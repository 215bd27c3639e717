//! The hub's health as seen from outside itself: its own `/healthz` over HTTP (the web
//! listener and the store both answer it) and, when the broker runs, a TCP connection to
//! the broker's listener. The systemd watchdog, the update's slot confirmation and the
//! status LED all ask this one probe.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

/// What is asked; cheap to clone.
#[derive(Clone)]
pub struct Probe {
    url: String,
    mqtt: Option<SocketAddr>,
    client: reqwest::Client,
    timeout: Duration,
}

/// A listener on "any address" is asked on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port()))
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}

impl Probe {
    /// Asks `http`'s `/healthz` and, if given, connects to `mqtt`, each within `timeout`.
    pub fn new(
        http: SocketAddr,
        mqtt: Option<SocketAddr>,
        timeout: Duration,
    ) -> Result<Probe, String> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(timeout)
            .build()
            .map_err(|e| format!("cannot make the probe's HTTP client: {e}"))?;
        Ok(Probe {
            url: format!("http://{}/healthz", reachable(http)),
            mqtt: mqtt.map(reachable),
            client,
            timeout,
        })
    }

    /// `Ok` when every part answers; else what does not.
    pub async fn check(&self) -> Result<(), String> {
        match self.client.get(&self.url).send().await {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => return Err(format!("/healthz answers {}", r.status())),
            Err(e) => return Err(format!("the web listener does not answer: {e}")),
        }
        if let Some(addr) = self.mqtt {
            match tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(format!("the broker does not answer: {e}")),
                Err(_) => return Err("the broker does not answer in time".into()),
            }
        }
        Ok(())
    }
}
