//! Messengers for the staff and the owner (CLOUD-3, TEAM-3, CLOUD-2): a member linked to
//! Telegram is told once and not while in the Team Messenger; the Messengers page, My
//! account and a guest page in Chromium; and the relay's shared bot for a hotel without one.

use std::time::Duration;

use e2e::messengers::{self as platforms, *};
use e2e::relay::{linked, Relay};
use e2e::{get_json, Hub, HubOptions};
use serde_json::{json, Value};

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
    // The website's chat button offers them in its channels panel, from its settings.
    let key = e2e::chat::widget_key(&s.owner, &s.hub).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws/guest", s.hub.http))
        .await
        .unwrap();
    let hello = json!({"type": "hello", "key": key, "page": {"url": "https://hotel.example/", "title": "Home"}});
    e2e::chat::send(&mut ws, hello).await.unwrap();
    let welcome = e2e::chat::recv(&mut ws, Duration::from_secs(10))
        .await
        .unwrap();
    let offered = welcome["settings"]["widget"]["messenger_links"].to_string();
    assert!(
        offered.contains("https://t.me/AuroraHotelBot")
            && offered.contains("https://wa.me/351912345678"),
        "{offered}"
    );
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
