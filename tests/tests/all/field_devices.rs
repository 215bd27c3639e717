//! Field cases for devices (`tests/field-cases/`, copied from `../shared/field-cases/`):
//! what real Zigbee2MQTT, Tasmota and Shelly devices send, each asserting the value the
//! field cases' README expects.

use std::time::Duration;

use e2e::devices::post_json;
use e2e::{eventually, Hub, LinePeer};
use serde_json::{json, Value};

fn case(name: &str) -> String {
    e2e::workspace()
        .join("tests/field-cases")
        .join(name)
        .to_str()
        .expect("a UTF-8 path")
        .to_owned()
}

/// A broker sign-in for a device, made as an admin does; `(port, user, password)`.
async fn credential(hub: &Hub, owner: &reqwest::Client, user: &str) -> (String, String, String) {
    let made: Value = post_json(
        owner,
        &hub.url("/api/v1/admin/device-credentials"),
        &json!({ "username": user, "label": "field case" }),
    )
    .await;
    let port = hub.mqtt.expect("the broker is on").port().to_string();
    let password = made["password"].as_str().expect("a password").to_owned();
    (port, user.to_owned(), password)
}

/// z2m-06: the retained `bridge/devices` of a small hotel (96 KB, above the old 64 KiB
/// limit): the bridge stays connected and its 32 devices join.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_hotels_zigbee_network_joins_and_its_bridge_stays_connected() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let (port, user, password) = credential(&hub, &owner, "zigbee2mqtt").await;
    let file = case("z2m-06-bridge-devices-32-devices.json");
    assert!(
        std::fs::metadata(&file).unwrap().len() > 64 * 1024,
        "the case is above 64 KiB"
    );
    let listed: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let names: Vec<String> = listed
        .iter()
        .filter(|d| d["type"] != "Coordinator")
        .filter_map(|d| d["friendly_name"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(names.len(), 32);
    let bridge = LinePeer::python("z2m_bridge.py", &[&port, &user, &password, &file]).unwrap();
    bridge.expect("published");
    let joined = eventually(
        "32 Zigbee devices joining",
        Duration::from_secs(20),
        async || {
            let list: Vec<Value> = owner
                .get(hub.url("/api/v1/devices"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let zigbee = list
                .iter()
                .filter(|d| d["brand"] == "zigbee2mqtt")
                .filter(|d| names.iter().any(|n| d["native_id"] == n.as_str()))
                .count();
            (zigbee >= 32).then_some(zigbee)
        },
    )
    .await;
    assert_eq!(joined, 32);
    assert_eq!(
        bridge.said_within("disconnected", Duration::from_secs(3)),
        None,
        "the broker dropped the bridge"
    );
}

/// tasmota-09: a Tasmota 9.3 dimmer's messages on connect (its LWT before its discovery
/// config): kind dimmer, named "Huzzah 1", brightness 7 %, whatever order they arrive in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tasmota_dimmer_is_a_dimmer_whatever_arrives_first() {
    let file = case("tasmota-09-dimmer.mqtt.txt");
    // As sent (LWT first), state before the config, and the config last of all.
    for order in ["file", "0,3,2,1", "3,0,2,1"] {
        let hub = Hub::start_demo().unwrap();
        let owner = hub.signed_in("owner").await.unwrap();
        let (port, user, password) = credential(&hub, &owner, "huzzah").await;
        let peer =
            LinePeer::python("mqtt_replay.py", &[&port, &user, &password, &file, order]).unwrap();
        peer.expect("published");
        let d = e2e::devices::wait_device(&owner, &hub, "huzzah_1", |d| {
            d["kind"] == "dimmer" && d["state"]["brightness"] == 7
        })
        .await;
        assert_eq!(d["name"], "Huzzah 1", "order {order}: {d}");
        assert_eq!(d["state"]["on"], true, "order {order}: {d}");
    }
}

/// z2m-07: a radiator valve whose exposes list a child lock and an "away mode" switch
/// before its climate block: kind thermostat, target 21.5 °C and room 19.5 °C read from
/// `current_heating_setpoint` and `local_temperature`; a new target publishes
/// `current_heating_setpoint` and is confirmed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_radiator_valve_is_a_thermostat_set_by_its_own_property() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let (port, user, password) = credential(&hub, &owner, "zigbee2mqtt").await;
    let devices = case("z2m-07-trv-immax-07703l.bridge-devices.json");
    let state = case("z2m-07-trv-immax-07703l.state.json");
    let bridge = LinePeer::python(
        "z2m_bridge.py",
        &[&port, &user, &password, &devices, &state],
    )
    .unwrap();
    bridge.expect("published");
    let trv = e2e::devices::wait_device(&owner, &hub, "Room 102 radiator", |d| {
        d["state"]["target_temperature"].is_number()
    })
    .await;
    assert_eq!(trv["kind"], "thermostat", "{trv}");
    assert_eq!(
        (
            trv["state"]["target_temperature"].as_f64(),
            trv["state"]["current_temperature"].as_f64()
        ),
        (Some(21.5), Some(19.5)),
        "{trv}"
    );
    let set: Value = post_json(
        &owner,
        &hub.url(&format!(
            "/api/v1/devices/{}/command",
            trv["id"].as_str().unwrap()
        )),
        &json!({"target_temperature": 22.5}),
    )
    .await;
    assert_eq!(set["state"]["target_temperature"], 22.5, "confirmed: {set}");
    let got = bridge.expect("got");
    assert_eq!(
        got,
        r#"zigbee2mqtt/Room 102 radiator/set {"current_heating_setpoint":22.5}"#
    );
}

/// athombv/com.tuya#192: a Tuya thermostat that reports tenths of a degree (`temp_set` 50,
/// `temp_current` 201) reads 5.0 and 20.1 °C by the scales its data-point model declares,
/// given as tinytuya's devices.json; a new target is written in tenths too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tuya_thermostat_in_tenths_reads_by_its_declared_scale() {
    use device_drivers::emulator::tuya::{self, TuyaDevice};
    use device_drivers::tuya::{crypto, Version};
    let w = e2e::world::World::new(e2e::world::athens(2026, 11, 29, 9, 0)).await;
    let (native, key) = ("bfscaledthermostat01", "0123456789abcdef");
    let device = TuyaDevice::new(
        native,
        crypto::parse_local_key(key).unwrap(),
        Version::V33,
        serde_json::from_value(json!({"1": true, "2": 50, "3": 201})).unwrap(),
    );
    let running = tuya::start(device).await.unwrap();
    let devices_json = json!([{
        "id": native, "key": key, "name": "Room 101 thermostat", "category": "wk",
        "mapping": {
            "1": {"code": "switch", "type": "Boolean", "values": {}},
            "2": {"code": "temp_set", "type": "Integer",
                  "values": {"unit": "℃", "min": 50, "max": 350, "scale": 1, "step": 5}},
            "3": {"code": "temp_current", "type": "Integer",
                  "values": {"unit": "℃", "min": -200, "max": 1000, "scale": 1, "step": 1}}
        }
    }]);
    let (status, answer) = w
        .try_call("PUT", "/admin/device-grants/tuya", &devices_json)
        .await;
    assert_eq!(status, 204, "{answer}");
    let item = json!({"brand": "tuya", "items": [{
        "native_id": native, "address": running.addr.to_string(),
        "settings": {"version": "3.3"}, "kind": "thermostat", "name": "Room 101 thermostat"}]});
    let added = w.call("POST", "/admin/devices/import", &item).await;
    let id = added[0]["id"].as_str().unwrap().to_owned();
    let state = eventually("the thermostat read", Duration::from_secs(20), async || {
        let list = w.get("/devices").await;
        let d = list
            .as_array()?
            .iter()
            .find(|d| d["id"] == id.as_str())?
            .clone();
        d["state"]["current_temperature"]
            .is_number()
            .then_some(d["state"].clone())
    })
    .await;
    assert_eq!(
        (
            state["target_temperature"].as_f64(),
            state["current_temperature"].as_f64()
        ),
        (Some(5.0), Some(20.1)),
        "{state}"
    );
    w.call(
        "POST",
        &format!("/devices/{id}/command"),
        &json!({"target_temperature": 21.5}),
    )
    .await;
    assert_eq!(running.dps().get("2"), Some(&json!(215)));
}

