//! Zigbee2MQTT: devices from the retained `zigbee2mqtt/bridge/devices`, state as JSON on
//! `zigbee2mqtt/<friendly name>`, availability on `…/availability` and the bridge's own
//! `bridge/state` (a plain `online`/`offline` in older releases, `{"state":"online"}`
//! since 2.0), commands as JSON on `…/set`. A device whose main exposes carry an
//! `endpoint` (a two-gang switch's `l1` and `l2`) is one channel per endpoint,
//! `<friendly name>#<endpoint>`, read from and written to that endpoint's properties
//! (`state_l1`); zigbee2mqtt.io "Exposes": "endpoint".

use serde_json::{json, Value};

use super::{valid_id, Event, Outgoing};
use crate::channel::{channel_id, split_channel};
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

/// The expose that says what a device is, by Zigbee2MQTT's specific types in the order a
/// device is best known by: a radiator valve's climate block over its "away mode" switch,
/// a bulb's light over a power-on-behaviour switch, a lock over its auto-lock switch
/// (zigbee2mqtt.io "Exposes": specific types climate, light, lock, cover, fan, switch).
fn primary(exposes: &[Value]) -> Option<&Value> {
    ["climate", "light", "lock", "switch"].iter().find_map(|t| {
        exposes
            .iter()
            .find(|e| e.get("type").and_then(Value::as_str) == Some(t))
    })
}

/// A feature of a specific expose by its `name`: its `property`, the key Zigbee2MQTT reads
/// and writes on the device's topic (`state_l1` on a two-gang switch's first endpoint).
fn property_of(expose: &Value, names: &[&str]) -> Option<String> {
    let features = expose.get("features")?.as_array()?;
    names.iter().find_map(|n| {
        features
            .iter()
            .find(|f| f.get("name").and_then(Value::as_str) == Some(n))
            .and_then(|f| f.get("property").or_else(|| f.get("name"))?.as_str())
            .map(str::to_owned)
    })
}

/// The kind a device's `exposes` describe, and the properties the hub reads and writes.
fn kind_of(exposes: &[Value]) -> Option<(Kind, Value)> {
    let names: Vec<&str> = exposes
        .iter()
        .filter_map(|e| e.get("name")?.as_str())
        .collect();
    let Some(main) = primary(exposes) else {
        return (names.contains(&"temperature") || names.contains(&"humidity"))
            .then_some((Kind::Sensor, Value::Null));
    };
    Some(kind_of_expose(main))
}

/// The channels a device's `exposes` describe: `(endpoint, kind, properties)`, one with no
/// endpoint for a device of one channel, else one per endpoint of its main expose type.
fn channels_of(exposes: &[Value]) -> Vec<(Option<String>, Kind, Value)> {
    let endpoint = |e: &Value| e.get("endpoint").and_then(Value::as_str).map(str::to_owned);
    let split: Vec<(String, &Value)> = primary(exposes)
        .and_then(|main| main.get("type"))
        .map(|t| {
            exposes
                .iter()
                .filter(|e| e.get("type") == Some(t))
                .filter_map(|e| Some((endpoint(e).filter(|n| valid_id(n))?, e)))
                .collect()
        })
        .unwrap_or_default();
    if split.is_empty() {
        return kind_of(exposes)
            .map(|(kind, properties)| vec![(None, kind, properties)])
            .unwrap_or_default();
    }
    split
        .into_iter()
        .map(|(endpoint, e)| {
            let (kind, properties) = kind_of_expose(e);
            (Some(endpoint), kind, properties)
        })
        .collect()
}

