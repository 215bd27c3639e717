//! Samsung SmartThings through its REST API (`/v1/devices`, `…/status`, `…/health`,
//! `…/commands`) with a bearer token. The API is in the cloud; the base URL is
//! configurable so tests (and a future proxy) can stand in for it. Commands are accepted
//! asynchronously, so a change is confirmed by reading the status until it shows.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::link::{self, DriverError, LinkHandle, LinkTask};
use crate::model::{Command, Kind, State};

pub const BASE_URL: &str = "https://api.smartthings.com";

#[derive(Debug, Clone)]
pub struct SmartThingsConfig {
    pub base_url: String,
    pub token: String,
    pub device_id: String,
    /// The cloud's rate limits allow a status read every few seconds per device.
    pub poll: Duration,
    pub timeout: Duration,
}

/// A device the account holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listed {
    pub device_id: String,
    pub label: String,
    pub kind: Option<Kind>,
}

fn http(timeout: Duration) -> Result<reqwest::Client, DriverError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| DriverError::Offline(format!("cannot make an HTTP client: {e}")))
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> Result<Value, DriverError> {
    let mut request = client
        .request(method, url)
        .bearer_auth(token)
        .header("Accept", "application/vnd.smartthings+json;v=20250122");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|e| {
        DriverError::Offline(format!(
            "SmartThings cannot be reached: {}",
            e.without_url()
        ))
    })?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    match status.as_u16() {
        200..=299 => Ok(body),
        401 | 403 => Err(DriverError::BadKey(
            "SmartThings refused the token (expired or wrong)".into(),
        )),
        429 => Err(DriverError::Refused(
            "SmartThings rate limit reached; try again shortly".into(),
        )),
        404 => Err(DriverError::Refused(
            "SmartThings does not know this device".into(),
        )),
        code => Err(DriverError::Refused(format!(
            "SmartThings answered {code}: {}",
            body["error"]["code"].as_str().unwrap_or("error")
        ))),
    }
}

/// What a device's capabilities make it in our model.
pub fn kind_of(capabilities: &[&str]) -> Option<Kind> {
    let has = |c: &str| capabilities.contains(&c);
    if has("lock") {
        Some(Kind::Lock)
    } else if has("thermostatHeatingSetpoint") {
        Some(Kind::Thermostat)
    } else if has("switchLevel") {
        Some(Kind::Dimmer)
    } else if has("switch") {
        Some(Kind::Switch)
    } else if has("temperatureMeasurement") || has("relativeHumidityMeasurement") {
        Some(Kind::Sensor)
    } else {
        None
    }
}

/// Every device of the account (following `_links.next`, at most 20 pages).
pub async fn list(base_url: &str, token: &str) -> Result<Vec<Listed>, DriverError> {
    let client = http(Duration::from_secs(10))?;
    let mut url = format!("{}/v1/devices", base_url.trim_end_matches('/'));
    let mut out = Vec::new();
    for _ in 0..20 {
        let page = call(&client, reqwest::Method::GET, url, token, None).await?;
        for item in page["items"].as_array().into_iter().flatten() {
            let Some(id) = item["deviceId"].as_str() else {
                continue;
            };
            let caps: Vec<&str> = item["components"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["id"] == "main")
                .flat_map(|c| c["capabilities"].as_array().into_iter().flatten())
                .filter_map(|c| c["id"].as_str())
                .collect();
            out.push(Listed {
                device_id: id.to_owned(),
                label: item["label"]
                    .as_str()
                    .or(item["name"].as_str())
                    .unwrap_or(id)
                    .chars()
                    .take(80)
                    .collect(),
                kind: kind_of(&caps),
            });
        }
        match page["_links"]["next"]["href"].as_str() {
            // Only follow pages on the same API.
            Some(next) if next.starts_with(base_url.trim_end_matches('/')) => url = next.to_owned(),
            _ => break,
        }
    }
    Ok(out)
}

