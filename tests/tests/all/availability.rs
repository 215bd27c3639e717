//! The hub stays up for its staff while strangers on the guest Wi-Fi hold connections open:
//! slow request heads time out, the connection budget stays under the file limit, and one
//! address cannot take more than its share.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::netns::Namespace;
use e2e::{client, python, run_ok, Hub, HubOptions};

const HALF_A_HEAD: &[u8] = b"GET / HTTP/1.1\r\nHo";

/// Lets this process hold `n` sockets (the hub's own limit is set by its `ulimit`).
fn allow_open_files(n: u64) {
    let out = run_ok(Command::new("sh").args(["-c", "ulimit -Hn"])).unwrap();
    let hard: u64 = out.trim().parse().unwrap_or(u64::MAX);
    assert!(
        hard >= n,
        "this test needs {n} open files; the hard limit is {hard}"
    );
}

fn is_closed(mut s: &TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let mut b = [0u8; 64];
    // A timeout means the hub still holds it; 0 bytes, a reset or an HTTP error means closed.
    !matches!(s.read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock
        || e.kind() == std::io::ErrorKind::TimedOut)
}

/// The issue's reproduction: with 1,024 file handles, 1,100 sockets each holding half a
/// request line. `/healthz` over HTTP and HTTPS and sign-in keep answering, and once the
/// head timeout passes, the hub has closed every slow socket.
#[tokio::test(flavor = "multi_thread")]
async fn slow_clients_do_not_take_the_hub_offline() {
    allow_open_files(1_300);
    let hub = Hub::start(HubOptions {
        prefix: ["sh", "-c", "ulimit -n 1024 && exec \"$0\" \"$@\""]
            .map(String::from)
            .to_vec(),
        env: vec![("HUB_WEB__HEAD_TIMEOUT_SECS".into(), "6".into())],
        ..HubOptions::default()
    })
    .unwrap();
    let started = Instant::now();
    let mut slow = Vec::new();
    for _ in 0..1_100 {
        let mut s = TcpStream::connect(hub.http).unwrap();
        // The hub may already have closed it to make room: that is the point.
        let _ = s.write_all(HALF_A_HEAD);
        slow.push(s);
    }
    let opened_in = started.elapsed();

    let web = client();
    let https = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let https_url = format!("https://{}/healthz", hub.https.unwrap());
    for round in 0..5 {
        let t = Instant::now();
        let r = web.get(hub.url("/healthz")).send().await;
        assert!(
            r.as_ref().is_ok_and(|r| r.status() == 200),
            "round {round}: /healthz over HTTP failed: {r:?}"
        );
        let r = https.get(&https_url).send().await;
        assert!(
            r.as_ref().is_ok_and(|r| r.status() == 200),
            "round {round}: /healthz over HTTPS failed: {r:?}"
        );
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }
    let owner = hub.signed_in("owner").await.expect("the owner signs in");
    let me = owner.get(hub.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 200);

    // Every slow socket is closed once the head timeout (6 s) has passed for all of them.
    let deadline = started + opened_in + Duration::from_secs(6 + 5);
    let mut open = slow.len();
    while Instant::now() < deadline {
        open = slow.iter().filter(|s| !is_closed(s)).count();
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(open, 0, "slow sockets the hub still holds");
    let metrics = web
        .get(hub.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let gauge = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics"))
    };
    assert!(gauge("hub_http_connections") < 20.0, "{metrics}");
}

/// One address holds at most its share (8 here); its newest connections take the place of
/// its oldest silent ones, and another address is not affected.
#[test]
fn one_address_holds_only_its_share() {
    let ns = Namespace::create(&format!("avail{}", std::process::id() % 10_000));
    let hub = Hub::start(HubOptions {
        prefix: ns.exec(),
        env: vec![
            ("HUB_WEB__HTTP_LISTEN".into(), "10.99.0.1:0".into()),
            ("HUB_WEB__HTTPS_LISTEN".into(), "10.99.0.1:0".into()),
            ("HUB_WEB__MAX_CONNECTIONS_PER_ADDRESS".into(), "8".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    let port = hub.http.port();
    // 20 silent sockets from 10.99.0.2, then one whole request from there and one from
    // 10.99.0.1; print how many of the 20 are still open.
    let script = format!(
        r#"
import socket, time
def dial(src):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("10.99.0.1", {port}))
    return s
silent = []
for _ in range(20):
    s = dial("10.99.0.2")
    s.sendall(b"GET / HTTP/1.1\r\nHo")
    silent.append(s)
time.sleep(0.5)
def healthz(src):
    s = dial(src)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: hub\r\nConnection: close\r\n\r\n")
    s.settimeout(5)
    return s.recv(100).split(b"\r\n")[0].decode()
print(healthz("10.99.0.2"))
print(healthz("10.99.0.1"))
open_now = 0
for s in silent:
    s.settimeout(0.05)
    try:
        open_now += 1 if s.recv(10) else 0
    except socket.timeout:
        open_now += 1
    except OSError:
        pass
print(open_now)
"#
    );
    let out = run_ok(
        Command::new("ip")
            .args(["netns", "exec", &ns.0])
            .arg(python())
            .args(["-c", &script]),
    )
    .unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "7"],
        "the share of 8 held 7 silent sockets and the request"
    );
    drop(hub);
}