/// The kind one specific expose (light, climate, lock, switch) describes, and the
/// properties the hub reads and writes.
fn kind_of_expose(main: &Value) -> (Kind, Value) {
    let mut properties = serde_json::Map::new();
    let mut put = |key: &str, names: &[&str]| {
        if let Some(p) = property_of(main, names) {
            properties.insert(key.to_owned(), Value::String(p));
        }
    };
    let kind = match main.get("type").and_then(Value::as_str) {
        Some("climate") => {
            // Valves name their set point by mode: occupied (thermostats), current (TRVs).
            put(
                "setpoint",
                &["occupied_heating_setpoint", "current_heating_setpoint"],
            );
            put("temperature", &["local_temperature"]);
            put("system_mode", &["system_mode"]);
            Kind::Thermostat
        }
        Some("light") => {
            put("state", &["state"]);
            put("brightness", &["brightness"]);
            if properties.contains_key("brightness") {
                Kind::Light
            } else {
                Kind::Switch
            }
        }
        Some("lock") => {
            put("state", &["state"]);
            put("lock_state", &["lock_state"]);
            Kind::Lock
        }
        _ => {
            put("state", &["state"]);
            Kind::Switch
        }
    };
    (kind, Value::Object(properties))
}

/// The property named by `key` in a device's description, else Zigbee2MQTT's usual name.
fn property<'a>(properties: &'a Value, key: &str, usual: &'a str) -> &'a str {
    properties.get(key).and_then(Value::as_str).unwrap_or(usual)
}

