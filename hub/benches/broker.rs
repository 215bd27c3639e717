//! The hub's embedded MQTT broker (rumqttd, in the release demo hub) against Debian's
//! Mosquitto, in the same run on the same machine, driven by one load generator (rumqttc in
//! this process) with the same client settings and credentials: messages/s at QoS 0 and
//! QoS 1 with 10 and with 100 publisher → subscriber pairs, p50/p99 end-to-end latency (the
//! publish instant travels in the payload), and the broker process's RSS at the end of each
//! load, with the ratio hub/mosquitto per row.
//!
//! Run: `cargo bench -p hub --bench broker`. Mosquitto comes from Debian
//! (`apt-get update && apt-get install -y mosquitto`); without it only the hub's figures
//! are printed. Everything stays on 127.0.0.1.
//!
//! Each publisher has its own topic with one subscriber, so every message is delivered once.
//! A publisher keeps at most `WINDOW` messages on their way (sent, not yet received): the
//! broker is kept busy, yet no backlog grows for as long as the load lasts, which would make
//! the latency a measure of the load's length. Each load gets fresh broker processes, so
//! its RSS is its own. Every load is bounded in count and in time: what has not arrived by
//! the deadline is reported as lost.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{cookie, percentile, rss_kib, start_hub};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS, SubscribeReasonCode};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::timeout_at;

const PAYLOAD: usize = 64;
/// Per load, split over its publishers, so loads with 10 and 100 pairs move the same total.
const MESSAGES_PER_LOAD: usize = 300_000;
const WINDOW: usize = 10;
const LOAD_DEADLINE: Duration = Duration::from_secs(30);
const CONNECT_DEADLINE: Duration = Duration::from_secs(20);
const USER: &str = "bench-load";
// The hub's `[broker]` defaults and rumqttd settings: 64 in flight per connection, a
// 4 × 1 MiB log per topic filter (here, with one subscriber per topic, a per-client queue).
const MOSQUITTO_LIMITS: &str = "max_connections 256\nmax_inflight_messages 64\n\
    max_queued_messages 0\nmax_queued_bytes 4194304\nmessage_size_limit 1048576\n";

struct Broker {
    port: u16,
    pid: u32,
    auth: (String, String),
}

/// Mosquitto on a generated config in a temp dir, killed on drop.
struct Mosquitto {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian puts it in `/usr/sbin`, which is not on every user's PATH.
fn mosquitto_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin")])
        .map(|d| d.join("mosquitto"))
        .find(|p| p.is_file())
}

