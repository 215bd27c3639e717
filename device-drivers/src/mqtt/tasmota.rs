//! Tasmota: `cmnd/<topic>/POWER`, replies on `stat/<topic>/RESULT` and `…/POWER`,
//! telemetry on `tele/<topic>/STATE`, availability as the retained LWT
//! `tele/<topic>/LWT` (`Online`/`Offline`), and Tasmota's own discovery
//! `tasmota/discovery/<mac>/config`. A device with several relays (`rl` in its discovery
//! config, `POWER1..POWERn` in its messages) is one channel per relay: `POWER`/`POWER1` is
//! the device itself, `POWERn` the channel `<topic>#n` (Tasmota docs, "Commands": `Power<x>`).

use serde_json::Value;

use super::{valid_id, Event, Outgoing};
use crate::channel::{channel_id, split_channel};
use crate::link::DriverError;
use crate::model::{Command, Kind, State};

pub const SUBSCRIPTIONS: &[&str] = &[
    "tele/+/LWT",
    "tele/+/STATE",
    "stat/+/RESULT",
    // `stat/<topic>/POWER` and, on a device with several relays, `…/POWER2`, `…/POWER3`….
    "stat/+/+",
    "tasmota/discovery/+/config",
];

/// The relay a `POWER…` key names: `POWER` and `POWER1` are 1.
fn relay_of(key: &str) -> Option<u32> {
    let n = key.strip_prefix("POWER")?;
    if n.is_empty() {
        return Some(1);
    }
    n.parse().ok().filter(|n| (1..=32).contains(n))
}

/// The id of relay `relay` of `device`.
fn relay_id(device: &str, relay: u32) -> String {
    if relay == 1 {
        device.to_owned()
    } else {
        channel_id(device, &relay.to_string())
    }
}

fn on_of(v: &Value) -> Option<bool> {
    v.as_str().map(|p| p.eq_ignore_ascii_case("ON"))
}

/// Each relay's state in a `STATE` or `RESULT` object; the dimmer belongs to the first.
fn states_of(device: &str, v: &Value) -> Vec<Event> {
    let mut relays: Vec<(u32, bool)> = v
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, p)| Some((relay_of(k)?, on_of(p)?)))
        .collect();
    relays.sort_unstable();
    relays.dedup_by_key(|r| r.0);
    let brightness = v
        .get("Dimmer")
        .and_then(Value::as_u64)
        .map(|d| d.min(100) as u8);
    let mut out: Vec<Event> = relays
        .into_iter()
        .map(|(relay, on)| Event::State {
            device: relay_id(device, relay),
            state: State {
                on: Some(on),
                brightness: if relay == 1 { brightness } else { None },
                ..State::default()
            },
        })
        .collect();
    if brightness.is_some()
        && !out
            .iter()
            .any(|e| matches!(e, Event::State { device: d, .. } if d == device))
    {
        out.insert(
            0,
            Event::State {
                device: device.to_owned(),
                state: State {
                    brightness,
                    ..State::default()
                },
            },
        );
    }
    out
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
            let text = |v: Option<&Value>| {
                v.and_then(Value::as_str)
                    .map(|n| n.chars().take(80).collect::<String>())
            };
            // "rl": one relay type per output, 0 where there is none.
            let relays: Vec<u32> = v
                .get("rl")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .zip(1..=32)
                .filter(|(t, _)| t.as_u64().unwrap_or(0) > 0)
                .map(|(_, relay)| relay)
                .collect();
            if relays.len() <= 1 {
                let name = text(v.get("dn")).or_else(|| text(v.get("fn").and_then(|f| f.get(0))));
                return vec![Event::Announce {
                    device: device.to_owned(),
                    kind,
                    name,
                    described: true,
                    properties: Value::Null,
                }];
            }
            // "fn": each relay's friendly name, set by the owner in Tasmota.
            relays
                .into_iter()
                .map(|relay| Event::Announce {
                    device: relay_id(device, relay),
                    kind: if relay == 1 { kind } else { Kind::Switch },
                    name: text(v.get("fn").and_then(|f| f.get(relay as usize - 1))),
                    described: true,
                    properties: Value::Null,
                })
                .collect()
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
                Ok(v) => states_of(device, &v),
                Err(_) => Vec::new(),
            }
        }
        ["stat", device, key] if valid_id(device) => match (relay_of(key), text.trim()) {
            (Some(relay), p @ ("ON" | "OFF")) => vec![Event::State {
                device: relay_id(device, relay),
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

pub fn encode(id: &str, command: &Command) -> Result<Vec<Outgoing>, DriverError> {
    let (device, relay) = split_channel(id);
    let relay = match relay {
        None => String::new(),
        Some(n) => match n.parse::<u32>() {
            Ok(n @ 2..=32) => n.to_string(),
            _ => return Err(DriverError::Unsupported(format!("Tasmota relay {n:?}"))),
        },
    };
    Ok(match *command {
        Command::Power(on) => vec![Outgoing::new(
            format!("cmnd/{device}/POWER{relay}"),
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

    /// A four-relay Sonoff 4CH: one channel per relay, each named by its "fn", each read
    /// from its own `POWERn` and switched by its own `Power<n>` command.
    #[test]
    fn a_four_relay_device_has_four_channels() {
        let config = br#"{"t":"sonoff_4ch","dn":"Sonoff 4CH","fn":["Hall","Stairs","Porch",null],"rl":[1,1,1,1,0,0,0,0],"lt_st":0}"#;
        let a = decode("tasmota/discovery/DC4F22000001/config", config);
        let ids: Vec<_> = a
            .iter()
            .map(|e| match e {
                Event::Announce { device, name, .. } => (device.as_str(), name.clone()),
                _ => panic!("{e:?}"),
            })
            .collect();
        assert_eq!(
            ids,
            vec![
                ("sonoff_4ch", Some("Hall".into())),
                ("sonoff_4ch#2", Some("Stairs".into())),
                ("sonoff_4ch#3", Some("Porch".into())),
                ("sonoff_4ch#4", None)
            ]
        );
        let s = decode(
            "tele/sonoff_4ch/STATE",
            br#"{"POWER1":"OFF","POWER2":"ON","POWER3":"OFF","POWER4":"ON"}"#,
        );
        assert_eq!(s.len(), 4);
        assert!(
            matches!(&s[1], Event::State { device, state } if device == "sonoff_4ch#2" && state.on == Some(true))
        );
        let p = decode("stat/sonoff_4ch/POWER3", b"ON");
        assert!(matches!(&p[0], Event::State { device, .. } if device == "sonoff_4ch#3"));
        assert!(decode("stat/sonoff_4ch/STATUS", b"ON").is_empty());
        assert_eq!(
            encode("sonoff_4ch#3", &Command::Power(true)).unwrap()[0].topic,
            "cmnd/sonoff_4ch/POWER3"
        );
        assert_eq!(
            encode("sonoff_4ch", &Command::Power(true)).unwrap()[0].topic,
            "cmnd/sonoff_4ch/POWER"
        );
    }
}