/// A two-gang Tuya wall switch (category "kg": `switch_1` and `switch_2` on points 1 and 2,
/// with their countdowns) given as tinytuya's devices.json joins as two switches, each with
/// its own state and commands, over the device's one connection (a second would rob the
/// first of it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_gang_tuya_switch_is_two_switches_over_one_connection() {
    use device_drivers::emulator::tuya::{self, TuyaDevice};
    use device_drivers::tuya::{crypto, Version};
    let w = e2e::world::World::new(e2e::world::athens(2026, 11, 29, 9, 0)).await;
    let (native, key) = ("bf2gangcorridor00001", "0123456789abcdef");
    let running = tuya::start(TuyaDevice::new(
        native,
        crypto::parse_local_key(key).unwrap(),
        Version::V34,
        serde_json::from_value(json!({"1": false, "2": true, "7": 0, "8": 0})).unwrap(),
    ))
    .await
    .unwrap();
    let devices_json = json!([{
        "id": native, "key": key, "name": "Corridor lights", "category": "kg",
        "mapping": {
            "1": {"code": "switch_1", "type": "Boolean", "values": {}},
            "2": {"code": "switch_2", "type": "Boolean", "values": {}},
            "7": {"code": "countdown_1", "type": "Integer",
                  "values": {"unit": "s", "min": 0, "max": 86400, "scale": 0, "step": 1}},
            "8": {"code": "countdown_2", "type": "Integer",
                  "values": {"unit": "s", "min": 0, "max": 86400, "scale": 0, "step": 1}}
        }
    }]);
    let (status, answer) = w
        .try_call("PUT", "/admin/device-grants/tuya", &devices_json)
        .await;
    assert_eq!(status, 204, "{answer}");
    let item = json!({"brand": "tuya", "items": [{
        "native_id": native, "address": running.addr.to_string(),
        "settings": {"version": "3.4"}, "kind": "switch", "name": "Corridor lights"}]});
    let added = w.call("POST", "/admin/devices/import", &item).await;
    let names: Vec<&str> = added
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Corridor lights channel 1", "Corridor lights channel 2"],
        "{added}"
    );
    let (first, second) = (
        added[0]["id"].as_str().unwrap().to_owned(),
        added[1]["id"].as_str().unwrap().to_owned(),
    );
    let states = async |want: [bool; 2]| {
        let w = &w;
        eventually("both gangs read", Duration::from_secs(20), async || {
            let list = w.get("/devices").await;
            let on = |id: &str| {
                let d = list.as_array()?.iter().find(|d| d["id"] == id)?;
                (d["online"] == true).then(|| d["state"]["on"].as_bool())?
            };
            (on(&first)? == want[0] && on(&second)? == want[1]).then_some(())
        })
        .await
    };
    states([false, true]).await;

    let command = |id: &str| format!("/devices/{id}/command");
    let answer = w
        .call("POST", &command(&second), &json!({"on": false}))
        .await;
    assert_eq!(answer["state"]["on"], false, "confirmed: {answer}");
    assert_eq!(
        (running.dps().get("1"), running.dps().get("2")),
        (Some(&json!(false)), Some(&json!(false))),
        "only gang 2 moved"
    );
    let answer = w.call("POST", &command(&first), &json!({"on": true})).await;
    assert_eq!(answer["state"]["on"], true, "confirmed: {answer}");
    assert_eq!(running.dps().get("1"), Some(&json!(true)));
    states([true, false]).await;

    // Someone presses gang 2 on the wall: only that switch follows.
    running.press(serde_json::from_value(json!({"2": true})).unwrap());
    states([true, true]).await;
    assert_eq!(running.connections(), 1, "one connection serves both gangs");
}

