//! A SmartThings account seen from its REST API, for the demo and tests: `/v1/devices`
//! (one page), `…/status`, `…/health` and `…/commands` with a bearer token, commands taking
//! effect a moment after they are accepted, as in the cloud. Devices are switches and
//! dimmers (capabilities `switch`, `switchLevel`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::watch;

/// One emulated device: its label, whether it dims, and its switch and level.
#[derive(Debug, Clone)]
pub struct StDevice {
    pub label: String,
    pub dimmable: bool,
    pub on: bool,
    pub level: u8,
}

struct Account {
    token: String,
    devices: Mutex<BTreeMap<String, StDevice>>,
}

pub struct RunningSmartThings {
    /// The base URL to give the hub (`http://127.0.0.1:PORT`).
    pub base_url: String,
    _stop: watch::Sender<()>,
}

pub async fn start(
    listen: SocketAddr,
    token: &str,
    devices: BTreeMap<String, StDevice>,
) -> std::io::Result<RunningSmartThings> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let account = Arc::new(Account {
        token: token.to_owned(),
        devices: Mutex::new(devices),
    });
    let app = Router::new()
        .route("/v1/devices", get(list))
        .route("/v1/devices/{id}/status", get(status))
        .route("/v1/devices/{id}/health", get(health))
        .route("/v1/devices/{id}/commands", post(commands))
        .with_state(account);
    let stop = super::serve_http(listener, app);
    Ok(RunningSmartThings {
        base_url: format!("http://{addr}"),
        _stop: stop,
    })
}

type Reply = (StatusCode, Json<Value>);

fn error(status: StatusCode, code: &str) -> Reply {
    (
        status,
        Json(json!({"requestId": "emulated", "error": {"code": code, "message": code}})),
    )
}

fn authorised(account: &Account, headers: &HeaderMap) -> Result<(), Reply> {
    let expected = format!("Bearer {}", account.token);
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(v) if v == expected => Ok(()),
        _ => Err(error(StatusCode::UNAUTHORIZED, "UnauthorizedError")),
    }
}

/// A signed request about a device the account has.
fn known(account: &Account, headers: &HeaderMap, id: &str) -> Result<(), Reply> {
    authorised(account, headers)?;
    if account
        .devices
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(id)
    {
        Ok(())
    } else {
        Err(error(StatusCode::NOT_FOUND, "NotFoundError"))
    }
}

fn capabilities(d: &StDevice) -> Vec<Value> {
    let mut caps = vec![json!({"id": "switch", "version": 1})];
    if d.dimmable {
        caps.push(json!({"id": "switchLevel", "version": 1}));
    }
    caps.push(json!({"id": "healthCheck", "version": 1}));
    caps
}

async fn list(AxumState(account): AxumState<Arc<Account>>, headers: HeaderMap) -> Reply {
    if let Err(e) = authorised(&account, &headers) {
        return e;
    }
    let devices = account.devices.lock().unwrap_or_else(|p| p.into_inner());
    let items: Vec<Value> = devices
        .iter()
        .map(|(id, d)| {
            json!({"deviceId": id, "name": if d.dimmable { "virtual-dimmer" } else { "virtual-switch" },
                   "label": d.label, "manufacturerName": "SmartThings",
                   "components": [{"id": "main", "label": "main", "capabilities": capabilities(d)}],
                   "type": "VIRTUAL", "executionContext": "CLOUD"})
        })
        .collect();
    (StatusCode::OK, Json(json!({"items": items, "_links": {}})))
}

async fn status(
    AxumState(account): AxumState<Arc<Account>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    if let Err(e) = authorised(&account, &headers) {
        return e;
    }
    let devices = account.devices.lock().unwrap_or_else(|p| p.into_inner());
    let Some(d) = devices.get(&id) else {
        return error(StatusCode::NOT_FOUND, "NotFoundError");
    };
    let mut main = json!({"switch": {"switch": {"value": if d.on { "on" } else { "off" }}}});
    if d.dimmable {
        main["switchLevel"] = json!({"level": {"value": d.level, "unit": "%"}});
    }
    (StatusCode::OK, Json(json!({"components": {"main": main}})))
}

async fn health(
    AxumState(account): AxumState<Arc<Account>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Reply {
    if let Err(e) = known(&account, &headers, &id) {
        return e;
    }
    (
        StatusCode::OK,
        Json(json!({"deviceId": id, "state": "ONLINE"})),
    )
}

async fn commands(
    AxumState(account): AxumState<Arc<Account>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Reply {
    if let Err(e) = known(&account, &headers, &id) {
        return e;
    }
    let list = body["commands"].as_array().cloned().unwrap_or_default();
    for c in &list {
        let ok = match (c["capability"].as_str(), c["command"].as_str()) {
            (Some("switch"), Some("on" | "off")) => true,
            (Some("switchLevel"), Some("setLevel")) => {
                c["arguments"][0].as_u64().is_some_and(|l| l <= 100)
            }
            _ => false,
        };
        if !ok {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "ConstraintViolationError");
        }
    }
    let results: Vec<Value> = list
        .iter()
        .map(|_| json!({"id": "emulated", "status": "ACCEPTED"}))
        .collect();
    let later = account.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let mut devices = later.devices.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = devices.get_mut(&id) {
            for c in &list {
                match c["command"].as_str() {
                    Some("on") => d.on = true,
                    Some("off") => d.on = false,
                    _ => d.level = c["arguments"][0].as_u64().unwrap_or(0).min(100) as u8,
                }
            }
        }
    });
    (StatusCode::OK, Json(json!({"results": results})))
}
