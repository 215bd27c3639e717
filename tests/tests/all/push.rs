//! Web Push reaches staff who do not have the Team Messenger open (TEAM-3, NOTIFY-3): a
//! guest writes, and a local push-service stand-in (`tests/peers/push_service.py`) receives
//! the notice, checks the hub's VAPID JWT (RFC 8292) and decrypts it with the browser's
//! keys (RFC 8291 aes128gcm). A subscription the push service calls gone is dropped.

use std::time::Duration;

use e2e::chat::{guest_connect, recv_until, send, widget_key, GuestState};
use e2e::{get_json, python, Hub, LinePeer};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_message_reaches_staff_without_the_messenger_by_web_push() {
    let hub = Hub::start_demo().unwrap();
    let agent = hub.signed_in("agent").await.unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = get_json(&agent, &hub.url("/api/v1/push/key"))
        .await
        .unwrap();
    let public_key = key["public_key"].as_str().unwrap().to_owned();
    assert_eq!(
        public_key.len(),
        87,
        "a P-256 point, base64url: {public_key}"
    );

    let service = LinePeer::start(
        &python(),
        &[
            e2e::workspace()
                .join("tests/peers/push_service.py")
                .to_str()
                .unwrap(),
            "agent",
            "gone",
        ],
    )
    .unwrap();
    let agent_subscription: Value = serde_json::from_str(&service.expect("subscription")).unwrap();
    let gone_subscription: Value = serde_json::from_str(&service.expect("subscription")).unwrap();
    for (who, subscription) in [(&agent, &agent_subscription), (&owner, &gone_subscription)] {
        let r = who
            .post(hub.url("/api/v1/push/subscriptions"))
            .json(subscription)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
    let bad = agent
        .post(hub.url("/api/v1/push/subscriptions"))
        .json(&json!({"endpoint": "http://192.0.2.1/push", "keys": agent_subscription["keys"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bad.status(),
        400,
        "a push service is HTTPS (plain only on loopback)"
    );
    let reachable = get_json(&owner, &hub.url("/api/v1/push/reachable"))
        .await
        .unwrap();
    assert_eq!(reachable.as_array().unwrap().len(), 2, "{reachable}");

    // Nobody has the messenger open: the new conversation is everyone's, and pushed.
    let key = widget_key(&owner, &hub).await.unwrap();
    let mut guest = GuestState::default();
    let mut ws = guest_connect(hub.http, &key, &mut guest, "https://hotel.example/")
        .await
        .unwrap();
    send(
        &mut ws,
        json!({"type": "send", "client_id": "p-1", "body": "Is the sauna open tonight?"}),
    )
    .await
    .unwrap();
    let ack = recv_until(
        &mut ws,
        Duration::from_secs(10),
        |_| {},
        |v| v["type"] == "ack",
    )
    .await
    .unwrap();
    let dialogue = ack["dialogue_id"].as_i64().unwrap();

    // Both subscriptions are tried, in either order.
    let (mut pushed, mut gone) = (None, false);
    while pushed.is_none() || !gone {
        let line = service.expect("");
        if let Some(rest) = line.strip_prefix("push agent") {
            pushed = Some(rest.trim().to_owned());
        } else if line == "gone gone" {
            gone = true;
        } else {
            panic!("the push service said: {line}");
        }
    }
    let pushed = pushed.unwrap_or_default();
    let (meta, notice) = pushed.split_once(" {").unwrap();
    assert!(
        meta.contains(&format!("key={public_key}")),
        "signed with the hub's key: {meta}"
    );
    let notice: Value = serde_json::from_str(&format!("{{{notice}")).unwrap();
    assert_eq!(notice["body"], "Is the sauna open tonight?");
    assert!(
        notice["title"]
            .as_str()
            .unwrap()
            .ends_with(" started a conversation"),
        "the guest's first message opens a conversation: {notice}"
    );
    assert_eq!(notice["url"], format!("/messenger/?open={dialogue}"));
    e2e::eventually(
        "the gone subscription is dropped",
        Duration::from_secs(10),
        async || {
            let r = get_json(&owner, &hub.url("/api/v1/push/reachable"))
                .await
                .unwrap();
            r.as_array().unwrap().len() == 1
        },
    )
    .await;
}
