//! The relay's figures (`cargo bench -p relay --bench relay`), release builds: a guest's
//! message to staff through the relay beside the same on the LAN (p50/p99), and 1,000
//! simulated hub links, idle and at 10 messages/s each (RSS and CPU of every process that
//! carries them). First one relay node on loopback; then a cluster: three `nats-server`
//! nodes, PostgreSQL and two relay nodes, each in a network namespace of its own (root
//! only; skipped, saying why, otherwise). Every loop is bounded in count and time.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cloud_link::{topics, HubKey};
use futures_util::{SinkExt, StreamExt};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as Ws;

const LINKS: usize = 1000;
const RATE_PER_LINK: u64 = 10;
const SAMPLES: usize = 200;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lines_until(child: &mut Child, last: &str) -> Vec<String> {
    use std::io::BufRead;
    let out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut seen = Vec::new();
    for line in out.lines().map_while(Result::ok) {
        let done = line.starts_with(last);
        seen.push(line);
        if done {
            break;
        }
    }
    seen
}

fn field(lines: &[String], prefix: &str, name: &str) -> String {
    lines
        .iter()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.split_whitespace().find_map(|kv| kv.strip_prefix(name)))
        .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
        .to_owned()
}

/// CPU seconds (user + system) the process has used, from /proc/PID/stat (clock ticks of
/// 1/100 s on Linux).
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted
        .get(((sorted.len().max(1) - 1) as f64 * p).round() as usize)
        .copied()
        .unwrap_or_default()
}

fn release_hub() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "-p", "hub", "--bin", "hub"])
        .current_dir(&root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the release hub builds");
    root.join("target/release/hub")
}

/// Writes one guest frame and waits for the answer carrying `cid`.
async fn guest_send<S>(ws: &mut S, cid: &str, body: &str)
where
    S: StreamExt<Item = Result<Ws, tokio_tungstenite::tungstenite::Error>> + SinkExt<Ws> + Unpin,
{
    let frame = json!({"type": "send", "client_id": cid, "body": body}).to_string();
    let _ = ws.send(Ws::Text(frame.into())).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while let Ok(Some(Ok(m))) = tokio::time::timeout_at(deadline.into(), ws.next()).await {
        if matches!(&m, Ws::Text(t) if t.contains(cid)) {
            return;
        }
    }
    panic!("no ack for {cid}");
}

/// Sends `SAMPLES` messages from a guest whose socket reaches the hub at `addr` asking for
/// `host`; returns the times until a staff socket on the LAN saw each one.
async fn guest_to_staff(
    addr: &str,
    host: &str,
    key: &str,
    staff: &mut (impl StreamExt<Item = Result<Ws, tokio_tungstenite::tungstenite::Error>> + Unpin),
) -> Vec<Duration> {
    let request = format!("ws://{host}/ws/guest")
        .into_client_request()
        .expect("request");
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp)
        .await
        .expect("guest socket");
    let hello = json!({"type": "hello", "key": key}).to_string();
    ws.send(Ws::Text(hello.into())).await.expect("hello");
    guest_send(&mut ws, "first", "hello").await;
    let mut times = Vec::with_capacity(SAMPLES);
    for i in 0..SAMPLES {
        let body = format!("lat-{host}-{i}");
        let started = Instant::now();
        guest_send(&mut ws, &format!("c{i}"), &body).await;
        let deadline = started + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline.into(), staff.next()).await {
                Ok(Some(Ok(Ws::Text(t)))) if t.contains(&body) => break,
                Ok(Some(Ok(_))) => {}
                _ => panic!("staff never saw {body}"),
            }
        }
        times.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    times.sort();
    times
}

/// A relay node as hubs and guests reach it: its HTTP listener, and its link's host (a
/// name or address its certificate holds) and port.
struct Node {
    http: String,
    link_host: String,
    link_port: u16,
}

