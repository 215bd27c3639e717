//! Zigbee2MQTT: devices from the retained `zigbee2mqtt/bridge/devices`, state as JSON on
//! `zigbee2mqtt/<friendly name>`, availability on `…/availability` and the bridge's own
//! `bridge/state` (a plain `online`/`offline` in older releases, `{"state":"online"}`
//! since 2.0), commands as JSON on `…/set`.

use serde_json::{json, Value};

use super::{valid_id, Event, Outgoing};
use crate::link::DriverError;
use crate::model::{Command, Kind, State};

pub const PREFIX: &str = "zigbee2mqtt";
pub const SUBSCRIPTIONS: &[&str] = &[
    "zigbee2mqtt/bridge/devices",
    "zigbee2mqtt/bridge/state",
    "zigbee2mqtt/+",
    "zigbee2mqtt/+/availability",
];

fn online_of(payload: &[u8]) -> Option<bool> {
    let text = String::from_utf8_lossy(payload);
    let word = match serde_json::from_str::<Value>(&text) {
        Ok(v) => v.get("state").and_then(Value::as_str).map(str::to_owned),
        Err(_) => Some(text.trim().to_owned()),
    }?;
    match word.as_str() {
        "online" => Some(true),
        "offline" => Some(false),
        _ => None,
    }
}

/// The kind a device's `exposes` describe.
fn kind_of(exposes: &[Value]) -> Option<Kind> {
    let types: Vec<&str> = exposes
        .iter()
        .filter_map(|e| e.get("type")?.as_str())
        .collect();
    let has_feature = |t: &str, name: &str| {
        exposes.iter().any(|e| {
            e.get("type").and_then(Value::as_str) == Some(t)
                && e.get("features")
                    .and_then(Value::as_array)
                    .is_some_and(|f| {
                        f.iter()
                            .any(|x| x.get("name").and_then(Value::as_str) == Some(name))
                    })
        })
    };
    let names: Vec<&str> = exposes
        .iter()
        .filter_map(|e| e.get("name")?.as_str())
        .collect();
    if types.contains(&"light") {
        Some(if has_feature("light", "brightness") {
            Kind::Light
        } else {
            Kind::Switch
        })
    } else if types.contains(&"switch") {
        Some(Kind::Switch)
    } else if types.contains(&"lock") {
        Some(Kind::Lock)
    } else if types.contains(&"climate") {
        Some(Kind::Thermostat)
    } else if names.contains(&"temperature") || names.contains(&"humidity") {
        Some(Kind::Sensor)
    } else {
        None
    }
}

fn state_of(v: &Value) -> State {
    let word = v.get("state").and_then(Value::as_str);
    State {
        on: word.and_then(|s| match s {
            "ON" => Some(true),
            "OFF" => Some(false),
            _ => None,
        }),
        locked: v
            .get("lock_state")
            .and_then(Value::as_str)
            .map(|s| s == "locked")
            .or_else(|| {
                word.and_then(|s| match s {
                    "LOCK" => Some(true),
                    "UNLOCK" => Some(false),
                    _ => None,
                })
            }),
        brightness: v
            .get("brightness")
            .and_then(Value::as_f64)
            .map(|b| ((b / 254.0) * 100.0).round().clamp(0.0, 100.0) as u8),
        target_temperature: v.get("occupied_heating_setpoint").and_then(Value::as_f64),
        current_temperature: v
            .get("local_temperature")
            .or_else(|| v.get("temperature"))
            .and_then(Value::as_f64),
        humidity: v.get("humidity").and_then(Value::as_f64),
        power_w: v.get("power").and_then(Value::as_f64),
    }
}

pub fn decode(topic: &str, payload: &[u8]) -> Vec<Event> {
    let Some(rest) = topic.strip_prefix("zigbee2mqtt/") else {
        return Vec::new();
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["bridge", "devices"] => {
            let Ok(Value::Array(devices)) = serde_json::from_slice::<Value>(payload) else {
                return Vec::new();
            };
            devices
                .iter()
                .filter(|d| d.get("type").and_then(Value::as_str) != Some("Coordinator"))
                .filter_map(|d| {
                    let name = d
                        .get("friendly_name")?
                        .as_str()
                        .filter(|n| valid_id(n) && *n != "bridge")?;
                    let exposes = d.get("definition")?.get("exposes")?.as_array()?;
                    let kind = kind_of(exposes)?;
                    Some(Event::Announce {
                        device: name.to_owned(),
                        kind,
                        name: Some(name.chars().take(80).collect()),
                        described: true,
                    })
                })
                .collect()
        }
        ["bridge", "state"] => online_of(payload)
            .map(|online| vec![Event::Bridge { online }])
            .unwrap_or_default(),
        ["bridge", ..] => Vec::new(),
        [device, "availability"] if valid_id(device) => online_of(payload)
            .map(|online| {
                vec![Event::Availability {
                    device: device.to_string(),
                    online,
                }]
            })
            .unwrap_or_default(),
        [device] if valid_id(device) => match serde_json::from_slice::<Value>(payload) {
            Ok(v) if v.is_object() => vec![Event::State {
                device: device.to_string(),
                state: state_of(&v),
            }],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

pub fn encode(device: &str, command: &Command) -> Result<Vec<Outgoing>, DriverError> {
    let body = match *command {
        Command::Power(on) => json!({"state": if on { "ON" } else { "OFF" }}),
        Command::Brightness(b) => json!({"brightness": (f64::from(b) * 2.54).round() as u64}),
        Command::TargetTemperature(t) => json!({"occupied_heating_setpoint": t}),
        Command::Lock(l) => json!({"state": if l { "LOCK" } else { "UNLOCK" }}),
    };
    Ok(vec![Outgoing::new(
        format!("{PREFIX}/{device}/set"),
        body.to_string(),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_of_bridge_state_are_read() {
        assert_eq!(
            decode("zigbee2mqtt/bridge/state", b"offline"),
            vec![Event::Bridge { online: false }]
        );
        assert_eq!(
            decode("zigbee2mqtt/bridge/state", br#"{"state":"online"}"#),
            vec![Event::Bridge { online: true }]
        );
    }

    #[test]
    fn a_bulb_from_bridge_devices() {
        let devices = json!([
            {"friendly_name": "Coordinator", "type": "Coordinator", "definition": null},
            {"friendly_name": "hall_bulb", "type": "Router", "definition": {"exposes": [
                {"type": "light", "features": [{"name": "state"}, {"name": "brightness"}]}]}}
        ]);
        let events = decode("zigbee2mqtt/bridge/devices", devices.to_string().as_bytes());
        assert_eq!(
            events,
            vec![Event::Announce {
                device: "hall_bulb".into(),
                kind: Kind::Light,
                name: Some("hall_bulb".into()),
                described: true,
            }]
        );
        let s = decode(
            "zigbee2mqtt/hall_bulb",
            br#"{"state":"ON","brightness":127}"#,
        );
        assert!(
            matches!(&s[0], Event::State { state, .. } if state.on == Some(true) && state.brightness == Some(50))
        );
    }
}
