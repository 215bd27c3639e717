//! Calls through the hub (DESK-3) with a second WebRTC implementation: aiortc
//! (`tests/peers/call_peer.py`) calls as the paired kiosk and answers as a member of staff,
//! and counts the frames each side decodes from the other through the hub. Fifty calls set
//! up and torn down leave the hub's descriptors, threads and memory where they were. The
//! kiosk's call socket refuses an unpaired browser and drops a revoked kiosk at once.

use std::process::Command;
use std::time::Duration;

use e2e::{client, python, run_ok, workspace, Hub, HubOptions};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn calling_hub() -> Hub {
    Hub::start(HubOptions {
        env: vec![("HUB_CALLS__MEDIA_ADDRESS".into(), "127.0.0.1".into())],
        ..HubOptions::default()
    })
    .unwrap()
}

/// The first `name=value` of a response's cookies.
fn cookie_of(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_owned()
}

/// A paired kiosk's cookie, and its id.
async fn paired_kiosk(hub: &Hub) -> (String, i64) {
    let owner = hub.signed_in("owner").await.unwrap();
    let code: Value = owner
        .post(hub.url("/api/v1/admin/kiosks/pairing"))
        .json(&json!({"name": "Lobby"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = client()
        .post(hub.url("/api/v1/kiosk/pair"))
        .json(&json!({"code": code["code"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cookie = cookie_of(&r, "hub_kiosk");
    let kiosk: Value = r.json().await.unwrap();
    (cookie, kiosk["id"].as_i64().unwrap())
}

async fn staff_cookie(hub: &Hub, role: &str) -> String {
    let (email, password) = hub.password_of(role);
    let r = client()
        .post(hub.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    cookie_of(&r, "hub_session")
}

/// Runs the aiortc peer; its JSON lines.
async fn aiortc(hub: &Hub, kiosk: &str, staff: &str, args: &[&str]) -> Vec<Value> {
    let mut cmd = Command::new(python());
    cmd.arg(workspace().join("tests/peers/call_peer.py"))
        .args([hub.url(""), kiosk.to_owned(), staff.to_owned()])
        .args(args);
    let out = tokio::task::spawn_blocking(move || run_ok(&mut cmd))
        .await
        .unwrap()
        .unwrap();
    assert!(out.contains("peer ok"), "{out}");
    out.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aiortc_kiosk_and_agent_see_each_other_through_the_hub() {
    let hub = calling_hub();
    let (kiosk, _) = paired_kiosk(&hub).await;
    let staff = staff_cookie(&hub, "agent").await;
    let lines = aiortc(&hub, &kiosk, &staff, &["--hold", "2"]).await;
    let call = &lines[0];
    println!("aiortc call: {call}");
    // 30 fps for two seconds and more: frames keep coming, both ways.
    for side in ["agent_frames", "guest_frames"] {
        assert!(call[side].as_u64().unwrap() >= 30, "{side}: {call}");
    }
    for side in ["agent_audio_frames", "guest_audio_frames"] {
        assert!(call[side].as_u64().unwrap() >= 50, "{side}: {call}");
    }
    let owner = hub.signed_in("owner").await.unwrap();
    let log = e2e::get_json(&owner, &hub.url("/api/v1/calls"))
        .await
        .unwrap();
    assert_eq!(log["calls"][0]["outcome"], "answered", "{log}");
    assert_eq!(log["calls"][0]["answered_by_name"], "Andre Agent", "{log}");
    assert_eq!(log["calls"][0]["video"], true, "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ringing_and_a_missed_call_reach_staff_without_the_messenger_by_web_push() {
    let hub = calling_hub();
    let (kiosk, _) = paired_kiosk(&hub).await;
    let owner = hub.signed_in("owner").await.unwrap();
    let r = owner
        .put(hub.url("/api/v1/admin/calls/settings"))
        .json(&json!({"ring_secs": 10}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let agent = hub.signed_in("agent").await.unwrap();
    let service = e2e::LinePeer::start(
        &python(),
        &[
            workspace()
                .join("tests/peers/push_service.py")
                .to_str()
                .unwrap(),
            "agent",
        ],
    )
    .unwrap();
    let subscription: Value = serde_json::from_str(&service.expect("subscription")).unwrap();
    let r = agent
        .post(hub.url("/api/v1/push/subscriptions"))
        .json(&subscription)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    // Nobody has the messenger open: the call is pushed as it rings, and again when missed.
    let lines = aiortc(&hub, &kiosk, "", &["--no-answer"]).await;
    assert_eq!(lines[0]["outcome"], "missed", "{lines:?}");
    let mut titles = Vec::new();
    for _ in 0..2 {
        let line = service.expect("push agent");
        let (_, notice) = line.split_once(" {").unwrap();
        let notice: Value = serde_json::from_str(&format!("{{{notice}")).unwrap();
        assert_eq!(notice["url"], "/messenger/#calls", "{notice}");
        titles.push(notice["title"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        titles,
        ["Lobby is calling the desk", "Lobby called: nobody answered"]
    );
}

/// Open descriptors, threads and resident KiB of a process.
fn footprint(pid: u32) -> (usize, usize, u64) {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    };
    (fds, field("Threads:") as usize, field("VmRSS:"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_calls_leave_no_descriptors_threads_or_memory_behind() {
    let hub = calling_hub();
    let pid = hub.child.id();
    let (kiosk, _) = paired_kiosk(&hub).await;
    let staff = staff_cookie(&hub, "agent").await;
    // A few calls first: what the first call sets up once (thread pools, caches) is not a leak.
    aiortc(&hub, &kiosk, &staff, &["--rounds", "3", "--hold", "0.2"]).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = footprint(pid);
    let lines = aiortc(&hub, &kiosk, &staff, &["--rounds", "50", "--hold", "0.2"]).await;
    let calls = lines.iter().filter(|l| l.get("call").is_some()).count();
    assert_eq!(calls, 50);
    // Closed legs finish their tasks within a moment.
    let mut after = footprint(pid);
    for _ in 0..20 {
        if after.0 <= before.0 && after.1 <= before.1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = footprint(pid);
    }
    println!(
        "50 calls: descriptors {} → {}, threads {} → {}, RSS {} → {} KiB",
        before.0, after.0, before.1, after.1, before.2, after.2
    );
    assert!(
        after.0 <= before.0,
        "descriptors leaked: {before:?} → {after:?}"
    );
    assert!(
        after.1 <= before.1,
        "threads leaked: {before:?} → {after:?}"
    );
    assert!(
        after.2 <= before.2 + 4 * 1024,
        "memory grew by more than 4 MiB: {before:?} → {after:?}"
    );
    let owner = hub.signed_in("owner").await.unwrap();
    let log = e2e::get_json(&owner, &hub.url("/api/v1/calls"))
        .await
        .unwrap();
    assert_eq!(log["answered"], 53, "{}", log["total"]);
    let metrics = owner
        .get(hub.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("hub_calls_active 0"), "{metrics}");
}

async fn kiosk_socket(
    hub: &Hub,
    cookie: Option<&str>,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    kiosk_socket_from(hub, cookie, None).await
}

async fn kiosk_socket_from(
    hub: &Hub,
    cookie: Option<&str>,
    origin: Option<&str>,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    let mut request = format!("ws://{}/ws/kiosk", hub.http)
        .into_client_request()
        .unwrap();
    if let Some(c) = cookie {
        request.headers_mut().insert("cookie", c.parse().unwrap());
    }
    if let Some(o) = origin {
        request.headers_mut().insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_socket_refuses_strangers_and_drops_a_revoked_kiosk_at_once() {
    let hub = calling_hub();
    assert_eq!(kiosk_socket(&hub, None).await.err(), Some(401));
    assert_eq!(
        kiosk_socket(&hub, Some("hub_kiosk=forged")).await.err(),
        Some(401)
    );
    let staff = staff_cookie(&hub, "agent").await;
    assert_eq!(
        kiosk_socket(&hub, Some(&staff)).await.err(),
        Some(401),
        "a member of staff is not a kiosk"
    );
    let (cookie, id) = paired_kiosk(&hub).await;
    assert_eq!(
        kiosk_socket_from(&hub, Some(&cookie), Some("https://evil.example"))
            .await
            .err(),
        Some(403),
        "a page of another site cannot ride the kiosk's cookie"
    );
    // A kiosk the owner took calls from cannot open the call socket.
    let owner = hub.signed_in("owner").await.unwrap();
    let no_calls = json!({"name": "Lobby", "screen": {"show_wifi": true, "show_guide": true, "calls": false, "note": ""}});
    let set = |body: Value| {
        owner
            .put(hub.url(&format!("/api/v1/admin/kiosks/{id}")))
            .json(&body)
            .send()
    };
    assert_eq!(set(no_calls).await.unwrap().status().as_u16(), 200);
    assert_eq!(kiosk_socket(&hub, Some(&cookie)).await.err(), Some(403));
    let calls = json!({"name": "Lobby", "screen": {"show_wifi": true, "show_guide": true, "calls": true, "note": ""}});
    assert_eq!(set(calls).await.unwrap().status().as_u16(), 200);
    let mut socket = kiosk_socket(&hub, Some(&cookie)).await.unwrap();
    // Garbage is answered with an error, and the socket stays.
    socket
        .send_text("{\"type\":\"call\",\"sdp\":\"not sdp\"}")
        .await;
    let frame = next_json(&mut socket).await;
    assert_eq!(frame["type"], "error", "{frame}");
    assert_eq!(frame["code"], "bad_offer", "{frame}");
    let revoke = owner
        .delete(hub.url(&format!("/api/v1/admin/kiosks/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status().as_u16(), 204);
    let frame = tokio::time::timeout(Duration::from_secs(2), next_json(&mut socket))
        .await
        .expect("told at once");
    assert_eq!(frame["code"], "revoked", "{frame}");
    let closed = tokio::time::timeout(Duration::from_secs(2), socket.next())
        .await
        .expect("closed at once");
    assert!(
        matches!(closed, None | Some(Ok(Message::Close(_))) | Some(Err(_))),
        "{closed:?}"
    );
    assert_eq!(kiosk_socket(&hub, Some(&cookie)).await.err(), Some(401));
    // Staff routes of the calls refuse a kiosk.
    let status = client()
        .get(hub.url("/api/v1/calls"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 401);
}

trait SendText {
    async fn send_text(&mut self, text: &str);
}

impl SendText
    for tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>
{
    async fn send_text(&mut self, text: &str) {
        use futures_util::SinkExt;
        self.send(Message::text(text)).await.unwrap();
    }
}

async fn next_json(
    socket: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

/// A guest's call socket from the widget (CHAT-3): refused while the owner does not offer
/// calls, for a made-up guest token, and from another site's page; admitted otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_call_socket_admits_only_a_known_guest_when_calls_are_offered() {
    use e2e::chat::{edit_chat_settings, guest_connect, widget_key, GuestState};
    let hub = calling_hub();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let mut guest = GuestState::default();
    let _chat = guest_connect(hub.http, &key, &mut guest, "https://hotel.example/")
        .await
        .unwrap();
    let token = guest.token.clone().unwrap();
    let call_socket = |origin: Option<&'static str>| {
        let hub = &hub;
        async move {
            let mut request = format!("ws://{}/ws/call", hub.http)
                .into_client_request()
                .unwrap();
            if let Some(o) = origin {
                request.headers_mut().insert("origin", o.parse().unwrap());
            }
            tokio_tungstenite::connect_async(request).await
        }
    };
    let hello_answer = |key: String, token: String| {
        let socket = call_socket(None);
        async move {
            let (mut ws, _) = socket.await.unwrap();
            ws.send_text(&json!({"type": "hello", "key": key, "token": token}).to_string())
                .await;
            ws.send_text("{\"type\":\"call\",\"sdp\":\"not sdp\"}")
                .await;
            next_json(&mut ws).await
        }
    };
    let off = hello_answer(key.clone(), token.clone()).await;
    assert_eq!(
        off["code"], "unavailable",
        "calls are off by default: {off}"
    );
    edit_chat_settings(&owner, &hub, |s| s["widget"]["calls"] = json!(true))
        .await
        .unwrap();
    let forged = hello_answer(key.clone(), "made-up".into()).await;
    assert_eq!(forged["code"], "unavailable", "{forged}");
    let admitted = hello_answer(key.clone(), token.clone()).await;
    assert_eq!(
        admitted["code"], "bad_offer",
        "a known guest gets as far as the offer: {admitted}"
    );
    match call_socket(Some("https://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
        other => panic!("another site's page was let in: {:?}", other.map(|_| ())),
    }
}
