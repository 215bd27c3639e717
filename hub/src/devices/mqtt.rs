//! The device world on the embedded broker: every device's uniform state (retained) on
//! `hub/devices/<id>/state` and `…/availability`, commands taken on `hub/devices/<id>/set`,
//! and Home Assistant MQTT discovery (`homeassistant/<component>/<id>/<object>/config`),
//! sent again whenever Home Assistant announces itself on `homeassistant/status`.

use std::collections::HashMap;

use device_drivers::mqtt::Family;
use device_drivers::{Command, Kind};
use rumqttd::local::{LinkRx, LinkTx};
use rumqttd::protocol::{Filter, Packet, Publish, QoS, RetainForwardRule, Subscribe};
use rumqttd::Notification;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};

use super::{DeviceEvent, DeviceView, Devices};
use crate::bookings::Bookings;

pub const DISCOVERY_PREFIX: &str = "homeassistant";

pub fn state_topic(id: &str) -> String {
    format!("hub/devices/{id}/state")
}

pub fn availability_topic(id: &str) -> String {
    format!("hub/devices/{id}/availability")
}

pub fn set_topic(id: &str) -> String {
    format!("hub/devices/{id}/set")
}

/// Home Assistant entities for one device: `(component, object, config)`.
pub fn discovery(
    view: &DeviceView,
    area: Option<&str>,
) -> Vec<(&'static str, &'static str, Value)> {
    let id = &view.row.id;
    let state = state_topic(id);
    let set = set_topic(id);
    let mut device = json!({
        "identifiers": [format!("hotelhub_{id}")],
        "name": view.row.name,
        "manufacturer": view.row.brand,
        "model": view.row.kind.as_str(),
    });
    if let Some(area) = area {
        device["suggested_area"] = json!(area);
    }
    // `default_entity_id` names the entity since Home Assistant 2025.10, which deprecated
    // `object_id` (ignored from 2026.4); `object_id` stays for older releases.
    let base = |component: &str, object: &str, name: Option<&str>| {
        json!({
            "unique_id": format!("hotelhub_{id}_{object}"),
            "object_id": format!("hotelhub_{id}_{object}"),
            "default_entity_id": format!("{component}.hotelhub_{id}_{object}"),
            "name": name,
            "availability_topic": availability_topic(id),
            "payload_available": "online",
            "payload_not_available": "offline",
            "device": device,
            "origin": {"name": "Hotel Hub", "sw_version": env!("CARGO_PKG_VERSION")},
        })
    };
    let merge = |mut a: Value, b: Value| {
        if let (Some(a), Some(b)) = (a.as_object_mut(), b.as_object()) {
            for (k, v) in b {
                a.insert(k.clone(), v.clone());
            }
        }
        a
    };
    let on_template = "{{ 'ON' if value_json.on else 'OFF' }}";
    match view.row.kind {
        Kind::Switch => vec![(
            "switch",
            "main",
            merge(
                base("switch", "main", None),
                json!({"state_topic": state, "value_template": on_template,
                       "command_topic": set, "payload_on": "ON", "payload_off": "OFF"}),
            ),
        )],
        Kind::Light | Kind::Dimmer => vec![(
            "light",
            "main",
            merge(
                base("light", "main", None),
                json!({"state_topic": state, "state_value_template": on_template,
                       "command_topic": set, "payload_on": "ON", "payload_off": "OFF",
                       "brightness_state_topic": state,
                       "brightness_value_template": "{{ value_json.brightness | default(0) }}",
                       "brightness_command_topic": set,
                       "brightness_command_template": "{\"brightness\": {{ value }}}",
                       "brightness_scale": 100}),
            ),
        )],
        kind @ (Kind::Thermostat | Kind::WaterHeater) => {
            let (min, max) = if kind == Kind::WaterHeater {
                (30, 75)
            } else {
                (5, 35)
            };
            vec![(
                "climate",
                "main",
                merge(
                    base("climate", "main", None),
                    json!({"modes": ["off", "heat"],
                           "mode_state_topic": state,
                           "mode_state_template": "{{ 'heat' if value_json.on else 'off' }}",
                           "mode_command_topic": set,
                           "mode_command_template": "{\"on\": {{ 'true' if value == 'heat' else 'false' }}}",
                           "temperature_state_topic": state,
                           "temperature_state_template": "{{ value_json.target_temperature }}",
                           "temperature_command_topic": set,
                           "temperature_command_template": "{\"target_temperature\": {{ value }}}",
                           "current_temperature_topic": state,
                           "current_temperature_template": "{{ value_json.current_temperature }}",
                           "min_temp": min, "max_temp": max, "temp_step": 0.5,
                           "temperature_unit": "C"}),
                ),
            )]
        }
        Kind::Lock => vec![(
            "lock",
            "main",
            merge(
                base("lock", "main", None),
                json!({"state_topic": state,
                       "value_template": "{{ 'LOCKED' if value_json.locked else 'UNLOCKED' }}",
                       "command_topic": set, "payload_lock": "LOCK", "payload_unlock": "UNLOCK",
                       "state_locked": "LOCKED", "state_unlocked": "UNLOCKED"}),
            ),
        )],
        Kind::Sensor => vec![
            (
                "sensor",
                "temperature",
                merge(
                    base("sensor", "temperature", Some("Temperature")),
                    json!({"state_topic": state, "device_class": "temperature",
                           "unit_of_measurement": "°C", "state_class": "measurement",
                           "value_template": "{{ value_json.current_temperature }}"}),
                ),
            ),
            (
                "sensor",
                "humidity",
                merge(
                    base("sensor", "humidity", Some("Humidity")),
                    json!({"state_topic": state, "device_class": "humidity",
                           "unit_of_measurement": "%", "state_class": "measurement",
                           "value_template": "{{ value_json.humidity }}"}),
                ),
            ),
        ],
    }
}

