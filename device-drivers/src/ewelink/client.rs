//! The eWeLink LAN client task: one request at a time, at least 200 ms apart (the
//! device's web server takes one at a time), state read back after every command, polling
//! for changes made elsewhere, and offline detection.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::time::Instant;

use super::{data_of, error_of, request, EwelinkError};
use crate::link::{self, LinkHandle, LinkTask};
use crate::model::{Command, State};

#[derive(Debug, Clone)]
pub struct EwelinkConfig {
    pub device_id: String,
    pub addr: SocketAddr,
    /// None in DIY mode.
    pub devicekey: Option<String>,
    pub poll: Duration,
    pub timeout: Duration,
}

impl EwelinkConfig {
    pub fn new(device_id: &str, addr: SocketAddr, devicekey: Option<String>) -> EwelinkConfig {
        EwelinkConfig {
            device_id: device_id.to_owned(),
            addr,
            devicekey,
            poll: Duration::from_secs(10),
            timeout: Duration::from_secs(3),
        }
    }
}

pub fn spawn(config: EwelinkConfig) -> LinkHandle {
    let (handle, task) = link::pair();
    tokio::spawn(run(config, task));
    handle
}

/// Our model's state from a device's data object.
pub fn state_of(data: &Map<String, Value>) -> State {
    let switch = data.get("switch").and_then(Value::as_str).or_else(|| {
        data.get("switches")?
            .as_array()?
            .first()?
            .get("switch")?
            .as_str()
    });
    State {
        on: switch.map(|s| s == "on"),
        power_w: data
            .get("power")
            .and_then(|p| p.as_f64().or_else(|| p.as_str()?.parse().ok())),
        ..State::default()
    }
}

struct Client {
    http: reqwest::Client,
    config: EwelinkConfig,
    sequence: u64,
    last: Option<Instant>,
}

impl Client {
    async fn post(
        &mut self,
        command: &str,
        data: Value,
    ) -> Result<Map<String, Value>, link::Failure> {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + Duration::from_millis(200)).await;
        }
        // Strictly increasing, as devices expect.
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        self.sequence = now_ms.max(self.sequence + 1);
        let body = request(
            &self.config.device_id,
            self.sequence,
            &data,
            self.config.devicekey.as_deref(),
        );
        let url = format!("http://{}/zeroconf/{command}", self.config.addr);
        let sent = self
            .http
            .post(url)
            .header("Connection", "close")
            .json(&body)
            .send()
            .await;
        self.last = Some(Instant::now());
        let response =
            sent.map_err(|e| link::Failure::Offline(format!("no answer: {}", e.without_url())))?;
        if response.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(bad_key());
        }
        let reply: Value = response
            .json()
            .await
            .map_err(|_| link::Failure::Refused("the device's answer is not JSON".into()))?;
        match error_of(&reply) {
            0 => {}
            401 => return Err(bad_key()),
            // A device that cannot read an encrypted request was given another key.
            400 if self.config.devicekey.is_some() => return Err(bad_key()),
            code => {
                return Err(link::Failure::Refused(format!(
                    "the device answered error {code}"
                )))
            }
        }
        if reply.get("data").is_none() {
            return Ok(Map::new());
        }
        data_of(&reply, self.config.devicekey.as_deref()).map_err(|e| match e {
            EwelinkError::BadKey => bad_key(),
            other => link::Failure::Refused(other.to_string()),
        })
    }

    async fn read_state(&mut self) -> Result<State, link::Failure> {
        let command = if self.config.devicekey.is_some() {
            "getState"
        } else {
            "info"
        };
        Ok(state_of(&self.post(command, json!({})).await?))
    }
}

fn bad_key() -> link::Failure {
    link::Failure::BadKey("the devicekey does not match the device's".into())
}

impl link::Polled for Client {
    async fn read(&mut self) -> Result<State, link::Failure> {
        self.read_state().await
    }

    async fn apply(&mut self, command: &Command) -> Result<(), link::Failure> {
        let Command::Power(on) = command else {
            return Err(link::Failure::Unsupported(format!("{command:?}")));
        };
        self.post("switch", json!({"switch": if *on { "on" } else { "off" }}))
            .await
            .map(drop)
    }
}

async fn run(config: EwelinkConfig, task: LinkTask) {
    let http = match reqwest::Client::builder()
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            task.offline(&format!("cannot make an HTTP client: {e}"));
            return;
        }
    };
    let client = Client {
        http,
        config: config.clone(),
        sequence: 0,
        last: None,
    };
    link::run_polled(client, task, config.poll, config.timeout).await;
}
