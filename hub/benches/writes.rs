//! The write budget (issue 13: an SD card is the disk). The release demo hub runs under
//! `strace --seccomp-bpf -f -e trace=fsync,fdatasync`, which stops it only at those calls
//! and logs each one; bytes written come from the hub's `/proc/PID/io` (`write_bytes`, what
//! it sent towards the disk). Prints, per phase:
//! 1. device events: a Tasmota switch A turns on and off 400 times at 20 presses/s, a
//!    scenario makes switch B follow it (B obeys and reports back): fsyncs and KiB per press,
//!    and fsyncs per 100 ms of that traffic (target: at most 1, and under 3 KiB a press);
//! 2. a sustained press load (20,000 presses at up to 500/s, twice): the hub's RSS before,
//!    after each, and 35 s later, split into what it allocated and its binary's pages;
//! 3. chat: one guest sends 300 messages, each acknowledged after its commit: fsyncs and
//!    KiB per message.
//!
//! Run: `cargo bench -p hub --bench writes` (needs `strace`, Debian's package; without it
//! the fsync column says so). Everything stays on loopback; every loop is bounded.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{json, Value};
use tokio::time::{sleep, Instant};
use tokio_tungstenite::tungstenite::Message as Ws;

const PRESSES: usize = 400;
const PRESS_RATE: u64 = 20;
const LOAD_PRESSES: usize = 20_000;
const LOAD_RATE: u64 = 500;
const MESSAGES: usize = 300;

/// The demo hub, under strace when it is there; `pid` is the hub's own.
struct Traced {
    child: Child,
    pid: u32,
    port: u16,
    owner: (String, String),
    log: Option<std::path::PathBuf>,
    _dir: tempfile::TempDir,
}

impl Drop for Traced {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.pid.to_string()).status();
        let _ = self.child.wait();
    }
}

fn start() -> Traced {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut hub = common::demo_command(&dir.path().join("hub-data"));
    // One guest sends every message: the limits for strangers would stop it.
    hub.env("HUB_CHAT__GUEST_MESSAGES_PER_MINUTE", "10000000")
        .env("HUB_CHAT__GUEST_FRAMES_PER_10S", "10000000");
    let log = dir.path().join("fsyncs.log");
    let traced = Command::new("strace")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let mut cmd = if traced {
        let mut c = Command::new("strace");
        c.args([
            "-f",
            "-qq",
            "--seccomp-bpf",
            "-e",
            "trace=fsync,fdatasync",
            "-o",
        ])
        .arg(&log)
        .arg(hub.get_program())
        .args(hub.get_args());
        c
    } else {
        println!("strace is not installed (apt-get install strace): fsyncs are not counted");
        let mut c = Command::new(hub.get_program());
        c.args(hub.get_args());
        c
    };
    for (k, v) in hub.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("start the hub");
    let (port, creds) = common::announced(&mut child);
    let pid = if traced {
        std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id()))
            .ok()
            .and_then(|c| c.split_whitespace().next()?.parse().ok())
            .expect("the hub under strace")
    } else {
        child.id()
    };
    Traced {
        child,
        pid,
        port,
        owner: creds.get("owner").cloned().expect("owner credentials"),
        log: traced.then_some(log),
        _dir: dir,
    }
}

/// `(fsyncs, bytes written)` so far.
fn disk(hub: &Traced) -> (usize, u64) {
    let fsyncs = hub.log.as_deref().map_or(0, count_fsyncs);
    let written = std::fs::read_to_string(format!("/proc/{}/io", hub.pid))
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|l| l.strip_prefix("write_bytes: ")?.trim().parse().ok())
        })
        .unwrap_or(0);
    (fsyncs, written)
}

/// `(RssAnon, RssFile)` in MiB: what the hub allocated, and the pages of its binary (and
/// libraries) it has touched, which are the file's and shared.
fn resident(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| {
                l.strip_prefix(name)?
                    .split_whitespace()
                    .next()?
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or(0.0)
            / 1024.0
    };
    (field("RssAnon:"), field("RssFile:"))
}

fn count_fsyncs(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("fsync(") || l.contains("fdatasync("))
        .count()
}

/// An admin API call with the owner's session.
async fn call(
    hub: &Traced,
    session: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = reqwest::Client::new()
        .request(
            method,
            format!("http://127.0.0.1:{}/api/v1{path}", hub.port),
        )
        .header("cookie", session);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.expect("the hub answers");
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.unwrap_or(Value::Null)
}

