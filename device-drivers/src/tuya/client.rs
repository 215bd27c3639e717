//! The Tuya client task: one persistent TCP connection per device (devices accept only
//! one; the links to a multi-gang switch's gangs share it), heartbeats so the device does not drop it, reconnects with backoff, commands
//! confirmed by the state the device reports back, and offline detection.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

use super::gangs::{self, Device, Request};
use super::session::{ClientEvent, ClientSession, Message};
use super::{cmd, crypto::Key, dps, DpMap, TuyaError, Version};
use crate::link::{Backoff, DriverError, LinkHandle, Reply};
use crate::model::Command;

#[derive(Debug, Clone)]
pub struct TuyaConfig {
    /// The device id (`gwId`/`devId`).
    pub id: String,
    pub addr: SocketAddr,
    pub local_key: Key,
    pub version: Version,
    /// The data points this link reads and writes: the whole device's, or one gang's.
    pub map: DpMap,
    /// Real devices drop a connection idle for about 30 s.
    pub heartbeat: Duration,
    /// How long a device may take to answer or confirm.
    pub timeout: Duration,
}

impl TuyaConfig {
    pub fn new(id: &str, addr: SocketAddr, local_key: Key, version: Version, map: DpMap) -> Self {
        TuyaConfig {
            id: id.to_owned(),
            addr,
            local_key,
            version,
            map,
            heartbeat: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
        }
    }
}

/// Starts the link to `config.id`: a new client task, or a gang joining the connection
/// another link to the same device (another gang of a multi-gang switch) already has. The
/// task lives until every handle of every link it serves is dropped.
pub fn spawn(config: TuyaConfig) -> LinkHandle {
    let (handle, first) = gangs::join_or_start(config);
    if let Some(device) = first {
        tokio::spawn(run(device));
    }
    handle
}

/// The offline reason when the device will not talk to us with our key.
pub const BAD_KEY: &str = "bad key";

const CLOSED: &str = "the device closed the connection";
const SILENT: &str = "the device did not answer";

enum Ended {
    /// Every handle is gone.
    Abandoned,
    /// A link joined that speaks to the device with another key or version.
    Reconfigured,
    Lost(String),
    BadKey,
}

async fn run(mut device: Device) {
    let mut backoff = Backoff::new(Duration::from_secs(5));
    let mut failures = 0u32;
    // Learnt on the first connection and kept: the device's query dialect.
    let mut device22 = false;
    loop {
        let outcome = match connect(&device, &mut device22).await {
            Ok((stream, session, dps)) => {
                backoff.reset();
                failures = 0;
                device.report(&dps);
                connected(&mut device, stream, session, device22).await
            }
            Err(e) => Err(e),
        };
        let reason = match outcome {
            Ok(Ended::Abandoned) => return,
            Ok(Ended::Reconfigured) => {
                failures = 0;
                continue;
            }
            Ok(Ended::Lost(reason)) => reason,
            Ok(Ended::BadKey) | Err(TuyaLinkError::BadKey) => BAD_KEY.to_owned(),
            Err(TuyaLinkError::Io(reason)) => reason,
        };
        failures += 1;
        // A device that dropped us because another client took its one connection
        // usually lets us back at once: only a failed reconnect means offline.
        if failures > 1 || !device.is_online() {
            device.offline(&reason);
        }
        let wait = if failures == 1 {
            Duration::from_millis(200)
        } else {
            backoff.next_delay()
        };
        match refuse_commands_for(&mut device, wait, &reason).await {
            Some(Ended::Abandoned) => return,
            Some(_) => failures = 0,
            None => {}
        }
    }
}

/// Waits `wait`, answering commands with a clear "offline" meanwhile. Ends early when
/// every handle is gone (`Abandoned`) or a link joined with other settings to try at once.
async fn refuse_commands_for(device: &mut Device, wait: Duration, reason: &str) -> Option<Ended> {
    let until = Instant::now() + wait;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until) => return None,
            next = device.next_request(true) => match next {
                Request::Command(_, _, reply) => {
                    let err = if reason == BAD_KEY {
                        DriverError::BadKey("the device does not accept this local key and protocol version".into())
                    } else {
                        DriverError::Offline(reason.to_owned())
                    };
                    let _ = reply.send(Err(err));
                }
                Request::Joined { reconnect: true } => return Some(Ended::Reconfigured),
                Request::Joined { reconnect: false } => {}
                Request::Abandoned => return Some(Ended::Abandoned),
            }
        }
    }
}

#[derive(Debug)]
enum TuyaLinkError {
    Io(String),
    BadKey,
}

impl From<TuyaError> for TuyaLinkError {
    fn from(e: TuyaError) -> Self {
        match e {
            TuyaError::BadKey => TuyaLinkError::BadKey,
            other => TuyaLinkError::Io(other.to_string()),
        }
    }
}

struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn send(&mut self, bytes: &[u8]) -> Result<(), TuyaLinkError> {
        self.stream
            .write_all(bytes)
            .await
            .map_err(|e| TuyaLinkError::Io(format!("write failed: {e}")))
    }

    /// Reads until one event decodes, within `limit`.
    async fn next_event(
        &mut self,
        session: &mut ClientSession,
        limit: Duration,
    ) -> Result<ClientEvent, TuyaLinkError> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(ev) = decode_one(&mut self.buf, session)? {
                return Ok(ev);
            }
            let mut chunk = [0u8; 2048];
            let n = tokio::time::timeout_at(deadline, self.stream.read(&mut chunk))
                .await
                .map_err(|_| TuyaLinkError::Io(SILENT.into()))?
                .map_err(|e| TuyaLinkError::Io(format!("read failed: {e}")))?;
            if n == 0 {
                return Err(TuyaLinkError::Io(CLOSED.into()));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

fn decode_one(
    buf: &mut Vec<u8>,
    session: &mut ClientSession,
) -> Result<Option<ClientEvent>, TuyaLinkError> {
    match session.decode(buf)? {
        Some((ev, used)) => {
            buf.drain(..used);
            Ok(Some(ev))
        }
        None => Ok(None),
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The status query. "device22" devices refuse the standard one ("data unvalid") and are
/// asked with `CONTROL_NEW` naming the data points, all null (tinytuya's PROTOCOL.md).
fn query(device: &Device, session: &mut ClientSession, device22: bool) -> Vec<u8> {
    let config = &device.config;
    if device22 {
        let nulls: Map<String, Value> = device
            .dp_ids()
            .into_iter()
            .map(|id| (id, Value::Null))
            .collect();
        let body = if config.version.negotiates() {
            json!({"protocol": 5, "t": now_secs(), "data": {"dps": nulls}})
        } else {
            json!({"devId": config.id, "uid": config.id, "t": now_secs().to_string(), "dps": nulls})
        };
        return session.encode(cmd::CONTROL_NEW, body.to_string().as_bytes());
    }
    if config.version.negotiates() {
        session.encode(cmd::DP_QUERY_NEW, b"{}")
    } else {
        let body = json!({"gwId": config.id, "devId": config.id, "uid": config.id, "t": now_secs().to_string()});
        session.encode(cmd::DP_QUERY, body.to_string().as_bytes())
    }
}

fn control(config: &TuyaConfig, session: &mut ClientSession, dps: Map<String, Value>) -> Vec<u8> {
    if config.version.negotiates() {
        let body = json!({"protocol": 5, "t": now_secs(), "data": {"dps": dps}});
        session.encode(cmd::CONTROL_NEW, body.to_string().as_bytes())
    } else {
        let body =
            json!({"devId": config.id, "uid": config.id, "t": now_secs().to_string(), "dps": dps});
        session.encode(cmd::CONTROL, body.to_string().as_bytes())
    }
}

fn heartbeat(config: &TuyaConfig, session: &mut ClientSession) -> Vec<u8> {
    let body = json!({"gwId": config.id, "devId": config.id});
    session.encode(cmd::HEART_BEAT, body.to_string().as_bytes())
}

/// The data points a device message reports; `Err` for a refusal.
fn dps_in(m: &Message) -> Result<Option<Map<String, Value>>, String> {
    if m.payload.is_empty() {
        return Ok(None);
    }
    match serde_json::from_slice::<Value>(&m.payload) {
        Ok(v) => Ok(dps::dps_of(&v).cloned()),
        Err(_) => Err(String::from_utf8_lossy(&m.payload)
            .chars()
            .take(80)
            .collect()),
    }
}

async fn connect(
    device: &Device,
    device22: &mut bool,
) -> Result<(Conn, ClientSession, Map<String, Value>), TuyaLinkError> {
    let config = &device.config;
    let stream = timeout(config.timeout, TcpStream::connect(config.addr))
        .await
        .map_err(|_| TuyaLinkError::Io("connect timed out".into()))?
        .map_err(|e| TuyaLinkError::Io(format!("cannot connect: {e}")))?;
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        stream,
        buf: Vec::new(),
    };
    let mut session = ClientSession::new(config.version, config.local_key);
    // A device that takes the connection and then hangs up on our handshake or first
    // query could not read it: a wrong key (or version). Silence may be a busy device.
    greet(device, &mut conn, &mut session, device22)
        .await
        .map_err(|e| match e {
            TuyaLinkError::Io(reason) if reason == CLOSED => TuyaLinkError::BadKey,
            TuyaLinkError::Io(reason) if reason == SILENT => TuyaLinkError::Io(
                "the device took the connection but did not answer (wrong local key or version?)"
                    .into(),
            ),
            other => other,
        })
        .map(|dps| (conn, session, dps))
}

async fn greet(
    device: &Device,
    conn: &mut Conn,
    session: &mut ClientSession,
    device22: &mut bool,
) -> Result<Map<String, Value>, TuyaLinkError> {
    let config = &device.config;
    if let Some(start) = session.start(rand::random()) {
        conn.send(&start).await?;
        match conn.next_event(session, config.timeout).await? {
            ClientEvent::Negotiated(finish) => conn.send(&finish).await?,
            ClientEvent::Message(_) => {
                return Err(TuyaLinkError::Io("the device skipped the handshake".into()))
            }
        }
    }
    let q = query(device, session, *device22);
    conn.send(&q).await?;
    let deadline = Instant::now() + config.timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if let ClientEvent::Message(m) = conn.next_event(session, left).await? {
            match dps_in(&m) {
                Ok(Some(dps)) => return Ok(dps),
                Ok(None) => continue,
                // A device22 refuses the standard query: ask it its own way, once.
                Err(text)
                    if text.contains("unvalid") && !*device22 && config.version != Version::V35 =>
                {
                    *device22 = true;
                    let q = query(device, session, true);
                    conn.send(&q).await?;
                }
                // A device that cannot decrypt our query answers garbage or an error.
                Err(_) => return Err(TuyaLinkError::BadKey),
            }
        }
    }
}

struct Pending {
    gang: u64,
    command: Command,
    reply: Reply,
    deadline: Instant,
    requeried: bool,
}

async fn connected(
    device: &mut Device,
    mut conn: Conn,
    mut session: ClientSession,
    device22: bool,
) -> Result<Ended, TuyaLinkError> {
    let (heartbeat_every, limit) = (device.config.heartbeat, device.config.timeout);
    let mut beat = tokio::time::interval(heartbeat_every);
    beat.tick().await;
    let mut last_rx = Instant::now();
    let mut pending: Option<Pending> = None;
    let silence_limit = heartbeat_every + limit;
    let result = loop {
        let deadline = pending
            .as_ref()
            .map(|p| p.deadline)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let mut chunk = [0u8; 2048];
        tokio::select! {
            read = conn.stream.read(&mut chunk) => {
                let n = match read {
                    Ok(0) => break Ok(Ended::Lost("the device closed the connection".into())),
                    Ok(n) => n,
                    Err(e) => break Ok(Ended::Lost(format!("read failed: {e}"))),
                };
                last_rx = Instant::now();
                conn.buf.extend_from_slice(&chunk[..n]);
                loop {
                    let ev = match decode_one(&mut conn.buf, &mut session) {
                        Ok(Some(ev)) => ev,
                        Ok(None) => break,
                        Err(TuyaLinkError::BadKey) => return Ok(Ended::BadKey),
                        Err(TuyaLinkError::Io(e)) => return Ok(Ended::Lost(e)),
                    };
                    let ClientEvent::Message(m) = ev else { continue };
                    match dps_in(&m) {
                        Ok(Some(dps)) => {
                            device.report(&dps);
                            if pending.as_ref().is_some_and(|p| device.state(p.gang).confirms(&p.command)) {
                                if let Some(p) = pending.take() {
                                    let _ = p.reply.send(Ok(device.state(p.gang)));
                                }
                            }
                        }
                        Ok(None) => {}
                        Err(text) => {
                            if let Some(p) = pending.take() {
                                let _ = p.reply.send(Err(DriverError::Refused(text)));
                            }
                        }
                    }
                }
            }
            next = device.next_request(pending.is_none()) => {
                let (gang, command, reply) = match next {
                    Request::Command(gang, command, reply) => (gang, command, reply),
                    Request::Joined { reconnect: true } => break Ok(Ended::Reconfigured),
                    Request::Joined { reconnect: false } => continue,
                    Request::Abandoned => break Ok(Ended::Abandoned),
                };
                let dps = match device.to_dps(gang, &command) {
                    Ok(d) => d,
                    Err(e) => { let _ = reply.send(Err(e)); continue; }
                };
                if device.state(gang).confirms(&command) {
                    let _ = reply.send(Ok(device.state(gang)));
                    continue;
                }
                let frame = control(&device.config, &mut session, dps);
                if let Err(TuyaLinkError::Io(e)) = conn.send(&frame).await {
                    let _ = reply.send(Err(DriverError::Offline(e.clone())));
                    break Ok(Ended::Lost(e));
                }
                pending = Some(Pending { gang, command, reply, deadline: Instant::now() + limit, requeried: false });
            }
            _ = tokio::time::sleep_until(deadline), if pending.is_some() => {
                // Not confirmed in time: ask for the state once before giving up, since
                // some devices apply a change without echoing it.
                let p = pending.as_mut().map(|p| { let again = !p.requeried; p.requeried = true; p.deadline = Instant::now() + limit; again });
                if p == Some(true) {
                    let q = query(device, &mut session, device22);
                    if let Err(TuyaLinkError::Io(e)) = conn.send(&q).await {
                        break Ok(Ended::Lost(e));
                    }
                } else if let Some(p) = pending.take() {
                    let _ = p.reply.send(Err(DriverError::NotConfirmed(limit * 2)));
                }
            }
            _ = beat.tick() => {
                if last_rx.elapsed() > silence_limit {
                    break Ok(Ended::Lost("no answer to heartbeats".into()));
                }
                let hb = heartbeat(&device.config, &mut session);
                if let Err(TuyaLinkError::Io(e)) = conn.send(&hb).await {
                    break Ok(Ended::Lost(e));
                }
            }
        }
    };
    if let Some(p) = pending.take() {
        let _ = p
            .reply
            .send(Err(DriverError::Offline("the connection dropped".into())));
    }
    result
}
