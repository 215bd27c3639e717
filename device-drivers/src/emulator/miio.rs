//! A miIO device seen from the network: answers hellos (with its id and uptime clock,
//! never its token), `miIO.info`, `get_prop` and `set_<property>` calls, and silently
//! drops a request id it has already seen, as real devices do.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::miio::packet::{self, Token};

#[derive(Debug, Clone)]
pub struct MiioDevice {
    pub device_id: u32,
    pub token: Token,
    pub model: String,
    pub props: Map<String, Value>,
    pub listen: SocketAddr,
}

pub struct RunningMiio {
    pub addr: SocketAddr,
    props: Arc<Mutex<Map<String, Value>>>,
    _stop: watch::Sender<()>,
}

impl RunningMiio {
    pub fn props(&self) -> Map<String, Value> {
        self.props.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Someone used the device's own controls.
    pub fn press(&self, changes: Map<String, Value>) {
        self.props
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(changes);
    }
}

pub async fn start(device: MiioDevice) -> std::io::Result<RunningMiio> {
    let std_socket = std::net::UdpSocket::bind(device.listen)?;
    std_socket.set_nonblocking(true)?;
    let socket = UdpSocket::from_std(std_socket)?;
    let addr = socket.local_addr()?;
    let props = Arc::new(Mutex::new(device.props.clone()));
    let (stop, mut stopped) = watch::channel(());
    let state = props.clone();
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let mut seen: VecDeque<(SocketAddr, u64)> = VecDeque::new();
        let mut buf = vec![0u8; packet::MAX_PACKET];
        loop {
            let (n, from) = tokio::select! {
                _ = stopped.changed() => return,
                got = socket.recv_from(&mut buf) => match got { Ok(x) => x, Err(_) => continue },
            };
            let stamp = started.elapsed().as_secs() as u32 + 1;
            let bytes = &buf[..n];
            if packet::is_hello(bytes) {
                let reply = packet::encode_hello_reply(device.device_id, stamp, [0xff; 16]);
                let _ = socket.send_to(&reply, from).await;
                continue;
            }
            let Ok(p) = packet::decode(bytes, &device.token) else {
                continue;
            };
            let Ok(request) = serde_json::from_slice::<Value>(&p.payload) else {
                continue;
            };
            let Some(id) = request.get("id").and_then(Value::as_u64) else {
                continue;
            };
            if seen.contains(&(from, id)) {
                continue;
            }
            seen.push_back((from, id));
            if seen.len() > 128 {
                seen.pop_front();
            }
            let method = request.get("method").and_then(Value::as_str).unwrap_or("");
            let params = request.get("params").cloned().unwrap_or(json!([]));
            let answer = answer(&device, &state, addr, method, &params);
            let mut reply = answer;
            reply["id"] = id.into();
            let out = packet::encode(
                &device.token,
                device.device_id,
                stamp,
                reply.to_string().as_bytes(),
            );
            let _ = socket.send_to(&out, from).await;
        }
    });
    Ok(RunningMiio {
        addr,
        props,
        _stop: stop,
    })
}

fn answer(
    device: &MiioDevice,
    state: &Mutex<Map<String, Value>>,
    addr: SocketAddr,
    method: &str,
    params: &Value,
) -> Value {
    let mut props = state.lock().unwrap_or_else(|p| p.into_inner());
    match method {
        "miIO.info" => json!({"result": {
            "model": device.model, "fw_ver": "1.0.0-emulated", "hw_ver": "emulator",
            "token": "", "netif": {"localIp": addr.ip().to_string()}, "life": 1,
        }}),
        "get_prop" => {
            let names = params.as_array().cloned().unwrap_or_default();
            let values: Vec<Value> = names
                .iter()
                .map(|n| {
                    n.as_str()
                        .and_then(|n| props.get(n))
                        .cloned()
                        .unwrap_or(Value::Null)
                })
                .collect();
            json!({"result": values})
        }
        _ => match method.strip_prefix("set_") {
            Some(name) if props.contains_key(name) => {
                let value = params.get(0).cloned().unwrap_or(Value::Null);
                props.insert(name.to_owned(), value);
                json!({"result": ["ok"]})
            }
            _ => json!({"error": {"code": -9999, "message": "user ack timeout"}}),
        },
    }
}
