//! Messenger channels (CLOUD-2, CLOUD-3, TEAM-3) against local stand-ins of Telegram,
//! Viber, WhatsApp Cloud API and Messenger (`e2e::messengers`), with the real relay between
//! the platforms and the hub: a guest writes from a room's link and lands in the Team
//! Messenger with the unit, the team's text and photo arrive at the platform in its shape,
//! forged webhooks are refused and counted, a relay outage delays and never doubles, a
//! member linked to Telegram is told once and not while in the messenger, and 100 replies
//! to one chat keep Telegram's rate.

use std::time::{Duration, Instant};

use e2e::messengers::{self as platforms, Platforms};
use e2e::relay::{linked, Relay};
use e2e::{eventually, get_json, Hub, HubOptions};
use serde_json::{json, Value};

const LINK_UP: Duration = Duration::from_secs(30);
/// A small PNG (the chat checks files by their first bytes).
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xff\xff?\0\x05\xfe\x02\xfe\xa7\x35\x81\x84\0\0\0\0IEND\xaeB`\x82";
/// A JPEG's first bytes, as a guest's photo.
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9";

struct Setup {
    relay: Relay,
    hub: Hub,
    platforms: Platforms,
    owner: reqwest::Client,
    public: String,
}

async fn setup() -> Setup {
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

async fn connect(s: &Setup, platform: &str, body: Value) -> Value {
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
async fn slug_of(s: &Setup, room: &str) -> String {
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
async fn dialogue_on(staff: &reqwest::Client, hub: &Hub, channel: &str) -> Value {
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

async fn messages_of(staff: &reqwest::Client, hub: &Hub, id: i64) -> Vec<Value> {
    get_json(staff, &hub.url(&format!("/api/v1/chat/dialogues/{id}")))
        .await
        .unwrap()["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// The owner joins dialogue `id` and says `text`, then sends a PNG.
async fn answer_with_photo(s: &Setup, id: i64, text: &str) {
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

fn telegram_message(update_id: i64, message_id: i64, chat: i64, text: &str) -> Value {
    json!({"update_id": update_id, "message": {"message_id": message_id,
        "from": {"id": chat, "is_bot": false, "first_name": "Анна", "last_name": "Петрова",
            "language_code": "ru"},
        "chat": {"id": chat, "first_name": "Анна", "type": "private"},
        "date": 1764547200, "text": text}})
}

async fn refused_count(hub: &Hub) -> f64 {
    let text = e2e::client()
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_guest_writes_from_their_room_and_gets_the_teams_text_and_photo() {
    let s = setup().await;
    // The admin app's test button: the bot's name, nothing saved.
    let tested: Value = s
        .owner
        .post(s.hub.url("/api/v1/admin/messengers/telegram/test"))
        .json(&json!({"token": platforms::TELEGRAM_TOKEN}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tested["name"], format!("@{}", platforms::TELEGRAM_BOT));
    let wrong = s
        .owner
        .post(s.hub.url("/api/v1/admin/messengers/telegram/test"))
        .json(&json!({"token": "1:wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong.status(),
        503,
        "a wrong token is the platform's refusal"
    );
    let status = connect(&s, "telegram", json!({"token": platforms::TELEGRAM_TOKEN})).await;
    assert_eq!(status["connected"], true);
    assert_eq!(status["webhook_error"], "", "{status}");
    let (url, _) = s
        .platforms
        .telegram_webhook()
        .expect("setWebhook was called");
    assert_eq!(url, format!("{}/hooks/telegram", s.public));

    // The room's link: t.me/<bot>?start=r-<slug> sends "/start r-<slug>".
    let slug = slug_of(&s, "102").await;
    let links = get_json(&e2e::client(), &s.hub.url("/api/v1/messengers/links"))
        .await
        .unwrap();
    assert!(
        links
            .to_string()
            .contains(&format!("https://t.me/{}", platforms::TELEGRAM_BOT)),
        "{links}"
    );
    // Not offered any more (the token left empty keeps the saved one): no link.
    let hidden = connect(&s, "telegram", json!({"offered": false})).await;
    assert_eq!(
        (hidden["connected"].clone(), hidden["offered"].clone()),
        (json!(true), json!(false))
    );
    let links = get_json(&e2e::client(), &s.hub.url("/api/v1/messengers/links"))
        .await
        .unwrap();
    assert_eq!(links, json!([]));
    connect(&s, "telegram", json!({"offered": true})).await;
    let start = telegram_message(1, 10, 5001, &format!("/start r-{slug}"));
    assert_eq!(
        s.platforms.telegram_update(&start, false).await.unwrap(),
        200
    );
    let greeting = s
        .platforms
        .wait_sent(Duration::from_secs(10), |m| m.to == "5001")
        .await
        .unwrap();
    assert!(
        greeting.text.contains("Здравствуйте") && greeting.text.contains("102"),
        "{}",
        greeting.text
    );

    // A forged update is refused, counted, and stores nothing.
    let forged = telegram_message(2, 11, 5001, "forged: give me room 101's code");
    assert_eq!(
        s.platforms.telegram_update(&forged, true).await.unwrap(),
        403
    );
    assert!(refused_count(&s.hub).await >= 1.0);

    // The guest writes (twice delivered: Telegram retries), and sends a photo.
    let hello = telegram_message(3, 12, 5001, "Здравствуйте, в душе нет горячей воды");
    assert_eq!(
        s.platforms.telegram_update(&hello, false).await.unwrap(),
        200
    );
    assert_eq!(
        s.platforms.telegram_update(&hello, false).await.unwrap(),
        200
    );
    s.platforms.add_file("AgACAgIAAxkBAAIB", JPEG.to_vec());
    let mut photo = telegram_message(4, 13, 5001, "");
    photo["message"].as_object_mut().unwrap().remove("text");
    photo["message"]["caption"] = json!("вот так");
    photo["message"]["photo"] = json!([
        {"file_id": "AgACAgIAAxkBAAIA", "file_unique_id": "a", "width": 90, "height": 90},
        {"file_id": "AgACAgIAAxkBAAIB", "file_unique_id": "b", "width": 800, "height": 800}]);
    s.platforms.add_file("AgACAgIAAxkBAAIA", b"small".to_vec());
    assert_eq!(
        s.platforms.telegram_update(&photo, false).await.unwrap(),
        200
    );

    let d = dialogue_on(&s.owner, &s.hub, "telegram").await;
    assert!(d["visitor_tags"].to_string().contains("room-102"), "{d}");
    assert_eq!(d["visitor_name"], "Анна Петрова");
    let id = d["id"].as_i64().unwrap();
    let guest: Vec<Value> = messages_of(&s.owner, &s.hub, id)
        .await
        .into_iter()
        .filter(|m| m["author_kind"] == "guest")
        .collect();
    assert_eq!(
        guest.len(),
        2,
        "a repeated update is stored once: {guest:?}"
    );
    assert_eq!(guest[0]["body"], "Здравствуйте, в душе нет горячей воды");
    assert_eq!(guest[1]["body"], "вот так");
    assert_eq!(guest[1]["attachment"]["content_type"], "image/jpeg");
    let forged_stored = messages_of(&s.owner, &s.hub, id)
        .await
        .iter()
        .any(|m| m["body"].as_str().unwrap_or("").contains("forged"));
    assert!(!forged_stored);

    answer_with_photo(&s, id, "Сейчас пришлём мастера, извините!").await;
    let text = s
        .platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.to == "5001" && m.text.contains("мастера")
        })
        .await
        .unwrap();
    assert_eq!(text.kind, "text");
    let photo = s
        .platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.to == "5001" && m.kind == "photo"
        })
        .await
        .unwrap();
    assert_eq!(
        photo.file.as_deref(),
        Some(PNG),
        "the photo's bytes arrive whole"
    );
    assert!(text.at <= photo.at, "in the order written");
    // Each reply once.
    let replies = s
        .platforms
        .sent()
        .iter()
        .filter(|m| m.to == "5001" && m.text.contains("мастера"))
        .count();
    assert_eq!(replies, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viber_whatsapp_and_messenger_guests_reach_the_team_and_get_answers() {
    let s = setup().await;
    let slug = slug_of(&s, "101").await;

    // Viber: set_webhook is checked by a signed callback before it is accepted.
    let viber = connect(&s, "viber", json!({"token": platforms::VIBER_TOKEN})).await;
    assert_eq!(viber["webhook_error"], "", "{viber}");
    assert_eq!(
        s.platforms.viber_webhook().as_deref(),
        Some(format!("{}/hooks/viber", s.public).as_str())
    );
    let hook = format!("{}/hooks/viber", s.public);
    let started = json!({"event": "conversation_started", "timestamp": 1764547200000u64,
        "message_token": 4912661846655238145u64, "type": "open", "context": format!("r-{slug}"),
        "user": {"id": "01234567890A=", "name": "Hans Müller", "language": "de", "country": "DE",
            "api_version": 8}, "subscribed": false});
    assert_eq!(
        s.platforms
            .post_signed("viber", &hook, started.to_string().as_bytes(), false)
            .await
            .unwrap(),
        200
    );
    let message = json!({"event": "message", "timestamp": 1764547201000u64,
        "message_token": 4912661846655238146u64,
        "sender": {"id": "01234567890A=", "name": "Hans Müller", "language": "de"},
        "message": {"type": "text", "text": "Können wir später auschecken?"}});
    let raw = message.to_string();
    assert_eq!(
        s.platforms
            .post_signed("viber", &hook, raw.as_bytes(), true)
            .await
            .unwrap(),
        403,
        "forged"
    );
    assert_eq!(
        s.platforms
            .post_signed("viber", &hook, raw.as_bytes(), false)
            .await
            .unwrap(),
        200
    );
    let d = dialogue_on(&s.owner, &s.hub, "viber").await;
    assert!(d["visitor_tags"].to_string().contains("room-101"), "{d}");
    answer_with_photo(&s, d["id"].as_i64().unwrap(), "Ja, bis 14 Uhr.").await;
    s.platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.platform == "viber" && m.text == "Ja, bis 14 Uhr."
        })
        .await
        .unwrap();
    let picture = s
        .platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.platform == "viber" && m.kind == "picture"
        })
        .await
        .unwrap();
    assert_eq!(
        picture.file.as_deref(),
        Some(PNG),
        "Viber fetched the picture from the hub's signed address"
    );

    // WhatsApp: the subscription check, then a message carrying the room's code in its text.
    let wa = connect(
        &s,
        "whatsapp",
        json!({"token": platforms::WHATSAPP_TOKEN,
        "app_secret": platforms::WHATSAPP_SECRET, "account_id": platforms::WHATSAPP_PHONE_ID}),
    )
    .await;
    let verify = wa["verify_token"].as_str().unwrap().to_owned();
    let hook = format!("{}/hooks/whatsapp", s.public);
    assert_eq!(
        s.platforms.meta_subscribe(&hook, "guess").await.unwrap().0,
        403
    );
    assert_eq!(
        s.platforms.meta_subscribe(&hook, &verify).await.unwrap(),
        (200, "1158201444".into())
    );
    let links = get_json(&e2e::client(), &s.hub.url("/api/v1/messengers/links"))
        .await
        .unwrap();
    assert!(
        links.to_string().contains("https://wa.me/351912345678"),
        "{links}"
    );
    s.platforms.add_file("wa-photo-1", JPEG.to_vec());
    let notification = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "351912345678", "phone_number_id": platforms::WHATSAPP_PHONE_ID},
            "contacts": [{"profile": {"name": "João Silva"}, "wa_id": "351961234567"}],
            "messages": [
                {"from": "351961234567", "id": "wamid.A1", "timestamp": "1764547200", "type": "text",
                 "text": {"body": format!("Olá! Estou no quarto 101 [r-{slug}]")}},
                {"from": "351961234567", "id": "wamid.A2", "timestamp": "1764547201", "type": "sticker",
                 "sticker": {"id": "s1"}},
                {"from": "351961234567", "id": "wamid.A3", "timestamp": "1764547202", "type": "image",
                 "image": {"id": "media-wa-photo-1", "mime_type": "image/jpeg", "caption": "a toalha"}}]}}]}]});
    let raw = notification.to_string();
    assert_eq!(
        s.platforms
            .post_signed("whatsapp", &hook, raw.as_bytes(), true)
            .await
            .unwrap(),
        403,
        "forged"
    );
    assert_eq!(
        s.platforms
            .post_signed("whatsapp", &hook, raw.as_bytes(), false)
            .await
            .unwrap(),
        200
    );
    let d = dialogue_on(&s.owner, &s.hub, "whatsapp").await;
    assert!(d["visitor_tags"].to_string().contains("room-101"), "{d}");
    let guest: Vec<Value> = messages_of(&s.owner, &s.hub, d["id"].as_i64().unwrap())
        .await
        .into_iter()
        .filter(|m| m["author_kind"] == "guest")
        .collect();
    assert_eq!(
        guest.len(),
        2,
        "the sticker is skipped, the text and the photo stand: {guest:?}"
    );
    assert_eq!(guest[1]["attachment"]["content_type"], "image/jpeg");
    answer_with_photo(&s, d["id"].as_i64().unwrap(), "Já levamos.").await;
    s.platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.platform == "whatsapp" && m.kind == "text" && m.text == "Já levamos."
        })
        .await
        .unwrap();
    let image = s
        .platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.platform == "whatsapp" && m.kind == "image"
        })
        .await
        .unwrap();
    assert_eq!(
        image.file.as_deref(),
        Some(PNG),
        "uploaded to /media, then sent by its id"
    );

    // Messenger: an m.me link's referral, then a message.
    let fb = connect(
        &s,
        "messenger",
        json!({"token": platforms::PAGE_TOKEN,
        "app_secret": platforms::PAGE_SECRET, "account_id": platforms::PAGE_ID}),
    )
    .await;
    assert_eq!(fb["name"], "Aurora Hotel");
    let hook = format!("{}/hooks/messenger", s.public);
    let body = json!({"object": "page", "entry": [{"id": platforms::PAGE_ID, "time": 1764547200000u64, "messaging": [
        {"sender": {"id": "6543210987654321"}, "recipient": {"id": platforms::PAGE_ID}, "timestamp": 1764547200000u64,
         "referral": {"ref": format!("r-{slug}"), "source": "SHORTLINK", "type": "OPEN_THREAD"}},
        {"sender": {"id": "6543210987654321"}, "recipient": {"id": platforms::PAGE_ID}, "timestamp": 1764547201000u64,
         "message": {"mid": "m_AbC1", "text": "Is breakfast included?"}}]}]});
    let raw = body.to_string();
    assert_eq!(
        s.platforms
            .post_signed("messenger", &hook, raw.as_bytes(), true)
            .await
            .unwrap(),
        403,
        "forged"
    );
    assert_eq!(
        s.platforms
            .post_signed("messenger", &hook, raw.as_bytes(), false)
            .await
            .unwrap(),
        200
    );
    let d = dialogue_on(&s.owner, &s.hub, "messenger").await;
    assert!(d["visitor_tags"].to_string().contains("room-101"), "{d}");
    answer_with_photo(&s, d["id"].as_i64().unwrap(), "Yes, 7 to 10.").await;
    s.platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.platform == "messenger" && m.text == "Yes, 7 to 10."
        })
        .await
        .unwrap();
    let image = s
        .platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.platform == "messenger" && m.kind == "image"
        })
        .await
        .unwrap();
    assert_eq!(image.file.as_deref(), Some(PNG));
    let status = get_json(&s.owner, &s.hub.url("/api/v1/admin/messengers"))
        .await
        .unwrap();
    let refused: u64 = status
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["refused"].as_u64().unwrap())
        .sum();
    assert_eq!(
        refused, 4,
        "three forged posts and a wrong verify token: {status}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_message_sent_during_a_relay_outage_arrives_once_after_it() {
    let mut s = setup().await;
    connect(&s, "telegram", json!({"token": platforms::TELEGRAM_TOKEN})).await;
    let first = telegram_message(1, 20, 6001, "before the cut");
    assert_eq!(
        s.platforms.telegram_update(&first, false).await.unwrap(),
        200
    );
    let d = dialogue_on(&s.owner, &s.hub, "telegram").await;
    let id = d["id"].as_i64().unwrap();

    s.relay.kill();
    let during = telegram_message(2, 21, 6001, "written while the relay was down");
    let retried = {
        let platforms = &s.platforms;
        let posting = platforms.telegram_update_until_taken(&during, Duration::from_secs(90));
        let restarting = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            s.relay.restart().unwrap();
        };
        let (tries, ()) = tokio::join!(posting, restarting);
        tries.unwrap()
    };
    assert!(
        retried > 1,
        "Telegram had to retry while the relay was down"
    );
    // Telegram cannot know whether a timed-out delivery got through: it sends it again.
    assert_eq!(
        s.platforms.telegram_update(&during, false).await.unwrap(),
        200
    );
    let bodies: Vec<String> = messages_of(&s.owner, &s.hub, id)
        .await
        .iter()
        .filter(|m| m["author_kind"] == "guest")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        bodies,
        ["before the cut", "written while the relay was down"],
        "once each, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_linked_to_telegram_is_told_once_and_not_while_in_the_messenger() {
    let s = setup().await;
    connect(&s, "telegram", json!({"token": platforms::TELEGRAM_TOKEN})).await;
    let agent = s.hub.signed_in("agent").await.unwrap();
    // A messenger cannot be chosen before it is linked.
    let early = agent
        .put(s.hub.url("/api/v1/account/notifications"))
        .json(&json!({"channel": "telegram", "events": ["new_dialogue"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 400);
    let offer: Value = agent
        .post(s.hub.url("/api/v1/account/messengers/telegram"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = offer["code"].as_str().unwrap();
    assert_eq!(
        offer["url"],
        format!("https://t.me/{}?start=s-{code}", platforms::TELEGRAM_BOT)
    );
    let link = telegram_message(1, 30, 9001, &format!("/start s-{code}"));
    assert_eq!(
        s.platforms.telegram_update(&link, false).await.unwrap(),
        200
    );
    s.platforms
        .wait_sent(Duration::from_secs(10), |m| {
            m.to == "9001" && m.text.starts_with("Linked.")
        })
        .await
        .unwrap();
    // The code works once.
    let again = telegram_message(2, 31, 9002, &format!("/start s-{code}"));
    assert_eq!(
        s.platforms.telegram_update(&again, false).await.unwrap(),
        200
    );
    s.platforms
        .wait_sent(Duration::from_secs(10), |m| {
            m.to == "9002" && m.text.contains("expired")
        })
        .await
        .unwrap();
    let mine = get_json(&agent, &s.hub.url("/api/v1/account/notifications"))
        .await
        .unwrap();
    assert_eq!(mine["links"][0]["platform"], "telegram", "{mine}");
    let saved = agent
        .put(s.hub.url("/api/v1/account/notifications"))
        .json(&json!({"channel": "telegram", "events": ["new_dialogue", "call"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);

    // The agent's messenger is closed: one notice for a new dialogue, with a working link.
    let slug = slug_of(&s, "102").await;
    let start = telegram_message(3, 32, 7001, &format!("/start r-{slug}"));
    s.platforms.telegram_update(&start, false).await.unwrap();
    let first = telegram_message(4, 33, 7001, "Can I get an extra pillow?");
    s.platforms.telegram_update(&first, false).await.unwrap();
    let second = telegram_message(5, 34, 7001, "Thank you!");
    s.platforms.telegram_update(&second, false).await.unwrap();
    let notice = s
        .platforms
        .wait_sent(Duration::from_secs(10), |m| {
            m.to == "9001" && m.text.contains("pillow")
        })
        .await
        .unwrap();
    assert!(
        notice.text.contains("(room 102)"),
        "names the guest and the room: {}",
        notice.text
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let told = s
        .platforms
        .sent()
        .iter()
        .filter(|m| m.to == "9001" && !m.text.starts_with("Linked."))
        .count();
    assert_eq!(
        told, 1,
        "a new dialogue once; the guest's next message was not chosen"
    );
    let link = notice.text.lines().last().unwrap().to_owned();
    assert!(
        link.starts_with(&format!("{}/messenger/?open=", s.public)),
        "{link}"
    );
    let through_relay = s.relay.client_for(&s.public);
    let page = through_relay.get(&link).send().await.unwrap();
    assert_eq!(
        page.status(),
        200,
        "the link opens the Team Messenger through the relay"
    );

    // With the Team Messenger open, the messenger says it: nothing on Telegram.
    let cookie = e2e::chat::session_cookie(&s.hub, "agent").await.unwrap();
    let mut state = e2e::chat::TeamState::default();
    let _ws = e2e::chat::team_connect(s.hub.http, &cookie, &mut state)
        .await
        .unwrap();
    let before = s.platforms.sent().iter().filter(|m| m.to == "9001").count();
    let other = telegram_message(6, 35, 7002, "Hello from another guest");
    s.platforms.telegram_update(&other, false).await.unwrap();
    dialogue_with_text(&s, "Hello from another guest").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        s.platforms.sent().iter().filter(|m| m.to == "9001").count(),
        before
    );
}

/// Waits until a guest message `text` is stored.
async fn dialogue_with_text(s: &Setup, text: &str) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_replies_to_one_telegram_chat_keep_its_rate_and_honour_a_429() {
    let s = setup().await;
    connect(&s, "telegram", json!({"token": platforms::TELEGRAM_TOKEN})).await;
    let hello = telegram_message(1, 40, 8001, "Please send me the menu");
    s.platforms.telegram_update(&hello, false).await.unwrap();
    let id = dialogue_on(&s.owner, &s.hub, "telegram").await["id"]
        .as_i64()
        .unwrap();
    s.owner
        .post(s.hub.url(&format!("/api/v1/chat/dialogues/{id}/join")))
        .send()
        .await
        .unwrap();
    // The platform will ask to wait 3 s on the 11th send.
    let started = Instant::now();
    for i in 1..=100 {
        if i == 11 {
            s.platforms.plan_429(&[3]);
        }
        let r = s
            .owner
            .post(s.hub.url(&format!("/api/v1/chat/dialogues/{id}/messages")))
            .json(&json!({"body": format!("line {i}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let queued_in = started.elapsed();
    s.platforms
        .wait_sent(Duration::from_secs(150), |m| m.text == "line 100")
        .await
        .unwrap();
    let lines: Vec<String> = s
        .platforms
        .sent()
        .into_iter()
        .filter(|m| m.to == "8001" && m.text.starts_with("line "))
        .map(|m| m.text)
        .collect();
    let expected: Vec<String> = (1..=100).map(|i| format!("line {i}")).collect();
    assert_eq!(lines, expected, "all, once, in order");
    let calls: Vec<(Instant, String, u16)> = s
        .platforms
        .telegram_calls()
        .into_iter()
        .filter(|c| c.1 == "8001")
        .collect();
    let refused: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.2 == 429)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "only the planned 429: the outbox kept the per-chat rate itself"
    );
    let after = calls[refused[0]].0;
    let next = calls[refused[0] + 1].0;
    assert!(
        next.duration_since(after) >= Duration::from_secs(3),
        "retry_after honoured: {:?}",
        next.duration_since(after)
    );
    let accepted: Vec<Instant> = calls.iter().filter(|c| c.2 == 200).map(|c| c.0).collect();
    let min_gap = accepted
        .windows(2)
        .map(|w| w[1].duration_since(w[0]))
        .min()
        .unwrap();
    println!(
        "100 replies queued in {queued_in:?}; sent over {:?}; smallest gap {min_gap:?}",
        accepted.last().unwrap().duration_since(accepted[0])
    );
    assert!(
        min_gap >= Duration::from_millis(950),
        "one a second per chat: {min_gap:?}"
    );
}

/// A WhatsApp notification with one text message from `from`.
fn whatsapp_text(from: &str, id: &str, text: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "351912345678", "phone_number_id": platforms::WHATSAPP_PHONE_ID},
            "contacts": [{"profile": {"name": "João Silva"}, "wa_id": from}],
            "messages": [{"from": from, "id": id, "timestamp": "1764547200", "type": "text",
                "text": {"body": text}}]}}]}]})
    .to_string()
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_replies_outside_the_24_hour_window_are_held_and_the_agent_told() {
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::Utc::now();
    let platforms = Platforms::start(None).await.unwrap();
    let mut hub = e2e::inproc::InProc::start(
        dir.path(),
        hub::clock::Clock::manual(start),
        "http://127.0.0.1:9",
    )
    .await
    .unwrap();
    hub.with_messengers(&platforms.url).await.unwrap();
    let owner = hub.owner().await.unwrap();
    let r = owner
        .put(hub.api("/admin/messengers/whatsapp"))
        .json(
            &json!({"token": platforms::WHATSAPP_TOKEN, "app_secret": platforms::WHATSAPP_SECRET,
            "account_id": platforms::WHATSAPP_PHONE_ID}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let hook = format!("{}/hooks/whatsapp", hub.url);
    let body = whatsapp_text("351961234567", "wamid.W1", "Is the pool open?");
    assert_eq!(
        platforms
            .post_signed("whatsapp", &hook, &body, false)
            .await
            .unwrap(),
        200
    );
    let mut id = 0;
    eventually("the dialogue", Duration::from_secs(10), async || {
        let list = get_json(&owner, &hub.api("/chat/dialogues?view=unassigned"))
            .await
            .map_err(|e| e.to_string())?;
        id = list["dialogues"][0]["id"].as_i64().ok_or("none yet")?;
        Ok::<(), String>(())
    })
    .await;
    // The guest wrote with no room: asked once, in the language of their number (+351).
    platforms
        .wait_sent(Duration::from_secs(10), |m| {
            m.text.starts_with("Em que quarto")
        })
        .await
        .unwrap();
    owner
        .post(hub.api(&format!("/chat/dialogues/{id}/join")))
        .send()
        .await
        .unwrap();
    let say = async |text: &str| {
        let r = owner
            .post(hub.api(&format!("/chat/dialogues/{id}/messages")))
            .json(&json!({"body": text}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    };
    let window = get_json(&owner, &hub.api(&format!("/messengers/dialogues/{id}")))
        .await
        .unwrap();
    assert_eq!(window["open"], true, "{window}");
    say("Yes, until 20:00.").await;
    platforms
        .wait_sent(Duration::from_secs(10), |m| m.text == "Yes, until 20:00.")
        .await
        .unwrap();

    hub.time.set(start + chrono::Duration::hours(25));
    let window = get_json(&owner, &hub.api(&format!("/messengers/dialogues/{id}")))
        .await
        .unwrap();
    assert_eq!(window["open"], false, "{window}");
    say("Towels are at the pool bar.").await;
    eventually("the agent told", Duration::from_secs(10), async || {
        let d = get_json(&owner, &hub.api(&format!("/chat/dialogues/{id}")))
            .await
            .map_err(|e| e.to_string())?;
        let told = d["messages"].as_array().into_iter().flatten().any(|m| {
            m["private"] == true
                && m["body"]
                    .as_str()
                    .unwrap_or("")
                    .contains("more than 24 hours")
        });
        told.then_some(()).ok_or("no note yet".to_string())
    })
    .await;
    assert!(
        !platforms.sent().iter().any(|m| m.text.contains("Towels")),
        "nothing is sent outside the window"
    );
    // The guest writes again: the window opens, and the next reply goes.
    let body = whatsapp_text("351961234567", "wamid.W2", "Thanks, and tomorrow?");
    assert_eq!(
        platforms
            .post_signed("whatsapp", &hook, &body, false)
            .await
            .unwrap(),
        200
    );
    say("Tomorrow from 9:00.").await;
    platforms
        .wait_sent(Duration::from_secs(10), |m| m.text == "Tomorrow from 9:00.")
        .await
        .unwrap();
    hub.stop().await;
}

/// The owner's Messengers page, an agent linking Telegram, a WhatsApp conversation's
/// channel and reply window, and a room's guest page offering the messengers, in Chromium on
/// a phone and a desktop (`tests/browser/messengers.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_messengers_in_the_apps_and_on_a_guest_page_in_chromium() {
    let s = setup().await;
    connect(&s, "telegram", json!({"token": platforms::TELEGRAM_TOKEN})).await;
    connect(
        &s,
        "whatsapp",
        json!({"token": platforms::WHATSAPP_TOKEN,
        "app_secret": platforms::WHATSAPP_SECRET, "account_id": platforms::WHATSAPP_PHONE_ID}),
    )
    .await;
    let hook = format!("{}/hooks/whatsapp", s.public);
    let body = whatsapp_text("351961234567", "wamid.B1", "Bom dia! Há estacionamento?");
    assert_eq!(
        s.platforms
            .post_signed("whatsapp", &hook, &body, false)
            .await
            .unwrap(),
        200
    );
    dialogue_on(&s.owner, &s.hub, "whatsapp").await;
    let slug = slug_of(&s, "102").await;
    // The room's QR plate names the messengers (its code opens the page whose links
    // carry the room).
    let pages = get_json(&s.owner, &s.hub.url("/api/v1/admin/reception/pages"))
        .await
        .unwrap();
    let room = pages
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["room"] == "102")
        .unwrap();
    let svg = s
        .owner
        .get(s.hub.url(&format!(
            "/api/v1/admin/reception/pages/{}/plate?base=http://192.168.1.20:8080&format=svg",
            room["room_id"]
        )))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        svg.contains("Telegram") && svg.contains("WhatsApp"),
        "the plate names the messengers: {svg}"
    );
    let png = s
        .owner
        .get(s.hub.url(&format!(
            "/api/v1/admin/reception/pages/{}/plate?base=http://192.168.1.20:8080&format=png",
            room["room_id"]
        )))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let shots = e2e::workspace().join("target/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    std::fs::write(shots.join("messengers-plate.png"), &png).unwrap();
    let (owner_email, owner_password) = s.hub.password_of("owner");
    let (email, password) = s.hub.password_of("agent");
    let args = vec![
        s.hub.url(""),
        owner_email,
        owner_password,
        email,
        password,
        slug,
    ];
    crate::browser::run_script("messengers.mjs", args, "messengers ok").await;
}