/// Our state from a `/status` document (component `main`).
pub fn state_of(status: &Value) -> State {
    let main = &status["components"]["main"];
    let value = |cap: &str, attr: &str| &main[cap][attr]["value"];
    State {
        on: value("switch", "switch").as_str().map(|s| s == "on"),
        brightness: value("switchLevel", "level")
            .as_f64()
            .map(|l| l.clamp(0.0, 100.0) as u8),
        target_temperature: value("thermostatHeatingSetpoint", "heatingSetpoint").as_f64(),
        current_temperature: value("temperatureMeasurement", "temperature").as_f64(),
        humidity: value("relativeHumidityMeasurement", "humidity").as_f64(),
        locked: value("lock", "lock").as_str().map(|s| s == "locked"),
        power_w: value("powerMeter", "power").as_f64(),
    }
}

/// The `/commands` body for `command`.
pub fn command_body(command: &Command) -> Value {
    let (capability, cmd, args) = match *command {
        Command::Power(on) => ("switch", if on { "on" } else { "off" }, json!([])),
        Command::Brightness(b) => ("switchLevel", "setLevel", json!([b])),
        Command::TargetTemperature(t) => (
            "thermostatHeatingSetpoint",
            "setHeatingSetpoint",
            json!([t]),
        ),
        Command::Lock(l) => ("lock", if l { "lock" } else { "unlock" }, json!([])),
    };
    json!({"commands": [{"component": "main", "capability": capability, "command": cmd, "arguments": args}]})
}

pub fn spawn(config: SmartThingsConfig) -> LinkHandle {
    let (handle, task) = link::pair();
    tokio::spawn(run(config, task));
    handle
}

struct Api {
    client: reqwest::Client,
    config: SmartThingsConfig,
}

impl Api {
    fn url(&self, rest: &str) -> String {
        format!(
            "{}/v1/devices/{}/{rest}",
            self.config.base_url.trim_end_matches('/'),
            self.config.device_id
        )
    }

    async fn read(&self) -> Result<(bool, State), DriverError> {
        let health = call(
            &self.client,
            reqwest::Method::GET,
            self.url("health"),
            &self.config.token,
            None,
        )
        .await?;
        let status = call(
            &self.client,
            reqwest::Method::GET,
            self.url("status"),
            &self.config.token,
            None,
        )
        .await?;
        Ok((
            health["state"].as_str() != Some("OFFLINE"),
            state_of(&status),
        ))
    }
}

fn failure(e: DriverError) -> link::Failure {
    match e {
        DriverError::BadKey(why) => link::Failure::BadKey(why),
        DriverError::Refused(why) => link::Failure::Refused(why),
        other => link::Failure::Offline(other.to_string()),
    }
}

impl link::Polled for Api {
    async fn read(&mut self) -> Result<State, link::Failure> {
        let (online, state) = Api::read(self).await.map_err(failure)?;
        if !online {
            return Err(link::Failure::Offline(
                "SmartThings reports the device offline".into(),
            ));
        }
        Ok(state)
    }

    async fn apply(&mut self, command: &Command) -> Result<(), link::Failure> {
        call(
            &self.client,
            reqwest::Method::POST,
            self.url("commands"),
            &self.config.token,
            Some(command_body(command)),
        )
        .await
        .map(drop)
        .map_err(failure)
    }
}

async fn run(config: SmartThingsConfig, task: LinkTask) {
    let client = match http(config.timeout) {
        Ok(c) => c,
        Err(e) => {
            task.offline(&e.to_string());
            return;
        }
    };
    let api = Api {
        client,
        config: config.clone(),
    };
    link::run_polled(api, task, config.poll, config.timeout).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dimmer_status_document_reads() {
        let status = json!({"components": {"main": {
            "switchLevel": {"levelRange": {"value": null}, "level": {"value": 75, "unit": "%"}},
            "refresh": {},
            "switch": {"switch": {"value": "off"}}}}});
        let s = state_of(&status);
        assert_eq!(s.on, Some(false));
        assert_eq!(s.brightness, Some(75));
        assert_eq!(
            kind_of(&["switch", "switchLevel", "refresh"]),
            Some(Kind::Dimmer)
        );
        assert_eq!(
            command_body(&Command::Brightness(40))["commands"][0]["command"],
            "setLevel"
        );
        // Garbage documents read as "nothing known", never a panic.
        assert!(state_of(&json!([1, 2])).is_empty());
    }
}
