//! The device registry in the real hub: the demo's emulated Tuya devices are discovered
//! and imported over the REST API, switched by REST and by MQTT, publish their state and
//! Home Assistant discovery on the embedded broker, and keep their keys sealed at rest.

use std::time::{Duration, Instant};

use e2e::devices::{post_json, wait_device};
use e2e::{Hub, LinePeer};
use serde_json::{json, Value};

/// MQTT credentials for a test client.
async fn mqtt_login(owner: &reqwest::Client, hub: &Hub) -> (String, String) {
    let made: Value = post_json(
        owner,
        &hub.url("/api/v1/admin/device-credentials"),
        &json!({ "username": "ha-test", "label": "Home Assistant" }),
    )
    .await;
    (
        "ha-test".into(),
        made["password"].as_str().unwrap().to_owned(),
    )
}

/// Messages seen so far on the test's MQTT client; retained ones arrive in any order.
struct Mqtt {
    peer: LinePeer,
    seen: Vec<Value>,
}

impl Mqtt {
    /// The first message (seen before or arriving now) on `topic` that satisfies `ok`;
    /// it is consumed.
    fn wait(&mut self, topic: &str, ok: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(|m| m["topic"] == topic && ok(m)) {
            return self.seen.remove(i);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let msg = self.peer.expect_by("msg ", deadline);
            let msg: Value = serde_json::from_str(&msg).unwrap();
            if msg["topic"] == topic && ok(&msg) {
                return msg;
            }
            self.seen.push(msg);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_devices_are_discovered_imported_and_driven_by_rest_and_mqtt() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let agent = hub.signed_in("agent").await.unwrap();

    // The demo's imported thermostat comes online on its own.
    let heat = wait_device(&owner, &hub, "bfdemo102thermostat01", |d| {
        d["online"] == true
    })
    .await;
    assert_eq!(heat["state"]["target_temperature"], 21.0);
    // So does the eWeLink plug (LAN mode, encrypted with its devicekey).
    let rail = wait_device(&owner, &hub, "1000d3m0a1", |d| d["online"] == true).await;
    let on: Value = owner
        .post(hub.url(&format!(
            "/api/v1/devices/{}/command",
            rail["id"].as_str().unwrap()
        )))
        .json(&json!({"on": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(on["state"]["on"], true, "{on}");

    let found: Vec<Value> = post_json(
        &owner,
        &hub.url("/api/v1/admin/devices/discover"),
        &json!({"brand": "tuya"}),
    )
    .await;
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found.iter().all(|f| f["has_key"] == true));
    // The two-gang switch, named and classed by the model its grant carries.
    let corridor = found
        .iter()
        .find(|f| f["native_id"] == "bfdemocorridor2gang01")
        .unwrap();
    assert_eq!(
        (
            &corridor["settings"]["label"],
            &corridor["settings"]["kind"]
        ),
        (&json!("Corridor lights"), &json!("switch"))
    );
    let lamp = found
        .iter()
        .find(|f| f["native_id"] == "bfdemolobbylamp000001")
        .unwrap();
    assert_eq!(lamp["imported"], false);
    assert_eq!(lamp["settings"]["version"], "3.3");

    let imported: Vec<Value> = post_json(&owner, &hub.url("/api/v1/admin/devices/import"), &json!({"brand": "tuya", "items": [{
            "native_id": lamp["native_id"], "address": lamp["address"], "settings": lamp["settings"],
            "kind": "light", "name": "Lobby lamp"}]})).await;
    let id = imported[0]["id"].as_str().unwrap().to_owned();
    wait_device(&owner, &hub, "bfdemolobbylamp000001", |d| {
        d["online"] == true
    })
    .await;

    // An agent may switch devices but not add them.
    let switched: Value = post_json(
        &agent,
        &hub.url(&format!("/api/v1/devices/{id}/command")),
        &json!({"on": true, "brightness": 30}),
    )
    .await;
    assert_eq!(switched["state"]["on"], true, "{switched}");
    assert_eq!(switched["state"]["brightness"], 30, "{switched}");
    let refused = agent
        .post(hub.url("/api/v1/admin/devices"))
        .json(&json!({"brand": "tuya", "kind": "switch", "name": "x", "native_id": "y", "address": "127.0.0.1", "settings": {"version": "3.3"}, "secret": "0123456789abcdef"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let bad = owner
        .post(hub.url(&format!("/api/v1/devices/{id}/command")))
        .json(&json!({"target_temperature": 21}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400, "a lamp has no thermostat");

    // MQTT: retained state and Home Assistant discovery are there for a newcomer, and a
    // command on the set topic switches the lamp.
    let (user, password) = mqtt_login(&owner, &hub).await;
    let port = hub.mqtt.unwrap().port().to_string();
    let state_topic = format!("hub/devices/{id}/state");
    let mut mqtt = Mqtt {
        peer: LinePeer::python(
            "mqtt_line.py",
            &[&port, &user, &password, "hub/devices/#", "homeassistant/#"],
        )
        .unwrap(),
        seen: Vec::new(),
    };
    let config = mqtt.wait(&format!("homeassistant/light/{id}/main/config"), |_| true);
    let config: Value = serde_json::from_str(config["payload"].as_str().unwrap()).unwrap();
    assert_eq!(config["command_topic"], format!("hub/devices/{id}/set"));
    assert_eq!(config["brightness_scale"], 100);
    mqtt.wait(&format!("hub/devices/{id}/availability"), |m| {
        m["payload"] == "online"
    });
    mqtt.wait(&state_topic, |m| {
        m["payload"].as_str().unwrap().contains(r#""on":true"#)
    });

    mqtt.peer.say(&format!("pub hub/devices/{id}/set OFF"));
    mqtt.wait(&state_topic, |m| {
        m["payload"].as_str().unwrap().contains(r#""on":false"#)
    });
    wait_device(&owner, &hub, "bfdemolobbylamp000001", |d| {
        d["state"]["on"] == false
    })
    .await;

    // Deleting removes the Home Assistant entity (an empty retained config).
    let deleted = owner
        .delete(hub.url(&format!("/api/v1/admin/devices/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    mqtt.wait(&format!("homeassistant/light/{id}/main/config"), |m| {
        m["payload"] == ""
    });

    // The miIO lamp: discovered by hello, imported with the token from the grant.
    let found: Vec<Value> = post_json(
        &owner,
        &hub.url("/api/v1/admin/devices/discover"),
        &json!({"brand": "miio"}),
    )
    .await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["native_id"], "318001");
    let imported: Vec<Value> = post_json(&owner, &hub.url("/api/v1/admin/devices/import"), &json!({"brand": "miio", "items": [{
            "native_id": "318001", "address": found[0]["address"], "kind": "light", "name": "Breakfast lamp"}]})).await;
    let lamp_id = imported[0]["id"].as_str().unwrap().to_owned();
    wait_device(&owner, &hub, "318001", |d| d["online"] == true).await;
    let lit: Value = post_json(
        &owner,
        &hub.url(&format!("/api/v1/devices/{lamp_id}/command")),
        &json!({"on": true, "brightness": 75}),
    )
    .await;
    assert_eq!(lit["state"]["on"], true, "{lit}");
    assert_eq!(lit["state"]["brightness"], 75, "{lit}");

    // The demo's MQTT devices (Tasmota, Zigbee2MQTT, Shelly clients of the broker) joined
    // by themselves and obey.
    for native in ["tasmota_D3A101", "terrace_bulb", "shellyplus1-d3a0c0ffee01"] {
        let d = wait_device(&owner, &hub, native, |d| d["online"] == true).await;
        let on: Value = post_json(
            &owner,
            &hub.url(&format!(
                "/api/v1/devices/{}/command",
                d["id"].as_str().unwrap()
            )),
            &json!({"on": true}),
        )
        .await;
        assert_eq!(on["state"]["on"], true, "{native}: {on}");
    }

    // The demo's SmartThings account (served on loopback): imported and dimmed.
    let found: Vec<Value> = post_json(
        &owner,
        &hub.url("/api/v1/admin/devices/discover"),
        &json!({"brand": "smartthings"}),
    )
    .await;
    let garden = found
        .iter()
        .find(|f| f["settings"]["label"] == "Garden lights")
        .expect("the demo account's lights");
    let imported: Vec<Value> = post_json(
        &owner,
        &hub.url("/api/v1/admin/devices/import"),
        &json!({"brand": "smartthings", "items": [{"native_id": garden["native_id"], "address": "",
                "settings": garden["settings"], "kind": "dimmer", "name": "Garden lights"}]}),
    )
    .await;
    let garden_id = imported[0]["id"].as_str().unwrap().to_owned();
    wait_device(&owner, &hub, garden["native_id"].as_str().unwrap(), |d| {
        d["online"] == true
    })
    .await;
    let dimmed: Value = post_json(
        &owner,
        &hub.url(&format!("/api/v1/devices/{garden_id}/command")),
        &json!({"on": true, "brightness": 35}),
    )
    .await;
    assert_eq!(dimmed["state"]["brightness"], 35, "{dimmed}");

    // Keys are sealed at rest: the database holds no local key in the clear.
    let db = std::fs::read(hub.data.join("hub.db")).unwrap();
    let wal = std::fs::read(hub.data.join("hub.db-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        assert!(
            !bytes.windows(16).any(|w| w == b"demokey102thermo"),
            "a key in the clear"
        );
    }
}

/// Home Assistant's own MQTT integration (the `homeassistant` package) validates the
/// discovery payload of every kind of device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn home_assistant_accepts_the_discovery_payload_of_every_kind() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    // One device of each kind (their addresses lead nowhere: discovery does not care).
    let mut ids = Vec::new();
    for (i, kind) in [
        "switch",
        "light",
        "dimmer",
        "thermostat",
        "water_heater",
        "lock",
        "sensor",
    ]
    .iter()
    .enumerate()
    {
        let made: Value = post_json(
            &owner,
            &hub.url("/api/v1/admin/devices"),
            &json!({"brand": "tuya", "kind": kind, "name": format!("A {kind}"), "native_id": format!("bfkind{i}"),
                    "address": "127.0.0.1:9", "settings": {"version": "3.3"}, "secret": "0123456789abcdef"}),
        )
        .await;
        ids.push(made["id"].as_str().unwrap().to_owned());
    }
    let (user, password) = mqtt_login(&owner, &hub).await;
    let port = hub.mqtt.unwrap().port().to_string();
    let mut mqtt = Mqtt {
        peer: LinePeer::python(
            "mqtt_line.py",
            &[&port, &user, &password, "homeassistant/+/+/+/config"],
        )
        .unwrap(),
        seen: Vec::new(),
    };
    // Every config there is (the demo's devices too), until each kind's device has its
    // own; a sensor has two entities.
    let mut configs: Vec<Value> = Vec::new();
    let entities_of_ours = |configs: &[Value]| {
        configs
            .iter()
            .filter(|c| {
                ids.iter()
                    .any(|id| c["topic"].as_str().unwrap().contains(id.as_str()))
            })
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while entities_of_ours(&configs) < 8 {
        configs.push(serde_json::from_str(&mqtt.peer.expect_by("msg ", deadline)).unwrap());
    }
    mqtt.seen.clear();
    // Field case ha-11: since Home Assistant 2025.10 the entity is named by
    // `default_entity_id`, "<component>.<object>"; `object_id` stays for older releases.
    for c in &configs {
        let topic = c["topic"].as_str().unwrap();
        let payload: Value = serde_json::from_str(c["payload"].as_str().unwrap()).unwrap();
        let component = topic.split('/').nth(1).unwrap();
        assert_eq!(
            payload["default_entity_id"],
            format!("{component}.{}", payload["object_id"].as_str().unwrap()),
            "{topic}"
        );
    }
    // The release people run now and the older one both accept every payload.
    for python in [e2e::ha_python(), e2e::ha_current_python()] {
        let components = ha_accepts(&python, &configs);
        assert_eq!(
            components.into_iter().collect::<Vec<_>>(),
            ["climate", "light", "lock", "sensor", "switch"],
            "{}",
            python.display()
        );
    }
}

/// Runs Home Assistant's own discovery validation (`tests/peers/ha_validate.py`) under
/// `python` over `configs`; every one must be valid. Returns the components seen.
fn ha_accepts(python: &std::path::Path, configs: &[Value]) -> std::collections::BTreeSet<String> {
    let mut validator = LinePeer::start(
        python,
        &[e2e::workspace()
            .join("tests/peers/ha_validate.py")
            .to_str()
            .unwrap()],
    )
    .unwrap();
    for c in configs {
        validator.say(&json!({"topic": c["topic"], "payload": c["payload"]}).to_string());
    }
    validator.close_stdin();
    let mut components = std::collections::BTreeSet::new();
    // Home Assistant takes a while to import, then answers each config at once.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let line = validator.expect_by("", deadline);
        if line == "done" {
            break;
        }
        assert!(
            line.starts_with("valid "),
            "Home Assistant ({}) refuses: {line}",
            python.display()
        );
        components.insert(line.split('/').nth(1).unwrap_or_default().to_owned());
    }
    components
}
