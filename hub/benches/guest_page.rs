//! The guest page (GUEST-1…9) on the release demo hub: the bytes a phone fetches on its
//! first visit and on a repeat visit, its first render in Chromium with the CPU slowed 4×
//! (Chrome DevTools Protocol, `tests/browser/guest-page-perf.mjs`), and the hub's
//! requests/s for the page with 50 guests asking at once. The browser figures need Debian's
//! chromium and the browser tests' playwright-core, which `tests/run` installs. Every loop
//! is bounded in count and time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;

use common::{cookie, percentile, start_hub};

const GUESTS: usize = 50;
const LOAD_FOR: Duration = Duration::from_secs(10);
const MAX_REQUESTS: usize = 300_000;

/// The browser's figures by name, or why there are none.
fn browser_figures(base: &str, path: &str) -> Result<HashMap<String, f64>, String> {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/browser/guest-page-perf.mjs");
    let out = std::process::Command::new("node")
        .arg(script)
        .args([base, path])
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join(" / "));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_owned(), value.trim().parse().ok()?))
        })
        .collect())
}

#[tokio::main]
async fn main() {
    let hub = start_hub();
    let base = format!("http://127.0.0.1:{}", hub.port);
    let session = cookie(hub.port, &hub.owner).await;
    let pages: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/admin/reception/pages"))
        .header("cookie", &session)
        .send()
        .await
        .expect("the pages")
        .json()
        .await
        .expect("the pages as JSON");
    let path = pages
        .as_array()
        .and_then(|p| p.iter().find(|p| p["room"] == "102"))
        .and_then(|p| p["path"].as_str())
        .expect("room 102 has a page")
        .to_owned();

    println!("Guest page, release demo hub ({path}), this machine");
    match browser_figures(&base, &path) {
        Ok(f) => {
            let get = |k: &str| f.get(k).copied().unwrap_or(-1.0);
            println!(
                "  first visit:   {:>7.1} KB in {} responses (target: under 100 KB)",
                get("first_bytes") / 1000.0,
                get("first_requests")
            );
            println!(
                "  repeat visit:  {:>7.1} KB in {} responses",
                get("repeat_bytes") / 1000.0,
                get("repeat_requests")
            );
            println!(
                "  first render, CPU 4x slower: {:>5.0} ms (target: under 1000 ms); load {:.0} ms",
                get("first_paint_ms"),
                get("load_ms")
            );
        }
        Err(why) => println!("  (no browser figures: {why})"),
    }

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(GUESTS)
        .build()
        .expect("a client");
    let url = format!("{base}{path}");
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + LOAD_FOR;
    let mut tasks = Vec::new();
    for _ in 0..GUESTS {
        let (client, url, done) = (client.clone(), url.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let (mut times, mut failed) = (Vec::new(), 0usize);
            while Instant::now() < deadline && done.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS {
                let at = Instant::now();
                let ok = match client
                    .get(&url)
                    .header("accept-language", "en")
                    .send()
                    .await
                {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                times.push(at.elapsed());
                failed += usize::from(!ok);
            }
            (times, failed)
        }));
    }
    let (mut times, mut failed) = (Vec::new(), 0);
    for t in tasks {
        let (mut t, f) = t.await.expect("a guest task");
        times.append(&mut t);
        failed += f;
    }
    let seconds = started.elapsed().as_secs_f64();
    times.sort();
    println!(
        "  {GUESTS} guests at once for {:.0} s: {:.0} pages/s, p50 {:.1} ms, p99 {:.1} ms, {failed} failed",
        seconds,
        times.len() as f64 / seconds,
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0
    );
}
