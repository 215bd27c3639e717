//! The hub link's front door: MQTT 3.1.1 over TLS from hubs (or over a WebSocket the
//! relay's HTTPS listener took, `web/`). It checks each hub's token
//! against the registry, then passes its packets to the broker, refusing any PUBLISH outside
//! `hubs/<its id>/up/` and any SUBSCRIBE wider than `hubs/<its id>/down/#` (the broker
//! itself has no per-client topic rules). A refusal closes the link and is counted.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use cloud_link::{credential, topics, HubId};
use rumqttc::mqttbytes::v4::{ConnAck, ConnectReturnCode, Login, Packet};
use rumqttc::mqttbytes::Error as MqttError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::broker::Upstream;
use crate::registry::Registry;

/// How long a hub has for its TLS handshake, and then for its CONNECT.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
enum GuardError {
    #[error("TLS: {0}")]
    Tls(std::io::Error),
    #[error("no CONNECT within {0:?}")]
    Slow(Duration),
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed MQTT: {0:?}")]
    Mqtt(MqttError),
    #[error("the first packet was not CONNECT")]
    NotConnect,
    #[error("refused: {0}")]
    Refused(String),
    #[error("the broker: {0}")]
    Broker(String),
}

/// Counts of what the guard turned away, for the relay's metrics.
#[derive(Default)]
pub struct GuardStats {
    pub refused: AtomicU64,
}

#[derive(Clone)]
pub struct Guard {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub registry: Registry,
    pub upstream: Upstream,
    pub max_packet_bytes: usize,
    pub stats: Arc<GuardStats>,
    pub streams: crate::tunnel::Streams,
}

impl Guard {
    /// Accepts hub links on `listener` for the life of the process.
    pub fn serve(self, listener: TcpListener) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((tcp, peer)) => {
                        let guard = self.clone();
                        tokio::spawn(async move {
                            if let Err(e) = guard.session(tcp, peer).await {
                                tracing::info!(%peer, error = %e, "A hub link ended.");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "The link listener cannot accept.");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        })
    }

    async fn session(&self, tcp: TcpStream, peer: SocketAddr) -> Result<(), GuardError> {
        let _ = tcp.set_nodelay(true);
        let hub = tokio::time::timeout(HELLO_TIMEOUT, self.acceptor.accept(tcp))
            .await
            .map_err(|_| GuardError::Slow(HELLO_TIMEOUT))?
            .map_err(GuardError::Tls)?;
        self.link(hub, peer).await
    }

