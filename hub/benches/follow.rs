//! "B follows A", the hub beside Home Assistant, in one run on this machine (issue 13): a
//! Tasmota-style switch A whose `stat/…/POWER` alternates ON/OFF at 200 and 500 changes/s
//! (1,000 changes a pass), two rules (A turns on → B on, A turns off → B off), each queued
//! with max 100, and a switch B that obeys `cmnd/…/POWER` by answering `stat/…/POWER`.
//! One load generator drives both systems, the hub first, then Home Assistant with
//! Mosquitto. Every change should fire a rule once, so each pass prints the changes sent,
//! the runs seen (commands B received), LOST (changes − runs: must read 0 for the hub),
//! p50/p99 from A's publish to B's command, and the hub/HA latency ratio; below, the fires
//! each system says it saw or refused (the hub's run rows, HA's log).
//!
//! Run: `cargo bench -p hub --bench follow`. Home Assistant comes from
//! `target/ha-current-venv` (`tests/run` makes it) and Mosquitto from Debian
//! (`apt-get install mosquitto`); without them the bench says why and measures the hub
//! alone. Everything stays on loopback; every wait is bounded.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{json, Value};
use tokio::time::{sleep, sleep_until, Instant};

const CHANGES: usize = 1_000;
const RATES: [u32; 2] = [200, 500];
const HA_DEADLINE: Duration = Duration::from_secs(120);

/// Commands switch B received: when, and whether to turn on.
type Seen = Arc<Mutex<Vec<(Instant, bool)>>>;

