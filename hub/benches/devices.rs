//! Devices through the release demo hub, with emulated Tuya 3.4 devices on loopback.
//! Prints the command round trip over 1,000 commands (REST call → the device confirms →
//! the hub's reply, and → the state change published on the hub's event stream, the same
//! event that feeds MQTT), against the same command sent directly by tinytuya and by our
//! own client in-process; then the hub's RSS with 200 emulated devices connected.
//! Every loop is bounded in count and time.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command as Process;
use std::time::{Duration, Instant};

use common::{cookie, percentile, rss_kib, start_hub};
use device_drivers::emulator::tuya::{self as emu, RunningTuya, TuyaDevice};
use device_drivers::model::{Command, Kind};
use device_drivers::tuya::{self, DpMap, TuyaConfig, Version};
use serde_json::{json, Value};

const KEY: &[u8; 16] = b"benchkey01234567";
const COMMANDS: usize = 1_000;
const DEVICES: usize = 200;

async fn emulator(id: &str) -> RunningTuya {
    let device = TuyaDevice::new(
        id,
        *KEY,
        Version::V34,
        json!({"1": false}).as_object().cloned().unwrap_or_default(),
    );
    emu::start(device).await.expect("an emulated device")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Api {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Api {
    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .expect("the hub answers");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.expect("JSON")
    }

    async fn add(&self, id: &str, addr: SocketAddr) -> String {
        let d = self
            .post(
                "/api/v1/admin/devices",
                json!({"brand": "tuya", "kind": "switch", "name": id, "native_id": id,
                       "address": addr.to_string(), "settings": {"version": "3.4"},
                       "secret": std::str::from_utf8(KEY).unwrap_or_default()}),
            )
            .await;
        d["id"].as_str().expect("an id").to_owned()
    }

    async fn online_count(&self) -> usize {
        let list: Vec<Value> = self
            .http
            .get(format!("{}/api/v1/devices", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("JSON");
        list.iter().filter(|d| d["online"] == true).count()
    }

    async fn wait_online(&self, n: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.online_count().await < n {
            assert!(Instant::now() < deadline, "devices did not come online");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The hub's event stream, read for `device` events of one device.
struct Events {
    response: reqwest::Response,
    buf: String,
}

impl Events {
    async fn next_state(&mut self, id: &str, on: bool) {
        let want = format!("\"on\":{on}");
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let event: String = self.buf.drain(..end + 2).collect();
                if event.contains("event: device")
                    && event.contains(&format!("\"id\":\"{id}\""))
                    && event.contains(&want)
                {
                    return;
                }
            }
            let chunk = self
                .response
                .chunk()
                .await
                .expect("the stream")
                .expect("more events");
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

fn device_python() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/device-venv/bin/python")
}

async fn round_trips() {
    let hub = start_hub();
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{}", hub.port),
        cookie: cookie(hub.port, &hub.owner).await,
    };
    let through_hub = emulator("bfbench0000000000hub01").await;
    let id = api.add("bfbench0000000000hub01", through_hub.addr).await;
    api.wait_online(3, Duration::from_secs(30)).await;
    let response = api
        .http
        .get(format!("{}/api/v1/devices/events", api.base))
        .header("cookie", &api.cookie)
        .send()
        .await
        .expect("the event stream");
    let mut events = Events {
        response,
        buf: String::new(),
    };

    let mut replies = Vec::with_capacity(COMMANDS);
    let mut published = Vec::with_capacity(COMMANDS);
    let started = Instant::now();
    for i in 0..COMMANDS + 20 {
        let on = i % 2 == 0;
        let t = Instant::now();
        let answer = api
            .post(&format!("/api/v1/devices/{id}/command"), json!({"on": on}))
            .await;
        let replied = t.elapsed();
        assert_eq!(answer["state"]["on"], on);
        events.next_state(&id, on).await;
        if i >= 20 {
            replies.push(replied);
            published.push(t.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the bench is taking too long"
        );
    }
    replies.sort();
    published.sort();

    // Our own client in-process, straight to a device: the same protocol work, no hub.
    let direct_device = emulator("bfbench000000000direct").await;
    let link = tuya::spawn(TuyaConfig::new(
        "bfbench000000000direct",
        direct_device.addr,
        *KEY,
        Version::V34,
        DpMap::for_kind(Kind::Switch),
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !link.snapshot().online {
        assert!(Instant::now() < deadline, "the direct link did not come up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut ours = Vec::with_capacity(COMMANDS);
    for i in 0..COMMANDS {
        let t = Instant::now();
        link.command(Command::Power(i % 2 == 0))
            .await
            .expect("a command");
        ours.push(t.elapsed());
    }
    ours.sort();

    let tinytuya_device = emulator("bfbench00000000tinytuy").await;
    let python = device_python();
    let reference = if python.exists() {
        let out = Process::new(&python)
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/tinytuya_bench.py"))
            .args([
                &tinytuya_device.addr.port().to_string(),
                "3.4",
                "bfbench00000000tinytuy",
                std::str::from_utf8(KEY).unwrap_or_default(),
                &COMMANDS.to_string(),
            ])
            .output()
            .expect("run tinytuya");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.lines()
            .find_map(|l| l.strip_prefix("result "))
            .and_then(|j| serde_json::from_str::<Value>(j).ok())
    } else {
        None
    };

    println!("device command round trip, {COMMANDS} commands, Tuya 3.4 emulator on loopback:");
    println!(
        "  through the hub, REST reply after the device confirmed: p50 {:.2} ms, p99 {:.2} ms",
        ms(percentile(&replies, 0.5)),
        ms(percentile(&replies, 0.99))
    );
    println!(
        "  through the hub, until the state change is published:  p50 {:.2} ms, p99 {:.2} ms",
        ms(percentile(&published, 0.5)),
        ms(percentile(&published, 0.99))
    );
    println!(
        "  our client in-process, straight to the device:        p50 {:.2} ms, p99 {:.2} ms",
        ms(percentile(&ours, 0.5)),
        ms(percentile(&ours, 0.99))
    );
    match reference {
        Some(r) => {
            let p50 = r["p50"].as_f64().unwrap_or(f64::NAN);
            println!(
                "  tinytuya straight to the device (persistent socket):  p50 {:.2} ms, p99 {:.2} ms",
                p50,
                r["p99"].as_f64().unwrap_or(f64::NAN)
            );
            println!(
                "  hub overhead at p50 (published − tinytuya): {:.2} ms (target ≤ 2 ms)",
                ms(percentile(&published, 0.5)) - p50
            );
        }
        None => {
            println!("  tinytuya: not measured (run tests/run once to make target/device-venv)")
        }
    }
    println!(
        "  hub overhead at p50 (published − our direct client): {:.2} ms",
        ms(percentile(&published, 0.5)) - ms(percentile(&ours, 0.5))
    );
}

async fn memory() {
    let hub = start_hub();
    let pid = hub.child.id();
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("http://127.0.0.1:{}", hub.port),
        cookie: cookie(hub.port, &hub.owner).await,
    };
    api.wait_online(2, Duration::from_secs(30)).await;
    let mut devices = Vec::with_capacity(DEVICES);
    for i in 0..DEVICES {
        devices.push(emulator(&format!("bfmem{i:017}")).await);
    }
    // A first device warms the paths every link uses, so the figure is per device.
    api.add("bfmem-warm", devices[0].addr).await;
    api.wait_online(3, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = rss_kib(pid);
    for (i, d) in devices.iter().enumerate().skip(1) {
        api.add(&format!("bfmem{i:017}"), d.addr).await;
    }
    api.wait_online(DEVICES + 2, Duration::from_secs(120)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid);
    let connected = devices.iter().filter(|d| d.connections() > 0).count();
    println!("hub RSS with {DEVICES} emulated Tuya devices connected ({connected} holding a connection):");
    println!(
        "  {:.1} MiB with the first one, {:.1} MiB with all: {:.1} KiB per device (target ≤ 40 KiB)",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / (DEVICES - 1) as f64
    );
}

fn main() {
    // `cargo bench` passes flags such as --bench; this harness takes none.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        round_trips().await;
        memory().await;
    });
}
