//! The apps in a real browser (Debian chromium driven by playwright-core). The admin app:
//! set-up with the code, owner sign-in, invite, the invitee joins in a second context, the
//! agent cannot open team settings (`tests/browser/admin-flow.mjs`). The chat: the widget on
//! another origin and the Team Messenger, guest and agent (`tests/browser/chat-flow.mjs`).
//! Devices: discover, import, switch and live cards (`tests/browser/devices-flow.mjs`).
//! Scenarios: one made with the form, run by hand, its trace (`tests/browser/scenarios-flow.mjs`).
//! Presence: conversations go to staff with the messenger open (`tests/browser/chat-presence.mjs`).
//! Every admin and messenger view at 390×844 and 1280×900, nothing wider than the window
//! (`tests/browser/phone-views.mjs`). A room's guest page on three screens in two languages
//! (`tests/browser/guest-page.mjs`), and its editor with the live preview
//! (`tests/browser/guest-page-editor.mjs`), and the QR plate editor with its print view
//! (`tests/browser/plate-editor.mjs`).

use std::process::Command;

use e2e::{eventually, get_json, run_ok, workspace, Hub, HubOptions};
use serde_json::json;

/// Reads the property settings as the owner, lets `edit` change them, and saves them.
pub(crate) async fn edit_property(
    owner: &reqwest::Client,
    hub: &Hub,
    edit: impl FnOnce(&mut serde_json::Value),
) {
    let mut property = get_json(owner, &hub.url("/api/v1/property")).await.unwrap();
    edit(&mut property);
    let r = owner
        .put(hub.url("/api/v1/admin/property"))
        .json(&property)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

/// Runs `tests/browser/<script>` with node; its output must contain `ok_line`.
pub(crate) async fn run_script(script: &str, args: Vec<String>, ok_line: &str) -> String {
    let path = workspace().join("tests/browser").join(script);
    let shots = workspace().join("target/screenshots");
    let out = tokio::task::spawn_blocking(move || {
        run_ok(Command::new("node").arg(path).args(args).arg(shots))
    })
    .await
    .unwrap()
    .unwrap();
    assert!(out.contains(ok_line), "{out}");
    out
}

#[test]
fn setup_invite_and_roles_in_chromium() {
    let hub = Hub::start(HubOptions {
        demo: false,
        ..HubOptions::default()
    })
    .unwrap();
    let code = hub
        .setup_code
        .clone()
        .expect("a fresh hub prints its set-up code");
    let shots = workspace().join("target/screenshots");
    let out = run_ok(
        Command::new("node")
            .arg(workspace().join("tests/browser/admin-flow.mjs"))
            .arg(hub.url(""))
            .arg(&code)
            .arg(&shots),
    )
    .unwrap();
    assert!(out.contains("admin flow ok"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_and_an_agent_chat_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    // Always open, so the test does not depend on the hour it runs at.
    edit_property(&owner, &hub, |p| p["working_hours"] = json!([])).await;
    let r = owner
        .post(hub.url("/api/v1/chat/shortcuts"))
        .json(&json!({"code": "wifi", "body": "The Wi-Fi is SeaviewGuests, password seaview2026."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let key = e2e::chat::widget_key(&owner, &hub).await.unwrap();
    let (email, password) = hub.password_of("agent");
    let (owner_email, owner_password) = hub.password_of("owner");
    let args = vec![
        hub.url(""),
        key,
        email,
        password,
        owner_email,
        owner_password,
    ];
    run_script("chat-flow.mjs", args, "chat flow ok").await;
}

/// Presence is the open Team Messenger: the agent with it open is given the new guest's
/// conversation (and the guest is not told anyone joined); with it closed, the next one
/// waits under Unassigned, and once ended unanswered shows under Missed
/// (`tests/browser/chat-presence.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_go_to_staff_with_the_messenger_open_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    edit_property(&owner, &hub, |p| p["working_hours"] = json!([])).await;
    let key = e2e::chat::widget_key(&owner, &hub).await.unwrap();
    let (email, password) = hub.password_of("agent");
    let (owner_email, owner_password) = hub.password_of("owner");
    let args = vec![
        hub.url(""),
        key,
        email,
        password,
        owner_email,
        owner_password,
    ];
    run_script("chat-presence.mjs", args, "presence flow ok").await;
}

/// A Russian guest reads no English word, through consent, the bot's greeting and answer,
/// a hand-off, a join, the end and the rating; the owner writes the Russian texts in the
/// admin app beside the English ones (`tests/browser/chat-russian.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_russian_guest_reads_russian_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    edit_property(&owner, &hub, |p| {
        p["working_hours"] = json!([]);
        p["languages"] = json!(["en", "ru"]);
    })
    .await;
    e2e::chat::edit_chat_settings(&owner, &hub, |s| {
        s["widget"]["language"] = json!("auto");
        s["consent"] = json!({"enabled": true, "text": "We keep this conversation for a year.",
                              "link": "", "excluded_channels": []});
        s["automation"]["welcome_message"] = json!("Welcome to Seaview!");
        s["automation"]["keyword_answers"] = json!([
            {"keywords": ["parking", "парковка", "парковки"], "answer": "Parking is free behind the house."}
        ]);
        s["automation"]["handoff_words"] = json!(["human", "оператор"]);
    })
    .await
    .unwrap();
    let key = e2e::chat::widget_key(&owner, &hub).await.unwrap();
    let (email, password) = hub.password_of("agent");
    let (owner_email, owner_password) = hub.password_of("owner");
    let args = vec![
        hub.url(""),
        key,
        email,
        password,
        owner_email,
        owner_password,
    ];
    run_script("chat-russian.mjs", args, "russian flow ok").await;
}

/// A Web Push delivered to the Team Messenger's service worker shows a notification whose
/// link opens the conversation (`tests/browser/messenger-push.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_notification_opens_the_conversation_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = e2e::chat::widget_key(&owner, &hub).await.unwrap();
    let (_ws, _guest, dialogue) = e2e::chat::new_guest_dialogue(&hub, &key, "Is the sauna open?")
        .await
        .unwrap();
    let (email, password) = hub.password_of("agent");
    // Everyone sees an unassigned conversation.
    let args = vec![
        hub.url(""),
        email,
        password,
        dialogue.to_string(),
        "Is the sauna open?".to_owned(),
    ];
    run_script("messenger-push.mjs", args, "push flow ok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_hours_the_widget_takes_a_message_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    // Open for one minute a day, twelve hours from now: closed whenever the test runs.
    edit_property(&owner, &hub, |p| {
        let tz: chrono_tz::Tz = p["time_zone"].as_str().unwrap().parse().unwrap();
        let later = (chrono::Utc::now() + chrono::Duration::hours(12)).with_timezone(&tz);
        let open = later.format("%H:%M").to_string();
        let close = (later + chrono::Duration::minutes(1))
            .format("%H:%M")
            .to_string();
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        p["working_hours"] = json!(days
            .iter()
            .map(|d| json!({"day": d, "open": open, "close": close}))
            .collect::<Vec<_>>());
        p["out_of_hours_text"] = json!("Our night desk opens at 8. Leave us a message!");
        p["languages"] = json!(["en", "pt"]);
        p["out_of_hours_texts"] = json!({"pt": "A receção abre às 8. Deixe-nos uma mensagem!"});
    })
    .await;
    e2e::chat::edit_chat_settings(&owner, &hub, |s| {
        s["automation"]["page_messages"] =
            json!([{"url_contains": "/rooms", "after_seconds": 1, "text": "Need help choosing a room?",
                    "texts": {"pt": "Precisa de ajuda para escolher um quarto?"}}]);
        s["widget"]["language"] = json!("pt");
    })
    .await
    .unwrap();
    let key = e2e::chat::widget_key(&owner, &hub).await.unwrap();
    let (email, password) = hub.password_of("agent");
    let args = vec![hub.url(""), key, email, password];
    run_script("chat-offline.mjs", args, "offline flow ok").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_discovers_imports_and_switches_a_device_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let (email, password) = hub.password_of("owner");
    run_script(
        "devices-flow.mjs",
        vec![hub.url(""), email, password],
        "devices flow ok",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_makes_a_scenario_with_the_form_runs_it_and_reads_its_trace() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    // The demo's terrace bulb joins over MQTT and is put in "Outside lights".
    eventually(
        "an Outside lights group",
        std::time::Duration::from_secs(20),
        async || {
            let groups = get_json(&owner, &hub.url("/api/v1/admin/device-groups"))
                .await
                .unwrap();
            groups.to_string().contains("Outside lights")
        },
    )
    .await;
    let (email, password) = hub.password_of("owner");
    run_script(
        "scenarios-flow.mjs",
        vec![hub.url(""), email, password],
        "scenarios flow ok",
    )
    .await;
}

/// Every view of the admin app and the Team Messenger, on a phone and a desktop: nothing is
/// wider than the window; a screenshot of each is kept (`tests/browser/phone-views.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_fits_a_phone_and_a_desktop_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let (owner_email, owner_password) = hub.password_of("owner");
    let (email, password) = hub.password_of("agent");
    let args = vec![hub.url(""), owner_email, owner_password, email, password];
    run_script("phone-views.mjs", args, "phone views ok").await;
}

/// A guest opens room 102's page on a phone, a tablet and a desktop, in Russian and in
/// English, switches to Portuguese, and asks for the weather where they are
/// (`tests/browser/guest-page.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_opens_a_room_page_on_three_screens_in_chromium() {
    // The forecast from a stand-in on loopback: the page's own and the guest's position's.
    let (_clock, time) = hub::clock::Clock::manual(chrono::Utc::now());
    let meteo = e2e::standins::OpenMeteo::start(time).await.unwrap();
    meteo.set_at(
        38.7,
        -9.1,
        e2e::standins::Sky {
            cloud_cover: 90.0,
            temperature: 11.0,
        },
    );
    let hub = Hub::start(HubOptions {
        env: vec![("HUB_WEATHER__BASE_URL".into(), meteo.url.clone())],
        ..HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let pages = get_json(&owner, &hub.url("/api/v1/admin/reception/pages"))
        .await
        .unwrap();
    let path = pages
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["room"] == "102")
        .and_then(|p| p["path"].as_str())
        .expect("room 102 has a page")
        .to_owned();
    // The chat takes messages around the clock while it runs (no hours set).
    edit_property(&owner, &hub, |p| p["working_hours"] = json!([])).await;
    let (email, password) = hub.password_of("agent");
    run_script(
        "guest-page.mjs",
        vec![hub.url(""), path, email, password],
        "guest page ok",
    )
    .await;
}

/// The owner designs the guest page: the preview follows every change before it is saved,
/// guests see it once saved (`tests/browser/guest-page-editor.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_edits_the_guest_page_and_sees_the_preview_change_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let (email, password) = hub.password_of("owner");
    run_script(
        "guest-page-editor.mjs",
        vec![hub.url(""), email, password],
        "guest page editor ok",
    )
    .await;
}

/// The owner designs the QR plates: the preview follows each change before it is saved, the
/// print view shows every plate on a phone and a desktop (`tests/browser/plate-editor.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_designs_the_plates_and_prints_them_in_chromium() {
    let hub = Hub::start_demo().unwrap();
    let (email, password) = hub.password_of("owner");
    run_script(
        "plate-editor.mjs",
        vec![hub.url(""), email, password],
        "plate editor ok",
    )
    .await;
}

