//! The box's GPIO on the simulator (APP-8), through the real hub: relay outputs join the
//! device registry by themselves (as a Tasmota relay board over the hub's own broker), a
//! command and a scenario switch them and the lines follow; the button's presses act
//! (a long one asks the image to reset the network). The LED's patterns and the button's
//! debounce are timed on a paused clock in `hub/src/gpio/tests.rs`.

use std::time::Duration;

use e2e::devices::{post_json, wait_device};
use e2e::{eventually, get_json, Hub, HubOptions};
use serde_json::{json, Value};

const CONFIG: &str = r#"
[gpio]
backend = "simulated"
status_led = 17
button = 27
[[gpio.relays]]
name = "Garden gate"
line = 22
active_low = true
[[gpio.relays]]
name = "Pool pump"
line = 23
"#;

async fn relay_on(owner: &reqwest::Client, hub: &Hub, name: &str) -> Option<bool> {
    let s = get_json(owner, &hub.url("/api/v1/admin/gpio"))
        .await
        .unwrap();
    s["relays"].as_array()?.iter().find(|r| r["name"] == name)?["on"].as_bool()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_are_devices_a_scenario_switches_and_the_button_acts() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hub.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let reset = dir.path().join("network-reset");
    let hub = Hub::start(HubOptions {
        env: vec![
            ("HUB_CONFIG".into(), config.display().to_string()),
            (
                "HUB_GPIO__NETWORK_RESET_REQUEST".into(),
                reset.display().to_string(),
            ),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();

    let s = get_json(&owner, &hub.url("/api/v1/admin/gpio"))
        .await
        .unwrap();
    assert_eq!(s["backend"], "simulated");
    assert_eq!(s["status_led"], 17);
    assert!(
        matches!(s["signal"].as_str(), Some("ready" | "no_network")),
        "a serving hub's LED: {s}"
    );
    assert_eq!(relay_on(&owner, &hub, "Garden gate").await, Some(false));

    // Both relays joined the registry, named as configured, and answer.
    let gate = wait_device(&owner, &hub, "hub_relays", |d| d["online"] == true).await;
    assert_eq!(gate["name"], "Garden gate");
    assert_eq!(gate["kind"], "switch");
    let pump = wait_device(&owner, &hub, "hub_relays#2", |d| d["online"] == true).await;
    assert_eq!(pump["name"], "Pool pump");

    let on: Value = post_json(
        &owner,
        &hub.url(&format!(
            "/api/v1/devices/{}/command",
            gate["id"].as_str().unwrap()
        )),
        &json!({"on": true}),
    )
    .await;
    assert_eq!(on["state"]["on"], true, "the relay confirmed: {on}");
    assert_eq!(relay_on(&owner, &hub, "Garden gate").await, Some(true));
    assert_eq!(relay_on(&owner, &hub, "Pool pump").await, Some(false));

    // A scenario switches the pump like any device.
    let pump_id = pump["id"].as_str().unwrap();
    let scenario: Value = post_json(
        &owner,
        &hub.url("/api/v1/admin/scenarios"),
        &json!({"name": "Pump on", "definition": {"triggers": [{"type": "manual"}], "actions": [
            {"type": "device", "target": {"kind": "device", "device_id": pump_id}, "set": {"on": true}}
        ]}}),
    )
    .await;
    let _: Value = post_json(
        &owner,
        &hub.url(&format!("/api/v1/admin/scenarios/{}/run", scenario["id"])),
        &json!({}),
    )
    .await;
    eventually(
        "the pump's line closes",
        Duration::from_secs(10),
        async || match relay_on(&owner, &hub, "Pool pump").await {
            Some(true) => Ok(()),
            other => Err(other),
        },
    )
    .await;

    // The demo's virtual button: a short press is remembered; a long one asks for the
    // network reset.
    let _: Value = post_json(
        &owner,
        &hub.url("/api/v1/admin/gpio/button"),
        &json!({"press": "short"}),
    )
    .await;
    let _: Value = post_json(
        &owner,
        &hub.url("/api/v1/admin/gpio/button"),
        &json!({"press": "long"}),
    )
    .await;
    eventually(
        "the network reset is asked for",
        Duration::from_secs(10),
        async || {
            if reset.exists() {
                Ok(())
            } else {
                Err("no request file")
            }
        },
    )
    .await;
    let s = get_json(&owner, &hub.url("/api/v1/admin/gpio"))
        .await
        .unwrap();
    assert_eq!(s["last_press"]["press"], "long", "{s}");
    let r = owner
        .post(hub.url("/api/v1/admin/gpio/button"))
        .json(&json!({"press": "sideways"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
