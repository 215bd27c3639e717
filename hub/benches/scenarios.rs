//! Scenario engine figures (issue 5), with the hub in this process on a manual clock:
//! 1. 1,000 scenarios loaded: time to load them and memory they take;
//! 2. a device state change on MQTT (a Tasmota plug's `stat/…/POWER`) to the command
//!    reaching an emulated Tuya device, through a device-state scenario: p50/p99;
//! 3. scheduling 100, 1,000 and 10,000 daily time triggers: load time, memory, and CPU
//!    for a simulated day in which every one fires once.
//!
//! Run: `cargo bench -p hub --bench scenarios`. Everything stays on loopback.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use device_drivers::emulator::tuya::{self, TuyaDevice};
use device_drivers::tuya::{crypto, Version};
use hub::clock::Clock;
use serde_json::json;

mod common;

fn rss_kib() -> u64 {
    common::rss_kib(std::process::id())
}

fn cpu_ms() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given.
    #[allow(unsafe_code)]
    let u = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let t = |v: libc::timeval| v.tv_sec as f64 * 1000.0 + v.tv_usec as f64 / 1000.0;
    t(u.ru_utime) + t(u.ru_stime)
}

struct Inproc {
    running: hub::app::Running,
    time: hub::clock::ManualClock,
    client: reqwest::Client,
    api: String,
    _dir: tempfile::TempDir,
}

async fn start(broker: bool) -> Inproc {
    let dir = tempfile::tempdir().expect("a temp dir");
    let start = Utc
        .with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .expect("a time");
    let (clock, time) = Clock::manual(start);
    let mut config = hub::config::Config {
        data_dir: dir.path().to_owned(),
        ..Default::default()
    };
    config.web.http_listen = "127.0.0.1:0".parse().expect("an address");
    config.web.https_listen = None;
    config.broker.enabled = broker;
    config.broker.listen = "127.0.0.1:0".parse().expect("an address");
    config.mdns.enabled = false;
    config.weather.base_url = "http://127.0.0.1:9".into();
    let running = Box::pin(hub::app::start(config, hub::app::Mode::Run, clock))
        .await
        .expect("the hub starts");
    let api = format!("http://{}/api/v1", running.http);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("a client");
    let code = running.setup_code.clone().expect("a set-up code");
    let r = client
        .post(format!("{api}/setup"))
        .json(&json!({"code": code, "name": "Bench Owner", "email": "bench@hub.test", "password": "a long bench password"}))
        .send()
        .await
        .expect("set-up");
    assert!(r.status().is_success(), "set-up: {}", r.status());
    Inproc {
        running,
        time,
        client,
        api,
        _dir: dir,
    }
}

impl Inproc {
    async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let r = self
            .client
            .post(format!("{}{path}", self.api))
            .json(&body)
            .send()
            .await
            .expect("the hub answers");
        let status = r.status();
        let v = r.json().await.unwrap_or_default();
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// Stores `n` scenarios in one transaction and has the engine load them.
    async fn insert(
        &self,
        n: usize,
        make: impl Fn(usize) -> serde_json::Value + Send + 'static,
    ) -> Duration {
        let now = crate::Utc::now().to_rfc3339();
        self.running
            .store
            .write(move |c| {
                for i in 0..n {
                    let d: hub::scenarios::model::Definition =
                        serde_json::from_value(make(i)).expect("a definition");
                    hub::scenarios::db::insert(c, &format!("bench {i}"), true, &d, &now)?;
                }
                Ok::<_, hub::store::StoreError>(())
            })
            .await
            .expect("stored");
        let t = Instant::now();
        self.running.scenarios.reload();
        // The list answers after the reload (commands are handled in order).
        let _ = self.running.scenarios.upcoming().await;
        t.elapsed()
    }
}

fn daily(i: usize, n: usize) -> serde_json::Value {
    let minute = i * 1440 / n;
    json!({"triggers": [{"type": "time", "at": format!("{:02}:{:02}", minute / 60, minute % 60)}],
        "actions": [{"type": "notify", "text": "bench"}]})
}

