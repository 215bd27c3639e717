//! The release demo hub while strangers lean on it: 1,000 slow clients (each holds half a
//! request head and reconnects when the hub closes it) and one burst of 250 concurrent
//! wrong-password sign-ins from 250 addresses (so each is hashed: the worst case for the
//! hub's memory and CPU). Prints the hub's RSS and the latency of `/healthz` on a fresh
//! connection every 100 ms, before and during. Bounded: 20 s of attack, 250 sign-ins.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

mod common;

const SLOW_CLIENTS: usize = 1_000;
const BAD_SIGN_INS: usize = 250;
const ATTACK: Duration = Duration::from_secs(20);

/// One `/healthz` on a new connection: its latency, or `None` when it failed or took 5 s.
async fn healthz(addr: SocketAddr) -> Option<Duration> {
    let t = Instant::now();
    let probe = async {
        let mut s = TcpStream::connect(addr).await.ok()?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await.ok()?;
        answer.starts_with(b"HTTP/1.1 200").then_some(())
    };
    tokio::time::timeout(Duration::from_secs(5), probe)
        .await
        .ok()
        .flatten()
        .map(|()| t.elapsed())
}

/// Probes every 100 ms until `until`; returns the latencies and the failures.
async fn probe(
    addr: SocketAddr,
    until: Instant,
    pid: u32,
    peak: Arc<AtomicU64>,
) -> (Vec<Duration>, usize) {
    let (mut ok, mut failed) = (Vec::new(), 0);
    while Instant::now() < until {
        match healthz(addr).await {
            Some(d) => ok.push(d),
            None => failed += 1,
        }
        peak.fetch_max(common::rss_kib(pid), Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ok.sort();
    (ok, failed)
}

/// Holds half a request head open, and opens another once the hub has closed it.
async fn slow_client(addr: SocketAddr, until: Instant, opened: Arc<AtomicU64>) {
    while Instant::now() < until {
        let Ok(mut s) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        opened.fetch_add(1, Ordering::Relaxed);
        let _ = s.write_all(b"GET / HTTP/1.1\r\nHo").await;
        let mut b = [0u8; 256];
        let left = until.saturating_duration_since(Instant::now());
        // Returns when the hub closes it (0 bytes or an error) or the attack ends.
        let _ = tokio::time::timeout(left, s.read(&mut b)).await;
    }
}

/// A wrong-password sign-in from `from`; its HTTP status.
async fn bad_sign_in(addr: SocketAddr, from: Ipv4Addr, email: String) -> u16 {
    let body = format!(r#"{{"email":"{email}","password":"not the password at all"}}"#);
    let request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let attempt = async {
        let socket = TcpSocket::new_v4().ok()?;
        socket.bind(SocketAddr::new(IpAddr::V4(from), 0)).ok()?;
        let mut s = socket.connect(addr).await.ok()?;
        s.write_all(request.as_bytes()).await.ok()?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await.ok()?;
        std::str::from_utf8(answer.get(9..12)?).ok()?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(120), attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn report(what: &str, (ok, failed): &(Vec<Duration>, usize)) {
    println!(
        "/healthz {what}: {} answered, {failed} failed; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ok.len(),
        ms(common::percentile(ok, 0.5)),
        ms(common::percentile(ok, 0.99)),
        ms(ok.last().copied().unwrap_or_default()),
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    // As the systemd unit runs it: two malloc arenas.
    let mut child = common::demo_command(&dir.path().join("hub-data"))
        .env("MALLOC_ARENA_MAX", "2")
        .spawn()
        .expect("start the hub");
    let (port, creds) = common::announced(&mut child);
    let pid = child.id();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let owner = creds.get("owner").expect("owner credentials").0.clone();

    runtime.block_on(async {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let idle_rss = common::rss_kib(pid);
        let peak = Arc::new(AtomicU64::new(idle_rss));
        let quiet = probe(
            addr,
            Instant::now() + Duration::from_secs(3),
            pid,
            peak.clone(),
        )
        .await;

        let until = Instant::now() + ATTACK;
        let opened = Arc::new(AtomicU64::new(0));
        let slow: Vec<_> = (0..SLOW_CLIENTS)
            .map(|_| tokio::spawn(slow_client(addr, until, opened.clone())))
            .collect();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let prober = tokio::spawn(probe(addr, until, pid, peak.clone()));
        let started = Instant::now();
        let burst: Vec<_> = (0..BAD_SIGN_INS)
            .map(|i| {
                let from = Ipv4Addr::new(127, 0, 1 + (i / 250) as u8, 1 + (i % 250) as u8);
                tokio::spawn(bad_sign_in(addr, from, owner.clone()))
            })
            .collect();
        let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
        for b in burst {
            *statuses.entry(b.await.unwrap_or(0)).or_default() += 1;
        }
        let burst_took = started.elapsed();
        let attacked = prober.await.expect("the prober");
        for s in slow {
            let _ = s.await;
        }
        let open_now = common::rss_kib(pid);

        println!(
            "release demo hub on loopback, this machine; {SLOW_CLIENTS} slow clients for {} s, \
             {BAD_SIGN_INS} concurrent wrong-password sign-ins from {BAD_SIGN_INS} addresses",
            ATTACK.as_secs()
        );
        report("quiet (3 s)", &quiet);
        report("under attack", &attacked);
        println!(
            "slow connections opened: {} (the hub closes each after its 10 s head timeout, \
             or sooner to make room)",
            opened.load(Ordering::Relaxed)
        );
        println!(
            "sign-ins by status: {statuses:?} (401 hashed and refused, 429 limited); \
             the burst took {:.1} s",
            burst_took.as_secs_f64()
        );
        println!(
            "RSS: idle {:.1} MiB, peak {:.1} MiB, after {:.1} MiB",
            idle_rss as f64 / 1024.0,
            peak.load(Ordering::Relaxed) as f64 / 1024.0,
            open_now as f64 / 1024.0
        );
    });
    let _ = child.kill();
    let _ = child.wait();
}