/// A Tasmota-style switch: online (retained LWT and discovery config), and, given `seen`,
/// obeying `cmnd/<topic>/POWER` by answering `stat/<topic>/POWER` as a relay does. States
/// go at QoS 0, as Tasmota's MQTT client (PubSubClient) publishes nothing else.
struct Switch {
    client: AsyncClient,
    topic: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Switch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// On the broker at `port`, signed in as `login` where it asks.
fn switch(port: u16, login: Option<(&str, &str)>, topic: &str, seen: Option<Seen>) -> Switch {
    let mut options = MqttOptions::new(format!("bench-{topic}"), "127.0.0.1", port);
    if let Some((user, password)) = login {
        options.set_credentials(user, password);
    }
    options.set_keep_alive(Duration::from_secs(30));
    // Room for a whole pass: the generator must never wait on its own client.
    let (client, mut events) = AsyncClient::new(options, 4096);
    // Nagle's wait for an ACK (40 ms with delayed ACKs) is the generator's, not the system's.
    let mut network = events.network_options();
    network.set_tcp_nodelay(true);
    events.set_network_options(network);
    let (me, name) = (client.clone(), topic.to_owned());
    let task = tokio::spawn(async move {
        let command = format!("cmnd/{name}/POWER");
        loop {
            match events.poll().await {
                // Said again on every connect: a reconnect starts a clean session.
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let mac = format!("BE00000000{:02X}", name.bytes().last().unwrap_or(0));
                    let config = json!({"t": name, "dn": name, "rl": [1], "lt_st": 0, "mac": mac});
                    let lwt = (format!("tele/{name}/LWT"), "Online".to_owned());
                    let discovery = (
                        format!("tasmota/discovery/{mac}/config"),
                        config.to_string(),
                    );
                    for (topic, payload) in [lwt, discovery] {
                        let _ = me.try_publish(topic, QoS::AtLeastOnce, true, payload);
                    }
                    if seen.is_some() {
                        let _ = me.try_subscribe(&command, QoS::AtMostOnce);
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) if p.topic == command => {
                    let on = p.payload.eq_ignore_ascii_case(b"ON");
                    if let Some(seen) = &seen {
                        seen.lock().expect("the log").push((Instant::now(), on));
                    }
                    let state = format!("stat/{name}/POWER");
                    // At QoS 1: a PUBACK then in flight to B is what once held the next
                    // command back for a delayed ACK (Nagle on the broker's socket).
                    let _ = me.try_publish(state, QoS::AtLeastOnce, false, p.payload);
                }
                Ok(_) => {}
                Err(_) => sleep(Duration::from_millis(200)).await,
            }
        }
    });
    Switch {
        client,
        topic: topic.to_owned(),
        task,
    }
}

impl Switch {
    async fn power(&self, on: bool) {
        self.client
            .publish(
                format!("stat/{}/POWER", self.topic),
                QoS::AtMostOnce,
                false,
                if on { "ON" } else { "OFF" },
            )
            .await
            .expect("the client takes the publish");
    }
}

struct Row {
    system: &'static str,
    rate: u32,
    sent_per_s: f64,
    changes: usize,
    runs: usize,
    p50: Duration,
    p99: Duration,
    note: String,
}

/// Flips A until B is told ON and then OFF: the rules are in place and the system listens.
/// A is turned off before each on, since a change from never reported is no change to the
/// hub; repeated every second, as a system still starting misses what comes before it.
/// `alive` says why not to wait on.
async fn warm_up(
    a: &Switch,
    seen: &Seen,
    deadline: Instant,
    mut alive: impl FnMut() -> Result<(), String>,
) -> Result<(), String> {
    let mut next = Instant::now();
    loop {
        let on_at = {
            let log = seen.lock().expect("the log");
            match log.iter().position(|c| c.1) {
                Some(i) if log[i..].iter().any(|c| !c.1) => break,
                found => found,
            }
        };
        alive()?;
        if Instant::now() > deadline {
            return Err("B was never told to follow A".into());
        }
        if Instant::now() >= next {
            a.power(false).await;
            if on_at.is_none() {
                a.power(true).await;
            }
            next += Duration::from_secs(1);
        }
        sleep(Duration::from_millis(20)).await;
    }
    sleep(Duration::from_millis(500)).await;
    seen.lock().expect("the log").clear();
    Ok(())
}

/// One pass: `CHANGES` alternating changes of A at `rate`, then a settle time for the last
/// runs; the k-th ON (OFF) B is told answers the k-th ON (OFF) A reported, as each rule's
/// queue keeps order (where runs were lost, the pairing and so the latency is off).
async fn pass(system: &'static str, a: &Switch, seen: &Seen, rate: u32) -> Row {
    seen.lock().expect("the log").clear();
    let period = Duration::from_secs(1) / rate;
    let start = Instant::now();
    let mut sent = Vec::with_capacity(CHANGES);
    for i in 0..CHANGES {
        if start.elapsed() > Duration::from_secs(30) {
            break;
        }
        sleep_until(start + period * i as u32).await;
        let on = i % 2 == 0;
        let t = Instant::now();
        a.power(on).await;
        sent.push((t, on));
    }
    let took = start.elapsed();
    // Settled: all runs seen, or none new for 3 s (30 s at most).
    let end = Instant::now();
    let (mut count, mut quiet) = (0, Instant::now());
    while count < sent.len()
        && quiet.elapsed() < Duration::from_secs(3)
        && end.elapsed() < Duration::from_secs(30)
    {
        sleep(Duration::from_millis(100)).await;
        let now = seen.lock().expect("the log").len();
        if now != count {
            (count, quiet) = (now, Instant::now());
        }
    }
    let got = seen.lock().expect("the log").clone();
    let mut latency = Vec::new();
    for on in [true, false] {
        let told = got.iter().filter(|c| c.1 == on).map(|c| c.0);
        let reported = sent.iter().filter(|c| c.1 == on).map(|c| c.0);
        latency.extend(told.zip(reported).map(|(t, r)| t - r));
    }
    latency.sort();
    Row {
        system,
        rate,
        sent_per_s: sent.len() as f64 / took.as_secs_f64().max(1e-9),
        changes: sent.len(),
        runs: got.len(),
        p50: common::percentile(&latency, 0.5),
        p99: common::percentile(&latency, 0.99),
        note: String::new(),
    }
}

/// An answer of the hub's API, which must be a success.
async fn call(request: reqwest::RequestBuilder) -> Value {
    let r = request.send().await.expect("the hub answers");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    assert!(status.is_success(), "{status}: {v}");
    v
}

async fn hub_side() -> Vec<Row> {
    let hub = common::start_hub();
    let cookie = common::cookie(hub.port, &hub.owner).await;
    let headers = reqwest::header::HeaderMap::from_iter([(
        reqwest::header::COOKIE,
        cookie.parse().expect("a cookie header"),
    )]);
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("a client");
    let url = |path: &str| format!("http://127.0.0.1:{}/api/v1{path}", hub.port);
    let user = "follow-bench";
    let made = call(
        http.post(url("/admin/device-credentials"))
            .json(&json!({"username": user, "label": "follow bench"})),
    )
    .await;
    let port = call(http.get(url("/admin/broker"))).await["port"].as_u64();
    let port = port.expect("the broker's port") as u16;
    let login = Some((user, made["password"].as_str().expect("a password")));
    let seen = Seen::default();
    let b = switch(port, login, "follow_b", Some(seen.clone()));
    let a = switch(port, login, "follow_a", None);
    let joined_by = Instant::now() + Duration::from_secs(30);
    let (a_id, b_id) = loop {
        assert!(
            Instant::now() < joined_by,
            "switches A and B did not join the hub within 30 s"
        );
        let list = call(http.get(url("/devices"))).await;
        let id = |native: &str| {
            let found = list
                .as_array()?
                .iter()
                .find(|d| d["native_id"] == native && d["online"] == true);
            found.and_then(|d| d["id"].as_str().map(str::to_owned))
        };
        if let (Some(a), Some(b)) = (id("follow_a"), id("follow_b")) {
            break (a, b);
        }
        sleep(Duration::from_millis(100)).await;
    };
    let mut scenarios = Vec::new();
    for on in [true, false] {
        let made = call(http.post(url("/admin/scenarios")).json(&json!({"name": format!("B follows A ({on})"), "definition": {
            "mode": "queued", "max": 100,
            "triggers": [{"type": "device", "device_id": a_id, "field": "on", "value": on}],
            "actions": [{"type": "device", "target": {"kind": "device", "device_id": b_id}, "set": {"on": on}}]}}))).await;
        scenarios.push(made["id"].as_i64().expect("a scenario id"));
    }
    // Every fire is a run row (a dropped one too, as skipped) and ids count up: the newest
    // id's rise over a pass is the fires the engine saw.
    let newest_run = async || {
        let mut newest = 0;
        for id in &scenarios {
            let runs = call(http.get(url(&format!("/admin/scenarios/{id}/runs")))).await;
            newest = newest.max(runs[0]["id"].as_i64().unwrap_or(0));
        }
        newest
    };
    let by = Instant::now() + Duration::from_secs(30);
    let ready = warm_up(&a, &seen, by, || Ok(())).await;
    ready.expect("the hub's scenarios answer A within 30 s");
    let mut rows = Vec::new();
    // The hub's own counts of what it had to drop, from `/metrics`.
    let metrics = async || {
        let text = http
            .get(format!("http://127.0.0.1:{}/metrics", hub.port))
            .send()
            .await
            .expect("the hub answers")
            .text()
            .await
            .unwrap_or_default();
        let read = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        (
            read("hub_device_changes_dropped "),
            read("hub_scenario_fires_dropped "),
        )
    };
    for rate in RATES {
        let before = newest_run().await;
        let counted = metrics().await;
        let mut row = pass("hub", &a, &seen, rate).await;
        let fires = newest_run().await - before;
        let now = metrics().await;
        row.note = format!(
            "the engine saw {fires} fires; the hub counted {} device changes and {} fires dropped",
            now.0 - counted.0,
            now.1 - counted.1
        );
        rows.push(row);
    }
    drop((a, b));
    rows
}

/// A child process ended with the bench, whatever happens.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn tail(path: &std::path::Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    all[all.len().saturating_sub(lines)..].join("\n    ")
}

