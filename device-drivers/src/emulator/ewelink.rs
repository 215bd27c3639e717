//! An eWeLink / Sonoff LAN device seen from the network: `POST /zeroconf/<command>` on its
//! HTTP port, encrypted with its devicekey or plain in DIY mode, and (optionally) an mDNS
//! `_ewelink._tcp` announcement whose TXT carries its state, re-announced on every change.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State as AxumState};
use axum::routing::post;
use axum::{Json, Router};
use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};
use serde_json::{json, Map, Value};
use tokio::sync::watch;

use crate::ewelink::{self, crypto};

#[derive(Debug, Clone)]
pub struct EwelinkDevice {
    pub device_id: String,
    /// None: DIY mode (no encryption).
    pub devicekey: Option<String>,
    pub device_type: String,
    pub state: Map<String, Value>,
    pub listen: SocketAddr,
    /// Announce by mDNS on these interfaces (with this address), if any.
    pub announce: Option<(Vec<String>, IpAddr)>,
}

struct Shared {
    device: EwelinkDevice,
    state: Mutex<(Map<String, Value>, u64)>,
    mdns: Option<(ServiceDaemon, u16, IpAddr)>,
}

pub struct RunningEwelink {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    _stop: watch::Sender<()>,
}

impl RunningEwelink {
    pub fn state(&self) -> Map<String, Value> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone()
    }

    /// Someone pressed the device's button.
    pub fn press(&self, changes: Map<String, Value>) {
        changed(&self.shared, changes);
    }
}

impl Drop for RunningEwelink {
    fn drop(&mut self) {
        if let Some((daemon, _, _)) = &self.shared.mdns {
            let _ = daemon.shutdown();
        }
    }
}

pub async fn start(device: EwelinkDevice) -> std::io::Result<RunningEwelink> {
    let listener = tokio::net::TcpListener::bind(device.listen).await?;
    let addr = listener.local_addr()?;
    let mdns = match &device.announce {
        Some((interfaces, ip)) => {
            let daemon = ServiceDaemon::new().map_err(std::io::Error::other)?;
            daemon
                .disable_interface(IfKind::All)
                .map_err(std::io::Error::other)?;
            for name in interfaces {
                daemon
                    .enable_interface(IfKind::Name(name.clone()))
                    .map_err(std::io::Error::other)?;
            }
            Some((daemon, addr.port(), *ip))
        }
        None => None,
    };
    let shared = Arc::new(Shared {
        state: Mutex::new((device.state.clone(), 1)),
        device,
        mdns,
    });
    announce(&shared);
    let app = Router::new()
        .route("/zeroconf/{command}", post(handle))
        .with_state(shared.clone());
    let stop = super::serve_http(listener, app);
    Ok(RunningEwelink {
        addr,
        shared,
        _stop: stop,
    })
}

fn txt(shared: &Shared, state: &Map<String, Value>, seq: u64) -> HashMap<String, String> {
    let d = &shared.device;
    let mut txt = HashMap::from([
        ("txtvers".to_owned(), "1".to_owned()),
        ("id".to_owned(), d.device_id.clone()),
        ("type".to_owned(), d.device_type.clone()),
        ("apivers".to_owned(), "1".to_owned()),
        ("seq".to_owned(), seq.to_string()),
    ]);
    let text = Value::Object(state.clone()).to_string();
    let body = match &d.devicekey {
        Some(key) => {
            let (sealed, iv) = crypto::encrypt(key, text.as_bytes());
            txt.insert("encrypt".into(), "true".into());
            txt.insert("iv".into(), iv);
            sealed
        }
        None => text,
    };
    txt.extend(ewelink::txt_chunks(&body));
    txt
}

fn announce(shared: &Shared) {
    let Some((daemon, port, ip)) = &shared.mdns else {
        return;
    };
    let (state, seq) = shared
        .state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let name = format!("eWeLink_{}", shared.device.device_id);
    let host = format!("{name}.local.");
    match ServiceInfo::new(
        ewelink::SERVICE,
        &name,
        &host,
        *ip,
        *port,
        txt(shared, &state, seq),
    ) {
        Ok(info) => {
            if let Err(e) = daemon.register(info) {
                tracing::warn!(error = %e, "emulated eWeLink device: mDNS announcement failed");
            }
        }
        Err(e) => tracing::warn!(error = %e, "emulated eWeLink device: bad mDNS record"),
    }
}

fn changed(shared: &Shared, changes: Map<String, Value>) {
    {
        let mut guard = shared.state.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.extend(changes);
        guard.1 += 1;
    }
    announce(shared);
}

fn reply(shared: &Shared, seq: u64, error: i64, data: Option<Map<String, Value>>) -> Json<Value> {
    let mut out = json!({"seq": seq, "error": error});
    if let Some(data) = data {
        match &shared.device.devicekey {
            Some(key) => {
                let (sealed, iv) = crypto::encrypt(key, Value::Object(data).to_string().as_bytes());
                out["encrypt"] = true.into();
                out["iv"] = iv.into();
                out["data"] = sealed.into();
            }
            None => out["data"] = Value::Object(data),
        }
    }
    Json(out)
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    Path(command): Path<String>,
    body: axum::body::Bytes,
) -> Json<Value> {
    let seq = shared.state.lock().unwrap_or_else(|p| p.into_inner()).1;
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return reply(&shared, seq, 400, None);
    };
    if body.get("deviceid").and_then(Value::as_str) != Some(shared.device.device_id.as_str()) {
        return reply(&shared, seq, 404, None);
    }
    let encrypted = body.get("encrypt") == Some(&Value::Bool(true)) || body.get("iv").is_some();
    if shared.device.devicekey.is_some() && !encrypted {
        return reply(&shared, seq, 401, None);
    }
    let Ok(data) = ewelink::data_of(&body, shared.device.devicekey.as_deref()) else {
        return reply(&shared, seq, 400, None);
    };
    match command.as_str() {
        // One relay: `switch`, or the first outlet of `switches`.
        "switch" | "switches" => {
            let wanted = data.get("switch").and_then(Value::as_str).or_else(|| {
                data.get("switches")?
                    .as_array()?
                    .first()?
                    .get("switch")?
                    .as_str()
            });
            match wanted {
                Some(s @ ("on" | "off")) => {
                    changed(
                        &shared,
                        Map::from_iter([("switch".to_owned(), Value::from(s))]),
                    );
                    reply(&shared, seq + 1, 0, None)
                }
                _ => reply(&shared, seq, 422, None),
            }
        }
        "info" | "getState" => {
            let state = shared
                .state
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .0
                .clone();
            reply(&shared, seq, 0, Some(state))
        }
        "signal_strength" => reply(
            &shared,
            seq,
            0,
            Some(Map::from_iter([(
                "signalStrength".to_owned(),
                Value::from(-50),
            )])),
        ),
        _ => reply(&shared, seq, 422, None),
    }
}