    /// A hub's link over a WebSocket (MQTT over WebSocket, MQTT 3.1.1 §6) that the relay's
    /// HTTPS listener accepted: for hotels whose network lets only port 443 out.
    pub async fn websocket_link<S>(&self, hub: S, peer: SocketAddr)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        if let Err(e) = self.link(hub, peer).await {
            tracing::info!(%peer, error = %e, "A hub link over WebSocket ended.");
        }
    }

    /// One hub's link, its transport's security done: CONNECT, the hub admitted, then its
    /// packets carried until either side ends.
    async fn link<S>(&self, hub: S, peer: SocketAddr) -> Result<(), GuardError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let (mut hub, mut inbound, connect) = tokio::time::timeout(HELLO_TIMEOUT, async {
            let mut hub = hub;
            let mut inbound = BytesMut::with_capacity(4096);
            match read_packet(&mut hub, &mut inbound, self.max_packet_bytes).await? {
                Packet::Connect(c) => Ok((hub, inbound, c)),
                _ => Err(GuardError::NotConnect),
            }
        })
        .await
        .map_err(|_| GuardError::Slow(HELLO_TIMEOUT))??;

        let id = match self.admit(&connect.client_id, connect.login.as_ref()).await {
            Ok(id) => id,
            Err(why) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                let mut out = BytesMut::new();
                let _ = ConnAck::new(ConnectReturnCode::NotAuthorized, false).write(&mut out);
                let _ = hub.write_all(&out).await;
                let _ = hub.shutdown().await;
                return Err(GuardError::Refused(why));
            }
        };

        let mut broker = self
            .upstream
            .connect()
            .await
            .map_err(|e| GuardError::Broker(e.to_string()))?;
        let mut upstream_connect = connect;
        upstream_connect.login = Some(Login::new(
            self.upstream.username.clone(),
            self.upstream.password.clone(),
        ));
        let mut out = BytesMut::new();
        Packet::Connect(upstream_connect)
            .write(&mut out, self.max_packet_bytes)
            .map_err(GuardError::Mqtt)?;
        broker.write_all(&out).await?;

        tracing::info!(hub = %id, %peer, "A hub linked.");
        let now = unix_now();
        if let Err(e) = self.registry.link_up(&id, now).await {
            tracing::warn!(error = %e, "The registry did not record a link.");
        }
        // The hub dropped what it carried with its last link, wherever that was.
        self.streams.announce_link(&id).await;
        let ended = self.pump(&id, &mut hub, &mut inbound, &mut broker).await;
        match self.registry.link_down(&id, unix_now()).await {
            // Browsers carried to a hub that is gone would wait for nothing.
            Ok(true) => self.streams.announce_link(&id).await,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "The registry did not record a link's end.");
                self.streams.announce_link(&id).await;
            }
        }
        if matches!(ended, Err(GuardError::Refused(_))) {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
        }
        ended
    }

    /// The hub's id, when `client_id`, the username and the token agree.
    async fn admit(&self, client_id: &str, login: Option<&Login>) -> Result<HubId, String> {
        let id = HubId::parse(client_id).map_err(|e| e.to_string())?;
        let login = login.ok_or("no credentials")?;
        if login.username != client_id {
            return Err("the username is not the client id".into());
        }
        let record = self
            .registry
            .get(&id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("an unregistered hub")?;
        credential::verify_token(&id, &record.public_key, &login.password, unix_now())
            .map_err(|e| e.to_string())?;
        Ok(id)
    }

    /// Carries packets both ways until either side closes or the hub oversteps.
    async fn pump<H>(
        &self,
        id: &HubId,
        hub: &mut H,
        inbound: &mut BytesMut,
        broker: &mut TcpStream,
    ) -> Result<(), GuardError>
    where
        H: AsyncRead + AsyncWrite + Unpin,
    {
        let (mut broker_rx, mut broker_tx) = broker.split();
        let (mut hub_rx, mut hub_tx) = tokio::io::split(hub);
        let up = async {
            let mut out = BytesMut::new();
            loop {
                let packet = read_packet(&mut hub_rx, inbound, self.max_packet_bytes).await?;
                match &packet {
                    Packet::Publish(p) if !topics::hub_may_publish(id, &p.topic) => {
                        return Err(GuardError::Refused(format!("PUBLISH on {}", p.topic)));
                    }
                    // The node holding the link keeps the summary: one worker per hub, and
                    // the work moves with the link.
                    Packet::Publish(p) if topics::parse_summary(&p.topic).is_some() => {
                        keep_summary(&self.registry, id.clone(), &p.payload);
                    }
                    Packet::Subscribe(s) => {
                        if let Some(f) = s
                            .filters
                            .iter()
                            .find(|f| !topics::hub_may_subscribe(id, &f.path))
                        {
                            return Err(GuardError::Refused(format!("SUBSCRIBE to {}", f.path)));
                        }
                    }
                    Packet::Connect(_) => {
                        return Err(GuardError::Refused("a second CONNECT".into()))
                    }
                    _ => {}
                }
                let last = matches!(packet, Packet::Disconnect);
                out.clear();
                packet
                    .write(&mut out, self.max_packet_bytes)
                    .map_err(GuardError::Mqtt)?;
                broker_tx.write_all(&out).await?;
                if last {
                    return Ok(());
                }
            }
        };
        let down = async {
            tokio::io::copy(&mut broker_rx, &mut hub_tx).await?;
            Ok::<(), GuardError>(())
        };
        let ended = tokio::select! {
            r = up => r,
            r = down => r,
        };
        let _ = hub_tx.shutdown().await;
        ended
    }
}

/// Keeps a hub's summary for the dashboard: JSON with a `seq` (the hub's clock in ms), at
/// most 4 KiB; anything else is dropped.
fn keep_summary(registry: &crate::registry::Registry, hub: HubId, payload: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(payload) else {
        tracing::debug!(%hub, "An unreadable summary.");
        return;
    };
    let Some(seq) = value["seq"].as_i64().filter(|_| payload.len() <= 4096) else {
        tracing::debug!(%hub, "A summary without its sequence, or too large.");
        return;
    };
    let registry = registry.clone();
    tokio::spawn(async move {
        if let Err(e) = registry.set_summary(&hub, seq, value.to_string()).await {
            tracing::warn!(error = %e, "A hub's summary was not kept.");
        }
    });
}

/// Reads one packet, buffering across reads; `max` bounds its size.
async fn read_packet<R: AsyncRead + Unpin>(
    rx: &mut R,
    buffer: &mut BytesMut,
    max: usize,
) -> Result<Packet, GuardError> {
    loop {
        match Packet::read(buffer, max) {
            Ok(p) => return Ok(p),
            Err(MqttError::InsufficientBytes(_)) => {}
            Err(e) => return Err(GuardError::Mqtt(e)),
        }
        if rx.read_buf(buffer).await? == 0 {
            return Err(GuardError::Io(std::io::ErrorKind::UnexpectedEof.into()));
        }
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
