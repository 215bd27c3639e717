//! E-mail and the CRM webhook against real local servers: aiosmtpd receives the lead
//! notice to the team, the transcript, and the reply sent to a guest who left an address
//! and went offline; a CRM endpoint that checks the HMAC signature takes "send to CRM"
//! and refuses a webhook signed with the wrong secret.

use std::time::Duration;

use e2e::chat::{edit_chat_settings, guest_connect, recv_until, send, widget_key, GuestState};
use e2e::{client, eventually, get_json, Hub, HubOptions, Peer};
use serde_json::json;

/// A demo hub whose SMTP server is the sink.
fn hub_mailing_to(smtp: &Peer) -> Hub {
    Hub::start(HubOptions {
        env: vec![
            ("HUB_SMTP__HOST".into(), "127.0.0.1".into()),
            ("HUB_SMTP__PORT".into(), smtp.port.to_string()),
            ("HUB_SMTP__SECURITY".into(), "none".into()),
            ("HUB_SMTP__FROM".into(), "Seaview <hub@demo.hotel>".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_to_a_real_smtp_server_and_the_crm_checks_the_signature() {
    let smtp = Peer::start("smtp_sink.py", &[]).unwrap();
    let secret = "crm-shared-secret-0123456789";
    let crm = Peer::start("crm_sink.py", &[secret]).unwrap();
    let hub = hub_mailing_to(&smtp);
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
    let mut team_mail = [smtp.next("lead notice"), smtp.next("lead notice")];
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
    let transcript = smtp.next("transcript");
    assert_eq!(transcript["to"][0], "maria@example.org");
    assert_eq!(transcript["content_type"], "text/plain");
    assert_eq!(transcript["charset"], "utf-8");
    let body = transcript["body"].as_str().unwrap();
    assert!(
        body.contains("Is parking free?") && body.contains("parking is free"),
        "{body}"
    );

    // The guest's address is on the card (from the form); once the guest is gone, a reply
    // goes by e-mail; while online, it does not.
    drop(ws);
    // Gone means gone from the online list (the hub sees the socket close).
    eventually(
        "the guest gone from the online list",
        Duration::from_secs(10),
        async || {
            let online = get_json(&owner, &hub.url("/api/v1/chat/visitors/online"))
                .await
                .unwrap();
            online
                .as_array()
                .is_some_and(|a| a.is_empty())
                .then_some(())
                .ok_or(online)
        },
    )
    .await;
    let r = owner
        .post(hub.url(&format!("/api/v1/chat/dialogues/{d}/messages")))
        .json(&json!({"client_id": "o2", "body": "We also have EV chargers."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let reply = smtp.next("reply by e-mail");
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
    let hook = crm.next("CRM webhook");
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
    assert_eq!(crm.next("refused webhook")["ok"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_go_out_by_smtp_with_a_working_link() {
    let smtp = Peer::start("smtp_sink.py", &[]).unwrap();
    let hub = hub_mailing_to(&smtp);
    let owner = hub.signed_in("owner").await.unwrap();
    let r = owner
        .post(hub.url("/api/v1/admin/invites"))
        .json(&json!({"email": "new.colleague@example.org", "role": "agent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: serde_json::Value = r.json().await.unwrap();
    assert_eq!(created["emailed"], true, "{created}");
    let mail = smtp.next("invite");
    assert_eq!(mail["to"][0], "new.colleague@example.org");
    let body = mail["body"].as_str().unwrap();
    let link = created["link"].as_str().unwrap();
    assert!(body.contains(link), "the e-mail carries the link: {body}");
    let token = link.rsplit('/').next().unwrap();
    let r = client()
        .get(hub.url(&format!("/api/v1/invites/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the e-mailed link opens");
}

/// A member who chose e-mail for their notifications (TEAM-3: one set of choices) is told
/// of a new conversation there, once, with the link that opens it; the colleague who did
/// not choose gets no e-mail for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_chose_email_is_told_of_a_new_conversation_by_email() {
    let smtp = Peer::start("smtp_sink.py", &[]).unwrap();
    let hub = hub_mailing_to(&smtp);
    let owner = hub.signed_in("owner").await.unwrap();
    let agent = hub.signed_in("agent").await.unwrap();
    let r = agent
        .put(hub.url("/api/v1/account/notifications"))
        .json(&json!({"channel": "email", "events": ["new_dialogue"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let key = widget_key(&owner, &hub).await.unwrap();
    let (_ws, _g, d) = e2e::chat::new_guest_dialogue(&hub, &key, "Is there parking nearby?")
        .await
        .unwrap();
    let mail = smtp.next("the notice by e-mail");
    assert_eq!(mail["to"][0], "agent@demo.hotel");
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .ends_with("started a conversation"),
        "{mail}"
    );
    let body = mail["body"].as_str().unwrap();
    assert!(body.contains("Is there parking nearby?"), "{body}");
    assert!(body.contains(&format!("/messenger/?open={d}")), "{body}");
    assert!(
        smtp.next_within(Duration::from_secs(3)).is_none(),
        "one e-mail, to the member who chose it"
    );
}
