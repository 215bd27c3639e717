//! The miIO client task: hello handshake (device id and clock), requests with ids that are
//! never reused (devices silently drop a repeated id), polling since devices do not push,
//! setters confirmed by reading the properties back, and offline detection.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::packet::{self, Token};
use super::{MiioError, PropMap};
use crate::link::{self, LinkHandle, LinkTask};
use crate::model::{Command, State};

#[derive(Debug, Clone)]
pub struct MiioConfig {
    pub addr: SocketAddr,
    pub token: Token,
    pub map: PropMap,
    /// How often the properties are read (devices do not report changes).
    pub poll: Duration,
    pub timeout: Duration,
}

impl MiioConfig {
    pub fn new(addr: SocketAddr, token: Token, map: PropMap) -> MiioConfig {
        MiioConfig {
            addr,
            token,
            map,
            poll: Duration::from_secs(10),
            timeout: Duration::from_secs(2),
        }
    }
}

pub fn spawn(config: MiioConfig) -> LinkHandle {
    let (handle, task) = link::pair();
    tokio::spawn(run(config, task));
    handle
}

/// How a request went wrong, before it becomes the link's verdict.
#[derive(Debug)]
enum Failure {
    Silent,
    BadToken,
    Refused(String),
    Io(String),
}

impl From<Failure> for link::Failure {
    fn from(f: Failure) -> link::Failure {
        match f {
            Failure::Silent => link::Failure::Offline("the device does not answer".into()),
            Failure::BadToken => {
                link::Failure::BadKey("the token does not match the device's".into())
            }
            Failure::Refused(e) => link::Failure::Refused(e),
            Failure::Io(e) => link::Failure::Offline(e),
        }
    }
}

struct Session {
    socket: UdpSocket,
    config: MiioConfig,
    /// Device id and its clock at `clock_at`, from the last hello.
    device: Option<(u32, u32, Instant)>,
    next_id: u32,
}

impl Session {
    fn next_id(&mut self) -> u32 {
        self.next_id = if self.next_id >= 9998 {
            1
        } else {
            self.next_id + 1
        };
        self.next_id
    }

    async fn recv(&self, deadline: Instant) -> Result<Vec<u8>, Failure> {
        let mut buf = vec![0u8; packet::MAX_PACKET];
        let n = tokio::time::timeout_at(deadline, self.socket.recv(&mut buf))
            .await
            .map_err(|_| Failure::Silent)?
            .map_err(|e| Failure::Io(format!("receive failed: {e}")))?;
        buf.truncate(n);
        Ok(buf)
    }

    async fn hello(&mut self) -> Result<(), Failure> {
        self.socket
            .send(&packet::hello())
            .await
            .map_err(|e| Failure::Io(format!("send failed: {e}")))?;
        let deadline = Instant::now() + self.config.timeout;
        loop {
            let bytes = self.recv(deadline).await?;
            if let Ok(p) = packet::decode(&bytes, &self.config.token) {
                if p.payload.is_empty() {
                    self.device = Some((p.device_id, p.stamp, Instant::now()));
                    return Ok(());
                }
            }
        }
    }

    /// One call, retried once with a fresh hello and an id moved on by 100 (what the
    /// phone app and python-miio do, so a device never sees an id twice).
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        match self.try_call(method, &params).await {
            Err(Failure::Silent) => {
                self.device = None;
                self.next_id = (self.next_id + 100) % 9998;
                self.try_call(method, &params).await
            }
            other => other,
        }
    }

    async fn try_call(&mut self, method: &str, params: &Value) -> Result<Value, Failure> {
        if self.device.is_none() {
            self.hello().await?;
        }
        let Some((device_id, stamp, at)) = self.device else {
            return Err(Failure::Silent);
        };
        let id = self.next_id();
        let request = json!({"id": id, "method": method, "params": params});
        let stamp = stamp
            .wrapping_add(at.elapsed().as_secs() as u32)
            .wrapping_add(1);
        let bytes = packet::encode(
            &self.config.token,
            device_id,
            stamp,
            request.to_string().as_bytes(),
        );
        self.socket
            .send(&bytes)
            .await
            .map_err(|e| Failure::Io(format!("send failed: {e}")))?;
        let deadline = Instant::now() + self.config.timeout;
        loop {
            let bytes = self.recv(deadline).await?;
            let reply = match packet::decode(&bytes, &self.config.token) {
                Ok(p) if !p.payload.is_empty() => p,
                Ok(_) => continue,
                Err(MiioError::BadToken) => return Err(Failure::BadToken),
                Err(_) => continue,
            };
            let Ok(value) = serde_json::from_slice::<Value>(&reply.payload) else {
                continue;
            };
            if value.get("id").and_then(Value::as_u64) != Some(u64::from(id)) {
                continue;
            }
            if let Some(err) = value.get("error") {
                return Err(Failure::Refused(
                    err.to_string().chars().take(120).collect(),
                ));
            }
            return Ok(value.get("result").cloned().unwrap_or(Value::Null));
        }
    }

    async fn read_state(&mut self) -> Result<State, Failure> {
        let props = self.config.map.props();
        if props.is_empty() {
            self.call("miIO.info", json!([])).await?;
            return Ok(State::default());
        }
        let result = self.call("get_prop", json!(props)).await?;
        let values = result.as_array().cloned().unwrap_or_default();
        Ok(self.config.map.to_state(&values))
    }
}

impl link::Polled for Session {
    async fn read(&mut self) -> Result<State, link::Failure> {
        Ok(self.read_state().await?)
    }

    async fn apply(&mut self, command: &Command) -> Result<(), link::Failure> {
        let (method, params) = self
            .config
            .map
            .to_call(command)
            .map_err(|e| link::Failure::Unsupported(e.to_string()))?;
        self.call(&method, params).await?;
        Ok(())
    }
}

async fn run(config: MiioConfig, task: LinkTask) {
    let bind: SocketAddr = if config.addr.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = match UdpSocket::bind(bind).await {
        Ok(s) => s,
        Err(e) => {
            task.offline(&format!("cannot open a UDP socket: {e}"));
            return;
        }
    };
    if let Err(e) = socket.connect(config.addr).await {
        task.offline(&format!("cannot reach {}: {e}", config.addr));
    }
    let session = Session {
        socket,
        next_id: rand::random::<u32>() % 5000 + 1,
        config: config.clone(),
        device: None,
    };
    link::run_polled(session, task, config.poll, config.timeout).await;
}
