//! One guest and the team over the real sockets: hello and token, ack after commit, the
//! Team Messenger sees the message, joins, replies; private notes never reach the guest;
//! a resent client id is acked again and not stored twice; resume sends only what was
//! missed.

use std::time::Duration;

use e2e::chat::{
    edit_chat_settings, guest_connect, new_guest_dialogue, recv, recv_until, say, send,
    session_cookie, team_connect, widget_key, GuestState, TeamState,
};
use e2e::{get_json, Hub};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn is_ack(id: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["type"] == "ack" && v["client_id"] == id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_and_an_agent_talk_and_nothing_doubles() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let cookie = session_cookie(&hub, "owner").await.unwrap();

    // Away by choice: the messenger is open, but new conversations wait in the queue.
    let away = owner
        .put(hub.url("/api/v1/me/status"))
        .json(&json!({"status": "away", "offline_notifications": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(away.status(), 200);
    let mut team = TeamState::default();
    let mut staff_ws = team_connect(hub.http, &cookie, &mut team).await.unwrap();

    let mut guest = GuestState::default();
    let mut ws = guest_connect(
        hub.http,
        &key,
        &mut guest,
        "https://hotel.example/rooms?utm_source=mail",
    )
    .await
    .unwrap();
    assert!(
        guest.token.as_deref().is_some_and(|t| t.len() >= 32),
        "a new guest gets a token"
    );

    send(
        &mut ws,
        json!({"type": "send", "client_id": "g-1", "body": "Hello, is breakfast included?"}),
    )
    .await
    .unwrap();
    let ack = recv_until(&mut ws, WAIT, |v| guest.absorb(v), is_ack("g-1"))
        .await
        .unwrap();
    assert_eq!(ack["seq"], 1);
    let dialogue = ack["dialogue_id"].as_i64().unwrap();

    // The same client id again (a resend after a lost ack): acked, not stored twice.
    send(
        &mut ws,
        json!({"type": "send", "client_id": "g-1", "body": "Hello, is breakfast included?"}),
    )
    .await
    .unwrap();
    let again = recv_until(&mut ws, WAIT, |v| guest.absorb(v), is_ack("g-1"))
        .await
        .unwrap();
    assert_eq!(again["seq"], 1);
    assert_eq!(again["duplicate"], true);

    let seen = recv_until(
        &mut staff_ws,
        WAIT,
        |v| team.absorb(v),
        |v| v["type"] == "message" && v["message"]["body"] == "Hello, is breakfast included?",
    )
    .await
    .unwrap();
    assert_eq!(seen["message"]["dialogue_id"], dialogue);

    // Unassigned until someone joins; replying before joining is refused.
    let list = get_json(&owner, &hub.url("/api/v1/chat/dialogues?view=unassigned"))
        .await
        .unwrap();
    assert_eq!(list["dialogues"][0]["id"], dialogue, "{list}");
    send(
        &mut staff_ws,
        json!({"type": "send", "client_id": "s-0", "dialogue_id": dialogue, "body": "too early"}),
    )
    .await
    .unwrap();
    let refused = recv_until(
        &mut staff_ws,
        WAIT,
        |v| team.absorb(v),
        |v| v["type"] == "error",
    )
    .await
    .unwrap();
    assert_eq!(refused["code"], "conflict", "{refused}");

    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{dialogue}/join")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    send(
        &mut staff_ws,
        json!({"type": "send", "client_id": "n-1", "dialogue_id": dialogue,
        "body": "VIP guest, be nice", "private": true}),
    )
    .await
    .unwrap();
    recv_until(&mut staff_ws, WAIT, |v| team.absorb(v), is_ack("n-1"))
        .await
        .unwrap();
    send(
        &mut staff_ws,
        json!({"type": "send", "client_id": "s-1", "dialogue_id": dialogue,
        "body": "Yes, breakfast is included."}),
    )
    .await
    .unwrap();
    recv_until(&mut staff_ws, WAIT, |v| team.absorb(v), is_ack("s-1"))
        .await
        .unwrap();

    let reply = recv_until(
        &mut ws,
        WAIT,
        |v| guest.absorb(v),
        |v| v["type"] == "message" && v["message"]["author_kind"] == "staff",
    )
    .await
    .unwrap();
    assert_eq!(reply["message"]["body"], "Yes, breakfast is included.");
    assert!(
        !guest
            .received
            .iter()
            .any(|(_, _, id)| { team.received.iter().any(|(_, s, i)| i == id && *s == 3) }),
        "the private note (seq 3) never reached the guest"
    );

    // Drop the guest; staff write twice; the guest resumes from its last sequence.
    drop(ws);
    for (cid, body) in [("s-2", "We serve from 7 to 10."), ("s-3", "Anything else?")] {
        send(
            &mut staff_ws,
            json!({"type": "send", "client_id": cid, "dialogue_id": dialogue, "body": body}),
        )
        .await
        .unwrap();
        recv_until(
            &mut staff_ws,
            WAIT,
            |v| team.absorb(v),
            |v| v["type"] == "ack" && v["client_id"] == cid,
        )
        .await
        .unwrap();
    }
    let before = guest.received.len();
    let mut ws = guest_connect(hub.http, &key, &mut guest, "https://hotel.example/rooms")
        .await
        .unwrap();
    recv_until(
        &mut ws,
        WAIT,
        |v| guest.absorb(v),
        |v| v["message"]["body"] == "Anything else?",
    )
    .await
    .unwrap();
    assert_eq!(
        guest.received.len(),
        before + 2,
        "exactly the two missed messages"
    );
    e2e::chat::assert_in_order_once("guest", &guest.received);

    // The visitor card shows the landing page's UTM source and the address.
    let detail = get_json(
        &owner,
        &hub.url(&format!("/api/v1/chat/dialogues/{dialogue}")),
    )
    .await
    .unwrap();
    assert_eq!(detail["visitor"]["utm"]["utm_source"], "mail", "{detail}");
    assert_eq!(detail["visitor"]["ip"], "127.0.0.1");
    assert_eq!(detail["online"], true);
    let metrics = e2e::client()
        .get(hub.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // (The dropped socket may still be closing: at least the open one counts.)
    let sockets: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("hub_chat_guest_sockets "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(sockets >= 1.0, "{metrics}");
    assert!(detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["private"] == true));

    // End; the guest rates it; it shows in History with the rating.
    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{dialogue}/end")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    recv_until(
        &mut ws,
        WAIT,
        |v| guest.absorb(v),
        |v| v["type"] == "dialogue" && v["dialogue"]["state"] == "ended",
    )
    .await
    .unwrap();
    send(
        &mut ws,
        json!({"type": "rate", "dialogue_id": dialogue, "rating": 5, "comment": "Lovely"}),
    )
    .await
    .unwrap();
    let rated = recv_until(
        &mut ws,
        WAIT,
        |v| guest.absorb(v),
        |v| v["type"] == "rated" || v["type"] == "error",
    )
    .await
    .unwrap();
    assert_eq!(rated["type"], "rated", "{rated}");
    let history = get_json(&owner, &hub.url("/api/v1/chat/dialogues?view=history"))
        .await
        .unwrap();
    assert_eq!(history["dialogues"][0]["rating"], 5, "{history}");
    assert_eq!(history["totals"]["average_rating"], 5.0);
    e2e::chat::assert_in_order_once("owner", &team.received);
    let _ = recv(&mut staff_ws, Duration::from_millis(10)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_comes_before_a_new_dialogue_except_on_excluded_channels() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    // A dialogue opened before consent was switched on is not affected.
    let (mut early, _, _) = new_guest_dialogue(&hub, &key, "before").await.unwrap();
    edit_chat_settings(&owner, &hub, |s| {
        s["consent"] = json!({"enabled": true, "text": "We keep this chat for 30 days.",
            "link": "https://hotel.example/privacy", "excluded_channels": ["kiosk"]});
    })
    .await
    .unwrap();
    let line = |cid: &str, consent: bool| json!({"type": "send", "client_id": cid, "body": "hi", "consent": consent});

    let mut g = GuestState::default();
    let mut ws = guest_connect(hub.http, &key, &mut g, "https://hotel.example/")
        .await
        .unwrap();
    let refused = say(&mut ws, line("x1", false), |_| {}).await.unwrap();
    assert_eq!(refused["code"], "consent_required", "{refused}");
    assert_eq!(
        say(&mut ws, line("x2", true), |_| {}).await.unwrap()["type"],
        "ack"
    );
    let open = say(&mut ws, line("x3", false), |_| {}).await.unwrap();
    assert_eq!(open["type"], "ack", "the dialogue is open now");
    assert_eq!(
        say(&mut early, line("e2", false), |_| {}).await.unwrap()["type"],
        "ack"
    );

    // A file cannot open a dialogue without consent either.
    let mut other = GuestState::default();
    let _other_ws = guest_connect(hub.http, &key, &mut other, "https://hotel.example/")
        .await
        .unwrap();
    let upload = |consent: &'static str| {
        e2e::client()
            .post(hub.url("/api/v1/guest/attachments"))
            .header("x-guest-token", other.token.clone().unwrap())
            .header("x-file-name", "note.txt")
            .header("x-consent", consent)
            .body("hello")
            .send()
    };
    let r = upload("0").await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "consent_required"
    );
    assert_eq!(upload("1").await.unwrap().status(), 201);

    // The lobby tablet's channel is excluded.
    let url = format!("ws://{}/ws/guest", hub.http);
    let (mut kiosk, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    send(
        &mut kiosk,
        json!({"type": "hello", "key": key, "channel": "kiosk"}),
    )
    .await
    .unwrap();
    recv_until(&mut kiosk, WAIT, |_| {}, |v| v["type"] == "welcome")
        .await
        .unwrap();
    assert_eq!(
        say(&mut kiosk, line("k1", false), |_| {}).await.unwrap()["type"],
        "ack"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_visitor_card_places_the_address_with_a_geoip_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("city.mmdb");
    e2e::run_ok(
        std::process::Command::new(e2e::python())
            .arg(e2e::workspace().join("tests/peers/make_mmdb.py"))
            .arg(&db),
    )
    .unwrap();
    let with_db = e2e::HubOptions {
        env: vec![("HUB_CHAT__GEOIP_DATABASE".into(), db.display().to_string())],
        ..e2e::HubOptions::default()
    };
    // Without a database the location is unknown, not guessed.
    for (options, expected) in [
        (with_db, "Lisbon, Portugal"),
        (e2e::HubOptions::default(), ""),
    ] {
        let hub = Hub::start(options).unwrap();
        let owner = hub.signed_in("owner").await.unwrap();
        let key = widget_key(&owner, &hub).await.unwrap();
        let (_ws, _, d) = new_guest_dialogue(&hub, &key, "Olá").await.unwrap();
        let detail = get_json(&owner, &hub.url(&format!("/api/v1/chat/dialogues/{d}")))
            .await
            .unwrap();
        assert_eq!(detail["visitor"]["location"], expected, "{detail}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_actions_direct_messages_and_search() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let agent = hub.signed_in("agent").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let team = get_json(&owner, &hub.url("/api/v1/chat/colleagues"))
        .await
        .unwrap();
    let agent_id = team
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "agent")
        .unwrap()["id"]
        .as_i64()
        .unwrap();

    let (mut ws, _, d) = new_guest_dialogue(&hub, &key, "Can I book a massage tomorrow?")
        .await
        .unwrap();
    let post =
        |c: &reqwest::Client, path: String, body: Value| c.post(hub.url(&path)).json(&body).send();

    // The owner joins and hands it to the agent; the agent now has it under Mine.
    assert_eq!(
        post(
            &owner,
            format!("/api/v1/chat/dialogues/{d}/join"),
            json!({})
        )
        .await
        .unwrap()
        .status(),
        204
    );
    assert_eq!(
        post(
            &owner,
            format!("/api/v1/chat/dialogues/{d}/assign"),
            json!({"user_id": agent_id})
        )
        .await
        .unwrap()
        .status(),
        204
    );
    let mine = get_json(&agent, &hub.url("/api/v1/chat/dialogues?view=mine"))
        .await
        .unwrap();
    assert_eq!(mine["dialogues"][0]["id"], d, "{mine}");
    // The agent may not see colleagues' lists by default.
    assert_eq!(
        agent
            .get(hub.url("/api/v1/chat/dialogues?view=others"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // Mark unread, then leave: it goes back to the owner, still in the dialogue.
    assert_eq!(
        post(
            &agent,
            format!("/api/v1/chat/dialogues/{d}/unread"),
            json!({})
        )
        .await
        .unwrap()
        .status(),
        204
    );
    let mine = get_json(&agent, &hub.url("/api/v1/chat/dialogues?view=mine"))
        .await
        .unwrap();
    assert_eq!(mine["dialogues"][0]["marked_unread"], true);
    assert_eq!(
        post(
            &agent,
            format!("/api/v1/chat/dialogues/{d}/leave"),
            json!({})
        )
        .await
        .unwrap()
        .status(),
        204
    );
    let detail = get_json(&owner, &hub.url(&format!("/api/v1/chat/dialogues/{d}")))
        .await
        .unwrap();
    assert_eq!(detail["dialogue"]["state"], "assigned");
    assert_ne!(detail["dialogue"]["assignee_id"], agent_id);
    assert_eq!(
        agent
            .get(hub.url(&format!("/api/v1/chat/dialogues/{d}")))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "an agent does not see a colleague's dialogue"
    );
    // Invite brings the agent back alongside the owner.
    assert_eq!(
        post(
            &owner,
            format!("/api/v1/chat/dialogues/{d}/invite"),
            json!({"user_id": agent_id})
        )
        .await
        .unwrap()
        .status(),
        204
    );
    assert_eq!(
        agent
            .get(hub.url(&format!("/api/v1/chat/dialogues/{d}")))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Direct messages between staff: the agent's socket gets them; the guest never does.
    let agent_cookie = session_cookie(&hub, "agent").await.unwrap();
    let mut agent_team = TeamState::default();
    let mut agent_ws = team_connect(hub.http, &agent_cookie, &mut agent_team)
        .await
        .unwrap();
    let direct = post(
        &owner,
        "/api/v1/chat/direct".into(),
        json!({"user_id": agent_id}),
    )
    .await
    .unwrap();
    let dm = direct.json::<Value>().await.unwrap()["dialogue_id"]
        .as_i64()
        .unwrap();
    let again = post(
        &owner,
        "/api/v1/chat/direct".into(),
        json!({"user_id": agent_id}),
    )
    .await
    .unwrap();
    assert_eq!(
        again.json::<Value>().await.unwrap()["dialogue_id"],
        dm,
        "one direct dialogue per pair"
    );
    let r = post(
        &owner,
        format!("/api/v1/chat/dialogues/{dm}/messages"),
        json!({"client_id": "dm1", "body": "Spa is full tomorrow, offer Thursday"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    recv_until(
        &mut agent_ws,
        WAIT,
        |v| agent_team.absorb(v),
        |v| v["type"] == "message" && v["message"]["dialogue_id"] == dm,
    )
    .await
    .unwrap();
    let direct_list = get_json(&agent, &hub.url("/api/v1/chat/dialogues?view=direct"))
        .await
        .unwrap();
    assert_eq!(direct_list["dialogues"][0]["id"], dm);
    assert!(recv(&mut ws, Duration::from_millis(300))
        .await
        .map(|v| !v.to_string().contains("Thursday"))
        .unwrap_or(true));

    // "Load older": the page before a sequence, oldest first.
    let older = get_json(
        &owner,
        &hub.url(&format!("/api/v1/chat/dialogues/{d}/messages?before_seq=3")),
    )
    .await
    .unwrap();
    let seqs: Vec<i64> = older
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, vec![1, 2]);

    // Search finds words in dialogues one may see, and never leaks FTS syntax errors.
    let hits = get_json(&owner, &hub.url("/api/v1/chat/search?q=massag"))
        .await
        .unwrap();
    assert_eq!(hits[0]["dialogue_id"], d, "{hits}");
    let hits = get_json(&owner, &hub.url("/api/v1/chat/search?q=%22OR%20NEAR("))
        .await
        .unwrap();
    assert!(hits.as_array().unwrap().is_empty());
    let hits = get_json(&agent, &hub.url("/api/v1/chat/search?q=thursday"))
        .await
        .unwrap();
    assert_eq!(hits[0]["dialogue_id"], dm);
}
