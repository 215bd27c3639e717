//! The embedded MQTT broker (rumqttd) that devices, Tasmota, Zigbee2MQTT and Home Assistant
//! connect to, sized for a Raspberry Pi; device sign-in against credentials kept in the
//! store; and the hub's own in-process client (a local link, no socket). It does not speak
//! any device protocol: drivers publish and subscribe through it.

mod credentials;
pub mod credentials_api;
pub mod refusals;

pub use credentials::{BrokerEndpoint, CredentialError, Credentials, DeviceCredential};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use rumqttd::protocol::{Packet, Publish};
use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};
use sha2::{Digest, Sha256};

use crate::config::BrokerConfig;

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("cannot listen for MQTT on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("another program took the broker's port {0}")]
    Taken(SocketAddr),
    #[error("the broker would not start: {0}")]
    Start(String),
    #[error("the hub's own broker link failed: {0}")]
    Link(String),
}

/// Shared with the web layer: who may sign in, and how many are connected.
#[derive(Clone, Default)]
pub struct BrokerHandle {
    /// username → SHA-256 of the secret.
    credentials: Arc<RwLock<HashMap<String, String>>>,
    port: Arc<RwLock<Option<u16>>>,
}

impl BrokerHandle {
    pub fn set_credentials(&self, pairs: impl IntoIterator<Item = (String, String)>) {
        let fresh: HashMap<String, String> = pairs.into_iter().collect();
        *self.credentials.write().unwrap_or_else(|p| p.into_inner()) = fresh;
    }

    fn accepts(&self, username: &str, password: &str) -> bool {
        let map = self.credentials.read().unwrap_or_else(|p| p.into_inner());
        match map.get(username) {
            Some(expected) => {
                constant_time_eq(expected.as_bytes(), secret_hash(password).as_bytes())
            }
            None => false,
        }
    }

    /// Established MQTT connections on the broker's port, read from the kernel's socket
    /// table; rumqttd keeps no such count of its own.
    pub fn connected_clients(&self) -> usize {
        let Some(port) = *self.port.read().unwrap_or_else(|p| p.into_inner()) else {
            return 0;
        };
        let wanted = format!(":{port:04X} ");
        ["/proc/self/net/tcp", "/proc/self/net/tcp6"]
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|text| {
                // Columns: sl, local address (HEX_IP:HEX_PORT), remote address, state (01 =
                // established).
                text.lines()
                    .skip(1)
                    .filter(|line| {
                        let cols: Vec<&str> = line.split_whitespace().collect();
                        cols.len() > 3
                            && format!("{} ", cols[1]).ends_with(&wanted)
                            && cols[3] == "01"
                    })
                    .count()
            })
            .sum()
    }
}

pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The running broker's address and the hub's own in-process client, held for the life of
/// the process (rumqttd has no way to stop its threads).
pub struct Running {
    pub addr: SocketAddr,
    /// Taken by the device registry's MQTT side.
    pub link: Option<(rumqttd::local::LinkTx, rumqttd::local::LinkRx)>,
    /// Taken by the box's relay outputs, which join the registry as a device would.
    pub gpio_link: Option<(rumqttd::local::LinkTx, rumqttd::local::LinkRx)>,
}

/// Starts the broker on its own threads (rumqttd runs its own runtimes) and returns once
/// the listener is bound, with the hub's in-process link connected and `hub/status`
/// published (retained) through it.
pub async fn start(config: &BrokerConfig, handle: BrokerHandle) -> Result<Running, BrokerError> {
    // For "any port", a port another program takes between our probe and rumqttd's bind is
    // drawn again (rumqttd only logs that its bind failed).
    let tries = if config.listen.port() == 0 { 3 } else { 1 };
    let mut outcome = Err(BrokerError::Start("not tried".into()));
    for _ in 0..tries {
        outcome = start_once(config, handle.clone()).await;
        match &outcome {
            Err(BrokerError::Taken(addr)) => {
                tracing::warn!(%addr, "Another program took the broker's port; drawing another.")
            }
            _ => break,
        }
    }
    outcome
}