/// A Tasmota-style relay on the hub's broker: online, and obeying `cmnd/<topic>/POWER` by
/// reporting `stat/<topic>/POWER` as a relay does. Returns its client (to press it).
async fn relay(port: u16, login: &(String, String), topic: &str) -> AsyncClient {
    let mut options = MqttOptions::new(format!("writes-{topic}"), "127.0.0.1", port);
    options.set_credentials(&login.0, &login.1);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_last_will(rumqttc::LastWill::new(
        format!("tele/{topic}/LWT"),
        "Offline",
        QoS::AtLeastOnce,
        true,
    ));
    let (client, mut events) = AsyncClient::new(options, 4096);
    let (me, name) = (client.clone(), topic.to_owned());
    tokio::spawn(async move {
        let command = format!("cmnd/{name}/POWER");
        while let Ok(event) = events.poll().await {
            match event {
                Event::Incoming(Packet::ConnAck(_)) => {
                    let _ = me.subscribe(command.clone(), QoS::AtMostOnce).await;
                }
                Event::Incoming(Packet::Publish(p)) if p.topic == command => {
                    let word = String::from_utf8_lossy(&p.payload).to_uppercase();
                    let _ = me
                        .publish(format!("stat/{name}/POWER"), QoS::AtMostOnce, false, word)
                        .await;
                }
                _ => {}
            }
        }
    });
    client
        .publish(
            format!("tele/{topic}/LWT"),
            QoS::AtLeastOnce,
            true,
            "Online",
        )
        .await
        .expect("online");
    client
        .publish(
            format!("stat/{topic}/POWER"),
            QoS::AtLeastOnce,
            false,
            "OFF",
        )
        .await
        .expect("a first state");
    client
}

/// The hub's id for the device with `native` id, once it is online.
async fn device_id(hub: &Traced, session: &str, native: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let list = call(hub, session, reqwest::Method::GET, "/devices", None).await;
        let found = list
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["native_id"] == native && d["online"] == true);
        if let Some(d) = found {
            return d["id"].as_str().unwrap_or_default().to_owned();
        }
        assert!(Instant::now() < deadline, "{native} did not join in 20 s");
        sleep(Duration::from_millis(100)).await;
    }
}

/// Presses A `count` times at `rate` a second, alternating on and off.
async fn press(a: &AsyncClient, count: usize, rate: u64) {
    let started = Instant::now();
    for i in 0..count {
        let due = started + Duration::from_micros(i as u64 * 1_000_000 / rate);
        tokio::time::sleep_until(due).await;
        let word = if i % 2 == 0 { "ON" } else { "OFF" };
        a.publish("stat/writes_a/POWER", QoS::AtMostOnce, false, word)
            .await
            .expect("a press");
    }
}

/// One guest's messages, each waited for until the hub acknowledges it (after its commit).
/// A first visit hands out the guest's token; the guest then comes back with it, as the
/// widget does.
async fn chat(hub: &Traced, session: &str, messages: usize) {
    let url = format!("ws://127.0.0.1:{}/ws/guest", hub.port);
    let widget = call(hub, session, reqwest::Method::GET, "/chat/widget", None).await;
    let key = widget["widget_key"].as_str().expect("the widget's key");
    let token = {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url)
            .await
            .expect("a guest socket");
        let hello = json!({"type": "hello", "key": key});
        ws.send(Ws::Text(hello.to_string().into()))
            .await
            .expect("hello");
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Ws::Text(t)))) => {
                    let v: Value = serde_json::from_str(&t).unwrap_or_default();
                    if let Some(token) = v["token"].as_str() {
                        break token.to_owned();
                    }
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("no token for a first visit: {other:?}"),
            }
        }
    };
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("a guest socket");
    let hello = json!({"type": "hello", "key": key, "token": token});
    ws.send(Ws::Text(hello.to_string().into()))
        .await
        .expect("hello");
    let mut welcomed = false;
    while !welcomed {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Ws::Text(t)))) => welcomed = t.contains("\"welcome\""),
            Ok(Some(Ok(_))) => {}
            other => panic!("no welcome: {other:?}"),
        }
    }
    for n in 0..messages {
        let cid = format!("w{n}");
        let send = json!({"type": "send", "client_id": cid, "body": format!("Message {n}: could we have two more towels in room 12, please?")});
        ws.send(Ws::Text(send.to_string().into()))
            .await
            .expect("a message");
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Ws::Text(t))))
                    if t.contains("\"ack\"") && t.contains(&format!("\"{cid}\"")) =>
                {
                    break
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("message {n} not acknowledged: {other:?}"),
            }
        }
    }
}

