//! The cloud relay (CLOUD-1, CLOUD-4, CLOUD-6): the real `hub-relay` and two real hubs
//! linked out to it. A guest outside reaches hub A at its public address, staff on A's LAN
//! answer, and hub B never sees any of it; each hub's credential reaches only its own
//! topics; a relay killed mid-burst loses and doubles nothing that was acknowledged.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cloud_link::{topics, HubKey};
use e2e::chat::{guest_connect, recv_until, send, widget_key, Endpoint, GuestState};
use e2e::delivery::{
    all, assert_store_exact, guest_burst, guests_caught_up, roomy_limits, staff_answering, GuestRun,
};
use e2e::relay::{linked, Relay};
use e2e::{eventually, Hub};
use rumqttc::{AsyncClient, ConnectReturnCode, Event, MqttOptions, Packet, QoS};
use serde_json::json;

const LINK_UP: Duration = Duration::from_secs(30);

fn linked_hub(relay: &Relay) -> Hub {
    let mut options = roomy_limits();
    options.env.extend(relay.hub_env());
    Hub::start(options).unwrap()
}

/// The guest's way in: the relay's listener, asked for the hub's public name.
fn endpoint(relay: &Relay, public_url: &str) -> Endpoint {
    Endpoint {
        addr: relay.http,
        host: public_url
            .split("://")
            .nth(1)
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Waits until the relay answers for the hub at `public` that it is offline (503).
async fn said_offline(client: &reqwest::Client, public: &str) {
    eventually(
        "the hub shown offline",
        Duration::from_secs(10),
        async || {
            let r = client
                .get(format!("{public}/healthz"))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            (r.status() == 503)
                .then_some(())
                .ok_or(r.status().to_string())
        },
    )
    .await;
}

fn bodies_in(hub: &Hub) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        hub.data.join("hub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn.prepare("SELECT body FROM messages").unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_outside_reaches_their_hotels_hub_and_no_other() {
    let relay = Relay::start().unwrap();
    let a = linked_hub(&relay);
    let mut b = linked_hub(&relay);
    let (pa, pb) = (
        linked(&a, LINK_UP).await.unwrap(),
        linked(&b, LINK_UP).await.unwrap(),
    );
    assert_ne!(pa, pb, "each hub has its own address");
    assert!(
        pa.ends_with(relay.public_url.split("://").nth(1).unwrap()),
        "{pa}"
    );

    // The hub's own pages and API answer at its public address.
    let outside = relay.client_for(&pa);
    let health = outside.get(format!("{pa}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let widget = outside.get(format!("{pa}/widget.js")).send().await.unwrap();
    assert!(widget.text().await.unwrap().contains("HotelHubChat"));
    // Staff routes still need the hub's own sign-in; the operator's counters stay on the LAN.
    let cloud = outside
        .get(format!("{pa}/api/v1/admin/cloud"))
        .send()
        .await
        .unwrap();
    assert_eq!(cloud.status(), 401);
    let metrics = outside.get(format!("{pa}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 404);
    let (email, password) = a.password_of("owner");
    let login = json!({ "email": email, "password": password });
    let signed = outside
        .post(format!("{pa}/api/v1/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert!(
        signed.status().is_success(),
        "A's owner signs in through the relay"
    );
    // The session cookie is Secure: browsers keep it for names under localhost, this
    // client's jar only for loopback addresses, so it is carried by hand.
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("hub_session=")?.split(';').next())
        .map(|t| format!("hub_session={t}"))
        .expect("a session cookie");
    let status: serde_json::Value = outside
        .get(format!("{pa}/api/v1/admin/cloud"))
        .header("cookie", session)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["public_url"], pa.as_str());
    assert_eq!(
        status["relay_public"],
        relay.public_url.as_str(),
        "owners are sent to the relay's public address"
    );
    // A's owner is nobody on B.
    let at_b = relay.client_for(&pb);
    let refused = at_b
        .post(format!("{pb}/api/v1/auth/login"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // A guest outside writes to A through the relay.
    let owner_a = a.signed_in("owner").await.unwrap();
    let key = widget_key(&owner_a, &a).await.unwrap();
    let mut state = GuestState::default();
    let mut ws = guest_connect(
        endpoint(&relay, &pa),
        &key,
        &mut state,
        "https://seaview.example/",
    )
    .await
    .unwrap();
    let text = "Olá! Is breakfast still on? (written from the beach)";
    send(
        &mut ws,
        json!({"type": "send", "client_id": "beach-1", "body": text}),
    )
    .await
    .unwrap();
    let ack = recv_until(
        &mut ws,
        Duration::from_secs(10),
        |v| state.absorb(v),
        |v| v["type"] == "ack" && v["client_id"] == "beach-1",
    )
    .await
    .unwrap();
    let d = ack["dialogue_id"].as_i64().unwrap();
    // Staff on A's LAN answer; the guest outside sees it.
    let lan = |path: &str| a.url(path);
    let r = owner_a
        .post(lan(&format!("/api/v1/chat/dialogues/{d}/join")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let reply = "Until 10:30, on the terrace.";
    let r = owner_a
        .post(lan(&format!("/api/v1/chat/dialogues/{d}/messages")))
        .json(&json!({ "client_id": "desk-1", "body": reply }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    recv_until(
        &mut ws,
        Duration::from_secs(10),
        |v| state.absorb(v),
        |v| v["type"] == "message" && v["message"]["body"] == reply,
    )
    .await
    .unwrap();
    assert!(bodies_in(&a).iter().any(|b| b == text));
    assert!(
        !bodies_in(&b).iter().any(|b| b == text || b == reply),
        "hub B never sees A's guest"
    );

    // Nobody at an unknown name; a hub whose link is down is said to be offline, in the
    // guest's language.
    let nobody = "http://0000000000aaaaaaaaaa.relay.localhost";
    let page = relay
        .client_for(nobody)
        .get(format!("{nobody}:{}/", relay.http.port()))
        .header("accept-language", "ru-RU,ru;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("Отель не найден"));
    b.kill_hard();
    said_offline(&at_b, &pb).await;
    // The hotel's website keeps a chat button that says why, in the guest's language.
    let loader = at_b
        .get(format!("{pb}/widget.js"))
        .header("accept-language", "ru-RU,ru;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(loader.status(), 200);
    assert!(loader.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    assert!(loader
        .text()
        .await
        .unwrap()
        .contains("Отель сейчас недоступен"));
    let own = reqwest::get(relay.url("/healthz")).await.unwrap();
    assert_eq!(own.text().await.unwrap(), "ok");
}

/// Connects to the relay's link as hub `id` with `token`; returns the client and its events.
fn link_as(relay: &Relay, id: &str, token: String) -> (AsyncClient, rumqttc::EventLoop) {
    let pem = std::fs::read(relay.data.join("ca.pem")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut options = MqttOptions::new(id, "localhost", relay.link.port());
    options
        .set_credentials(id, token)
        .set_keep_alive(Duration::from_secs(30))
        .set_transport(rumqttc::Transport::Tls(rumqttc::TlsConfiguration::Rustls(
            Arc::new(tls),
        )));
    AsyncClient::new(options, 10)
}

/// Polls until the connection is answered: `Ok` on a CONNACK accepted, else the refusal.
async fn connack(events: &mut rumqttc::EventLoop) -> Result<(), String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.poll()).await {
            Ok(Ok(Event::Incoming(Packet::ConnAck(a)))) if a.code == ConnectReturnCode::Success => {
                return Ok(())
            }
            Ok(Ok(Event::Incoming(Packet::ConnAck(a)))) => return Err(format!("{:?}", a.code)),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => return Err(e.to_string()),
            Err(_) => return Err("no answer".into()),
        }
    }
}

/// Polls until the link closes (`true`) or a SUBACK/PUBACK arrives (`false`).
async fn closed_by_relay(events: &mut rumqttc::EventLoop) -> bool {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.poll()).await {
            Ok(Ok(Event::Incoming(Packet::SubAck(_) | Packet::PubAck(_)))) => return false,
            Ok(Ok(_)) => {}
            Ok(Err(_)) => return true,
            Err(_) => return false,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hubs_credential_reaches_only_its_own_topics() {
    let relay = Relay::start().unwrap();
    let a = linked_hub(&relay);
    let b = linked_hub(&relay);
    linked(&a, LINK_UP).await.unwrap();
    linked(&b, LINK_UP).await.unwrap();
    let key_b = HubKey::from_pkcs8(&std::fs::read(b.data.join("cloud.key")).unwrap()).unwrap();
    let key_a_id = {
        let k = std::fs::read(a.data.join("cloud.key")).unwrap();
        HubKey::from_pkcs8(&k).unwrap().id()
    };
    let (id_b, now) = (key_b.id(), chrono::Utc::now().timestamp());

    // B's own credential links, and may use its own downlink.
    let (client, mut events) = link_as(&relay, id_b.as_str(), key_b.token(now));
    connack(&mut events).await.unwrap();
    client
        .subscribe(topics::down_filter(&id_b), QoS::AtLeastOnce)
        .await
        .unwrap();
    assert!(
        !closed_by_relay(&mut events).await,
        "B subscribes to its own downlink"
    );
    // …but not A's: the relay closes the link.
    client
        .subscribe(topics::down_filter(&key_a_id), QoS::AtLeastOnce)
        .await
        .unwrap();
    assert!(
        closed_by_relay(&mut events).await,
        "B may not read A's topics"
    );
    drop(client);
    let (client, mut events) = link_as(&relay, id_b.as_str(), key_b.token(now));
    connack(&mut events).await.unwrap();
    let forged_up = topics::up(&key_a_id, "n1", "s1");
    client
        .publish(forged_up, QoS::AtLeastOnce, false, vec![1u8; 9])
        .await
        .unwrap();
    assert!(closed_by_relay(&mut events).await, "B may not write as A");
    drop(client);
    for wide in ["#", "hubs/+/down/#"] {
        let (client, mut events) = link_as(&relay, id_b.as_str(), key_b.token(now));
        connack(&mut events).await.unwrap();
        client.subscribe(wide, QoS::AtLeastOnce).await.unwrap();
        assert!(
            closed_by_relay(&mut events).await,
            "{wide} is wider than B's own"
        );
    }
    // Claiming to be A with B's key, or with an old token, is refused at once.
    let (_c, mut events) = link_as(&relay, key_a_id.as_str(), key_b.token(now));
    assert!(
        connack(&mut events).await.is_err(),
        "B's token does not open A's link"
    );
    let (_c, mut events) = link_as(&relay, id_b.as_str(), key_b.token(now - 3600));
    assert!(
        connack(&mut events).await.is_err(),
        "an hour-old token is refused"
    );
    let metrics = reqwest::get(relay.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let refused: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("relay_link_refusals_total "))
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(refused >= 6, "every refusal is counted: {metrics}");
    // A's link was never disturbed; B's comes back after the sessions above took its place.
    linked(&a, LINK_UP).await.unwrap();
    linked(&b, LINK_UP).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_mid_burst_loses_and_doubles_nothing() {
    const GUESTS: usize = 3;
    const N: usize = 60;
    let mut relay = Relay::start().unwrap();
    let hub = linked_hub(&relay);
    let public = linked(&hub, LINK_UP).await.unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let via = endpoint(&relay, &public);
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for idx in 0..GUESTS {
        let (key, via, counter) = (key.clone(), via.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut run = GuestRun::new(&counter);
            let deadline = Instant::now() + Duration::from_secs(90);
            // A browser keeps trying while the relay is away.
            while !guest_burst(via.clone(), &key, idx, N, 0, &mut run).await {
                assert!(
                    Instant::now() < deadline,
                    "guest {idx} never got through again"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            run
        }));
    }
    // Staff on the LAN answer throughout, relay or not.
    let staff_done = Arc::new(AtomicBool::new(false));
    let staff = staff_answering(owner.clone(), hub.url(""), staff_done.clone());
    eventually(
        "a third of the burst",
        Duration::from_secs(60),
        async || {
            let acks = counter.load(Ordering::SeqCst);
            (acks >= GUESTS * N / 3).then_some(()).ok_or(acks)
        },
    )
    .await;
    relay.kill();
    let cut_at = counter.load(Ordering::SeqCst);
    assert!(
        cut_at < GUESTS * N,
        "the relay died mid-burst ({cut_at} acknowledged)"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let restarted = Instant::now();
    relay.restart().unwrap();
    linked(&hub, LINK_UP).await.unwrap();
    let relinked = restarted.elapsed();
    eventually("acks again", Duration::from_secs(60), async || {
        let acks = counter.load(Ordering::SeqCst);
        (acks > cut_at).then_some(()).ok_or(acks)
    })
    .await;
    println!(
        "relay restarted: hub linked again after {relinked:?}, guests acknowledged again after {:?}",
        restarted.elapsed()
    );
    let mut runs = all(tasks).await;
    staff_done.store(true, Ordering::SeqCst);
    let replies = staff.await.unwrap();
    assert!(replies > 0, "staff answered during the burst");
    let rows = assert_store_exact(&hub, GUESTS, N);
    guests_caught_up(via, &key, &mut runs, &rows, "guest outside").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_outside_and_staff_on_the_lan_chat_in_chromium() {
    let relay = Relay::start().unwrap();
    let a = linked_hub(&relay);
    let b = linked_hub(&relay);
    let public = linked(&a, LINK_UP).await.unwrap();
    linked(&b, LINK_UP).await.unwrap();
    let owner = a.signed_in("owner").await.unwrap();
    // Reception open around the clock, so the guest chats whatever the hour of the run.
    crate::browser::edit_property(&owner, &a, |p| p["working_hours"] = serde_json::json!([])).await;
    let key = widget_key(&owner, &a).await.unwrap();
    let (agent, agent_password) = a.password_of("agent");
    let (owner_email, owner_password) = a.password_of("owner");
    crate::browser::run_script(
        "relay-chat.mjs",
        vec![
            public.clone(),
            key,
            a.url(""),
            agent,
            agent_password,
            owner_email,
            owner_password,
        ],
        "relay chat ok",
    )
    .await;
    assert!(bodies_in(&a).iter().any(|m| m.contains("check in at 11")));
    assert!(
        !bodies_in(&b).iter().any(|m| m.contains("check in at 11")),
        "hub B never sees A's guest"
    );

    // Hub A goes offline: its website keeps a chat button that says so.
    let mut a = a;
    a.kill_hard();
    said_offline(&relay.client_for(&public), &public).await;
    crate::browser::run_script("relay-offline.mjs", vec![public], "relay offline ok").await;
}
