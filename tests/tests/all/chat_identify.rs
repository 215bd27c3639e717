//! Customer identification (CHAT-4): the hub trusts a customer id only with a valid
//! signature from the owner's backend, then fetches the customer's details itself from
//! the owner's details endpoint and shows them on the visitor card.

use e2e::chat::{edit_chat_settings, guest_connect, recv_until, say, send, widget_key, GuestState};
use e2e::{get_json, Hub, Peer};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

const SECRET: &str = "shared-with-the-hotel-site-0123";

fn sign(id: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_signed_customer_id_is_trusted_and_details_come_server_side() {
    let backend = Peer::start("details_server.py", &[]).unwrap();
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let details_url = format!("http://127.0.0.1:{}/customer", backend.port);
    edit_chat_settings(&owner, &hub, |s| {
        s["identification"] = json!({"identify_url": "https://hotel.example/api/me",
            "details_url": details_url, "secret": SECRET});
    })
    .await
    .unwrap();
    // The widget's public settings carry the identify URL, never the secret.
    let mut g = GuestState::default();
    let mut ws = guest_connect(hub.http, &key, &mut g, "https://hotel.example/")
        .await
        .unwrap();
    let ack = say(
        &mut ws,
        json!({"type": "send", "client_id": "c1", "body": "Hi"}),
        |_| {},
    )
    .await
    .unwrap();
    let d = ack["dialogue_id"].as_i64().unwrap();
    let card_url = hub.url(&format!("/api/v1/chat/dialogues/{d}"));
    let wait = std::time::Duration::from_secs(10);

    // A browser that makes up an id (or reuses a signature for another id) gets nowhere.
    let forged =
        json!({"ok": true, "id": "cust-43", "name": "Mallory", "signature": sign("cust-42")});
    send(&mut ws, json!({"type": "identify", "answer": forged}))
        .await
        .unwrap();
    let refused = recv_until(
        &mut ws,
        wait,
        |_| {},
        |v| v["type"] == "error" || v["type"] == "identified",
    )
    .await
    .unwrap();
    assert_eq!(refused["code"], "forbidden", "{refused}");
    let detail = get_json(&owner, &card_url).await.unwrap();
    assert!(detail["visitor"]["customer_id"].is_null(), "{detail}");

    let genuine =
        json!({"ok": true, "id": "cust-42", "name": "Maria Silva", "signature": sign("cust-42")});
    send(&mut ws, json!({"type": "identify", "answer": genuine}))
        .await
        .unwrap();
    recv_until(&mut ws, wait, |_| {}, |v| v["type"] == "identified")
        .await
        .unwrap();
    assert_eq!(backend.next("details request")["id"], "cust-42");
    let detail = get_json(&owner, &card_url).await.unwrap();
    let visitor = &detail["visitor"];
    assert_eq!(visitor["customer_id"], "cust-42", "{detail}");
    assert_eq!(visitor["name"], "Maria Silva");
    assert_eq!(visitor["customer_details"]["tier"], "gold");
}
