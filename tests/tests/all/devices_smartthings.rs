//! SmartThings through the hub: the owner grants a token (with the API's base URL pointed
//! at a local stand-in that serves documented payloads), imports the account's devices
//! and switches one; a wrong token is reported as a bad key.

use e2e::devices::{post_json, wait_device};
use e2e::{Hub, LinePeer};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smartthings_devices_are_imported_and_driven_through_the_api() {
    let api = LinePeer::python("smartthings_server.py", &["st-token-123"]).unwrap();
    let base = format!("http://127.0.0.1:{}", api.expect("listening "));
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();

    // A wrong token: discovery says so.
    let r = owner
        .put(hub.url("/api/v1/admin/device-grants/smartthings"))
        .json(&json!({"token": "wrong", "base_url": base}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = owner
        .post(hub.url("/api/v1/admin/devices/discover"))
        .json(&json!({"brand": "smartthings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("bad key"),
        "{body}"
    );

    let r = owner
        .put(hub.url("/api/v1/admin/device-grants/smartthings"))
        .json(&json!({"token": "st-token-123", "base_url": base}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let found: Vec<Value> = post_json(
        &owner,
        &hub.url("/api/v1/admin/devices/discover"),
        &json!({"brand": "smartthings"}),
    )
    .await;
    assert_eq!(found.len(), 2, "both pages are read: {found:?}");
    let dimmer = found
        .iter()
        .find(|f| f["settings"]["label"] == "Lobby dimmer")
        .unwrap();
    assert_eq!(dimmer["settings"]["kind"], "dimmer");
    assert_eq!(dimmer["has_key"], true);

    let imported: Vec<Value> = post_json(
        &owner,
        &hub.url("/api/v1/admin/devices/import"),
        &json!({"brand": "smartthings", "items": [{
            "native_id": dimmer["native_id"], "address": "", "settings": dimmer["settings"],
            "kind": "dimmer", "name": "Lobby dimmer"}]}),
    )
    .await;
    let id = imported[0]["id"].as_str().unwrap().to_owned();
    let d = wait_device(&owner, &hub, dimmer["native_id"].as_str().unwrap(), |d| {
        d["online"] == true
    })
    .await;
    assert_eq!(d["state"]["brightness"], 75);
    let on: Value = post_json(
        &owner,
        &hub.url(&format!("/api/v1/devices/{id}/command")),
        &json!({"on": true, "brightness": 40}),
    )
    .await;
    assert_eq!(on["state"]["on"], true, "{on}");
    assert_eq!(on["state"]["brightness"], 40, "{on}");
    let sent: Vec<Value> = (0..2)
        .map(|_| {
            serde_json::from_str::<Value>(&api.expect("command ")).unwrap()["commands"][0].clone()
        })
        .collect();
    assert!(
        sent.contains(
            &json!({"component": "main", "capability": "switch", "command": "on", "arguments": []})
        ),
        "{sent:?}"
    );
    assert!(sent.contains(&json!({"component": "main", "capability": "switchLevel", "command": "setLevel", "arguments": [40]})), "{sent:?}");
}
