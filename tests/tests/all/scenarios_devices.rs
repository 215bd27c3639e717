//! Device-state triggers. From MQTT: a Tasmota plug (an MQTT client of the embedded
//! broker, as the firmware is) drives a Tuya lamp through a scenario, and a "for 10
//! minutes" hold is dropped when the state changes back in time. A hold is a stored
//! deadline: it survives a restart (shown with a Tuya switch, whose link comes back by
//! itself; the in-process broker cannot be restarted on its port).

use std::time::Duration;

use device_drivers::emulator::mqtt::{self, MqttDevice};
use e2e::eventually;
use e2e::world::{athens, World};
use serde_json::json;

const SOON: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_device_states_trigger_scenarios_and_holds_survive_a_restart() {
    let mut w = World::new(athens(2026, 10, 20, 9, 0)).await;
    let broker = w
        .hub
        .with_broker()
        .await
        .expect("the hub restarts with its broker");
    let lamp = w.tuya("Terrace lamp", "switch", None).await;
    let door = w.tuya("Pool gate contact", "switch", None).await;
    let cred = w
        .call(
            "POST",
            "/admin/device-credentials",
            &json!({"username": "terrace", "label": "terrace plug"}),
        )
        .await;
    let password = cred["password"].as_str().expect("a password").to_owned();
    let _plug = mqtt::start(
        broker,
        "terrace",
        &password,
        vec![MqttDevice::Tasmota {
            topic: "tasmota_D3B001".into(),
            name: "Terrace button".into(),
        }],
    );
    let plug = eventually("the plug joining", Duration::from_secs(20), async || {
        let list = w.get("/devices").await;
        let found = list.as_array().and_then(|l| {
            l.iter()
                .find(|d| d["native_id"] == "tasmota_D3B001" && d["online"] == true)
                .cloned()
        });
        found.map(|d| d["id"].as_str().unwrap_or_default().to_owned())
    })
    .await;
    let on =
        |id: &str, v: bool| json!({"type": "device", "device_id": id, "field": "on", "value": v});
    let set = |id: &str, v: bool| json!({"type": "device", "target": {"kind": "device", "device_id": id}, "set": {"on": v}});
    let follow = w
        .scenario(
            "Lamp follows the button",
            json!({"triggers": [on(&plug, true)], "actions": [set(&lamp, true)]}),
        )
        .await;
    let mut held = on(&plug, true);
    held["for_minutes"] = json!(10);
    let plug_hold = w
        .scenario(
            "Lamp off after 10 min of button",
            json!({"triggers": [held], "actions": [set(&lamp, false)]}),
        )
        .await;
    let mut gate = on(&door, true);
    gate["for_minutes"] = json!(10);
    let gate_hold = w
        .scenario("Gate open 10 min", json!({"triggers": [gate], "actions": [
            {"type": "notify", "text": "The pool gate has been open for 10 minutes"}, set(&lamp, false)]}))
        .await;

    // The button's firmware reports a press on MQTT: the lamp follows at once.
    let mut o = rumqttc::MqttOptions::new("wall-button", broker.ip().to_string(), broker.port());
    o.set_credentials("terrace", password.as_str());
    let (button, mut events) = rumqttc::AsyncClient::new(o, 16);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    // A press counts once the hub has sent the plug's new state on (the client queues it
    // until it is connected); then the engine has it before time moves on.
    let press = |v: bool| {
        let (button, hub) = (button.clone(), &w.hub);
        async move {
            let sent = hub.device_events();
            button
                .publish(
                    "stat/tasmota_D3B001/POWER",
                    rumqttc::QoS::AtLeastOnce,
                    false,
                    if v { "ON" } else { "OFF" },
                )
                .await
                .expect("published");
            eventually("the hub hearing the button", SOON, async || {
                hub.device_events() > sent
            })
            .await;
        }
    };
    press(true).await;
    eventually("the lamp following the button", SOON, async || {
        w.is_on(&lamp)
    })
    .await;
    // The run is written while it acts, so the lamp can be on first; once the engine has
    // settled (no run under way), it is on disk.
    w.hub.settle().await;
    let reason = w.runs(follow).await[0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(reason.contains("on is true"), "{reason}");
    // Released after 5 minutes: the 10-minute hold is dropped.
    w.hub.walk_to(athens(2026, 10, 20, 9, 5)).await;
    press(false).await;
    w.hub.walk_to(athens(2026, 10, 20, 9, 20)).await;
    assert!(w.is_on(&lamp), "the hold ended with the button");
    assert!(w.runs(plug_hold).await.is_empty());

    // The gate opens (its contact reports by itself); five minutes later the hub restarts.
    let sent = w.hub.device_events();
    w.devices[&door].press(serde_json::from_value(json!({"1": true})).expect("dps"));
    // The contact's report travels in real time: the hub has it before time moves on.
    eventually("the contact's report", SOON, async || {
        w.hub.device_events() > sent
    })
    .await;
    w.hub.settle().await;
    w.hub.walk_to(athens(2026, 10, 20, 9, 21)).await;
    w.hub.walk_to(athens(2026, 10, 20, 9, 26)).await;
    w.hub.restart().await.expect("the hub restarts");
    w.hub.walk_to(athens(2026, 10, 20, 9, 29)).await;
    assert!(w.is_on(&lamp), "not yet 10 minutes");
    w.hub.walk_to(athens(2026, 10, 20, 9, 32)).await;
    let runs = w.runs(gate_hold).await;
    assert!(
        !w.is_on(&lamp),
        "10 minutes open: the lamp went off: {runs:?}"
    );
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert!(runs[0]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("for 10 min"));
    w.hub_stop().await;
}