fn start_mosquitto(bin: &Path, (user, password): &(String, String)) -> Result<Mosquitto, String> {
    let dir = tempfile::tempdir().expect("a temp dir");
    let passwd = dir.path().join("passwd");
    let mut made = Command::new("mosquitto_passwd");
    made.args(["-c", "-b"]).arg(&passwd).args([user, password]);
    (made.output().ok())
        .filter(|o| o.status.success())
        .ok_or("mosquitto_passwd failed")?;
    // Free when looked at; mosquitto binds it a moment later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("a free port: {e}"))?
        .port();
    let conf = dir.path().join("mosquitto.conf");
    // `user root`: started as root, mosquitto would switch to its own user, who cannot read
    // the password file in this private temp dir.
    let text = format!(
        "user root\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n\
         listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {}\n{MOSQUITTO_LIMITS}",
        passwd.display()
    );
    std::fs::write(&conf, text).map_err(|e| format!("its config: {e}"))?;
    let log = std::fs::File::create(dir.path().join("log")).map_err(|e| e.to_string())?;
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let mut m = Mosquitto {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if m.child.try_wait().ok().flatten().is_some() || Instant::now() > deadline {
            let log = std::fs::read_to_string(m._dir.path().join("log")).unwrap_or_default();
            return Err(format!("it did not listen on port {port}: {}", log.trim()));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(m)
}

/// The owner's admin API; `body` makes it a POST.
async fn admin(port: u16, cookie: &str, path: &str, body: Option<Value>) -> Value {
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/admin{path}");
    let request = match body {
        Some(b) => http.post(url).json(&b),
        None => http.get(url),
    };
    let response = request.header("cookie", cookie).send().await;
    let response = response.and_then(|r| r.error_for_status());
    response.expect("the admin API").json().await.expect("JSON")
}

/// Connected, and subscribed when `topic` is given; the error says how the broker refused.
async fn connect(
    port: u16,
    id: String,
    (user, password): (String, String),
    topic: Option<(String, QoS)>,
) -> Result<(AsyncClient, EventLoop), String> {
    let mut options = MqttOptions::new(id, "127.0.0.1", port);
    options
        .set_credentials(user, password)
        .set_keep_alive(Duration::from_secs(30));
    // The generator's own sends go out at once; the brokers keep their own defaults.
    let mut network = rumqttc::NetworkOptions::new();
    network.set_tcp_nodelay(true);
    let (client, mut events) = AsyncClient::new(options, 10);
    events.set_network_options(network);
    let setup = async {
        if let Some((t, qos)) = &topic {
            client.subscribe(t, *qos).await.map_err(|e| e.to_string())?;
        }
        loop {
            match events.poll().await.map_err(|e| e.to_string())? {
                Event::Incoming(Packet::ConnAck(_)) if topic.is_none() => return Ok(()),
                Event::Incoming(Packet::SubAck(a)) => {
                    return match a.return_codes.as_slice() {
                        [SubscribeReasonCode::Success(_)] => Ok(()),
                        _ => Err("subscription refused".to_owned()),
                    }
                }
                _ => {}
            }
        }
    };
    match tokio::time::timeout(CONNECT_DEADLINE, setup).await {
        Ok(Ok(())) => Ok((client, events)),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("no CONNACK/SUBACK in time".to_owned()),
    }
}

/// Polls until the load stops: rumqttc only talks to the broker while its loop is polled.
async fn drive(mut events: EventLoop, mut stop: watch::Receiver<bool>) -> Option<String> {
    loop {
        tokio::select! {
            r = events.poll() => if let Err(e) = r { return Some(e.to_string()) },
            _ = stop.changed() => return None,
        }
    }
}

/// Publishes `count` messages, each stamped with the instant it is handed to the client and
/// sent once its subscriber has made room in the window. Hands the client back so that its
/// connection lives as long as the load.
async fn feed(
    client: AsyncClient,
    (topic, qos): (String, QoS),
    count: usize,
    window: Arc<Semaphore>,
    (epoch, deadline): (Instant, tokio::time::Instant),
) -> (usize, AsyncClient) {
    let mut payload = vec![0u8; PAYLOAD];
    for sent in 0..count {
        match timeout_at(deadline, window.acquire()).await {
            Ok(Ok(permit)) => permit.forget(),
            _ => return (sent, client),
        }
        let nanos = epoch.elapsed().as_nanos() as u64;
        payload[..8].copy_from_slice(&nanos.to_le_bytes());
        let publish = client.publish(&topic, qos, false, payload.clone());
        if !matches!(timeout_at(deadline, publish).await, Ok(Ok(()))) {
            return (sent, client);
        }
    }
    (count, client)
}

#[derive(Default)]
struct Received {
    latencies: Vec<Duration>,
    last: Option<Instant>,
    error: Option<String>,
}

/// Collects what arrives until the load stops, keeping the connection (and its acks) going;
/// says on `done` when all `expected` arrived or the connection broke.
async fn receive(
    mut events: EventLoop,
    (expected, window): (usize, Arc<Semaphore>),
    epoch: Instant,
    mut stop: watch::Receiver<bool>,
    done: mpsc::UnboundedSender<()>,
) -> Received {
    let mut got = Received::default();
    loop {
        tokio::select! {
            r = events.poll() => match r {
                Ok(Event::Incoming(Packet::Publish(p))) if p.payload.len() >= 8 => {
                    let now = Instant::now();
                    let stamp = p.payload[..8].try_into().expect("8 bytes");
                    let sent = epoch + Duration::from_nanos(u64::from_le_bytes(stamp));
                    got.latencies.push(now.saturating_duration_since(sent));
                    got.last = Some(now);
                    window.add_permits(1);
                    if got.latencies.len() == expected {
                        let _ = done.send(());
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    got.error = Some(e.to_string());
                    let _ = done.send(());
                    return got;
                }
            },
            _ = stop.changed() => return got,
        }
    }
}

struct Outcome {
    sent: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
    idle_kib: u64,
    rss_kib: u64,
    problems: Vec<String>,
}

async fn load(b: &Broker, pairs: usize, qos: QoS) -> Outcome {
    let idle_kib = rss_kib(b.pid);
    let per = MESSAGES_PER_LOAD / pairs;
    let topic = |i: usize| (format!("bench/{i}"), qos);
    let client = |id: String, sub| tokio::spawn(connect(b.port, id, b.auth.clone(), sub));
    let clients: Vec<_> = (0..pairs)
        .map(|i| {
            (
                client(format!("s{i}"), Some(topic(i))),
                client(format!("p{i}"), None),
            )
        })
        .collect();
    let (mut ready, mut problems) = (Vec::new(), Vec::new());
    for (i, (s, p)) in clients.into_iter().enumerate() {
        match (s.await.expect("a client"), p.await.expect("a client")) {
            (Ok(s), Ok(p)) => ready.push((i, s, p)),
            (s, p) => problems.extend([s.err(), p.err()].into_iter().flatten()),
        }
    }
    problems
        .iter_mut()
        .for_each(|e| *e = format!("client refused: {e}"));

    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let (mut receivers, mut drivers, mut feeders) = (Vec::new(), Vec::new(), Vec::new());
    let active = ready.len();
    let start = Instant::now();
    let deadline = start + LOAD_DEADLINE;
    for (i, (sub, sub_events), (publisher, pub_events)) in ready {
        let window = Arc::new(Semaphore::new(WINDOW));
        let (expect, times) = ((per, window.clone()), (start, deadline.into()));
        let (stop, done) = (stop_rx.clone(), done_tx.clone());
        receivers.push((
            sub,
            tokio::spawn(receive(sub_events, expect, start, stop, done)),
        ));
        drivers.push(tokio::spawn(drive(pub_events, stop_rx.clone())));
        feeders.push(tokio::spawn(feed(publisher, topic(i), per, window, times)));
    }
    let mut finished = 0;
    while finished < active && timeout_at(deadline.into(), done_rx.recv()).await.is_ok() {
        finished += 1;
    }
    // At the end of the load, before any client leaves.
    let rss_kib = rss_kib(b.pid);
    stop_tx.send_replace(true);
    let mut sent = 0;
    for f in feeders {
        sent += f.await.expect("a publisher").0;
    }
    for d in drivers {
        let dropped = d.await.expect("a publisher");
        problems.extend(dropped.map(|e| format!("publisher dropped: {e}")));
    }
    let (mut latencies, mut last) = (Vec::with_capacity(sent), start);
    for (_client, r) in receivers {
        let r = r.await.expect("a subscriber");
        latencies.extend(r.latencies);
        last = last.max(r.last.unwrap_or(start));
        problems.extend(r.error.map(|e| format!("subscriber dropped: {e}")));
    }
    latencies.sort();
    let elapsed = last.saturating_duration_since(start);
    Outcome {
        sent,
        latencies,
        elapsed,
        idle_kib,
        rss_kib,
        problems,
    }
}

fn rate(o: &Outcome) -> f64 {
    o.latencies.len() as f64 / o.elapsed.as_secs_f64().max(1e-9)
}

fn ms(o: &Outcome, p: f64) -> f64 {
    percentile(&o.latencies, p).as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn print_row(label: &str, name: &str, o: &Outcome) {
    let received = o.latencies.len();
    let lost = o.sent.saturating_sub(received);
    let counts = format!("{received}/{}", o.sent);
    println!(
        "{label:<15}{name:<11}{:>9.0}{:>9.2}{:>9.2}{:>9.1}{:>10.1}{counts:>15}{lost:>7}",
        rate(o),
        ms(o, 0.5),
        ms(o, 0.99),
        mib(o.rss_kib),
        mib(o.idle_kib),
    );
    let mut problems = BTreeMap::<&str, usize>::new();
    for p in &o.problems {
        *problems.entry(p).or_default() += 1;
    }
    for (problem, n) in problems {
        println!("{:<15}  {name}: {n} × {problem}", "");
    }
}

fn print_ratio(h: &Outcome, m: &Outcome) {
    let ratio = |a: f64, b: f64| match b > 0.0 {
        true => format!("{:.2}x", a / b),
        false => "-".to_owned(),
    };
    println!(
        "{:<15}{:<11}{:>9}{:>9}{:>9}{:>9}",
        "",
        "hub/mosq",
        ratio(rate(h), rate(m)),
        ratio(ms(h, 0.5), ms(m, 0.5)),
        ratio(ms(h, 0.99), ms(m, 0.99)),
        ratio(mib(h.rss_kib), mib(m.rss_kib)),
    );
}

/// A fresh demo hub, a device credential made as the owner makes one, and one load on it;
/// the clients the hub's MQTT page says it refused or dropped are among the problems.
async fn hub_load(pairs: usize, qos: QoS) -> (Outcome, (String, String)) {
    let hub = start_hub();
    let owner = cookie(hub.port, &hub.owner).await;
    let body = json!({"username": USER, "label": "broker bench"});
    let made = admin(hub.port, &owner, "/device-credentials", Some(body)).await;
    let password = made["password"].as_str().expect("a password").to_owned();
    let mqtt = admin(hub.port, &owner, "/broker", None).await["port"].as_u64();
    let port = mqtt.and_then(|p| u16::try_from(p).ok());
    let auth = (USER.to_owned(), password);
    let broker = Broker {
        port: port.expect("the hub's broker is on"),
        pid: hub.child.id(),
        auth,
    };
    let mut outcome = load(&broker, pairs, qos).await;
    let status = admin(hub.port, &owner, "/broker", None).await;
    for r in status["refused"].as_array().into_iter().flatten() {
        let reason = r["reason"].as_str().unwrap_or("?");
        outcome
            .problems
            .push(format!("on the hub's MQTT page: {reason}"));
    }
    (outcome, broker.auth)
}

fn main() {
    // `cargo bench` passes flags such as --bench; this harness takes none.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let mosquitto = mosquitto_binary();
    println!(
        "MQTT 3.1.1 on 127.0.0.1; one load generator (rumqttc in this process) for both brokers; \
         {PAYLOAD} B payloads; {MESSAGES_PER_LOAD} messages per load, at most {WINDOW} on their way \
         per publisher, {} s deadline; one topic and one subscriber per publisher; clients sign in \
         with a username and password on both; fresh broker processes for every load.",
        LOAD_DEADLINE.as_secs()
    );
    println!(
        "hub: release demo hub, default [broker] settings; its RSS is the whole hub process (web, \
         store, demo devices too)."
    );
    match &mosquitto {
        Some(bin) => {
            let help = Command::new(bin).arg("-h").output().map(|o| o.stdout);
            let help = String::from_utf8_lossy(&help.unwrap_or_default()).into_owned();
            let version = help.lines().next().unwrap_or("?");
            let limits = MOSQUITTO_LIMITS.trim().replace('\n', ", ");
            println!("mosquitto: {version}, password file, the hub's limits ({limits}).");
        }
        None => println!(
            "MOSQUITTO NOT MEASURED: no mosquitto binary; `apt-get update && apt-get install -y \
             mosquitto` adds it. Only the hub's figures follow."
        ),
    }
    println!(
        "\n{:<15}{:<11}{:>9}{:>9}{:>9}{:>9}{:>10}{:>15}{:>7}",
        "load", "broker", "msg/s", "p50 ms", "p99 ms", "RSS MiB", "idle MiB", "recv/sent", "lost"
    );
    let loads = [
        (QoS::AtMostOnce, 10),
        (QoS::AtMostOnce, 100),
        (QoS::AtLeastOnce, 10),
        (QoS::AtLeastOnce, 100),
    ];
    runtime.block_on(async {
        for (qos, pairs) in loads {
            let (h, auth) = hub_load(pairs, qos).await;
            print_row(&format!("QoS {} {pairs}+{pairs}", qos as u8), "hub", &h);
            let Some(bin) = &mosquitto else { continue };
            match start_mosquitto(bin, &auth) {
                Ok(process) => {
                    let (port, pid) = (process.port, process.child.id());
                    let m = load(&Broker { port, pid, auth }, pairs, qos).await;
                    print_row("", "mosquitto", &m);
                    print_ratio(&h, &m);
                }
                Err(e) => println!("{:<15}MOSQUITTO NOT MEASURED: it would not start: {e}", ""),
            }
        }
    });
    println!(
        "\nhub/mosq above 1: the hub's figure is higher (msg/s: better; ms, MiB: worse). Refused \
         or dropped clients would be listed under their row; lost = sent − received by the deadline."
    );
}