fn discovery_topic(component: &str, id: &str, object: &str) -> String {
    format!("{DISCOVERY_PREFIX}/{component}/{id}/{object}/config")
}

/// Every component/object pair a device may have used, for removal.
const ALL_ENTITIES: [(&str, &str); 7] = [
    ("switch", "main"),
    ("light", "main"),
    ("climate", "main"),
    ("lock", "main"),
    ("sensor", "temperature"),
    ("sensor", "humidity"),
    ("sensor", "power"),
];

struct Publisher {
    tx: LinkTx,
    /// The units' names, for Home Assistant's suggested area.
    bookings: Bookings,
    /// What each device's discovery config was last made from (name, kind, room):
    /// Home Assistant hears it again only when that changes, not with every state.
    announced: HashMap<String, (String, Kind, Option<i64>)>,
}

impl Publisher {
    async fn publish(&mut self, topic: String, payload: Vec<u8>, retain: bool) {
        let packet = Packet::Publish(Publish::new(topic.into_bytes(), payload, retain), None);
        if let Err(e) = self.tx.send(packet).await {
            tracing::warn!(error = %e, "The hub's broker link refused a publish.");
        }
    }

    /// State and availability always; the discovery config when it is new, changed, or
    /// `rediscover` (Home Assistant came back, or events were missed).
    async fn device(&mut self, _devices: &Devices, view: &DeviceView, rediscover: bool) {
        let id = &view.row.id;
        let meta = (view.row.name.clone(), view.row.kind, view.row.room_id);
        if rediscover || self.announced.get(id) != Some(&meta) {
            let area = match view.row.room_id {
                Some(room) => area_names(&self.bookings).await.remove(&room),
                None => None,
            };
            for (component, object, config) in discovery(view, area.as_deref()) {
                self.publish(
                    discovery_topic(component, id, object),
                    config.to_string().into_bytes(),
                    true,
                )
                .await;
            }
            self.announced.insert(id.clone(), meta);
        }
        self.publish(
            availability_topic(id),
            if view.online { "online" } else { "offline" }.into(),
            true,
        )
        .await;
        self.publish(
            state_topic(id),
            view.row.state.to_string().into_bytes(),
            true,
        )
        .await;
    }

    async fn removed(&mut self, id: &str) {
        self.announced.remove(id);
        for (component, object) in ALL_ENTITIES {
            self.publish(discovery_topic(component, id, object), Vec::new(), true)
                .await;
        }
        self.publish(state_topic(id), Vec::new(), true).await;
        self.publish(availability_topic(id), Vec::new(), true).await;
    }
}

