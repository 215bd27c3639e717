//! Tasmota: `cmnd/<topic>/POWER`, replies on `stat/<topic>/RESULT` and `…/POWER`,
//! telemetry on `tele/<topic>/STATE`, availability as the retained LWT
//! `tele/<topic>/LWT` (`Online`/`Offline`), and Tasmota's own discovery
//! `tasmota/discovery/<mac>/config`.

use serde_json::Value;

use super::{valid_id, Event, Outgoing};
use crate::link::DriverError;
use crate::model::{Command, Kind, State};

pub const SUBSCRIPTIONS: &[&str] = &[
    "tele/+/LWT",
    "tele/+/STATE",
    "stat/+/RESULT",
    "stat/+/POWER",
    "tasmota/discovery/+/config",
];

fn state_of(v: &Value) -> State {
    let power = v
        .get("POWER")
        .or_else(|| v.get("POWER1"))
        .and_then(Value::as_str);
    State {
        on: power.map(|p| p.eq_ignore_ascii_case("ON")),
        brightness: v
            .get("Dimmer")
            .and_then(Value::as_u64)
            .map(|d| d.min(100) as u8),
        ..State::default()
    }
}

pub fn decode(topic: &str, payload: &[u8]) -> Vec<Event> {
    let parts: Vec<&str> = topic.split('/').collect();
    let text = String::from_utf8_lossy(payload);
    match parts.as_slice() {
        ["tasmota", "discovery", _, "config"] => {
            let Ok(v) = serde_json::from_slice::<Value>(payload) else {
                return Vec::new();
            };
            let Some(device) = v.get("t").and_then(Value::as_str).filter(|t| valid_id(t)) else {
                return Vec::new();
            };
            // "lt_st" > 0 means a light (1 channel: a dimmer).
            let kind = if v.get("lt_st").and_then(Value::as_u64).unwrap_or(0) > 0 {
                Kind::Dimmer
            } else {
                Kind::Switch
            };
            let name = v
                .get("dn")
                .or_else(|| v.get("fn").and_then(|f| f.get(0)))
                .and_then(Value::as_str)
                .map(|n| n.chars().take(80).collect());
            vec![Event::Announce {
                device: device.to_owned(),
                kind,
                name,
                described: true,
                properties: Value::Null,
            }]
        }
        ["tele", device, "LWT"] if valid_id(device) => {
            let online = text.trim() == "Online";
            let mut out = vec![Event::Availability {
                device: device.to_string(),
                online,
            }];
            if online {
                out.insert(
                    0,
                    Event::Announce {
                        device: device.to_string(),
                        kind: Kind::Switch,
                        name: None,
                        described: false,
                        properties: Value::Null,
                    },
                );
            }
            out
        }
        ["tele", device, "STATE"] | ["stat", device, "RESULT"] if valid_id(device) => {
            match serde_json::from_slice::<Value>(payload) {
                Ok(v) => {
                    let state = state_of(&v);
                    if state.is_empty() {
                        Vec::new()
                    } else {
                        vec![Event::State {
                            device: device.to_string(),
                            state,
                        }]
                    }
                }
                Err(_) => Vec::new(),
            }
        }
        ["stat", device, "POWER"] if valid_id(device) => match text.trim() {
            p @ ("ON" | "OFF") => vec![Event::State {
                device: device.to_string(),
                state: State {
                    on: Some(p == "ON"),
                    ..State::default()
                },
            }],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

pub fn encode(device: &str, command: &Command) -> Result<Vec<Outgoing>, DriverError> {
    Ok(match *command {
        Command::Power(on) => vec![Outgoing::new(
            format!("cmnd/{device}/POWER"),
            if on { "ON" } else { "OFF" },
        )],
        Command::Brightness(b) => vec![Outgoing::new(
            format!("cmnd/{device}/Dimmer"),
            b.to_string(),
        )],
        _ => return Err(DriverError::Unsupported(format!("{command:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_tasmota_plug_publishes_is_understood() {
        let lwt = decode("tele/tasmota_1A2B3C/LWT", b"Online");
        assert!(matches!(&lwt[0], Event::Announce { device, .. } if device == "tasmota_1A2B3C"));
        let s = decode("stat/tasmota_1A2B3C/RESULT", br#"{"POWER":"ON"}"#);
        assert_eq!(
            s,
            vec![Event::State {
                device: "tasmota_1A2B3C".into(),
                state: State {
                    on: Some(true),
                    ..State::default()
                }
            }]
        );
        assert_eq!(
            encode("tasmota_1A2B3C", &Command::Power(false)).unwrap()[0].topic,
            "cmnd/tasmota_1A2B3C/POWER"
        );
        assert!(decode("tele/a/b/LWT", b"Online").is_empty());
    }
}