fn per(total: f64, n: usize) -> f64 {
    total / n as f64
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let hub = start();
    let session = common::cookie(hub.port, &hub.owner).await;
    let port = call(&hub, &session, reqwest::Method::GET, "/admin/broker", None).await["port"]
        .as_u64()
        .expect("the broker's port") as u16;
    let made = call(
        &hub,
        &session,
        reqwest::Method::POST,
        "/admin/device-credentials",
        Some(json!({"username": "writes-bench", "label": "write budget bench"})),
    )
    .await;
    let login = (
        "writes-bench".to_owned(),
        made["password"].as_str().expect("a password").to_owned(),
    );
    let a = relay(port, &login, "writes_a").await;
    let _b = relay(port, &login, "writes_b").await;
    let (a_id, b_id) = (
        device_id(&hub, &session, "writes_a").await,
        device_id(&hub, &session, "writes_b").await,
    );
    for on in [true, false] {
        let definition = json!({"mode": "queued", "max": 100,
            "triggers": [{"type": "device", "device_id": a_id, "field": "on", "value": on}],
            "actions": [{"type": "device", "target": {"kind": "device", "device_id": b_id}, "set": {"on": on}}]});
        call(&hub, &session, reqwest::Method::POST, "/admin/scenarios",
            Some(json!({"name": format!("B follows A {}", if on { "on" } else { "off" }), "definition": definition}))).await;
    }
    // Quiet first: what start-up wrote is not the presses'.
    sleep(Duration::from_secs(3)).await;

    let before = disk(&hub);
    let started = Instant::now();
    press(&a, PRESSES, PRESS_RATE).await;
    let traffic = started.elapsed();
    // The last soon writes commit within a second.
    sleep(Duration::from_millis(1_500)).await;
    let after = disk(&hub);
    let (fsyncs, bytes) = ((after.0 - before.0) as f64, (after.1 - before.1) as f64);
    println!("write budget, release demo hub, this machine");
    println!("device events: {PRESSES} presses of A at {PRESS_RATE}/s, B following by a scenario");
    println!(
        "  fsyncs per press:             {:>8.3}",
        per(fsyncs, PRESSES)
    );
    println!(
        "  KiB written per press:        {:>8.2}",
        per(bytes / 1024.0, PRESSES)
    );
    println!(
        "  fsyncs per 100 ms of traffic: {:>8.3}",
        fsyncs / (traffic.as_secs_f64() * 10.0)
    );

    // Twice: memory a burst leaves behind once (buffers at their high-water mark) shows as
    // a first step; a leak would climb again with the second.
    let rss_before = resident(hub.pid);
    press(&a, LOAD_PRESSES, LOAD_RATE).await;
    let rss_after = resident(hub.pid);
    press(&a, LOAD_PRESSES, LOAD_RATE).await;
    let rss_again = resident(hub.pid);
    // The hub hands free pages back every 30 s.
    sleep(Duration::from_secs(35)).await;
    let rss_later = resident(hub.pid);
    println!("sustained load: twice {LOAD_PRESSES} presses at up to {LOAD_RATE}/s");
    println!("  RSS (heap and stacks + the binary's pages), MiB:");
    for (when, (anon, file)) in [
        ("before", rss_before),
        ("after one", rss_after),
        ("after two", rss_again),
        ("35 s later", rss_later),
    ] {
        println!(
            "    {when:<12} {:>6.1} = {anon:.1} + {file:.1}",
            anon + file
        );
    }

    let before = disk(&hub);
    chat(&hub, &session, MESSAGES).await;
    sleep(Duration::from_millis(1_500)).await;
    let after = disk(&hub);
    println!("chat: {MESSAGES} guest messages, each acknowledged after its commit");
    println!(
        "  fsyncs per message:           {:>8.3}",
        per((after.0 - before.0) as f64, MESSAGES)
    );
    println!(
        "  KiB written per message:      {:>8.2}",
        per((after.1 - before.1) as f64 / 1024.0, MESSAGES)
    );
    if hub.log.is_none() {
        println!("  (fsyncs not counted: no strace)");
    }
}
