//! Bad input gets a clear error and loses nothing: malformed and oversize bodies, unknown
//! config keys, a damaged store file (refused at start, with the way back from a backup).

use std::process::Command;

use e2e::{get_json, hub_binary, run_ok, Hub};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_get_json_errors_and_the_hub_stays_up() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let url = hub.url("/api/v1/admin/rooms");
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (
            owner
                .post(&url)
                .header("content-type", "application/json")
                .body("{\"name\": "),
            400,
            "malformed_json",
        ),
        (
            owner
                .post(&url)
                .header("content-type", "application/json")
                .body("[1,2,3]"),
            400,
            "invalid_body",
        ),
        (
            owner
                .post(&url)
                .header("content-type", "application/json")
                .body("{\"name\": 5}"),
            400,
            "invalid_body",
        ),
        (
            owner
                .post(&url)
                .header("content-type", "application/json")
                .body("{\"name\":\"x\",\"evil\":1}"),
            400,
            "invalid_body",
        ),
        (
            owner
                .post(&url)
                .header("content-type", "text/plain")
                .body("{\"name\":\"x\"}"),
            415,
            "unsupported_media_type",
        ),
        (
            owner
                .post(&url)
                .header("content-type", "application/json")
                .body(vec![b' '; 2 * 1024 * 1024]),
            413,
            "payload_too_large",
        ),
        (
            owner
                .post(&url)
                .header("content-type", "application/json")
                .body(vec![0xff, 0xfe, 0x00]),
            400,
            "malformed_json",
        ),
        (
            owner.get(hub.url("/api/v1/no/such/route")),
            404,
            "not_found",
        ),
    ];
    for (request, status, code) in cases {
        // A transport error here (e.g. a reset while the oversize body is still being sent)
        // names its case, so a rare failure explains itself.
        let r = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("case {code} ({status}): {e:?}"));
        assert_eq!(r.status().as_u16(), status, "case {code}");
        if status == 413 {
            // The refused body was read to its end, and the connection is not reused.
            assert_eq!(r.headers()["connection"], "close", "case {code}");
        }
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
        assert!(body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let r = owner
        .post(&url)
        .json(&serde_json::json!({"name": "still-works"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "the hub still takes good requests");
    let metrics = reqwest::get(hub.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("hub_http_server_errors_total 0"),
        "{metrics}"
    );
}

/// `hub config check` with extra arguments and environment: must fail; returns stderr.
fn config_check_refuses(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> String {
    let out = Command::new(hub_binary())
        .args(["config", "check"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "accepted: {err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn unknown_config_keys_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.toml");
    std::fs::write(&file, "[web]\nhttp_lissen = \"0.0.0.0:80\"\n").unwrap();
    let err = config_check_refuses(&["--config".as_ref(), file.as_os_str()], &[]);
    assert!(err.contains("http_lissen"), "{err}");
    let err = config_check_refuses(&[], &[("HUB_BROKER__PORTT", "1")]);
    assert!(err.contains("portt"), "{err}");
    let err = config_check_refuses(&[], &[("HUB_WEB__SESSION_DAYS", "0")]);
    assert!(err.contains("web.session_days"), "{err}");
}

fn run_expecting_refusal(data: &std::path::Path) -> String {
    let out = Command::new(hub_binary())
        .arg("run")
        .env("HUB_DATA_DIR", data)
        .env("HUB_WEB__HTTP_LISTEN", "127.0.0.1:0")
        .env("HUB_WEB__HTTPS_LISTEN", "127.0.0.1:0")
        .env("HUB_BROKER__LISTEN", "127.0.0.1:0")
        .env("HUB_MDNS__ENABLED", "false")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "the hub started on a damaged store: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_store_is_refused_and_a_backup_brings_it_back() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    owner
        .post(hub.url("/api/v1/admin/rooms"))
        .json(&serde_json::json!({"name": "Before backup"}))
        .send()
        .await
        .unwrap();
    let backup = hub.data.parent().unwrap().join("backup.db");
    // The backup is taken while the hub runs.
    run_ok(
        Command::new(hub_binary())
            .arg("backup")
            .arg(&backup)
            .env("HUB_DATA_DIR", &hub.data),
    )
    .unwrap();
    let data = hub.data.clone();
    let mut hub = hub;
    hub.kill_hard();

    // Fold the WAL into the main file, then overwrite pages in its middle with garbage.
    let db = data.join("hub.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    let mut bytes = std::fs::read(&db).unwrap();
    assert!(bytes.len() >= 8 * 4096, "{} bytes", bytes.len());
    for b in &mut bytes[2 * 4096..6 * 4096] {
        *b = 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let _ = std::fs::remove_file(data.join("hub.db-wal"));
    let err = run_expecting_refusal(&data);
    assert!(
        err.contains("damaged") && err.contains("hub restore"),
        "{err}"
    );

    // Not a database at all.
    std::fs::write(
        &db,
        b"this is not a database, just text that got here somehow",
    )
    .unwrap();
    let err = run_expecting_refusal(&data);
    assert!(
        err.contains("damaged") && err.contains("hub restore"),
        "{err}"
    );

    run_ok(
        Command::new(hub_binary())
            .arg("restore")
            .arg(&backup)
            .env("HUB_DATA_DIR", &data),
    )
    .unwrap();
    let hub = hub.restart(true).unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let rooms: Value = get_json(&owner, &hub.url("/api/v1/rooms")).await.unwrap();
    assert!(rooms
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["name"] == "Before backup"));
}

/// What a probe found answering 500: a search with a NUL byte, a device added or moved to
/// a room that does not exist. Each is the caller's mistake: 4xx, with the reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_mistakes_are_not_server_errors() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let r = owner
        .get(hub.url("/api/v1/chat/search?q=a%00"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "search with a NUL: {}", r.status());
    let device = json!({"brand": "tuya", "kind": "switch", "name": "Lamp",
        "native_id": "bfnoroom000000000001", "address": "127.0.0.1:1",
        "settings": {"version": "3.3"}, "secret": "0123456789abcdef", "room_id": 999_999});
    let r = owner
        .post(hub.url("/api/v1/admin/devices"))
        .json(&device)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 400, "a device in no room: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("room"),
        "{body}"
    );
    let devices: Value = get_json(&owner, &hub.url("/api/v1/devices")).await.unwrap();
    let id = devices[0]["id"]
        .as_str()
        .expect("the demo has devices")
        .to_owned();
    let r = owner
        .patch(hub.url(&format!("/api/v1/admin/devices/{id}")))
        .json(&json!({"name": "Moved", "room_id": 999_999}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "a device moved to no room");
}

/// What a guest socket's client is told when its frame cannot be taken: text that is not
/// UTF-8 closes with 1007, a frame over 64 KB with 1009 (each in a closing handshake), and
/// a message too large to handle (16–64 KB) is refused by its `client_id`, the socket up.
#[tokio::test]
async fn guest_sockets_end_with_the_close_code_the_fault_calls_for() {
    use e2e::chat::{guest_connect, recv, send, widget_key, GuestState};
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::Message;

    let hub = Hub::start_demo().unwrap();
    let staff = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&staff, &hub).await.unwrap();
    let connect = || async {
        let mut state = GuestState::default();
        guest_connect(hub.http, &key, &mut state, "https://hotel.example/")
            .await
            .unwrap()
    };
    let close_code = |mut ws: e2e::chat::Socket| async move {
        let wait = std::time::Duration::from_secs(5);
        loop {
            match tokio::time::timeout(wait, ws.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => {
                    return frame.map(|f| u16::from(f.code));
                }
                Ok(Some(Ok(_))) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        }
    };

    let mut ws = connect().await;
    let not_utf8 = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(not_utf8)).await.unwrap();
    assert_eq!(close_code(ws).await, Some(1007));

    let mut ws = connect().await;
    let huge = json!({"type": "send", "client_id": "c-huge", "body": "x".repeat(100_000)});
    ws.send(Message::text(huge.to_string())).await.unwrap();
    assert_eq!(close_code(ws).await, Some(1009));

    let mut ws = connect().await;
    let big = json!({"type": "send", "client_id": "c-big", "body": "y".repeat(20_000)});
    send(&mut ws, big).await.unwrap();
    let refused = recv(&mut ws, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "too_large", "{refused}");
    assert_eq!(refused["client_id"], "c-big", "{refused}");
    send(&mut ws, json!({"type": "ping"})).await.unwrap();
    let pong = recv(&mut ws, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(pong["type"], "pong", "the socket stays up: {pong}");
}

/// A mistyped page address gets a page a person can read; a mistyped API path keeps its
/// JSON error for programs.
#[tokio::test]
async fn a_mistyped_address_gets_a_page_and_the_api_json() {
    let hub = Hub::start_demo().unwrap();
    let web = e2e::client();
    let page = web.get(hub.url("/admni/")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("This page does not exist"));
    let icon = web.get(hub.url("/favicon.ico")).send().await.unwrap();
    assert_eq!(
        icon.status(),
        200,
        "browsers ask for /favicon.ico on every page"
    );
    let api = web.get(hub.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(api.status(), 404);
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found", "{body}");
}
