//! A hub linked to a real relay with the platforms' stand-ins, and the steps the messenger
//! tests share: connecting a platform, finding a unit's page and a channel's dialogue,
//! answering with a photo, posting forged and signed webhooks.

use std::time::Duration;

use serde_json::{json, Value};

use super::{self as platforms, Platforms};
use crate::relay::{linked, Relay};
use crate::{eventually, get_json, Hub, HubOptions};

pub const LINK_UP: Duration = Duration::from_secs(30);
/// A small PNG (the chat checks files by their first bytes).
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";
/// A JPEG's first bytes, as a guest's photo.
pub const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";

pub struct Setup {
    pub relay: Relay,
    pub hub: Hub,
    pub platforms: Platforms,
    pub owner: reqwest::Client,
    pub public: String,
}

pub async fn setup() -> Setup {
    let relay = Relay::start().unwrap();
    let platforms = Platforms::start(Some(relay.http)).await.unwrap();
    let mut env = relay.hub_env();
    env.extend(platforms.hub_env());
    let hub = Hub::start(HubOptions {
        env,
        ..HubOptions::default()
    })
    .unwrap();
    let public = linked(&hub, LINK_UP).await.unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    Setup {
        relay,
        hub,
        platforms,
        owner,
        public,
    }
}

pub async fn connect(s: &Setup, platform: &str, body: Value) -> Value {
    let r = s
        .owner
        .put(s.hub.url(&format!("/api/v1/admin/messengers/{platform}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "connecting {platform}");
    r.json().await.unwrap()
}

/// The slug of unit `room`'s guest page.
pub async fn slug_of(s: &Setup, room: &str) -> String {
    let pages = get_json(&s.owner, &s.hub.url("/api/v1/admin/reception/pages"))
        .await
        .unwrap();
    pages
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["room"] == room)
        .unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The open dialogue on `channel` as the Team Messenger lists it.
pub async fn dialogue_on(staff: &reqwest::Client, hub: &Hub, channel: &str) -> Value {
    let mut found = Value::Null;
    eventually(
        "the dialogue in the Team Messenger",
        Duration::from_secs(15),
        async || {
            for view in ["unassigned", "mine", "others"] {
                let list = get_json(
                    staff,
                    &hub.url(&format!("/api/v1/chat/dialogues?view={view}")),
                )
                .await
                .map_err(|e| e.to_string())?;
                if let Some(d) = list["dialogues"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|d| d["channel"] == channel)
                {
                    found = d.clone();
                    return Ok(());
                }
            }
            Err("not listed".to_string())
        },
    )
    .await;
    found
}

pub async fn messages_of(staff: &reqwest::Client, hub: &Hub, id: i64) -> Vec<Value> {
    get_json(staff, &hub.url(&format!("/api/v1/chat/dialogues/{id}")))
        .await
        .unwrap()["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// The owner joins dialogue `id` and says `text`, then sends a PNG.
pub async fn answer_with_photo(s: &Setup, id: i64, text: &str) {
    let join = s
        .owner
        .post(s.hub.url(&format!("/api/v1/chat/dialogues/{id}/join")))
        .send()
        .await
        .unwrap();
    assert!(join.status().is_success(), "join: {}", join.status());
    let r = s
        .owner
        .post(s.hub.url(&format!("/api/v1/chat/dialogues/{id}/messages")))
        .json(&json!({"body": text}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .owner
        .post(
            s.hub
                .url(&format!("/api/v1/chat/dialogues/{id}/attachments")),
        )
        .header("x-file-name", "map.png")
        .body(PNG.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// Posts `raw` to `hook` signed with the wrong key (refused) and then as `platform` signs
/// (taken).
pub async fn forged_then_signed(s: &Setup, platform: &str, hook: &str, raw: &[u8]) {
    assert_eq!(
        s.platforms
            .post_signed(platform, hook, raw, true)
            .await
            .unwrap(),
        403,
        "forged"
    );
    assert_eq!(
        s.platforms
            .post_signed(platform, hook, raw, false)
            .await
            .unwrap(),
        200
    );
}

/// The dialogue on `platform` is room 101's; the owner answers it with `reply` and a photo,
/// and both reach the platform (the photo as `photo_kind`). The dialogue and the photo sent.
pub async fn room_101_answered(
    s: &Setup,
    platform: &'static str,
    reply: &str,
    photo_kind: &str,
) -> (i64, platforms::Sent) {
    let d = dialogue_on(&s.owner, &s.hub, platform).await;
    assert!(d["visitor_tags"].to_string().contains("room-101"), "{d}");
    let id = d["id"].as_i64().unwrap();
    answer_with_photo(s, id, reply).await;
    s.platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.platform == platform && m.kind == "text" && m.text == reply
        })
        .await
        .unwrap();
    let photo = s
        .platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.platform == platform && m.kind == photo_kind
        })
        .await
        .unwrap();
    (id, photo)
}

/// A Telegram update: a private chat's message from a Russian-speaking guest.
pub fn telegram_message(update_id: i64, message_id: i64, chat: i64, text: &str) -> Value {
    json!({"update_id": update_id, "message": {"message_id": message_id,
        "from": {"id": chat, "is_bot": false, "first_name": "Анна", "last_name": "Петрова",
            "language_code": "ru"},
        "chat": {"id": chat, "first_name": "Анна", "type": "private"},
        "date": 1764547200, "text": text}})
}

/// The hub's count of refused messenger webhooks (`/metrics`).
pub async fn refused_count(hub: &Hub) -> f64 {
    let text = crate::client()
        .get(hub.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("hub_messenger_webhooks_refused "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1.0)
}

/// Waits until a guest message `text` is stored.
pub async fn dialogue_with_text(s: &Setup, text: &str) {
    let db = s.hub.data.join("hub.db");
    eventually("the message stored", Duration::from_secs(10), async || {
        let conn =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| e.to_string())?;
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM messages WHERE body = ?1",
                [text],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        (n == 1).then_some(()).ok_or(format!("{n} stored"))
    })
    .await;
}

/// A WhatsApp notification with one text message from `from`.
pub fn whatsapp_text(from: &str, id: &str, text: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "351912345678", "phone_number_id": platforms::WHATSAPP_PHONE_ID},
            "contacts": [{"profile": {"name": "João Silva"}, "wa_id": from}],
            "messages": [{"from": from, "id": id, "timestamp": "1764547200", "type": "text",
                "text": {"body": text}}]}}]}]})
    .to_string()
    .into_bytes()
}