/// The relay's shared Telegram bot: a hotel without its own takes it, a guest opens the
/// room's link and writes, the relay forwards to that hotel's hub over its link, the team's
/// answer goes back through the relay; a chat without a hotel's link is told to open one,
/// a forged forward is refused by the hub, and with the hub away the relay says "later".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hotel_without_a_bot_uses_the_relays_shared_bot() {
    let platforms = Platforms::start(None).await.unwrap();
    let relay = Relay::start_with(&format!(
        "[gateway]\ntelegram_token = \"{}\"\ntelegram_api = \"{}\"\n",
        platforms::TELEGRAM_TOKEN,
        platforms.url
    ))
    .unwrap();
    platforms.set_relay(relay.http);
    let (hook, _) = platforms
        .telegram_webhook()
        .expect("the relay set its bot's webhook");
    assert!(hook.ends_with("/gateway/telegram"), "{hook}");
    let mut env = relay.hub_env();
    env.extend(platforms.hub_env());
    let mut hub = Hub::start(HubOptions {
        env,
        ..HubOptions::default()
    })
    .unwrap();
    let public = linked(&hub, LINK_UP).await.unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let r = owner
        .put(hub.url("/api/v1/admin/messengers/telegram"))
        .json(&json!({"shared": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let status: Value = r.json().await.unwrap();
    assert_eq!(
        (status["shared"].clone(), status["name"].clone()),
        (json!(true), json!("@AuroraHotelBot"))
    );
    let hub_id = public
        .split("://")
        .nth(1)
        .unwrap()
        .split('.')
        .next()
        .unwrap()
        .to_owned();
    let pages = get_json(&owner, &hub.url("/api/v1/admin/reception/pages"))
        .await
        .unwrap();
    let slug = pages
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["room"] == "102")
        .unwrap()["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let links = get_json(&e2e::client(), &hub.url("/api/v1/messengers/links"))
        .await
        .unwrap();
    assert_eq!(
        links[0]["url"],
        format!("https://t.me/AuroraHotelBot?start=h-{hub_id}")
    );

    // The room's link names the hotel for the relay and the room for the hub.
    let start = telegram_message(1, 50, 4001, &format!("/start h-{hub_id}-r-{slug}"));
    assert_eq!(platforms.telegram_update(&start, false).await.unwrap(), 200);
    let greeting = platforms
        .wait_sent(Duration::from_secs(15), |m| m.to == "4001")
        .await
        .unwrap();
    assert!(greeting.text.contains("(102)"), "{}", greeting.text);
    let hello = telegram_message(2, 51, 4001, "Можно поздний выезд?");
    assert_eq!(platforms.telegram_update(&hello, false).await.unwrap(), 200);
    let d = dialogue_on(&owner, &hub, "telegram").await;
    assert!(d["visitor_tags"].to_string().contains("room-102"), "{d}");
    let id = d["id"].as_i64().unwrap();
    owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{id}/join")))
        .send()
        .await
        .unwrap();
    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{id}/messages")))
        .json(&json!({"body": "Да, до 14:00."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    platforms
        .wait_sent(Duration::from_secs(15), |m| {
            m.to == "4001" && m.text == "Да, до 14:00."
        })
        .await
        .unwrap();

    // A chat with no hotel's link is asked to open one; nothing reaches the hub.
    let stray = telegram_message(3, 52, 4002, "hello?");
    assert_eq!(platforms.telegram_update(&stray, false).await.unwrap(), 200);
    let told = platforms
        .wait_sent(Duration::from_secs(10), |m| m.to == "4002")
        .await
        .unwrap();
    assert!(told.text.contains("Откройте ссылку"), "{}", told.text);
    // A forward not signed with the hub's secret is refused by the hub.
    let forged = telegram_message(4, 53, 4001, "forged through the relay");
    let r = relay
        .client_for(&public)
        .post(format!("{public}/hooks/gateway/telegram"))
        .header(
            "x-relay-signature",
            platforms::hmac_hex("guess", forged.to_string().as_bytes()),
        )
        .json(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The hub away: the relay answers "later", so Telegram keeps the update.
    hub.kill_hard();
    let later = telegram_message(5, 54, 4001, "are you there?");
    assert_eq!(platforms.telegram_update(&later, false).await.unwrap(), 503);
}