async fn latency() {
    let hub = start(true).await;
    let mqtt = hub.running.mqtt.expect("the broker");
    let cred = hub
        .post(
            "/admin/device-credentials",
            json!({"username": "bench-plugs", "label": "bench"}),
        )
        .await;
    let password = cred["password"].as_str().expect("a password").to_owned();
    // The plug that is pressed (an MQTT device) and the lamp that follows (Tuya).
    let _plug = device_drivers::emulator::mqtt::start(
        mqtt,
        "bench-plugs",
        &password,
        vec![device_drivers::emulator::mqtt::MqttDevice::Tasmota {
            topic: "tasmota_BENCH1".into(),
            name: "Bench button".into(),
        }],
    );
    let key = "0123456789abcdef";
    let lamp = tuya::start(TuyaDevice::new(
        "bfbenchlamp000000001",
        crypto::parse_local_key(key).expect("a key"),
        Version::V34,
        serde_json::from_value(json!({"1": false})).expect("dps"),
    ))
    .await
    .expect("the emulator");
    let added = hub
        .post("/admin/devices", json!({"brand": "tuya", "kind": "switch", "name": "Lamp", "native_id": "bfbenchlamp000000001",
            "address": lamp.addr.to_string(), "settings": {"version": "3.4"}, "secret": key}))
        .await;
    let lamp_id = added["id"].as_str().expect("an id").to_owned();
    // Both devices join within seconds; a bench that cannot reach them stops, not hangs.
    let joined_by = Instant::now() + Duration::from_secs(30);
    let plug_id = loop {
        assert!(
            Instant::now() < joined_by,
            "the bench's plug and lamp did not come online within 30 s"
        );
        let list: serde_json::Value = hub
            .client
            .get(format!("{}/devices", hub.api))
            .send()
            .await
            .expect("devices")
            .json()
            .await
            .expect("json");
        let found = list.as_array().and_then(|l| {
            l.iter()
                .find(|d| d["native_id"] == "tasmota_BENCH1" && d["online"] == true)
                .map(|d| d["id"].as_str().unwrap_or_default().to_owned())
        });
        let lamp_online = list.as_array().is_some_and(|l| {
            l.iter()
                .any(|d| d["id"] == lamp_id.as_str() && d["online"] == true)
        });
        if let (Some(id), true) = (found, lamp_online) {
            break id;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // 998 scenarios that do not react, and the two that do.
    hub.insert(998, move |i| daily(i, 998)).await;
    for on in [true, false] {
        hub.post("/admin/scenarios", json!({"name": format!("follow {on}"), "definition": {
            "mode": "queued",
            "triggers": [{"type": "device", "device_id": plug_id, "field": "on", "value": on}],
            "actions": [{"type": "device", "target": {"kind": "device", "device_id": lamp_id}, "set": {"on": on}}]}}))
            .await;
    }
    hub.running.scenarios.settled(hub.time.get()).await;

    let options = {
        let mut o = rumqttc::MqttOptions::new("bench-presser", mqtt.ip().to_string(), mqtt.port());
        o.set_credentials("bench-plugs", password.clone());
        o
    };
    let (client, mut events) = rumqttc::AsyncClient::new(options, 64);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut samples = Vec::new();
    let started = Instant::now();
    for i in 0..1000 {
        if started.elapsed() > Duration::from_secs(120) {
            break;
        }
        let on = i % 2 == 0;
        let t = Instant::now();
        client
            .publish(
                "stat/tasmota_BENCH1/POWER",
                rumqttc::QoS::AtMostOnce,
                false,
                if on { "ON" } else { "OFF" },
            )
            .await
            .expect("publish");
        // Until the emulated lamp holds the new state.
        let deadline = t + Duration::from_secs(5);
        while lamp.dps().get("1") != Some(&json!(on)) {
            assert!(
                Instant::now() < deadline,
                "the lamp did not follow (press {i})"
            );
            tokio::task::yield_now().await;
        }
        samples.push(t.elapsed());
        hub.running.scenarios.settled(hub.time.get()).await;
    }
    samples.sort();
    println!(
        "mqtt state → scenario → tuya command, 1,000 scenarios loaded, {} presses: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        samples.len(),
        common::percentile(&samples, 0.50).as_secs_f64() * 1e3,
        common::percentile(&samples, 0.99).as_secs_f64() * 1e3,
        samples.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    hub.running.stop().await;
}

async fn scheduling(n: usize) {
    let hub = start(false).await;
    let before = rss_kib();
    let load = hub.insert(n, move |i| daily(i, n)).await;
    let loaded = rss_kib();
    // A day, a minute at a time; every trigger fires once.
    let (cpu0, wall) = (cpu_ms(), Instant::now());
    let mut t = hub.time.get();
    for _ in 0..1440 {
        t += chrono::Duration::minutes(1);
        hub.time.set(t);
        hub.running.scenarios.settled(t).await;
    }
    let (cpu, elapsed) = (cpu_ms() - cpu0, wall.elapsed());
    let runs: i64 = hub
        .running
        .store
        .read(|c| {
            Ok::<_, hub::store::StoreError>(c.query_row(
                "SELECT COUNT(*) FROM scenario_runs WHERE status = 'done'",
                [],
                |r| r.get(0),
            )?)
        })
        .await
        .expect("count");
    println!(
        "{n:>6} daily triggers: load {:>7.1} ms, +{:>6} KiB RSS ({:.2} KiB each); a day: {runs} runs, CPU {:>8.1} ms ({:.3} ms per run), wall {:.2} s",
        load.as_secs_f64() * 1e3,
        loaded.saturating_sub(before),
        loaded.saturating_sub(before) as f64 / n as f64,
        cpu,
        cpu / runs.max(1) as f64,
        elapsed.as_secs_f64()
    );
    hub.running.stop().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let hub = start(false).await;
        let before = rss_kib();
        let load = hub.insert(1000, |i| daily(i, 1000)).await;
        println!(
            "1,000 scenarios: loaded in {:.1} ms, +{} KiB RSS",
            load.as_secs_f64() * 1e3,
            rss_kib().saturating_sub(before)
        );
        hub.running.stop().await;
        latency().await;
        for n in [100, 1_000, 10_000] {
            scheduling(n).await;
        }
    });
}
