//! TURN for calls off the hotel's LAN (issue 16): the relay starts coturn and hands hubs
//! short-lived credentials (TURN REST API, coturn's `use-auth-secret`), which the hub uses
//! for its own end of a call and hands on to the member answering. Three network
//! namespaces: the relay (with coturn), the hotel (the hub; the lobby tablet beside it) and
//! a phone network that can reach the relay but not the hotel. The hotel's network blocks
//! the relay's link port, so the hub links over a WebSocket on the HTTPS port. A
//! receptionist on the phone answers the lobby tablet's video call in Chromium, through
//! the relay.

use std::time::Duration;

use e2e::cluster::{Fabric, Process};
use e2e::relay::{linked, spawn_in};
use e2e::{run_ok, Hub, HubOptions};

const RELAY: &str = "10.97.0.40";
const HOTEL: &str = "10.97.0.41";
const PHONE: &str = "10.97.0.42";
const SECRET: &str = "a-turn-secret-only-the-relay-and-coturn-know";

fn relay_config(data: &std::path::Path) -> String {
    format!(
        "node = \"t1\"\ndata_dir = {:?}\npublic_url = \"https://relay.turn:8443\"\n\
         http_listen = \"{RELAY}:8080\"\nhttps_listen = \"{RELAY}:8443\"\n\
         link_listen = \"{RELAY}:8883\"\nlink_address = \"relay.turn:8883\"\n\
         [turn]\nsecret = \"{SECRET}\"\nurls = [\"turn:{RELAY}:3478?transport=udp\"]\n\
         [turn.server]\nlisten = \"{RELAY}:3478\"\nmin_port = 50000\nmax_port = 50100\n\
         allowed_peers = [\"10.97.0.0-10.97.0.255\"]\n",
        data.display().to_string()
    )
}

/// Drops everything between the namespace of `prefix` and `other`, both ways, and what it
/// sends to TCP port `blocked` anywhere (a network that lets only the web's ports out).
fn isolate(prefix: &[String], other: &str, blocked: u16) {
    let rules = format!(
        "table inet isolate {{\n\
           chain input {{ type filter hook input priority 0; ip saddr {other} drop; }}\n\
           chain output {{ type filter hook output priority 0; ip daddr {other} drop; \
             tcp dport {blocked} drop; }}\n\
         }}\n"
    );
    let path = std::env::temp_dir().join(format!("isolate-{}.nft", std::process::id()));
    std::fs::write(&path, rules).unwrap();
    let (first, rest) = prefix.split_first().unwrap();
    run_ok(
        std::process::Command::new(first)
            .args(rest)
            .args(["nft", "-f"])
            .arg(&path),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receptionist_on_a_phone_network_takes_a_kiosk_call_through_turn() {
    let dir = tempfile::tempdir().unwrap();
    let mut fabric = Fabric::new("ht", "10.97.0").unwrap();
    let relay_ns = fabric.member("relay", RELAY, &[]).unwrap();
    let hotel_ns = fabric
        .member("hotel", HOTEL, &[&format!("{RELAY} relay.turn")])
        .unwrap();
    let phone_ns = fabric.member("phone", PHONE, &[]).unwrap();
    // The hotel's network lets the web out, not the relay's link port.
    isolate(&hotel_ns, PHONE, 8883);

    let data = dir.path().join("relay");
    std::fs::create_dir_all(&data).unwrap();
    let (relay, ..) = spawn_in(&relay_ns, dir.path(), &relay_config(&data)).unwrap();
    let _relay = Process(Some(relay));
    let conf = std::fs::read_to_string(data.join("turn/turnserver.conf")).unwrap();
    assert!(conf.contains("denied-peer-ip=10.0.0.0-10.255.255.255"));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(data.join("turn/turnserver.conf"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(
        mode & 0o077,
        0,
        "coturn's file with the secret is the relay's alone"
    );

    let mut options = HubOptions {
        prefix: hotel_ns,
        ..HubOptions::default()
    };
    options.env.extend([
        ("HUB_WEB__HTTP_LISTEN".into(), format!("{HOTEL}:0")),
        ("HUB_WEB__HTTPS_LISTEN".into(), format!("{HOTEL}:0")),
        ("HUB_CALLS__MEDIA_ADDRESS".into(), HOTEL.into()),
        ("HUB_CLOUD__RELAY".into(), "https://relay.turn:8443".into()),
        (
            "HUB_CLOUD__RELAY_CA".into(),
            data.join("ca.pem").display().to_string(),
        ),
    ]);
    let mut hub = Hub::start(options).unwrap();
    hub.scheme = "https";
    let public = linked(&hub, Duration::from_secs(60)).await.unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let status: serde_json::Value = owner
        .get(hub.url("/api/v1/admin/cloud"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        status["transport"], "websocket",
        "the link went out over the HTTPS port: {status}"
    );
    let hub_id = public
        .split("://")
        .nth(1)
        .and_then(|h| h.split('.').next())
        .unwrap()
        .to_owned();

    // Only a hub's signed request gets credentials.
    let anyone = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .resolve("relay.turn", format!("{RELAY}:8443").parse().unwrap())
        .build()
        .unwrap();
    let refused = anyone
        .post("https://relay.turn:8443/api/v1/hubs/turn")
        .header("authorization", format!("Hub {hub_id} forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let pairing: serde_json::Value = owner
        .post(hub.url("/api/v1/admin/kiosks/pairing"))
        .json(&serde_json::json!({ "name": "Lobby" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = pairing["code"].as_str().unwrap().to_owned();
    let (agent, agent_password) = hub.password_of("agent");

    // Chromium for the phone starts inside the phone's namespace.
    let phone_chromium = dir.path().join("chromium-on-the-phone-network");
    std::fs::write(
        &phone_chromium,
        format!(
            "#!/bin/sh\nexec {} /usr/bin/chromium \"$@\"\n",
            phone_ns.join(" ")
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &phone_chromium,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let out = crate::browser::run_script(
        "relay-turn.mjs",
        vec![
            hub.url(""),
            public,
            code,
            phone_chromium.display().to_string(),
            RELAY.into(),
            agent,
            agent_password,
        ],
        "relay turn ok",
    )
    .await;
    println!("{out}");
}
