//! The release hub: time from exec to `/healthz` answering for the demo, first start
//! (creates the demo, its CA and password hashes) and restart (existing data); and the idle
//! RSS and PSS after a few quiet seconds of `hub run` on a fresh store and of the demo
//! (issue 13's memory budget: 25 MB). Prints medians of a bounded number of runs.
//!
//! Run: `cargo bench -p hub --bench startup`; `BENCH_HUB_BINARY=path/to/hub` measures another
//! build the same way.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

mod common;

fn healthy(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

fn start(data: &Path, mode: &str) -> (Child, u16, Duration) {
    let started = Instant::now();
    let mut child = common::hub_command(data, mode)
        .spawn()
        .expect("start the hub");
    // The port is known from the announcement, which follows the start of HTTP serving
    // by only the HTTPS listener's set-up: that much later, at most, ends the measurement.
    let (port, _) = common::announced(&mut child);
    let deadline = started + Duration::from_secs(20);
    while !healthy(port) {
        assert!(
            Instant::now() < deadline,
            "the hub did not become healthy in 20 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    (child, port, started.elapsed())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Idle `(RSS, PSS)` in MiB of a started hub after a few quiet seconds.
fn idle(child: &Child) -> (f64, f64) {
    std::thread::sleep(Duration::from_secs(3));
    let mib = |kib: u64| kib as f64 / 1024.0;
    (
        mib(common::rss_kib(child.id())),
        mib(common::pss_kib(child.id())),
    )
}

fn main() {
    const RUNS: usize = 5;
    let (mut first, mut again) = (Vec::new(), Vec::new());
    let (mut demo_rss, mut demo_pss, mut run_rss, mut run_pss) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("hub-data");
        let (mut child, _, t) = start(&data, "demo");
        first.push(t.as_secs_f64() * 1000.0);
        let _ = child.kill();
        let _ = child.wait();
        let (mut child, _, t) = start(&data, "demo");
        again.push(t.as_secs_f64() * 1000.0);
        let (rss, pss) = idle(&child);
        demo_rss.push(rss);
        demo_pss.push(pss);
        let _ = child.kill();
        let _ = child.wait();
        let (mut child, _, _) = start(&dir.path().join("fresh"), "run");
        let (rss, pss) = idle(&child);
        run_rss.push(rss);
        run_pss.push(pss);
        let _ = child.kill();
        let _ = child.wait();
    }
    let size = std::fs::metadata(common::hub_binary()).map_or(0, |m| m.len());
    println!(
        "release hub ({:.1} MiB binary), median of {RUNS} runs, this machine",
        size as f64 / (1024.0 * 1024.0)
    );
    println!(
        "exec → /healthz, first start (demo made): {:>7.1} ms",
        median(first)
    );
    println!(
        "exec → /healthz, restart:                 {:>7.1} ms",
        median(again)
    );
    println!(
        "hub run, fresh store, idle RSS / PSS:     {:>7.1} / {:.1} MiB",
        median(run_rss),
        median(run_pss)
    );
    println!(
        "hub demo, idle RSS / PSS:                 {:>7.1} / {:.1} MiB",
        median(demo_rss),
        median(demo_pss)
    );
}
