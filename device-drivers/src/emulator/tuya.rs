//! A Tuya device seen from the network: one TCP connection at a time (a new one replaces
//! the old, as real devices do), any protocol version, its own data points, an idle
//! timeout, UDP announcements and answers to discovery probes.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};

use crate::tuya::crypto::Key;
use crate::tuya::discovery::{self, Announcement};
use crate::tuya::session::{DeviceEvent, DeviceSession};
use crate::tuya::{cmd, Version};

#[derive(Debug, Clone)]
pub struct TuyaDevice {
    pub id: String,
    pub local_key: Key,
    pub version: Version,
    pub dps: Map<String, Value>,
    /// Where to listen for the client (port 0 picks one).
    pub listen: SocketAddr,
    /// Connections idle this long are dropped (real devices: about 30 s).
    pub idle_timeout: Duration,
    /// Where to send announcements (a broadcast address, or loopback), if anywhere.
    pub announce_to: Option<SocketAddr>,
    /// Where to answer discovery probes, if anywhere.
    pub probe_listen: Option<SocketAddr>,
    /// The address announced, when `listen` is a wildcard.
    pub announce_ip: Option<IpAddr>,
}

impl TuyaDevice {
    pub fn new(id: &str, local_key: Key, version: Version, dps: Map<String, Value>) -> Self {
        TuyaDevice {
            id: id.to_owned(),
            local_key,
            version,
            dps,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            idle_timeout: Duration::from_secs(30),
            announce_to: None,
            probe_listen: None,
            announce_ip: None,
        }
    }
}

/// A running emulated device; dropping it stops it.
pub struct RunningTuya {
    pub addr: SocketAddr,
    pub probe_addr: Option<SocketAddr>,
    dps: Arc<Mutex<Map<String, Value>>>,
    presses: mpsc::UnboundedSender<Map<String, Value>>,
    /// Dropped with the device: every task of it ends.
    _stop: watch::Sender<()>,
    connections: Arc<std::sync::atomic::AtomicUsize>,
}

impl RunningTuya {
    pub fn dps(&self) -> Map<String, Value> {
        self.dps.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Someone pressed the device's own button: the change is reported to the client.
    pub fn press(&self, changes: Map<String, Value>) {
        let _ = self.presses.send(changes);
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::Relaxed)
    }
}

pub async fn start(device: TuyaDevice) -> std::io::Result<RunningTuya> {
    let listener = TcpListener::bind(device.listen).await?;
    let addr = listener.local_addr()?;
    let dps = Arc::new(Mutex::new(device.dps.clone()));
    let (stop, stopped) = watch::channel(());
    let (presses, mut press_rx) = mpsc::unbounded_channel::<Map<String, Value>>();
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));

    let mut probe_addr = None;
    if let Some(listen) = device.probe_listen {
        let socket = bind_udp(listen)?;
        probe_addr = Some(socket.local_addr()?);
        let me = announcement(&device, addr);
        tokio::spawn(stoppable(stopped.clone(), answer_probes(socket, me)));
    }
    if let Some(target) = device.announce_to {
        let socket = bind_udp(SocketAddr::new(device.listen.ip(), 0))?;
        let me = announcement(&device, addr);
        tokio::spawn(stoppable(stopped.clone(), announce(socket, target, me)));
    }

    let state = dps.clone();
    let count = connections.clone();
    let mut stopper = stopped.clone();
    tokio::spawn(async move {
        // The current connection's sender of pushed changes; a new connection replaces it.
        let mut current: Option<mpsc::UnboundedSender<Map<String, Value>>> = None;
        loop {
            tokio::select! {
                _ = stopper.changed() => return,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let (tx, rx) = mpsc::unbounded_channel();
                    // Dropping the old sender ends the old connection.
                    current = Some(tx);
                    tokio::spawn(serve(stream, device.clone(), state.clone(), rx, stopped.clone()));
                }
                pressed = press_rx.recv() => {
                    let Some(changes) = pressed else { return };
                    state.lock().unwrap_or_else(|p| p.into_inner()).extend(changes.clone());
                    if let Some(tx) = &current {
                        let _ = tx.send(changes);
                    }
                }
            }
        }
    });
    Ok(RunningTuya {
        addr,
        probe_addr,
        dps,
        presses,
        _stop: stop,
        connections,
    })
}

