//! The broker behind the link guard: on a single node an embedded rumqttd, on loopback
//! only, signed in to with a secret made at start; in a cluster the NATS servers' MQTT
//! listeners, with the relay's NATS user. Hubs reach it only through the guard, the relay's
//! own client directly.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("cannot find a free loopback port for the broker: {0}")]
    Port(std::io::Error),
    #[error("the broker would not start: {0}")]
    Start(String),
}

/// Where the broker listens and how to sign in to it.
#[derive(Clone)]
pub struct Upstream {
    /// `host:port` of each broker, the nearest first.
    pub addrs: Vec<String>,
    pub username: String,
    pub password: String,
}

/// How long one broker has to accept a connection before the next is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl Upstream {
    /// A cluster's NATS servers.
    pub fn cluster(config: &crate::config::ClusterConfig) -> Upstream {
        Upstream {
            addrs: config.brokers.clone(),
            username: config.broker_username.clone(),
            password: config.broker_password.clone(),
        }
    }

    /// A connection to the first broker, in order, that takes one.
    pub async fn connect(&self) -> std::io::Result<TcpStream> {
        let mut last = std::io::Error::other("no broker is configured");
        for addr in &self.addrs {
            match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(tcp)) => {
                    let _ = tcp.set_nodelay(true);
                    return Ok(tcp);
                }
                Ok(Err(e)) => last = e,
                Err(_) => last = std::io::ErrorKind::TimedOut.into(),
            }
            tracing::debug!(broker = %addr, error = %last, "A broker did not answer.");
        }
        Err(last)
    }
}

/// Starts rumqttd on its own threads and returns once it listens.
pub async fn start(max_packet_bytes: usize) -> Result<Upstream, BrokerError> {
    let probe = std::net::TcpListener::bind(("127.0.0.1", 0)).map_err(BrokerError::Port)?;
    let addr = probe.local_addr().map_err(BrokerError::Port)?;
    drop(probe);
    let password = hex::encode(rand::random::<[u8; 24]>());
    let expected = password.clone();
    let connections = ConnectionSettings {
        connection_timeout_ms: 5_000,
        max_payload_size: max_packet_bytes,
        max_inflight_count: 256,
        auth: None,
        external_auth: Some(Arc::new(move |_client, username, password| {
            let ok = username == "relay" && password == expected;
            Box::pin(std::future::ready(ok))
        })),
        dynamic_filters: true,
    };
    let server = ServerSettings {
        name: "link".into(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections,
    };
    let config = Config {
        id: 0,
        router: RouterConfig {
            max_connections: 10_010,
            max_outgoing_packet_count: 1_000,
            max_segment_size: 16 * 1024 * 1024,
            max_segment_count: 10,
            ..Default::default()
        },
        v4: Some(HashMap::from([("link".to_owned(), server)])),
        v5: None,
        ws: None,
        cluster: None,
        console: None,
        bridge: None,
        prometheus: None,
        metrics: None,
    };
    let mut broker = rumqttd::Broker::new(config);
    std::thread::Builder::new()
        .name("relay-broker".into())
        .spawn(move || {
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "The relay's broker stopped.");
            }
        })
        .map_err(|e| BrokerError::Start(e.to_string()))?;
    // rumqttd binds on its own thread: wait until our bind fails.
    for _ in 0..1000 {
        if std::net::TcpListener::bind(addr).is_err() {
            // Each frame waits on the one before: without this, a PUBACK and the next
            // PUBLISH meet Nagle's delay (about 40 ms a hop).
            match os_sockets::no_delay_for_accepted(addr) {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(%addr, "The broker's listener was not found for TCP_NODELAY.")
                }
                Err(e) => {
                    tracing::warn!(%addr, error = %e, "TCP_NODELAY was refused on the broker's listener.")
                }
            }
            return Ok(Upstream {
                addrs: vec![addr.to_string()],
                username: "relay".into(),
                password,
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Err(BrokerError::Start(format!(
        "nothing listens on {addr} after 10 s"
    )))
}