/// When the broker does refuse a client, the admin is told which and why: a bridge whose
/// message is over a (here lowered) size limit, and a client with a wrong password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_sees_which_client_the_broker_refused_and_why() {
    let hub = Hub::start(e2e::HubOptions {
        env: vec![("HUB_BROKER__MAX_PAYLOAD_BYTES".into(), "65536".into())],
        ..e2e::HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let (port, user, password) = credential(&hub, &owner, "zigbee2mqtt").await;
    let file = case("z2m-06-bridge-devices-32-devices.json");
    let bridge = LinePeer::python("z2m_bridge.py", &[&port, &user, &password, &file]).unwrap();
    assert!(
        bridge
            .said_within("disconnected", Duration::from_secs(10))
            .is_some(),
        "a 96 KB message over a 64 KiB limit is refused"
    );
    let wrong = std::process::Command::new("mosquitto_pub")
        .args(["-h", "127.0.0.1", "-p", &port, "-i", "guessing-client"])
        .args([
            "-u",
            "zigbee2mqtt",
            "-P",
            "not-the-password",
            "-t",
            "x",
            "-m",
            "y",
        ])
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let refused = eventually(
        "both refusals listed",
        Duration::from_secs(10),
        async || {
            let status: Value = match owner.get(hub.url("/api/v1/admin/broker")).send().await {
                Ok(r) => r.json().await.unwrap_or_default(),
                Err(e) => return Err(e.to_string()),
            };
            let list = status["refused"].as_array().cloned().unwrap_or_default();
            let said = |client: &str, why: &str| {
                list.iter().any(|r| {
                    r["client_id"] == client
                        && r["reason"].as_str().is_some_and(|s| s.contains(why))
                })
            };
            if said("zigbee2mqtt-bridge", "size limit")
                && said("guessing-client", "wrong username or password")
            {
                Ok(list)
            } else {
                Err(status.to_string())
            }
        },
    )
    .await;
    assert!(refused.len() >= 2, "{refused:?}");
}

/// shelly-10: a Shelly Plus 2PM with channel 0 off and channel 1 on at 61.2 W, then
/// channel 1 switched off at its button: two devices, each with its own state and power
/// reading, and each command a `Switch.Set` naming its own channel's `id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_channel_shelly_is_two_devices_each_with_its_own_state_and_commands() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let (port, user, password) = credential(&hub, &owner, "shellyplus2pm").await;
    let file = case("shelly-10-plus2pm-two-channels.mqtt.txt");
    let device = LinePeer::python("shelly_device.py", &[&port, &user, &password, &file]).unwrap();
    device.expect("published");
    let first = "shellyplus2pm-b0b21c10a478";
    let second = "shellyplus2pm-b0b21c10a478#1";
    let hall = e2e::devices::wait_device(&owner, &hub, first, |d| {
        d["state"]["on"] == false && d["state"]["power_w"].is_number()
    })
    .await;
    let fan = e2e::devices::wait_device(&owner, &hub, second, |d| d["state"]["on"] == false).await;
    assert_eq!(hall["state"]["power_w"], 0.0, "{hall}");
    assert_eq!(fan["state"]["power_w"], 61.2, "its own reading: {fan}");
    assert_eq!(fan["name"], "Shelly Plus 2 PM A478 channel 2", "{fan}");
    // The first channel, named for the whole device until the second showed, reads alike.
    e2e::devices::wait_device(&owner, &hub, first, |d| {
        d["name"] == "Shelly Plus 2 PM A478 channel 1"
    })
    .await;
    assert_eq!(
        (hall["online"].clone(), fan["online"].clone()),
        (json!(true), json!(true))
    );

    let command = |d: &Value| {
        hub.url(&format!(
            "/api/v1/devices/{}/command",
            d["id"].as_str().unwrap()
        ))
    };
    let on: Value = post_json(&owner, &command(&fan), &json!({"on": true})).await;
    assert_eq!(on["state"]["on"], true, "confirmed: {on}");
    let sent: Value =
        serde_json::from_str(device.expect("got").trim_start_matches("got ")).unwrap();
    assert_eq!(sent["method"], "Switch.Set");
    assert_eq!(sent["params"], json!({"id": 1, "on": true}));
    let hall_now = e2e::devices::wait_device(&owner, &hub, first, |_| true).await;
    assert_eq!(
        hall_now["state"]["on"], false,
        "the other channel did not move: {hall_now}"
    );

    let on: Value = post_json(&owner, &command(&hall), &json!({"on": true})).await;
    assert_eq!(on["state"]["on"], true, "confirmed: {on}");
    let sent: Value =
        serde_json::from_str(device.expect("got").trim_start_matches("got ")).unwrap();
    assert_eq!(sent["params"], json!({"id": 0, "on": true}));
}
