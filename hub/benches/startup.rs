//! The release demo hub: time from exec to `/healthz` answering, first start (creates the
//! demo, its CA and password hashes) and restart (existing data), and the idle RSS after a
//! few quiet seconds. Prints medians of a bounded number of runs.

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

fn start(data: &Path) -> (Child, u16, Duration) {
    let started = Instant::now();
    let mut child = common::demo_command(data).spawn().expect("start the hub");
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

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    const RUNS: usize = 5;
    let (mut first, mut again, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("hub-data");
        let (mut child, _, t) = start(&data);
        first.push(t.as_secs_f64() * 1000.0);
        let _ = child.kill();
        let _ = child.wait();
        let (mut child, _, t) = start(&data);
        again.push(t.as_secs_f64() * 1000.0);
        std::thread::sleep(Duration::from_secs(3));
        rss.push(rss_kib(child.id()) as f64 / 1024.0);
        let _ = child.kill();
        let _ = child.wait();
    }
    println!("release demo hub, median of {RUNS} runs, this machine");
    println!(
        "exec → /healthz, first start (demo made): {:>7.1} ms",
        median(first)
    );
    println!(
        "exec → /healthz, restart:                 {:>7.1} ms",
        median(again)
    );
    println!(
        "idle RSS after 3 s:                       {:>7.1} MiB",
        median(rss)
    );
}