async fn stoppable(mut stop: watch::Receiver<()>, work: impl std::future::Future<Output = ()>) {
    tokio::select! {
        _ = stop.changed() => {}
        _ = work => {}
    }
}

fn bind_udp(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    let socket = std::net::UdpSocket::bind(addr)?;
    socket.set_broadcast(true)?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket)
}

fn announcement(device: &TuyaDevice, addr: SocketAddr) -> Announcement {
    Announcement {
        id: device.id.clone(),
        ip: device.announce_ip.unwrap_or(addr.ip()),
        version: Some(device.version),
        product_key: Some("hotelhubemu00001".into()),
        port: (addr.port() != crate::tuya::PORT).then_some(addr.port()),
    }
}

async fn answer_probes(socket: UdpSocket, me: Announcement) {
    let mut buf = [0u8; 2048];
    let mut seq = 1u32;
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        if discovery::is_probe(&buf[..n]) {
            seq += 1;
            let _ = socket
                .send_to(&discovery::encode_announcement(&me, seq), from)
                .await;
        }
    }
}

async fn announce(socket: UdpSocket, target: SocketAddr, me: Announcement) {
    let mut tick = tokio::time::interval(Duration::from_secs(2));
    let mut seq = 1u32;
    loop {
        tick.tick().await;
        seq += 1;
        let _ = socket
            .send_to(&discovery::encode_announcement(&me, seq), target)
            .await;
    }
}

fn status_json(dps: &Map<String, Value>) -> Vec<u8> {
    json!({"protocol": 4, "t": now_secs(), "data": {"dps": dps}})
        .to_string()
        .into_bytes()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

async fn serve(
    mut stream: tokio::net::TcpStream,
    device: TuyaDevice,
    state: Arc<Mutex<Map<String, Value>>>,
    mut pushes: mpsc::UnboundedReceiver<Map<String, Value>>,
    mut stop: watch::Receiver<()>,
) {
    let _ = stream.set_nodelay(true);
    let mut session = DeviceSession::new(device.version, device.local_key, rand::random());
    let mut buf = Vec::new();
    loop {
        let mut chunk = [0u8; 2048];
        tokio::select! {
            _ = stop.changed() => return,
            pushed = pushes.recv() => {
                // None: a newer connection took over.
                let Some(changes) = pushed else { return };
                let frame = session.push(&status_json(&changes));
                if stream.write_all(&frame).await.is_err() { return; }
            }
            read = tokio::time::timeout(device.idle_timeout, stream.read(&mut chunk)) => {
                let n = match read {
                    Ok(Ok(n)) if n > 0 => n,
                    _ => return,
                };
                buf.extend_from_slice(&chunk[..n]);
                loop {
                    let event = match session.decode(&buf) {
                        Ok(Some((event, used))) => { buf.drain(..used); event }
                        Ok(None) => break,
                        Err(e) => {
                            tracing::debug!(error = %e, "emulated Tuya device: bad frame, closing");
                            return;
                        }
                    };
                    let out = match event {
                        DeviceEvent::Reply(bytes) => bytes,
                        DeviceEvent::Request(m) => handle(&mut session, &state, m),
                    };
                    if !out.is_empty() && stream.write_all(&out).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

fn handle(
    session: &mut DeviceSession,
    state: &Mutex<Map<String, Value>>,
    m: crate::tuya::session::Message,
) -> Vec<u8> {
    let mut dps = state.lock().unwrap_or_else(|p| p.into_inner());
    match m.cmd {
        cmd::DP_QUERY | cmd::DP_QUERY_NEW | cmd::UPDATEDPS => {
            session.reply(m.seq, m.cmd, &status_json(&dps))
        }
        cmd::CONTROL | cmd::CONTROL_NEW => {
            let asked = serde_json::from_slice::<Value>(&m.payload)
                .ok()
                .and_then(|v| crate::tuya::dps::dps_of(&v).cloned())
                .unwrap_or_default();
            let sets: Map<String, Value> =
                asked.into_iter().filter(|(_, v)| !v.is_null()).collect();
            if sets.is_empty() {
                return session.reply(m.seq, m.cmd, &status_json(&dps));
            }
            dps.extend(sets.clone());
            session.reply(m.seq, m.cmd, &status_json(&sets))
        }
        cmd::HEART_BEAT => session.reply(m.seq, cmd::HEART_BEAT, b""),
        _ => session.reply(m.seq, m.cmd, b"json obj data unvalid"),
    }
}
