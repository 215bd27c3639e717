//! Calls through the release hub (DESK-3): the hub's CPU and RSS with 1, 2 and 4
//! simultaneous 640×480 calls, each side sending moving noise at the encoder's full rate
//! (aiortc, `tests/peers/call_peer.py`), and the time from the guest's tap (the offer sent)
//! to the ring on a member's messenger socket, and from the answer to the first frame
//! decoded on each side. Prints per-call figures and medians.
//!
//! Run: `cargo bench -p hub --bench calls` after `tests/run` has made its Python venv
//! (`target/test-venv`, with aiortc).

use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

mod common;

const HOLD_SECS: &str = "8";

fn python() -> std::path::PathBuf {
    let venv =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/test-venv/bin/python");
    assert!(
        venv.exists(),
        "{} is missing: run tests/run once to make it",
        venv.display()
    );
    venv
}

fn peer(port: u16, kiosk: &str, staff: &str, pid: u32, args: &[&str]) -> Vec<Value> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/call_peer.py");
    let out = Command::new(python())
        .arg(script)
        .args([
            format!("http://127.0.0.1:{port}"),
            kiosk.into(),
            staff.into(),
        ])
        .args(["--hub-pid", &pid.to_string(), "--picture", "moving"])
        .args(args)
        .output()
        .expect("run the aiortc peer");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("peer ok"),
        "the peer failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut child = common::demo_command(&dir.path().join("hub-data"))
        .env("HUB_CALLS__MEDIA_ADDRESS", "127.0.0.1")
        .env(
            "HUB_LOG__FILTER",
            "warn,rtc=error,rtc_dtls=error,rtc_ice=error",
        )
        .spawn()
        .expect("start the hub");
    let (port, creds) = common::announced(&mut child);
    let pid = child.id();
    let owner = common::cookie(port, creds.get("owner").expect("owner")).await;
    let staff = common::cookie(port, creds.get("agent").expect("agent")).await;
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let code: Value = http
        .post(format!("{base}/admin/kiosks/pairing"))
        .header("cookie", &owner)
        .json(&json!({"name": "Lobby"}))
        .send()
        .await
        .expect("pairing code")
        .json()
        .await
        .expect("pairing code JSON");
    let paired = http
        .post(format!("{base}/kiosk/pair"))
        .json(&json!({"code": code["code"]}))
        .send()
        .await
        .expect("pair");
    let kiosk = paired
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hub_kiosk="))
        .and_then(|v| v.split(';').next())
        .expect("a kiosk cookie")
        .to_owned();

    std::thread::sleep(Duration::from_secs(3));
    let before_calls = common::rss_kib(pid) as f64 / 1024.0;
    // One call first, so what the first call sets up once is not counted per call.
    peer(port, &kiosk, &staff, pid, &["--hold", "1"]);
    std::thread::sleep(Duration::from_secs(2));
    let idle_rss = common::rss_kib(pid) as f64 / 1024.0;
    println!(
        "calls: idle hub RSS {before_calls:.1} MiB before any call, {idle_rss:.1} MiB after the first (release, demo)"
    );
    println!(
        "calls: parallel | hub CPU % | per call | hub RSS MiB | per call | video kbit/s per guest"
    );
    for parallel in ["1", "2", "4"] {
        let lines = peer(
            port,
            &kiosk,
            &staff,
            pid,
            &["--parallel", parallel, "--hold", HOLD_SECS],
        );
        let round = lines
            .iter()
            .find(|l| l.get("round").is_some())
            .expect("a round's figures");
        let k: f64 = parallel.parse().unwrap_or(1.0);
        let cpu = round["hub_cpu_percent"].as_f64().unwrap_or(f64::NAN);
        let rss = round["hub_rss_mib"].as_f64().unwrap_or(f64::NAN);
        println!(
            "calls: {parallel:>8} | {cpu:>9.1} | {:>8.1} | {rss:>11.1} | {:>8.2} | {}",
            cpu / k,
            (rss - idle_rss) / k,
            round["guest_video_kbps"]
        );
        std::thread::sleep(Duration::from_secs(2));
    }

    // Latency: one call at a time, twenty times.
    let lines = peer(
        port,
        &kiosk,
        &staff,
        pid,
        &["--rounds", "20", "--hold", "0.3"],
    );
    let calls: Vec<&Value> = lines.iter().filter(|l| l.get("call").is_some()).collect();
    let of = |key: &str| median(calls.iter().filter_map(|c| c[key].as_f64()).collect());
    println!(
        "calls: tap → ring on a messenger socket, median of {}: {:.1} ms",
        calls.len(),
        of("ring_ms")
    );
    println!(
        "calls: answer → first guest frame at the agent {:.0} ms, first agent frame at the kiosk {:.0} ms (medians)",
        of("answer_to_frame_ms"),
        of("answer_to_guest_frame_ms")
    );
    let _ = child.kill();
    let _ = child.wait();
}
