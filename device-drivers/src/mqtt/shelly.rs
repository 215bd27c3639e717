//! Shelly Gen2+ over MQTT: JSON-RPC 2.0 requests on `<prefix>/rpc` (answers go to
//! `<src>/rpc`), status on `<prefix>/status/switch:0` (`status_ntf`), notifications on
//! `<prefix>/events/rpc` (`rpc_ntf`) and availability on `<prefix>/online`. The topic
//! prefix defaults to the device id (`shellyplus1-<mac>`), so only prefixes starting with
//! `shelly` are taken as Shelly devices.

use serde_json::{json, Value};

use super::{valid_id, Event, Outgoing};
use crate::link::DriverError;
use crate::model::{Command, Kind, State};

pub const SUBSCRIPTIONS: &[&str] = &["+/online", "+/status/+", "+/events/rpc"];
/// Our `src` in RPC requests.
pub const CLIENT: &str = "hotelhub";

fn is_shelly(prefix: &str) -> bool {
    prefix.starts_with("shelly") && valid_id(prefix)
}

fn component_state(component: &str, v: &Value) -> Option<State> {
    if component.starts_with("switch:") {
        return Some(State {
            on: v.get("output").and_then(Value::as_bool),
            power_w: v.get("apower").and_then(Value::as_f64),
            ..State::default()
        });
    }
    if component.starts_with("light:") {
        return Some(State {
            on: v.get("output").and_then(Value::as_bool),
            brightness: v
                .get("brightness")
                .and_then(Value::as_u64)
                .map(|b| b.min(100) as u8),
            ..State::default()
        });
    }
    None
}

pub fn decode(topic: &str, payload: &[u8]) -> Vec<Event> {
    let parts: Vec<&str> = topic.split('/').collect();
    match parts.as_slice() {
        [prefix, "online"] if is_shelly(prefix) => {
            let online = String::from_utf8_lossy(payload).trim() == "true";
            let mut out = vec![Event::Availability {
                device: prefix.to_string(),
                online,
            }];
            if online {
                out.insert(
                    0,
                    Event::Announce {
                        device: prefix.to_string(),
                        kind: Kind::Switch,
                        name: None,
                        described: false,
                        properties: Value::Null,
                    },
                );
            }
            out
        }
        [prefix, "status", component] if is_shelly(prefix) => {
            let Ok(v) = serde_json::from_slice::<Value>(payload) else {
                return Vec::new();
            };
            let Some(state) = component_state(component, &v) else {
                return Vec::new();
            };
            let kind = if component.starts_with("light:") {
                Kind::Dimmer
            } else {
                Kind::Switch
            };
            vec![
                Event::Announce {
                    device: prefix.to_string(),
                    kind,
                    name: None,
                    described: kind != Kind::Switch,
                    properties: Value::Null,
                },
                Event::State {
                    device: prefix.to_string(),
                    state,
                },
            ]
        }
        [prefix, "events", "rpc"] if is_shelly(prefix) => {
            let Ok(v) = serde_json::from_slice::<Value>(payload) else {
                return Vec::new();
            };
            if v.get("method").and_then(Value::as_str) != Some("NotifyStatus") {
                return Vec::new();
            }
            let Some(params) = v.get("params").and_then(Value::as_object) else {
                return Vec::new();
            };
            params
                .iter()
                .filter_map(|(component, value)| component_state(component, value))
                .map(|state| Event::State {
                    device: prefix.to_string(),
                    state,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

pub fn encode(device: &str, command: &Command) -> Result<Vec<Outgoing>, DriverError> {
    let id: u32 = rand::random::<u32>() % 1_000_000;
    let (method, params) = match *command {
        Command::Power(on) => ("Switch.Set", json!({"id": 0, "on": on})),
        Command::Brightness(b) => ("Light.Set", json!({"id": 0, "on": true, "brightness": b})),
        _ => return Err(DriverError::Unsupported(format!("{command:?}"))),
    };
    let body = json!({"id": id, "src": CLIENT, "method": method, "params": params});
    Ok(vec![Outgoing::new(
        format!("{device}/rpc"),
        body.to_string(),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_notifications_are_read() {
        let e = decode(
            "shellyplus1-a8032ab12345/status/switch:0",
            br#"{"id":0,"source":"init","output":true,"apower":12.5}"#,
        );
        assert!(matches!(&e[1], Event::State { state, .. } if state.on == Some(true)));
        let n = decode(
            "shellyplus1-a8032ab12345/events/rpc",
            br#"{"src":"shellyplus1-a8032ab12345","dst":"user_1","method":"NotifyStatus","params":{"ts":1.0,"switch:0":{"id":0,"output":false}}}"#,
        );
        assert!(matches!(&n[0], Event::State { state, .. } if state.on == Some(false)));
        assert!(decode("kitchen/online", b"true").is_empty());
    }
}