/// Each endpoint's state in a device's message: `state_l1`, `brightness_l1`, `power_l1`…
/// for the channel `<device>#l1`.
fn endpoint_states(device: &str, v: &Value) -> Vec<Event> {
    let Some(object) = v.as_object() else {
        return Vec::new();
    };
    object
        .keys()
        .filter_map(|k| k.strip_prefix("state_"))
        .filter(|ep| valid_id(ep))
        .map(|ep| {
            let field = |name: &str| object.get(&format!("{name}_{ep}")).cloned();
            let mut one = serde_json::Map::new();
            for name in ["state", "brightness", "power"] {
                if let Some(value) = field(name) {
                    one.insert(name.to_owned(), value);
                }
            }
            Event::State {
                device: channel_id(device, ep),
                state: state_of(&Value::Object(one)),
            }
        })
        .filter(|e| matches!(e, Event::State { state, .. } if !state.is_empty()))
        .collect()
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
        // Whichever set point the device has (the description names it for writing).
        target_temperature: v
            .get("occupied_heating_setpoint")
            .or_else(|| v.get("current_heating_setpoint"))
            .and_then(Value::as_f64),
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
                    Some(
                        channels_of(exposes)
                            .into_iter()
                            .map(|(endpoint, kind, properties)| Event::Announce {
                                device: match endpoint {
                                    Some(ep) => channel_id(name, &ep),
                                    None => name.to_owned(),
                                },
                                kind,
                                name: Some(name.chars().take(80).collect()),
                                described: true,
                                properties,
                            }),
                    )
                })
                .flatten()
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
            Ok(v) if v.is_object() => {
                let mut out = vec![Event::State {
                    device: device.to_string(),
                    state: state_of(&v),
                }];
                out.extend(endpoint_states(device, &v));
                out
            }
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The `…/set` message for `command`, written to the properties the device described.
pub fn encode(
    device: &str,
    properties: &Value,
    command: &Command,
) -> Result<Vec<Outgoing>, DriverError> {
    let mut body = serde_json::Map::new();
    match *command {
        Command::Power(on) => {
            body.insert(
                property(properties, "state", "state").to_owned(),
                json!(if on { "ON" } else { "OFF" }),
            );
        }
        Command::Brightness(b) => {
            body.insert(
                property(properties, "brightness", "brightness").to_owned(),
                json!((f64::from(b) * 2.54).round() as u64),
            );
        }
        Command::TargetTemperature(t) => {
            body.insert(
                property(properties, "setpoint", "occupied_heating_setpoint").to_owned(),
                json!(t),
            );
        }
        Command::Lock(l) => {
            body.insert(
                property(properties, "state", "state").to_owned(),
                json!(if l { "LOCK" } else { "UNLOCK" }),
            );
        }
    }
    Ok(vec![Outgoing::new(
        format!("{PREFIX}/{}/set", split_channel(device).0),
        Value::Object(body).to_string(),
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

    /// The field case z2m-07: a radiator valve whose exposes list a child lock and an
    /// "away mode" switch before its climate block.
    #[test]
    fn a_radiator_valve_is_a_thermostat_written_by_its_own_property() {
        let exposes = json!([
            {"type": "binary", "name": "child_lock", "property": "child_lock"},
            {"type": "switch", "features": [{"name": "state", "property": "away_mode"}]},
            {"type": "climate", "features": [
                {"name": "current_heating_setpoint", "property": "current_heating_setpoint"},
                {"name": "local_temperature", "property": "local_temperature"}]}
        ]);
        let (kind, properties) = kind_of(exposes.as_array().unwrap()).unwrap();
        assert_eq!(kind, Kind::Thermostat);
        let set = encode("trv", &properties, &Command::TargetTemperature(21.5)).unwrap();
        assert_eq!(set[0].payload, br#"{"current_heating_setpoint":21.5}"#);
        let s = decode(
            "zigbee2mqtt/trv",
            br#"{"current_heating_setpoint":21.5,"local_temperature":19.5,"away_mode":"OFF"}"#,
        );
        let Event::State { state, .. } = &s[0] else {
            panic!("{s:?}")
        };
        assert_eq!(
            (state.target_temperature, state.current_temperature),
            (Some(21.5), Some(19.5))
        );
        assert_eq!(state.on, None, "away mode is not the valve's power");
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
                properties: json!({"state": "state", "brightness": "brightness"}),
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

    /// A two-gang wall switch: one channel per endpoint, each read from and written to its
    /// own `state_<endpoint>`.
    #[test]
    fn a_two_gang_switch_has_a_channel_per_endpoint() {
        let devices = json!([
            {"friendly_name": "hall_switch", "type": "Router", "definition": {"exposes": [
                {"type": "switch", "endpoint": "l1", "features": [{"name": "state", "property": "state_l1"}]},
                {"type": "switch", "endpoint": "l2", "features": [{"name": "state", "property": "state_l2"}]},
                {"type": "numeric", "name": "linkquality", "property": "linkquality"}]}}
        ]);
        let events = decode("zigbee2mqtt/bridge/devices", devices.to_string().as_bytes());
        let ids: Vec<_> = events
            .iter()
            .map(|e| match e {
                Event::Announce {
                    device, properties, ..
                } => (device.clone(), properties.clone()),
                _ => panic!("{e:?}"),
            })
            .collect();
        assert_eq!(
            ids,
            vec![
                ("hall_switch#l1".to_owned(), json!({"state": "state_l1"})),
                ("hall_switch#l2".to_owned(), json!({"state": "state_l2"}))
            ]
        );
        let s = decode(
            "zigbee2mqtt/hall_switch",
            br#"{"state_l1":"ON","state_l2":"OFF","linkquality":90}"#,
        );
        assert!(s.iter().any(|e| matches!(e, Event::State { device, state } if device == "hall_switch#l1" && state.on == Some(true))));
        assert!(s.iter().any(|e| matches!(e, Event::State { device, state } if device == "hall_switch#l2" && state.on == Some(false))));
        let set = encode("hall_switch#l2", &ids[1].1, &Command::Power(true)).unwrap();
        assert_eq!(
            (set[0].topic.as_str(), set[0].payload.as_slice()),
            (
                "zigbee2mqtt/hall_switch/set",
                br#"{"state_l2":"ON"}"#.as_slice()
            )
        );
    }

    /// A large network's retained `bridge/devices` (several hundred KB) is read whole.
    #[test]
    fn a_large_networks_device_list_is_read() {
        let devices: Vec<Value> = (0..400)
            .map(|i| {
                json!({"friendly_name": format!("bulb_{i}"), "type": "Router",
                       "description": "x".repeat(800),
                       "definition": {"exposes": [{"type": "light", "features": [{"name": "state"}]}]}})
            })
            .collect();
        let payload = Value::Array(devices).to_string();
        assert!(payload.len() > 300 * 1024, "{}", payload.len());
        let events = super::super::Family::Zigbee2mqtt
            .decode("zigbee2mqtt/bridge/devices", payload.as_bytes());
        assert_eq!(events.len(), 400);
    }
}
