//! MQTT-family devices seen from the broker: a Tasmota plug, a Zigbee2MQTT bridge with a
//! bulb and a Shelly Plus 1, each a real MQTT client (rumqttc) with its last will,
//! publishing what the real firmware publishes and answering commands as it does.

use std::net::SocketAddr;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub enum MqttDevice {
    /// Topic (`tasmota_XXXXXX`) and friendly name.
    Tasmota { topic: String, name: String },
    /// A bridge (prefix `zigbee2mqtt`) with one dimmable bulb of this friendly name.
    Zigbee2mqttBulb { name: String },
    /// Topic prefix (`shellyplus1-<mac>`).
    Shelly { prefix: String },
}

struct Message {
    topic: String,
    payload: String,
    retain: bool,
}

fn msg(topic: String, payload: impl Into<String>, retain: bool) -> Message {
    Message {
        topic,
        payload: payload.into(),
        retain,
    }
}

/// One device's behaviour, sans-IO: what it says on connecting, and its answers.
struct Behaviour {
    device: MqttDevice,
    on: bool,
    level: u8,
}

impl Behaviour {
    fn client_id(&self) -> String {
        match &self.device {
            MqttDevice::Tasmota { topic, .. } => format!("DVES_{topic}"),
            MqttDevice::Zigbee2mqttBulb { name } => format!("zigbee2mqtt_{name}"),
            MqttDevice::Shelly { prefix } => prefix.clone(),
        }
    }

    fn will(&self) -> LastWill {
        let (topic, payload) = match &self.device {
            MqttDevice::Tasmota { topic, .. } => {
                (format!("tele/{topic}/LWT"), "Offline".to_owned())
            }
            MqttDevice::Zigbee2mqttBulb { .. } => (
                "zigbee2mqtt/bridge/state".into(),
                json!({"state": "offline"}).to_string(),
            ),
            MqttDevice::Shelly { prefix } => (format!("{prefix}/online"), "false".to_owned()),
        };
        LastWill::new(topic, payload, QoS::AtLeastOnce, true)
    }

    fn subscription(&self) -> String {
        match &self.device {
            MqttDevice::Tasmota { topic, .. } => format!("cmnd/{topic}/+"),
            MqttDevice::Zigbee2mqttBulb { name } => format!("zigbee2mqtt/{name}/set"),
            MqttDevice::Shelly { prefix } => format!("{prefix}/rpc"),
        }
    }

    fn state(&self) -> Vec<Message> {
        let power = if self.on { "ON" } else { "OFF" };
        match &self.device {
            MqttDevice::Tasmota { topic, .. } => vec![
                msg(format!("stat/{topic}/RESULT"), json!({"POWER": power}).to_string(), false),
                msg(format!("stat/{topic}/POWER"), power, false),
            ],
            MqttDevice::Zigbee2mqttBulb { name } => vec![msg(
                format!("zigbee2mqtt/{name}"),
                json!({"state": power, "brightness": (f64::from(self.level) * 2.54).round() as u64, "linkquality": 110}).to_string(),
                true,
            )],
            MqttDevice::Shelly { prefix } => vec![msg(
                format!("{prefix}/events/rpc"),
                json!({"src": prefix, "dst": format!("{prefix}/events"), "method": "NotifyStatus",
                       "params": {"switch:0": {"id": 0, "output": self.on}}})
                .to_string(),
                false,
            )],
        }
    }

