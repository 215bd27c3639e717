//! Every state change a device reports reaches the scenario engine, in order, once (issue
//! 13, kind 10): a Tasmota-style switch flipped as fast as its client can publish fires its
//! scenario once for every time it turns on, however close together the flips come.

use std::time::Duration;

use e2e::eventually;
use e2e::world::{athens, World};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flip_of_a_fast_switch_fires_its_scenario() {
    let mut w = World::new(athens(2026, 10, 20, 9, 0)).await;
    let broker = w.hub.with_broker().await.expect("the broker");
    let cred = w
        .call(
            "POST",
            "/admin/device-credentials",
            &json!({"username": "flipper", "label": "a fast switch"}),
        )
        .await;
    let password = cred["password"].as_str().expect("a password").to_owned();
    let mut options = MqttOptions::new("flipper", broker.ip().to_string(), broker.port());
    options.set_credentials("flipper", password);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(options, 512);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    client
        .publish("tele/flipper_1/LWT", QoS::AtLeastOnce, true, "Online")
        .await
        .unwrap();
    let switch = eventually("the switch joining", Duration::from_secs(20), async || {
        let list = w.get("/devices").await;
        list.as_array()?
            .iter()
            .find(|d| d["native_id"] == "flipper_1" && d["online"] == true)
            .map(|d| d["id"].as_str().unwrap_or_default().to_owned())
    })
    .await;
    // Known to be off before the flips begin: the first ON is a change.
    client
        .publish("stat/flipper_1/POWER", QoS::AtLeastOnce, false, "OFF")
        .await
        .unwrap();
    eventually(
        "the switch known off",
        Duration::from_secs(20),
        async || {
            let list = w.get("/devices").await;
            list.as_array()?
                .iter()
                .find(|d| d["native_id"] == "flipper_1" && d["state"]["on"] == false)
                .map(|_| ())
        },
    )
    .await;
    let fires = w
        .scenario(
            "Count the switch turning on",
            json!({"mode": "queued", "max": 100,
                   "triggers": [{"type": "device", "device_id": switch, "field": "on", "value": true}],
                   "actions": [{"type": "notify", "text": "The switch turned on"}]}),
        )
        .await;
    // 80 changes, 40 of them to on, published back to back.
    const FLIPS: usize = 80;
    for i in 0..FLIPS {
        let word = if i % 2 == 0 { "ON" } else { "OFF" };
        client
            .publish("stat/flipper_1/POWER", QoS::AtLeastOnce, false, word)
            .await
            .unwrap();
    }
    let runs = eventually(
        "a run for every turn on",
        Duration::from_secs(30),
        async || {
            let runs = w.runs(fires).await;
            let done = runs.iter().filter(|r| r["status"] == "done").count();
            if done >= FLIPS / 2 {
                Ok(runs)
            } else {
                Err(format!("{done} of {} runs done", FLIPS / 2))
            }
        },
    )
    .await;
    assert_eq!(runs.len(), FLIPS / 2, "one run per turn on, none more");
}