async fn start_once(config: &BrokerConfig, handle: BrokerHandle) -> Result<Running, BrokerError> {
    // rumqttd only logs a failed bind from its thread; bind first to fail loudly instead.
    let probe = probe_port(config.listen).map_err(|source| BrokerError::Bind {
        addr: config.listen,
        source,
    })?;
    let addr = probe.local_addr().map_err(|source| BrokerError::Bind {
        addr: config.listen,
        source,
    })?;
    drop(probe);
    *handle.port.write().unwrap_or_else(|p| p.into_inner()) = Some(addr.port());

    let auth_handle = handle.clone();
    let allow_anonymous = config.allow_anonymous;
    let connections = ConnectionSettings {
        connection_timeout_ms: 5_000,
        max_payload_size: config.max_payload_bytes,
        max_inflight_count: 64,
        auth: None,
        external_auth: Some(Arc::new(move |_client_id, username, password| {
            let accepted = (allow_anonymous && username.is_empty())
                || auth_handle.accepts(&username, &password);
            Box::pin(std::future::ready(accepted))
        })),
        dynamic_filters: true,
    };
    let server = ServerSettings {
        name: "mqtt".into(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let broker_config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: config.max_connections,
            max_outgoing_packet_count: 200,
            max_segment_size: config.max_segment_bytes,
            max_segment_count: config.max_segment_count,
            ..Default::default()
        },
        v4: Some(HashMap::from([("mqtt".to_owned(), server.clone())])),
        v5: None,
        ws: None,
        cluster: None,
        console: None,
        bridge: None,
        prometheus: None,
        metrics: None,
    };
    let mut broker = rumqttd::Broker::new(broker_config);
    let (mut link_tx, link_rx) = broker
        .link("hub")
        .map_err(|e| BrokerError::Link(e.to_string()))?;
    let gpio_link = broker
        .link("hub-gpio")
        .map_err(|e| BrokerError::Link(e.to_string()))?;
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "The MQTT broker stopped.");
            }
        })
        .map_err(|e| BrokerError::Start(e.to_string()))?;
    wait_until_listening(addr).await?;
    match os_sockets::no_delay_for_accepted(addr) {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(%addr, "The broker's listener was not found; device commands may wait for delayed ACKs.")
        }
        Err(e) => {
            tracing::warn!(%addr, error = %e, "TCP_NODELAY was refused on the broker's listener.")
        }
    }
    let status = serde_json::json!({ "state": "online", "version": env!("CARGO_PKG_VERSION") });
    link_tx
        .send(Packet::Publish(
            Publish::new(
                b"hub/status".to_vec(),
                status.to_string().into_bytes(),
                true,
            ),
            None,
        ))
        .await
        .map_err(|e| BrokerError::Link(e.to_string()))?;
    tracing::info!(%addr, "The MQTT broker is listening.");
    Ok(Running {
        addr,
        link: Some((link_tx, link_rx)),
        gpio_link: Some(gpio_link),
    })
}

/// Binds `listen` to see that it is free. rumqttd takes an address, not a socket, so the port
/// is released before it binds again: for "any port" (0), one is drawn below the kernel's
/// ephemeral range (32768 and up), where the ports other programs get for "any port" (the
/// hub's own HTTP listeners, tests running beside it) cannot take it in between.
fn probe_port(listen: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    if listen.port() != 0 {
        return std::net::TcpListener::bind(listen);
    }
    let mut last = None;
    for _ in 0..64 {
        let port = rand::random::<u16>() % 12_000 + 20_000;
        match std::net::TcpListener::bind(SocketAddr::new(listen.ip(), port)) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}

/// Waits until rumqttd's listener holds the port: our own bind then fails. Probing by
/// connecting instead would make the broker log an aborted handshake. Its thread can take
/// seconds to be scheduled on a busy two-core box (a fresh-clone CI run beside other
/// tests missed a 2 s wait).
async fn wait_until_listening(addr: SocketAddr) -> Result<(), BrokerError> {
    for _ in 0..1000 {
        if std::net::TcpListener::bind(addr).is_err() {
            // Held, but is it held by rumqttd, in this process?
            return match os_sockets::no_delay_for_accepted(addr) {
                Ok(false) => Err(BrokerError::Taken(addr)),
                _ => Ok(()),
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Err(BrokerError::Start(format!(
        "nothing listens on {addr} after 10 s"
    )))
}

/// Usernames are typed into device firmware: keep them plain. "hub" is the hub's own link.
pub fn valid_username(name: &str) -> bool {
    (3..=32).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name != "hub"
}
