//! E-mail and the CRM webhook against real local servers: aiosmtpd receives the lead
//! notice to the team, the transcript, and the reply sent to a guest who left an address
//! and went offline; a CRM endpoint that checks the HMAC signature takes "send to CRM"
//! and refuses a webhook signed with the wrong secret.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use e2e::chat::{edit_chat_settings, guest_connect, recv_until, send, widget_key, GuestState};
use e2e::{client, get_json, python, workspace, Hub, HubOptions};
use serde_json::{json, Value};

/// A Python peer that prints "listening PORT" and then JSON lines.
struct Peer {
    child: Child,
    port: u16,
    lines: Receiver<Value>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn peer(script: &str, args: &[&str]) -> Peer {
    let mut child = Command::new(python())
        .arg(workspace().join("tests/peers").join(script))
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("the peer starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first)
        .expect("the peer says where it listens");
    let port = first
        .trim()
        .strip_prefix("listening ")
        .and_then(|p| p.parse().ok())
        .expect("a port");
    let (tx, lines) = channel();
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                if tx.send(v).is_err() {
                    break;
                }
            }
        }
    });
    Peer { child, port, lines }
}

fn next(peer: &Peer, what: &str) -> Value {
    peer.lines
        .recv_timeout(Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("no {what} arrived"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_to_a_real_smtp_server_and_the_crm_checks_the_signature() {
    let smtp = peer("smtp_sink.py", &[]);
    let secret = "crm-shared-secret-0123456789";
    let crm = peer("crm_sink.py", &[secret]);
    let hub = Hub::start(HubOptions {
        env: vec![
            ("HUB_SMTP__HOST".into(), "127.0.0.1".into()),
            ("HUB_SMTP__PORT".into(), smtp.port.to_string()),
            ("HUB_SMTP__SECURITY".into(), "none".into()),
            ("HUB_SMTP__FROM".into(), "Seaview <hub@demo.hotel>".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();

    // An out-of-hours contact form: a Lead, and an e-mail to the team.
    let mut g = GuestState::default();
    let mut ws = guest_connect(hub.http, &key, &mut g, "https://hotel.example/contact")
        .await
        .unwrap();
    let token = g.token.clone().unwrap();
    let r = client()
        .post(hub.url("/api/v1/guest/leads"))
        .header("x-guest-token", &token)
        .json(&json!({"name": "Maria Silva", "email": "maria@example.org", "message": "Two nights in May?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut team_mail = [next(&smtp, "lead notice"), next(&smtp, "lead notice")];
    team_mail.sort_by_key(|m| m["to"][0].as_str().unwrap_or_default().to_owned());
    assert_eq!(team_mail[0]["to"][0], "agent@demo.hotel");
    assert_eq!(team_mail[1]["to"][0], "owner@demo.hotel");
    assert!(team_mail[0]["body"]
        .as_str()
        .unwrap()
        .contains("Two nights in May?"));
    let leads = get_json(&owner, &hub.url("/api/v1/chat/leads"))
        .await
        .unwrap();
    assert_eq!(leads[0]["email"], "maria@example.org");

    // The guest chats; staff join and answer; a transcript goes out.
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c1", "body": "Is parking free?"}),
    )
    .await
    .unwrap();
    let ack = recv_until(
        &mut ws,
        Duration::from_secs(10),
        |_| {},
        |v| v["type"] == "ack",
    )
    .await
    .unwrap();
    let d = ack["dialogue_id"].as_i64().unwrap();
    assert_eq!(
        owner
            .post(hub.url(&format!("/api/v1/chat/dialogues/{d}/join")))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{d}/messages")))
        .json(&json!({"client_id": "o1", "body": "Yes, parking is free for guests."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{d}/transcript")))
        .json(&json!({"email": "maria@example.org"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let transcript = next(&smtp, "transcript");
    assert_eq!(transcript["to"][0], "maria@example.org");
    let body = transcript["body"].as_str().unwrap();
    assert!(
        body.contains("Is parking free?") && body.contains("parking is free"),
        "{body}"
    );

    // The guest's address is on the card (from the form); once the guest is gone, a reply
    // goes by e-mail; while online, it does not.
    drop(ws);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{d}/messages")))
        .json(&json!({"client_id": "o2", "body": "We also have EV chargers."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let reply = next(&smtp, "reply by e-mail");
    assert_eq!(reply["to"][0], "maria@example.org");
    assert!(reply["body"].as_str().unwrap().contains("EV chargers"));

    // Send to CRM: signed, and the CRM checks it.
    let crm_url = format!("http://127.0.0.1:{}/hook", crm.port);
    edit_chat_settings(&owner, &hub, |s| {
        s["crm_webhook_url"] = json!(crm_url);
        s["crm_webhook_secret"] = json!(secret);
    })
    .await
    .unwrap();
    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{d}/crm")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let hook = next(&crm, "CRM webhook");
    assert_eq!(hook["ok"], true, "{hook}");
    assert_eq!(hook["body"]["dialogue"]["id"], d);
    assert!(hook["body"]["transcript"]
        .as_str()
        .unwrap()
        .contains("Is parking free?"));
    // Signed with another secret, the CRM refuses, and staff are told.
    edit_chat_settings(&owner, &hub, |s| {
        s["crm_webhook_secret"] = json!("not-the-shared-secret-999");
    })
    .await
    .unwrap();
    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{d}/crm")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(next(&crm, "refused webhook")["ok"], false);
}
