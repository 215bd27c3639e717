//! MQTT device families on the embedded broker: paho-mqtt publishing exactly what a
//! Tasmota plug, a Zigbee2MQTT bridge with a bulb and a Shelly Plus 1 publish makes them
//! appear in the registry, and commands over the REST API reach them and are confirmed.

use e2e::devices::{post_json, wait_device};
use e2e::{Hub, LinePeer};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasmota_zigbee2mqtt_and_shelly_devices_join_and_obey() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let made: Value = post_json(
        &owner,
        &hub.url("/api/v1/admin/device-credentials"),
        &json!({ "username": "devices", "label": "Tasmota, Zigbee2MQTT, Shelly" }),
    )
    .await;
    let port = hub.mqtt.unwrap().port().to_string();
    let mut peer = LinePeer::python(
        "mqtt_devices.py",
        &[&port, "devices", made["password"].as_str().unwrap()],
    )
    .unwrap();
    peer.expect("ready");

    // The demo has MQTT devices of its own: look for ours by their ids.
    let plug = wait_device(&owner, &hub, "tasmota_1A2B3C", |d| d["online"] == true).await;
    assert_eq!(plug["native_id"], "tasmota_1A2B3C");
    assert_eq!(plug["kind"], "switch");
    let on: Value = post_json(
        &owner,
        &hub.url(&format!(
            "/api/v1/devices/{}/command",
            plug["id"].as_str().unwrap()
        )),
        &json!({"on": true}),
    )
    .await;
    assert_eq!(on["state"]["on"], true);
    assert_eq!(peer.expect("got cmnd/tasmota_1A2B3C/POWER"), "ON");

    let bulb = wait_device(&owner, &hub, "hall_bulb", |d| {
        d["online"] == true && d["state"]["brightness"].is_number()
    })
    .await;
    assert_eq!(bulb["native_id"], "hall_bulb");
    assert_eq!(
        bulb["name"], "Hall bulb",
        "a friendly name made for machines reads as words"
    );
    assert_eq!(bulb["kind"], "light");
    let lit: Value = post_json(
        &owner,
        &hub.url(&format!(
            "/api/v1/devices/{}/command",
            bulb["id"].as_str().unwrap()
        )),
        &json!({"on": true, "brightness": 60}),
    )
    .await;
    assert_eq!(lit["state"]["on"], true);
    assert_eq!(lit["state"]["brightness"], 60);

    let relay = wait_device(&owner, &hub, "shellyplus1-a8032ab12345", |d| {
        d["online"] == true
    })
    .await;
    assert_eq!(relay["native_id"], "shellyplus1-a8032ab12345");
    let on: Value = post_json(
        &owner,
        &hub.url(&format!(
            "/api/v1/devices/{}/command",
            relay["id"].as_str().unwrap()
        )),
        &json!({"on": true}),
    )
    .await;
    assert_eq!(on["state"]["on"], true);
    let rpc: Value =
        serde_json::from_str(&peer.expect("got shellyplus1-a8032ab12345/rpc")).unwrap();
    assert_eq!(rpc["method"], "Switch.Set");
    assert_eq!(rpc["src"], "hotelhub");

    // The bridge going offline takes its devices with it; a command then fails clearly.
    peer.say("bridge offline");
    let bulb = wait_device(&owner, &hub, "hall_bulb", |d| d["online"] == false).await;
    let r = owner
        .post(hub.url(&format!(
            "/api/v1/devices/{}/command",
            bulb["id"].as_str().unwrap()
        )))
        .json(&json!({"on": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "device_offline", "{body}");
}