/// A lobby tablet is paired with the owner's code and shows the idle screen in landscape,
/// portrait and on a small screen; a guest writes from it and the dialogue is tagged with
/// the kiosk (`tests/browser/kiosk.mjs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lobby_tablet_pairs_shows_the_idle_screen_and_takes_a_message_in_chromium() {
    // A forecast from a stand-in on loopback, so the idle screen shows its weather card.
    let (_clock, time) = hub::clock::Clock::manual(chrono::Utc::now());
    let meteo = e2e::standins::OpenMeteo::start(time).await.unwrap();
    let hub = Hub::start(HubOptions {
        env: vec![("HUB_WEATHER__BASE_URL".into(), meteo.url.clone())],
        ..HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    // The chat takes messages around the clock while it runs (no hours set).
    edit_property(&owner, &hub, |p| p["working_hours"] = json!([])).await;
    let (email, password) = hub.password_of("owner");
    run_script("kiosk.mjs", vec![hub.url(""), email, password], "kiosk ok").await;
    let dialogues = get_json(&owner, &hub.url("/api/v1/chat/dialogues?view=unassigned"))
        .await
        .unwrap();
    assert_eq!(
        dialogues["dialogues"][0]["visitor_tags"],
        json!(["kiosk-Lobby"]),
        "the list says the guest wrote from the kiosk: {dialogues}"
    );
}

/// The kiosk calls, two members' messengers ring, one answers and the other stops ringing;
/// media crosses the hub both ways; a call nobody answers is missed
/// (`tests/browser/calls.mjs`). The log then holds both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_call_rings_every_messenger_and_crosses_the_hub_in_chromium() {
    let hub = Hub::start(HubOptions {
        env: vec![("HUB_CALLS__MEDIA_ADDRESS".into(), "127.0.0.1".into())],
        ..HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    edit_property(&owner, &hub, |p| p["working_hours"] = json!([])).await;
    let (owner_email, owner_password) = hub.password_of("owner");
    let (agent_email, agent_password) = hub.password_of("agent");
    let pid = hub.child.id().to_string();
    run_script(
        "calls.mjs",
        vec![
            hub.url(""),
            pid,
            owner_email,
            owner_password,
            agent_email,
            agent_password,
        ],
        "calls ok",
    )
    .await;
    let log = get_json(&owner, &hub.url("/api/v1/calls")).await.unwrap();
    assert_eq!(
        (&log["total"], &log["answered"], &log["missed"]),
        (&json!(3), &json!(2), &json!(1)),
        "{log}"
    );
    assert_eq!(
        log["calls"][0]["outcome"], "answered",
        "the widget's: {log}"
    );
    assert_eq!(log["calls"][0]["kiosk_id"], json!(null), "{log}");
    assert_eq!(log["calls"][1]["outcome"], "missed", "{log}");
    assert_eq!(log["calls"][1]["video"], false, "{log}");
    assert_eq!(log["calls"][2]["outcome"], "answered", "{log}");
    assert_eq!(log["calls"][2]["answered_by_name"], "Andre Agent", "{log}");

    // The document scan the agent took: kept encrypted, shown to the owner only, each
    // view logged.
    let agent = hub.signed_in("agent").await.unwrap();
    let status = agent
        .get(hub.url("/api/v1/scans"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 403);
    let scans = get_json(&owner, &hub.url("/api/v1/scans")).await.unwrap();
    assert_eq!(scans.as_array().unwrap().len(), 1, "{scans}");
    let scan = &scans[0];
    assert_eq!(scan["asked_by_name"], "Andre Agent", "{scan}");
    assert_eq!(scan["kiosk_name"], "Lobby", "{scan}");
    let image = format!("/api/v1/scans/{}/image", scan["id"]);
    let status = agent.get(hub.url(&image)).send().await.unwrap().status();
    assert_eq!(status.as_u16(), 403);
    let r = owner.get(hub.url(&image)).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let jpeg = r.bytes().await.unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG comes back");
    let on_disk = std::fs::read(hub.data.join(format!("scans/{}.scan", scan["id"]))).unwrap();
    assert!(
        !on_disk.starts_with(&[0xFF, 0xD8]),
        "the file is not the image"
    );
    for at in [64, jpeg.len() / 2, jpeg.len() - 96] {
        let stretch = &jpeg[at..at + 32];
        assert!(
            !on_disk.windows(32).any(|w| w == stretch),
            "no stretch of the image is readable on disk"
        );
    }
    let scans = get_json(&owner, &hub.url("/api/v1/scans")).await.unwrap();
    assert_eq!(
        scans[0]["views"][0]["member_name"], "Olivia Owner",
        "{scans}"
    );
}