    fn hello(&self) -> Vec<Message> {
        let mut out = match &self.device {
            MqttDevice::Tasmota { topic, name } => vec![
                msg(format!("tele/{topic}/LWT"), "Online", true),
                msg(
                    format!("tasmota/discovery/{}/config", topic.trim_start_matches("tasmota_")),
                    json!({"dn": name, "fn": [name], "t": topic, "ft": "%prefix%/%topic%/",
                           "tp": ["cmnd", "stat", "tele"], "rl": [1, 0, 0, 0, 0, 0, 0, 0], "lt_st": 0,
                           "sw": "13.2.0", "md": "Sonoff Basic"})
                    .to_string(),
                    true,
                ),
            ],
            MqttDevice::Zigbee2mqttBulb { name } => vec![
                msg("zigbee2mqtt/bridge/state".into(), json!({"state": "online"}).to_string(), true),
                msg(
                    "zigbee2mqtt/bridge/devices".into(),
                    json!([
                        {"ieee_address": "0x00124b0000000001", "type": "Coordinator", "friendly_name": "Coordinator", "definition": null},
                        {"ieee_address": "0x0017880100000002", "type": "Router", "friendly_name": name, "supported": true,
                         "definition": {"model": "9290012573A", "vendor": "Philips", "exposes": [
                             {"type": "light", "features": [{"type": "binary", "name": "state", "property": "state"},
                                                            {"type": "numeric", "name": "brightness", "property": "brightness"}]}]}}
                    ])
                    .to_string(),
                    true,
                ),
            ],
            MqttDevice::Shelly { prefix } => vec![
                msg(format!("{prefix}/online"), "true", true),
                msg(format!("{prefix}/status/switch:0"), json!({"id": 0, "source": "init", "output": self.on}).to_string(), false),
            ],
        };
        if !matches!(self.device, MqttDevice::Shelly { .. }) {
            out.extend(self.state());
        }
        out
    }

    fn command(&mut self, topic: &str, payload: &[u8]) -> Vec<Message> {
        let text = String::from_utf8_lossy(payload);
        match &self.device {
            MqttDevice::Tasmota { .. } => {
                if topic.ends_with("/POWER") {
                    match text.trim() {
                        "ON" => self.on = true,
                        "OFF" => self.on = false,
                        "TOGGLE" => self.on = !self.on,
                        _ => {}
                    }
                }
                self.state()
            }
            MqttDevice::Zigbee2mqttBulb { .. } => {
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    return Vec::new();
                };
                match v["state"].as_str() {
                    Some("ON") => self.on = true,
                    Some("OFF") => self.on = false,
                    Some("TOGGLE") => self.on = !self.on,
                    _ => {}
                }
                if let Some(b) = v["brightness"].as_f64() {
                    self.level = (b / 2.54).round().clamp(0.0, 100.0) as u8;
                }
                self.state()
            }
            MqttDevice::Shelly { prefix } => {
                let Ok(req) = serde_json::from_str::<Value>(&text) else {
                    return Vec::new();
                };
                if req["method"] != "Switch.Set" {
                    return Vec::new();
                }
                let was_on = self.on;
                self.on = req["params"]["on"].as_bool().unwrap_or(self.on);
                let src = req["src"].as_str().unwrap_or("user").to_owned();
                let mut out = vec![msg(
                    format!("{src}/rpc"),
                    json!({"id": req["id"], "src": prefix, "dst": src, "result": {"was_on": was_on}}).to_string(),
                    false,
                )];
                out.extend(self.state());
                out
            }
        }
    }
}

/// The running devices; dropping this disconnects them (their wills tell the broker).
pub struct RunningMqtt {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for RunningMqtt {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Connects every device to the broker at `broker` with these credentials.
pub fn start(
    broker: SocketAddr,
    username: &str,
    password: &str,
    devices: Vec<MqttDevice>,
) -> RunningMqtt {
    let mut tasks = Vec::new();
    for device in devices {
        let mut b = Behaviour {
            device,
            on: false,
            level: 60,
        };
        let mut options = MqttOptions::new(b.client_id(), broker.ip().to_string(), broker.port());
        options.set_credentials(username, password);
        options.set_keep_alive(Duration::from_secs(30));
        options.set_last_will(b.will());
        let (client, mut events) = AsyncClient::new(options, 32);
        tasks.push(tokio::spawn(async move {
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = client.subscribe(b.subscription(), QoS::AtLeastOnce).await;
                        for m in b.hello() {
                            let _ = client
                                .publish(m.topic, QoS::AtLeastOnce, m.retain, m.payload)
                                .await;
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        for m in b.command(&p.topic, &p.payload) {
                            let _ = client
                                .publish(m.topic, QoS::AtLeastOnce, m.retain, m.payload)
                                .await;
                        }
                    }
                    Ok(_) => {}
                    // The broker went away: try again shortly, as the firmware does.
                    Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
                }
            }
        }));
    }
    RunningMqtt { tasks }
}