/// Home Assistant on Mosquitto, or why it could not be measured.
async fn home_assistant() -> Result<Vec<Row>, String> {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target");
    // Run as a module: the venvs' `hass` scripts name the interpreter they were made with.
    let python = ["ha-current-venv", "ha-venv"]
        .iter()
        .map(|v| target.join(v).join("bin/python"))
        .find(|p| p.exists())
        .ok_or("no Home Assistant venv in target/ (tests/run makes target/ha-current-venv)")?;
    let mosquitto = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .ok_or("Mosquitto is not installed (apt-get install mosquitto)")?;
    let dir = tempfile::tempdir().map_err(|e| format!("a temp dir: {e}"))?;
    let port = free_port();
    let _broker = Process(
        Command::new(mosquitto)
            .args(["-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("Mosquitto did not start: {e}"))?,
    );
    let config = include_str!("follow_ha.yaml").replace("HTTP_PORT", &free_port().to_string());
    // The broker, as HA's config flow would have stored it: YAML cannot say it.
    let entries = json!({"version": 1, "minor_version": 5, "key": "core.config_entries", "data": {"entries": [{
        "entry_id": "01followbenchmqtt0000000000", "domain": "mqtt", "title": "bench broker",
        "version": 1, "minor_version": 2, "source": "user", "unique_id": null, "subentries": [],
        "data": {"broker": "127.0.0.1", "port": port}, "options": {"discovery": false},
        "created_at": "2026-01-01T00:00:00+00:00", "modified_at": "2026-01-01T00:00:00+00:00",
        "discovery_keys": {}, "disabled_by": null, "pref_disable_new_entities": false, "pref_disable_polling": false}]}})
    .to_string();
    let io = |e: std::io::Error| format!("writing its configuration: {e}");
    std::fs::create_dir_all(dir.path().join(".storage")).map_err(io)?;
    for (file, text) in [
        ("configuration.yaml", config),
        (".storage/core.config_entries", entries),
    ] {
        std::fs::write(dir.path().join(file), text).map_err(io)?;
    }
    let out = dir.path().join("stdout.log");
    let log = std::fs::File::create(&out).map_err(io)?;
    let started = Instant::now();
    let mut ha = Process(
        Command::new(&python)
            .args(["-m", "homeassistant", "-c"])
            .arg(dir.path())
            .stdout(log.try_clone().map_err(io)?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("{} did not start: {e}", python.display()))?,
    );
    let seen = Seen::default();
    let b = switch(port, None, "ha_follow_b", Some(seen.clone()));
    let a = switch(port, None, "ha_follow_a", None);
    let ha_log = dir.path().join("home-assistant.log");
    let alive = || match ha.0.try_wait() {
        Ok(Some(status)) => Err(format!(
            "Home Assistant exited ({status}); it said:\n    {}",
            tail(&out, 8)
        )),
        _ => Ok(()),
    };
    warm_up(&a, &seen, started + HA_DEADLINE, alive).await.map_err(|why| {
        format!(
            "Home Assistant was not following A {} s after its start ({why}); its log ends:\n    {}",
            HA_DEADLINE.as_secs(),
            tail(&ha_log, 8)
        )
    })?;
    let version = std::fs::read_to_string(dir.path().join(".HA_VERSION")).unwrap_or_default();
    let mut ready = format!(
        "; Home Assistant {} ready {:.0} s after its start",
        version.trim(),
        started.elapsed().as_secs_f64()
    );
    let dropped = || {
        std::fs::read_to_string(&ha_log)
            .unwrap_or_default()
            .matches("Maximum number of runs exceeded")
            .count()
    };
    let mut rows = Vec::new();
    for rate in RATES {
        let before = dropped();
        let mut row = pass("Home Assistant", &a, &seen, rate).await;
        let refused = dropped() - before;
        row.note = format!(
            "{refused} fires refused in its log (max exceeded){}",
            std::mem::take(&mut ready)
        );
        rows.push(row);
    }
    drop((a, b));
    Ok(rows)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let (hub, ha) = rt.block_on(async { (hub_side().await, home_assistant().await) });
    println!("B follows A: switch A alternates ON/OFF on stat/…/POWER, two rules queued (max 100), {CHANGES} changes a pass");
    println!(
        "{:<15} {:>6} {:>8} {:>8} {:>6} {:>6} {:>9} {:>9}",
        "system", "rate/s", "sent/s", "changes", "runs", "LOST", "p50 ms", "p99 ms"
    );
    let all: Vec<&Row> = hub.iter().chain(ha.iter().flatten()).collect();
    for r in &all {
        println!(
            "{:<15} {:>6} {:>8.0} {:>8} {:>6} {:>6} {:>9.2} {:>9.2}",
            r.system,
            r.rate,
            r.sent_per_s,
            r.changes,
            r.runs,
            r.changes as i64 - r.runs as i64,
            ms(r.p50),
            ms(r.p99)
        );
    }
    for r in all.iter().filter(|r| !r.note.is_empty()) {
        println!("  {} at {}/s: {}", r.system, r.rate, r.note);
    }
    match &ha {
        Ok(rows) => {
            for (h, o) in hub.iter().zip(rows) {
                println!(
                    "latency hub/HA at {}/s: p50 {:.2}, p99 {:.2} (below 1: the hub is faster)",
                    h.rate,
                    ms(h.p50) / ms(o.p50),
                    ms(h.p99) / ms(o.p99)
                );
            }
        }
        Err(why) => println!("Home Assistant: not measured: {why}"),
    }
    let lost: i64 = hub.iter().map(|r| r.changes as i64 - r.runs as i64).sum();
    if lost != 0 {
        println!(
            "THE HUB LOST {lost} change(s): each change must fire once (negative: extra runs)"
        );
    }
}