/// A demo hub registers at `register_at` (and links where the answer says); a guest
/// reaches it through `guest_through`.
async fn latency(register_at: &str, guest_through: &str, ca: &std::path::Path, title: &str) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut hub = Command::new(release_hub());
    hub.arg("demo")
        .env("HUB_DATA_DIR", dir.path().join("hub-data"))
        .env("HUB_WEB__HTTP_LISTEN", "127.0.0.1:0")
        .env("HUB_WEB__HTTPS_LISTEN", "127.0.0.1:0")
        .env("HUB_BROKER__LISTEN", "127.0.0.1:0")
        .env("HUB_MDNS__ENABLED", "false")
        .env("HUB_LOG__FILTER", "warn")
        .env("HUB_WEATHER__BASE_URL", "http://127.0.0.1:9")
        // The bench is the only client: the per-stranger limits would count it as one.
        .env("HUB_CHAT__GUEST_MESSAGES_PER_MINUTE", "10000000")
        .env("HUB_CHAT__GUEST_CONNECTS_PER_MINUTE", "10000000")
        .env("HUB_CHAT__GUEST_FRAMES_PER_10S", "10000000")
        .env("HUB_CLOUD__RELAY", format!("http://{register_at}"))
        .env("HUB_CLOUD__RELAY_CA", ca)
        .stdout(Stdio::piped());
    let mut hub = Process(hub.spawn().expect("hub starts"));
    let said = lines_until(&mut hub.0, "hub: ready");
    let lan = field(&said, "hub: listening ", "http=");
    let owner = said
        .iter()
        .find_map(|l| l.strip_prefix("credentials: owner "))
        .map(|r| r.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .expect("owner credentials");
    let http = reqwest::Client::new();
    let login = http
        .post(format!("http://{lan}/api/v1/auth/login"))
        .json(&json!({"email": owner[0], "password": owner[1]}))
        .send()
        .await
        .expect("sign in");
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .filter(|c| c.starts_with("hub_session="))
        })
        .expect("session")
        .to_owned();
    let get = |path: &str| {
        http.get(format!("http://{lan}{path}"))
            .header("cookie", &cookie)
            .send()
    };
    let key = get("/api/v1/chat/widget")
        .await
        .expect("widget")
        .json::<Value>()
        .await
        .expect("json")["widget_key"]
        .as_str()
        .expect("key")
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    let public = loop {
        let s: Value = get("/api/v1/admin/cloud")
            .await
            .expect("cloud")
            .json()
            .await
            .expect("json");
        if s["state"] == "online" {
            break s["public_url"].as_str().expect("public url").to_owned();
        }
        assert!(Instant::now() < deadline, "the hub never linked: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut request = format!("ws://{lan}/ws/team")
        .into_client_request()
        .expect("request");
    request
        .headers_mut()
        .insert("cookie", cookie.parse().expect("cookie"));
    let (mut staff, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("team socket");
    staff
        .send(Ws::Text(json!({"type": "hello"}).to_string().into()))
        .await
        .expect("hello");
    let host = public.split("://").nth(1).expect("host").to_owned();
    let relayed = guest_to_staff(guest_through, &host, &key, &mut staff).await;
    let direct = guest_to_staff(&lan, &lan, &key, &mut staff).await;
    println!("relay: guest → hub → staff, {SAMPLES} messages at most 50/s; {title}");
    println!(
        "relay:   through the relay  p50 {:>6.2} ms  p99 {:>6.2} ms",
        ms(percentile(&relayed, 0.5)),
        ms(percentile(&relayed, 0.99))
    );
    println!(
        "relay:   on the LAN         p50 {:>6.2} ms  p99 {:>6.2} ms",
        ms(percentile(&direct, 0.5)),
        ms(percentile(&direct, 0.99))
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One simulated hub: registers, links with its own credential, subscribes to its
/// downlink, then publishes `rate` frames a second on its uplink while `load` is on.
async fn simulated_hub(
    relay_http: String,
    link_host: String,
    link_port: u16,
    tls: Arc<rustls::ClientConfig>,
    load: Arc<AtomicU64>,
    published: Arc<AtomicU64>,
    linked: tokio::sync::mpsc::UnboundedSender<()>,
) {
    let key = HubKey::generate().expect("key");
    let http = reqwest::Client::new();
    let r = http
        .post(format!("http://{relay_http}/api/v1/hubs"))
        .json(&json!({"public_key": key.public_key_text(), "name": "bench"}))
        .send()
        .await
        .expect("register");
    assert!(r.status().is_success(), "registration: {}", r.status());
    let id = key.id();
    let mut options = MqttOptions::new(id.as_str(), link_host, link_port);
    options
        .set_credentials(id.as_str(), key.token(chrono_now()))
        .set_clean_session(false)
        .set_keep_alive(Duration::from_secs(60))
        .set_transport(rumqttc::Transport::Tls(rumqttc::TlsConfiguration::Rustls(
            tls,
        )));
    let (client, mut events) = AsyncClient::new(options, 64);
    let mut said_linked = false;
    let topic = topics::up(&id, "bench", "s1");
    let sender = {
        let (client, load, published) = (client.clone(), load.clone(), published.clone());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1000 / RATE_PER_LINK));
            loop {
                tick.tick().await;
                match load.load(Ordering::Relaxed) {
                    0 => continue,
                    2 => return,
                    _ => {}
                }
                if client
                    .publish(&topic, QoS::AtLeastOnce, false, vec![7u8; 256])
                    .await
                    .is_ok()
                {
                    published.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    };
    while load.load(Ordering::Relaxed) != 2 {
        match tokio::time::timeout(Duration::from_secs(1), events.poll()).await {
            Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                let _ = client
                    .subscribe(topics::down_filter(&id), QoS::AtLeastOnce)
                    .await;
            }
            Ok(Ok(Event::Incoming(Packet::SubAck(_)))) if !said_linked => {
                said_linked = true;
                let _ = linked.send(());
            }
            Ok(Ok(_)) | Err(_) => {}
            Ok(Err(e)) => panic!("a simulated hub lost its link: {e}"),
        }
    }
    sender.abort();
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The CPU share (% of one core) of each of `pids` over `window`.
async fn cpu_percents(pids: &[u32], window: Duration) -> Vec<f64> {
    let before: Vec<f64> = pids.iter().map(|&p| cpu_secs(p)).collect();
    tokio::time::sleep(window).await;
    pids.iter()
        .zip(before)
        .map(|(&p, b)| (cpu_secs(p) - b) / window.as_secs_f64() * 100.0)
        .collect()
}

/// `LINKS` simulated hubs, spread over `nodes`; the figures of the `measured` processes.
async fn links(nodes: &[Node], ca: &std::path::Path, measured: &[(&str, u32)], title: &str) {
    let pem = std::fs::read(ca).expect("ca.pem");
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.expect("cert")).expect("root");
    }
    let tls = Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    );
    let pids: Vec<u32> = measured.iter().map(|(_, p)| *p).collect();
    let rss = || pids.iter().map(|&p| rss_mib(p)).collect::<Vec<_>>();
    let rss_empty = rss();
    let load = Arc::new(AtomicU64::new(0));
    let published = Arc::new(AtomicU64::new(0));
    let (linked_tx, mut linked_rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    for batch in 0..LINKS.div_ceil(50) {
        for i in batch * 50..((batch + 1) * 50).min(LINKS) {
            let node = &nodes[i % nodes.len()];
            tokio::spawn(simulated_hub(
                node.http.clone(),
                node.link_host.clone(),
                node.link_port,
                tls.clone(),
                load.clone(),
                published.clone(),
                linked_tx.clone(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    for n in 0..LINKS {
        tokio::time::timeout_at(deadline.into(), linked_rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {n} of {LINKS} hubs linked in time"));
    }
    println!(
        "relay: {LINKS} simulated hubs registered and linked over TLS in {:.1} s ({title})",
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_cpu = cpu_percents(&pids, Duration::from_secs(10)).await;
    let idle_rss = rss();
    load.store(1, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = published.load(Ordering::Relaxed);
    let window = Duration::from_secs(10);
    let busy_cpu = cpu_percents(&pids, window).await;
    let rate = (published.load(Ordering::Relaxed) - before) as f64 / window.as_secs_f64();
    let busy_rss = rss();
    load.store(2, Ordering::Relaxed);
    // The simulated hubs look at `load` each second: let them stop before the relay does.
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "relay: {title}, {LINKS} hub links at {RATE_PER_LINK} msg/s each achieved {rate:.0} msg/s"
    );
    println!("relay:   process   | RSS MiB empty | idle: CPU %  RSS MiB | loaded: CPU %  RSS MiB");
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let mut rows: Vec<(String, f64, f64, f64, f64, f64)> = measured
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let r = (
                rss_empty[i],
                idle_cpu[i],
                idle_rss[i],
                busy_cpu[i],
                busy_rss[i],
            );
            ((*name).to_owned(), r.0, r.1, r.2, r.3, r.4)
        })
        .collect();
    if measured.len() > 1 {
        rows.push((
            "all".into(),
            sum(&rss_empty),
            sum(&idle_cpu),
            sum(&idle_rss),
            sum(&busy_cpu),
            sum(&busy_rss),
        ));
    }
    for (name, empty, icpu, irss, bcpu, brss) in rows {
        println!(
            "relay:   {name:<9} | {empty:>13.1} | {icpu:>11.1} {irss:>8.1} | {bcpu:>13.1} {brss:>8.1}"
        );
    }
}

/// Starts a release `hub-relay` with `config`, inside a namespace when `prefix` says so;
/// what it announced.
fn start_relay(prefix: &[String], config: &std::path::Path) -> (Process, Vec<String>) {
    let mut relay = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(env!("CARGO_BIN_EXE_hub-relay"));
            c
        }
        None => Command::new(env!("CARGO_BIN_EXE_hub-relay")),
    };
    relay
        .args(["run", "--config"])
        .arg(config)
        .env("HUB_RELAY_LOG", "warn")
        .stdout(Stdio::piped());
    let mut relay = Process(relay.spawn().expect("relay starts"));
    let said = lines_until(&mut relay.0, "hub-relay: ready");
    (relay, said)
}

/// Why the cluster cannot be set up here, if it cannot.
fn cluster_missing() -> Option<&'static str> {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|v| v.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false);
    if !root {
        return Some("network namespaces need root");
    }
    let have = |program: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !have("nats-server") {
        return Some("no nats-server (Debian's nats-server; tests/run installs it)");
    }
    if !std::path::Path::new("/usr/lib/postgresql").is_dir() {
        return Some("no PostgreSQL server (Debian's postgresql; tests/run installs it)");
    }
    None
}

const NATS: [&str; 3] = ["10.96.0.11", "10.96.0.12", "10.96.0.13"];
const PG: &str = "10.96.0.20";
const RELAYS: [&str; 2] = ["10.96.0.31", "10.96.0.32"];
const NATS_PASSWORD: &str = "nats-secret-for-the-bench";

/// Three NATS nodes, PostgreSQL and two relay nodes, each in its own namespace: a hub
/// linked to one node with its guest on the other, and the thousand links over both.
async fn cluster() {
    use e2e::cluster::{nats, postgres, Fabric};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut fabric = Fabric::new("hb", "10.96.0").expect("namespaces");
    let mut brokers = Vec::new();
    for (i, ip) in NATS.iter().enumerate() {
        let prefix = fabric.member(&format!("n{i}"), ip, &[]).expect("namespace");
        let name = format!("n{i}");
        brokers.push(nats(&prefix, dir.path(), &name, ip, &NATS, NATS_PASSWORD).expect("nats"));
    }
    let pg_dir = dir.path().join("pg");
    std::fs::create_dir_all(&pg_dir).expect("pg dir");
    let pg_prefix = fabric.member("pg", PG, &[]).expect("namespace");
    let (_pg, conninfo) = postgres(&pg_prefix, &pg_dir, PG).expect("postgres");
    let mut relays = Vec::new();
    let mut nodes = Vec::new();
    for (i, ip) in RELAYS.iter().enumerate() {
        let node = format!("r{}", i + 1);
        let data = dir.path().join(&node);
        std::fs::create_dir_all(&data).expect("data dir");
        if i > 0 {
            for file in ["ca.pem", "ca.key"] {
                std::fs::copy(dir.path().join("r1").join(file), data.join(file)).expect("ca");
            }
        }
        let brokers: Vec<String> = (0..3)
            .map(|k| format!("\"{}:1883\"", NATS[(i + k) % 3]))
            .collect();
        let config = dir.path().join(format!("{node}.toml"));
        std::fs::write(
            &config,
            format!(
                "node = \"{node}\"\ndata_dir = {:?}\npublic_url = \"http://relay.cluster:8080\"\n\
                 http_listen = \"{ip}:8080\"\nlink_listen = \"{ip}:8883\"\n\
                 link_address = \"{ip}:8883\"\nregistrations_per_hour = 1000000\n\
                 connections_per_minute = 1000000\n[cluster]\npostgres = \"{conninfo}\"\n\
                 brokers = [{}]\nbroker_username = \"relay\"\nbroker_password = \"{NATS_PASSWORD}\"\n",
                data.display().to_string(),
                brokers.join(", ")
            ),
        )
        .expect("config");
        let prefix = fabric.member(&node, ip, &[]).expect("namespace");
        relays.push(start_relay(&prefix, &config).0);
        nodes.push(Node {
            http: format!("{ip}:8080"),
            link_host: (*ip).to_owned(),
            link_port: 8883,
        });
    }
    let ca = dir.path().join("r1/ca.pem");
    latency(
        &nodes[0].http,
        &nodes[1].http,
        &ca,
        "a cluster: 3 NATS nodes, 2 relay nodes, each in a namespace; hub on node 1, guest through node 2",
    )
    .await;
    let pid = |p: &e2e::cluster::Process| p.0.as_ref().map_or(0, std::process::Child::id);
    let measured = [
        ("relay r1", relays[0].0.id()),
        ("relay r2", relays[1].0.id()),
        ("nats n0", pid(&brokers[0])),
        ("nats n1", pid(&brokers[1])),
        ("nats n2", pid(&brokers[2])),
    ];
    links(
        &nodes,
        &ca,
        &measured,
        "a cluster, half the hubs on each relay node",
    )
    .await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // A thousand TLS links on each side of loopback.
    os_sockets::raise_open_file_limit();
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("relay-data");
    let config = dir.path().join("relay.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\npublic_url = \"\"\nlink_address = \"\"\nhttp_listen = \"127.0.0.1:0\"\n\
             link_listen = \"127.0.0.1:0\"\nregistrations_per_hour = 1000000\nconnections_per_minute = 1000000\n",
            data.display().to_string()
        ),
    )
    .expect("config");
    let (relay, said) = start_relay(&[], &config);
    let http = field(&said, "hub-relay: listening ", "http=");
    let link: std::net::SocketAddr = field(&said, "hub-relay: listening ", "link=")
        .parse()
        .expect("link");
    let ca = data.join("ca.pem");
    latency(&http, &http, &ca, "one node, release builds on loopback").await;
    let node = Node {
        http: http.clone(),
        link_host: "localhost".into(),
        link_port: link.port(),
    };
    links(&[node], &ca, &[("relay", relay.0.id())], "one node").await;
    drop(relay);
    match cluster_missing() {
        None => cluster().await,
        Some(why) => println!("relay: the cluster's figures are skipped: {why}"),
    }
}
