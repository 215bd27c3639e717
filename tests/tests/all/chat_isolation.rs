//! Strangers stay in their lane: a guest token reaches only its own dialogue (over the
//! socket and every guest HTTP route), a blocked address is refused politely, per-address
//! limits hold, and oversize or garbage frames get an error while the socket lives on.

use std::time::Duration;

use e2e::chat::{guest_connect, recv, recv_until, send, widget_key, GuestState, Socket};
use e2e::{client, eventually, Hub, HubOptions};
use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as Ws;

const WAIT: Duration = Duration::from_secs(10);
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

async fn say(ws: &mut Socket, state: &mut GuestState, cid: &str, body: &str) -> Value {
    let frame = json!({"type": "send", "client_id": cid, "body": body});
    e2e::chat::say(ws, frame, |v| state.absorb(v))
        .await
        .unwrap()
}

async fn upload(hub: &Hub, token: &str, bytes: &[u8], name: &str) -> reqwest::Response {
    client()
        .post(hub.url("/api/v1/guest/attachments"))
        .header("x-guest-token", token)
        .header("x-file-name", name)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_reaches_only_its_own_dialogue() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();

    let mut alice = GuestState::default();
    let mut a = guest_connect(hub.http, &key, &mut alice, "https://hotel.example/a")
        .await
        .unwrap();
    say(&mut a, &mut alice, "a-1", "Alice's secret: room 12").await;
    let alice_token = alice.token.clone().unwrap();
    let r = upload(&hub, &alice_token, PNG, "passport.png").await;
    assert_eq!(r.status(), 201);
    let alice_file = r.json::<Value>().await.unwrap()["message"]["attachment"]["id"]
        .as_i64()
        .unwrap();
    let alice_dialogue = alice.dialogue_id.unwrap();

    // Bob claims Alice's dialogue on resume: he gets his own (none yet), nothing of hers.
    let mut bob = GuestState {
        dialogue_id: Some(alice_dialogue),
        ..GuestState::default()
    };
    let mut b = guest_connect(hub.http, &key, &mut bob, "https://hotel.example/b")
        .await
        .unwrap();
    assert!(
        recv(&mut b, Duration::from_millis(500)).await.is_err(),
        "nothing of Alice's arrives"
    );
    assert!(bob.received.is_empty());
    let ack = say(&mut b, &mut bob, "b-1", "Bob here").await;
    assert_ne!(
        ack["dialogue_id"], alice_dialogue,
        "Bob's message opens his own dialogue"
    );
    send(
        &mut b,
        json!({"type": "rate", "dialogue_id": alice_dialogue, "rating": 1}),
    )
    .await
    .unwrap();
    let refused = recv_until(&mut b, WAIT, |_| {}, |v| v["type"] == "error")
        .await
        .unwrap();
    assert_eq!(refused["code"], "not_found");
    send(&mut b, json!({"type": "read", "seq": 999}))
        .await
        .unwrap();

    // Every guest HTTP route with Bob's token: Alice's file is simply not there.
    let bob_token = bob.token.clone().unwrap();
    for (token, status) in [(&bob_token, 404), (&alice_token, 200)] {
        let r = client()
            .get(hub.url(&format!("/api/v1/guest/attachments/{alice_file}")))
            .header("x-guest-token", token.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status);
    }
    let r = upload(&hub, &bob_token, PNG, "bob.png").await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["message"]["dialogue_id"],
        ack["dialogue_id"]
    );
    // Content decides the type: an executable named like a picture is refused.
    let r = upload(
        &hub,
        &bob_token,
        b"\x7fELF\x02\x01\x01\0\0\0\0\0",
        "cat.png",
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "unsupported_file_type"
    );
    // A staff route is no place for a guest token.
    let r = client()
        .get(hub.url(&format!("/api/v1/chat/dialogues/{alice_dialogue}")))
        .header("x-guest-token", bob_token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    drop(a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_get_errors_and_the_socket_lives_on() {
    let hub = Hub::start(HubOptions {
        env: vec![
            ("HUB_CHAT__GUEST_MESSAGES_PER_MINUTE".into(), "7".into()),
            ("HUB_CHAT__GUEST_FRAMES_PER_10S".into(), "30".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let mut g = GuestState::default();
    let mut ws = guest_connect(hub.http, &key, &mut g, "https://hotel.example/")
        .await
        .unwrap();
    let expect_error =
        |code: &'static str| move |v: &Value| v["type"] == "error" && v["code"] == code;

    ws.send(Ws::Text("this is not json".into())).await.unwrap();
    recv_until(&mut ws, WAIT, |_| {}, expect_error("bad_frame"))
        .await
        .unwrap();
    ws.send(Ws::Binary(vec![0u8, 159, 146, 150].into()))
        .await
        .unwrap();
    recv_until(&mut ws, WAIT, |_| {}, expect_error("text_only"))
        .await
        .unwrap();
    send(
        &mut ws,
        json!({"type": "send", "client_id": "x", "body": "a".repeat(20_000)}),
    )
    .await
    .unwrap();
    recv_until(&mut ws, WAIT, |_| {}, expect_error("too_large"))
        .await
        .unwrap();
    send(
        &mut ws,
        json!({"type": "send", "client_id": "x", "body": "b".repeat(5_000)}),
    )
    .await
    .unwrap();
    recv_until(&mut ws, WAIT, |_| {}, expect_error("invalid"))
        .await
        .unwrap();
    send(
        &mut ws,
        json!({"type": "send", "client_id": "bad id with spaces", "body": "hi"}),
    )
    .await
    .unwrap();
    recv_until(&mut ws, WAIT, |_| {}, expect_error("invalid"))
        .await
        .unwrap();
    send(&mut ws, json!({"type": "hello", "key": key}))
        .await
        .unwrap();
    recv_until(&mut ws, WAIT, |_| {}, expect_error("bad_frame"))
        .await
        .unwrap();

    // Seven sends a minute from this address (the two refused above count too): five
    // more go through, the sixth is refused, politely.
    for i in 0..5 {
        let ack = say(&mut ws, &mut g, &format!("m-{i}"), "hello").await;
        assert_eq!(ack["type"], "ack", "{ack}");
    }
    let refused = say(&mut ws, &mut g, "m-5", "hello").await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    send(&mut ws, json!({"type": "ping"})).await.unwrap();
    recv_until(&mut ws, WAIT, |_| {}, |v| v["type"] == "pong")
        .await
        .unwrap();
    // Past the frame budget (here 30 per 10 s) frames are refused, whatever they are.
    for _ in 0..30 {
        send(&mut ws, json!({"type": "typing", "on": true}))
            .await
            .unwrap();
    }
    send(&mut ws, json!({"type": "ping"})).await.unwrap();
    let mut answers = vec![recv(&mut ws, WAIT).await.unwrap()];
    while let Ok(v) = recv(&mut ws, Duration::from_millis(500)).await {
        answers.push(v);
    }
    assert!(
        answers.iter().any(|v| v["code"] == "rate_limited"),
        "{answers:?}"
    );
    assert!(
        !answers.iter().any(|v| v["type"] == "pong"),
        "the ping past the budget is refused too"
    );
    // A frame past the socket's hard limit (64 KiB) closes it with 1009 instead.
    ws.send(Ws::Text("z".repeat(100_000).into())).await.unwrap();
    // (Refusals still in flight from the budget above may come first.)
    let mut end = recv(&mut ws, WAIT).await;
    while matches!(&end, Ok(v) if v["code"] == "rate_limited") {
        end = recv(&mut ws, WAIT).await;
    }
    assert!(end.is_err(), "the oversize frame ends the socket: {end:?}");
    // The hub is fine.
    assert_eq!(
        client()
            .get(hub.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_addresses_and_socket_caps_are_refused() {
    let hub = Hub::start(HubOptions {
        env: vec![("HUB_CHAT__GUEST_SOCKETS_PER_ADDRESS".into(), "3".into())],
        ..HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut g = GuestState::default();
        open.push(
            guest_connect(hub.http, &key, &mut g, "https://hotel.example/")
                .await
                .unwrap(),
        );
    }
    let mut g = GuestState::default();
    let err = guest_connect(hub.http, &key, &mut g, "https://hotel.example/")
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("too_many_sockets"), "{err}");
    open.clear();
    // The slots free up as the hub sees those sockets close.
    let mut known = GuestState::default();
    eventually(
        "the slots coming back",
        Duration::from_secs(10),
        async || {
            let connected =
                guest_connect(hub.http, &key, &mut known, "https://hotel.example/").await;
            if let Err(e) = &connected {
                assert!(e.to_string().contains("too_many_sockets"), "{e}");
            }
            connected.map(drop)
        },
    )
    .await;
    let r = owner
        .post(hub.url("/api/v1/chat/blocks"))
        .json(&json!({"ip": "127.0.0.1", "reason": "spam"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let err = guest_connect(hub.http, &key, &mut known, "https://hotel.example/")
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("blocked"), "{err}");
    let r = upload(&hub, known.token.as_deref().unwrap(), PNG, "x.png").await;
    assert_eq!(r.status(), 403);
    let r = owner
        .delete(hub.url("/api/v1/chat/blocks/127.0.0.1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    guest_connect(hub.http, &key, &mut known, "https://hotel.example/")
        .await
        .unwrap();
    // A wrong widget key belongs to no property.
    let err = guest_connect(hub.http, "wrong-key", &mut GuestState::default(), "x")
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("unknown_key"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_have_their_own_size_limit() {
    let hub = Hub::start(HubOptions {
        env: vec![("HUB_CHAT__MAX_ATTACHMENT_BYTES".into(), "2097152".into())],
        ..HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let mut g = GuestState::default();
    let _ws = guest_connect(hub.http, &key, &mut g, "https://hotel.example/")
        .await
        .unwrap();
    let token = g.token.clone().unwrap();
    let mut big = PNG.to_vec();
    big.resize(1_500_000, 0);
    // Larger than the 1 MiB limit of JSON bodies, within the 2 MiB for files.
    let r = upload(&hub, &token, &big, "floor-plan.png").await;
    assert_eq!(r.status(), 201);
    big.resize(3_000_000, 0);
    let r = upload(&hub, &token, &big, "too-big.png").await;
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "payload_too_large"
    );
    // A JSON body over its own limit is still refused on the ordinary routes.
    let r = owner
        .post(hub.url("/api/v1/chat/shortcuts"))
        .header("content-type", "application/json")
        .body(vec![b' '; 1_500_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}
