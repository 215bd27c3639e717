//! Messenger channels (CLOUD-2, CLOUD-3, TEAM-3) against local stand-ins of Telegram,
//! Viber, WhatsApp Cloud API and Messenger (`e2e::messengers`), with the real relay between
//! the platforms and the hub: a guest writes from a room's link and lands in the Team
//! Messenger with the unit, the team's text and photo arrive at the platform in its shape,
//! forged webhooks are refused and counted, a relay outage delays and never doubles, 100
//! replies to one chat keep Telegram's rate, and Meta's 24-hour window holds replies.
//! The staff's side is `messengers_staff`.

use std::time::{Duration, Instant};

use e2e::messengers::{self as platforms, *};
use e2e::{eventually, get_json};
use serde_json::{json, Value};

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
    forged_then_signed(&s, "viber", &hook, raw.as_bytes()).await;
    let picture = room_101_answered(&s, "viber", "Ja, bis 14 Uhr.", "picture")
        .await
        .1;
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
    forged_then_signed(&s, "whatsapp", &hook, raw.as_bytes()).await;
    let (d, image) = room_101_answered(&s, "whatsapp", "Já levamos.", "image").await;
    let guest: Vec<Value> = messages_of(&s.owner, &s.hub, d)
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
    forged_then_signed(&s, "messenger", &hook, raw.as_bytes()).await;
    let image = room_101_answered(&s, "messenger", "Yes, 7 to 10.", "image")
        .await
        .1;
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