async fn area_names(bookings: &Bookings) -> HashMap<i64, String> {
    bookings
        .rooms()
        .await
        .map(|rooms| rooms.into_iter().map(|r| (r.id, r.name)).collect())
        .unwrap_or_default()
}

async fn publish_all(devices: &Devices, publisher: &mut Publisher) {
    match devices.list().await {
        Ok(views) => {
            for view in views {
                publisher.device(devices, &view, true).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "Cannot list devices for MQTT."),
    }
}

/// Runs the device side of the hub's broker link until the process ends.
pub fn spawn(devices: Devices, bookings: Bookings, mut tx: LinkTx, mut rx: LinkRx) {
    let mut events = devices.subscribe();
    let mut filters = vec![
        "hub/devices/+/set".to_owned(),
        format!("{DISCOVERY_PREFIX}/status"),
    ];
    for family in Family::ALL {
        filters.extend(family.subscriptions().iter().map(|f| f.to_string()));
    }
    // Retained messages too: a device that announced itself (LWT, bridge/devices) before
    // these subscriptions reached the router must still be heard.
    let subscribe = Packet::Subscribe(
        Subscribe {
            pkid: 1,
            filters: filters
                .into_iter()
                .map(|path| Filter {
                    path,
                    qos: QoS::AtMostOnce,
                    nolocal: true,
                    preserve_retain: false,
                    retain_forward_rule: RetainForwardRule::OnEverySubscribe,
                })
                .collect(),
        },
        None,
    );
    // rumqttd's receiving half is awaited on its own task and handed over a channel.
    let (in_tx, mut incoming) = mpsc::channel::<Publish>(256);
    tokio::spawn(async move {
        loop {
            match rx.next().await {
                Ok(Some(Notification::Forward(forward))) => {
                    if in_tx.send(forward.publish).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "The hub's broker link closed.");
                    return;
                }
            }
        }
    });
    let mut outgoing = devices.take_mqtt_outgoing();
    tokio::spawn(async move {
        if let Err(e) = tx.send(subscribe).await {
            tracing::warn!(error = %e, "Cannot subscribe on the hub's broker link.");
        }
        let mut publisher = Publisher {
            tx,
            bookings,
            announced: HashMap::new(),
        };
        publish_all(&devices, &mut publisher).await;
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(DeviceEvent::Changed(view)) => publisher.device(&devices, &view, false).await,
                    Ok(DeviceEvent::Removed(id)) => publisher.removed(&id).await,
                    Err(broadcast::error::RecvError::Lagged(_)) => publish_all(&devices, &mut publisher).await,
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                publish = incoming.recv() => {
                    let Some(publish) = publish else { return };
                    handle_incoming(&devices, &mut publisher, publish).await;
                }
                out = async { match outgoing.as_mut() { Some(rx) => rx.recv().await, None => std::future::pending().await } } => {
                    let Some(out) = out else { return };
                    publisher.publish(out.topic, out.payload, out.retain).await;
                }
            }
        }
    });
}

async fn handle_incoming(devices: &Devices, publisher: &mut Publisher, publish: Publish) {
    let topic = String::from_utf8_lossy(&publish.topic).into_owned();
    if topic == format!("{DISCOVERY_PREFIX}/status") {
        if publish.payload.as_ref() == b"online" {
            publish_all(devices, publisher).await;
        }
        return;
    }
    let Some(id) = topic
        .strip_prefix("hub/devices/")
        .and_then(|rest| rest.strip_suffix("/set"))
    else {
        for family in Family::ALL {
            for event in family.decode(&topic, &publish.payload) {
                devices.mqtt_event(family, event).await;
            }
        }
        return;
    };
    match Command::parse_set(&publish.payload) {
        Ok(commands) => {
            let (devices, id) = (devices.clone(), id.to_owned());
            // A slow device must not hold up the link for every other one.
            tokio::spawn(async move {
                if let Err(e) = devices.command(&id, &commands).await {
                    tracing::warn!(device = %id, error = %e, "A command from MQTT failed.");
                }
            });
        }
        Err(e) => tracing::warn!(topic, error = %e, "An MQTT command was refused."),
    }
}
