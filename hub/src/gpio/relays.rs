//! Relay outputs as devices. The box's relays join the device registry the way a Tasmota
//! relay board does, over the hub's own broker (an in-process link, no network): retained
//! discovery `tasmota/discovery/<id>/config` with one `rl` entry and one friendly name
//! (`fn`) per relay, the retained `tele/<topic>/LWT` `Online`, and `cmnd/<topic>/POWER<n>`
//! answered with `stat/<topic>/RESULT` and `stat/<topic>/POWER<n>` (Tasmota docs,
//! "Commands" and "MQTT"; the shapes `device_drivers::mqtt::tasmota` reads). So the
//! registry lists them, Home Assistant finds them and scenarios switch them, with no path
//! of their own.

use std::sync::Arc;

use rumqttd::local::{LinkRx, LinkTx};
use rumqttd::protocol::{Filter, Packet, Publish, QoS, RetainForwardRule, Subscribe};
use rumqttd::Notification;
use serde_json::json;
use tokio::sync::mpsc;

use super::lines::Lines;
use crate::config::RelayLine;

/// The relays' Tasmota topic: the device id the registry lists them under.
pub const TOPIC: &str = "hub_relays";

/// Which relay (1-based) a `POWER…` command names: `POWER` is the first.
fn relay_of(command: &str) -> Option<usize> {
    let n = command.to_ascii_uppercase();
    let n = n.strip_prefix("POWER")?;
    if n.is_empty() {
        return Some(1);
    }
    n.parse().ok().filter(|n| *n >= 1)
}

/// The level a command payload asks for, given the current one.
fn wanted(payload: &[u8], now: bool) -> Option<bool> {
    match String::from_utf8_lossy(payload)
        .trim()
        .to_ascii_uppercase()
        .as_str()
    {
        "ON" | "1" | "TRUE" => Some(true),
        "OFF" | "0" | "FALSE" => Some(false),
        "TOGGLE" | "2" => Some(!now),
        // An empty `POWER` asks for the state.
        "" => Some(now),
        _ => None,
    }
}

fn publish(topic: String, payload: impl Into<Vec<u8>>, retain: bool) -> Packet {
    Packet::Publish(
        Publish::new(topic.into_bytes(), payload.into(), retain),
        None,
    )
}

/// Announces `relays` on the link and carries out commands until the link closes.
pub(super) fn spawn(lines: Arc<dyn Lines>, relays: Vec<RelayLine>, mut tx: LinkTx, mut rx: LinkRx) {
    let (in_tx, mut incoming) = mpsc::channel::<Publish>(64);
    tokio::spawn(async move {
        while let Ok(Some(n)) = rx.next().await {
            if let Notification::Forward(f) = n {
                if in_tx.send(f.publish).await.is_err() {
                    return;
                }
            }
        }
    });
    tokio::spawn(async move {
        let mut levels = vec![false; relays.len()];
        for (i, r) in relays.iter().enumerate() {
            if let Err(e) = lines.drive(r.line, false) {
                tracing::warn!(relay = %r.name, error = %e, "A relay cannot be switched off at start.");
            }
            levels[i] = false;
        }
        let config = json!({
            "t": TOPIC,
            // One relay is named by `dn`; several by their `fn` entries.
            "dn": match relays.as_slice() {
                [one] => one.name.as_str(),
                _ => "Hub relays",
            },
            "fn": relays.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
            "rl": relays.iter().map(|_| 1).collect::<Vec<_>>(),
            "sw": "hotel-hub",
        });
        let subscribe = Packet::Subscribe(
            Subscribe {
                pkid: 1,
                filters: vec![Filter {
                    path: format!("cmnd/{TOPIC}/+"),
                    qos: QoS::AtMostOnce,
                    nolocal: true,
                    preserve_retain: false,
                    retain_forward_rule: RetainForwardRule::Never,
                }],
            },
            None,
        );
        let opening = [
            subscribe,
            publish(
                format!("tasmota/discovery/{TOPIC}/config"),
                config.to_string(),
                true,
            ),
            publish(format!("tele/{TOPIC}/LWT"), "Online", true),
            publish(
                format!("tele/{TOPIC}/STATE"),
                state(&levels).to_string(),
                false,
            ),
        ];
        for packet in opening {
            if let Err(e) = tx.send(packet).await {
                tracing::warn!(error = %e, "The relays cannot announce themselves.");
                return;
            }
        }
        while let Some(p) = incoming.recv().await {
            let topic = String::from_utf8_lossy(&p.topic).into_owned();
            let Some(command) = topic.rsplit('/').next() else {
                continue;
            };
            let Some(n) = relay_of(command).filter(|n| *n <= relays.len()) else {
                continue;
            };
            let i = n - 1;
            let Some(on) = wanted(&p.payload, levels[i]) else {
                tracing::warn!(%topic, "A relay command that is not ON, OFF or TOGGLE.");
                continue;
            };
            match lines.drive(relays[i].line, on) {
                Ok(()) => levels[i] = on,
                Err(e) => {
                    tracing::warn!(relay = %relays[i].name, error = %e, "A relay cannot be switched.")
                }
            }
            let key = if n == 1 {
                "POWER".to_string()
            } else {
                format!("POWER{n}")
            };
            let word = if levels[i] { "ON" } else { "OFF" };
            let answers = [
                publish(
                    format!("stat/{TOPIC}/RESULT"),
                    json!({ key.clone(): word }).to_string(),
                    false,
                ),
                publish(format!("stat/{TOPIC}/{key}"), word, false),
            ];
            for packet in answers {
                if tx.send(packet).await.is_err() {
                    return;
                }
            }
        }
    });
}

/// `{"POWER1":"OFF","POWER2":"ON"}`: every relay, as Tasmota's `STATE` telemetry has it.
fn state(levels: &[bool]) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = levels
        .iter()
        .enumerate()
        .map(|(i, on)| {
            (
                format!("POWER{}", i + 1),
                json!(if *on { "ON" } else { "OFF" }),
            )
        })
        .collect();
    serde_json::Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_read_as_tasmota_reads_them() {
        assert_eq!(relay_of("POWER"), Some(1));
        assert_eq!(relay_of("Power2"), Some(2));
        assert_eq!(relay_of("POWER0"), None);
        assert_eq!(relay_of("Dimmer"), None);
        assert_eq!(wanted(b"ON", false), Some(true));
        assert_eq!(wanted(b"toggle", true), Some(false));
        assert_eq!(wanted(b"", true), Some(true));
        assert_eq!(wanted(b"\xff\xfe", true), None);
        assert_eq!(
            state(&[false, true]).to_string(),
            r#"{"POWER1":"OFF","POWER2":"ON"}"#
        );
    }
}
