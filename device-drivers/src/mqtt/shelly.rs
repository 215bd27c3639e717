//! Shelly Gen2+ over MQTT: JSON-RPC 2.0 requests on `<prefix>/rpc` (answers go to
//! `<src>/rpc`), status on `<prefix>/status/switch:0` (`status_ntf`), notifications on
//! `<prefix>/events/rpc` (`rpc_ntf`) and availability on `<prefix>/online`. The topic
//! prefix defaults to the device id (`shellyplus1-<mac>`), so only prefixes starting with
//! `shelly` are taken as Shelly devices. Each `switch:N` / `light:N` component is its own
//! channel (a Plus 2PM's two relays): `switch:0` is the device itself, `switch:1` the
//! channel `<prefix>#1` (Shelly Gen2 API, "Switch" component: every call names its `id`).

use serde_json::{json, Value};

use super::{valid_id, Event, Outgoing};
use crate::channel::{channel_id, split_channel};
use crate::link::DriverError;
use crate::model::{Command, Kind, State};

pub const SUBSCRIPTIONS: &[&str] = &["+/online", "+/status/+", "+/events/rpc"];
/// Our `src` in RPC requests.
pub const CLIENT: &str = "hotelhub";

fn is_shelly(prefix: &str) -> bool {
    prefix.starts_with("shelly") && valid_id(prefix)
}

/// The channel id of a component on `prefix`: `switch:0` → the device, `switch:1` → `prefix#1`.
fn channel_of(prefix: &str, component: &str) -> String {
    match component.split_once(':').map(|(_, n)| n) {
        Some(n) if n != "0" && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
            channel_id(prefix, n)
        }
        _ => prefix.to_owned(),
    }
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
            let device = channel_of(prefix, component);
            vec![
                Event::Announce {
                    device: device.clone(),
                    kind,
                    name: None,
                    described: kind != Kind::Switch,
                    properties: Value::Null,
                },
                Event::State { device, state },
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
                .filter_map(|(component, value)| {
                    component_state(component, value).map(|state| Event::State {
                        device: channel_of(prefix, component),
                        state,
                    })
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

pub fn encode(device: &str, command: &Command) -> Result<Vec<Outgoing>, DriverError> {
    let (prefix, channel) = split_channel(device);
    let channel: u32 = match channel {
        None => 0,
        Some(n) => n
            .parse()
            .map_err(|_| DriverError::Unsupported(format!("Shelly channel {n:?}")))?,
    };
    let id: u32 = rand::random::<u32>() % 1_000_000;
    let (method, params) = match *command {
        Command::Power(on) => ("Switch.Set", json!({"id": channel, "on": on})),
        Command::Brightness(b) => (
            "Light.Set",
            json!({"id": channel, "on": true, "brightness": b}),
        ),
        _ => return Err(DriverError::Unsupported(format!("{command:?}"))),
    };
    let body = json!({"id": id, "src": CLIENT, "method": method, "params": params});
    Ok(vec![Outgoing::new(
        format!("{prefix}/rpc"),
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

    /// The field case shelly-10: a Plus 2PM's two relays are two channels, each with its
    /// own state and power, and each command names its own relay.
    #[test]
    fn a_plus_2pm_has_two_channels() {
        let p = "shellyplus2pm-b0b21c10a478";
        let s0 = decode(
            &format!("{p}/status/switch:0"),
            br#"{"id":0,"output":false,"apower":0.0}"#,
        );
        let s1 = decode(
            &format!("{p}/status/switch:1"),
            br#"{"id":1,"output":true,"apower":61.2}"#,
        );
        assert!(
            matches!(&s0[1], Event::State { device, state } if device == p && state.on == Some(false))
        );
        assert!(
            matches!(&s1[1], Event::State { device, state } if device == "shellyplus2pm-b0b21c10a478#1" && state.on == Some(true) && state.power_w == Some(61.2))
        );
        let n = decode(
            &format!("{p}/events/rpc"),
            br#"{"method":"NotifyStatus","params":{"ts":1.0,"switch:1":{"id":1,"output":false,"source":"button"}}}"#,
        );
        assert!(
            matches!(&n[0], Event::State { device, state } if device.ends_with("#1") && state.on == Some(false))
        );
        let set = encode("shellyplus2pm-b0b21c10a478#1", &Command::Power(true)).unwrap();
        assert_eq!(set[0].topic, "shellyplus2pm-b0b21c10a478/rpc");
        let body: Value = serde_json::from_slice(&set[0].payload).unwrap();
        assert_eq!(body["params"], json!({"id": 1, "on": true}));
        assert!(encode("shellyplus2pm-b0b21c10a478#x", &Command::Power(true)).is_err());
    }
}
