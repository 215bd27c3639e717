//! Chat under load, on the release demo hub over real loopback sockets: N guest sockets
//! (100, then 1,000) and 10 Team Messenger sockets. Prints durable messages per second
//! (each acked only after its commit), guest→agent latency p50/p99 at a fixed 200 msg/s,
//! and the hub's RSS with the sockets idle (per guest socket, above the hub without them).
//! Every loop is bounded in count and time.

use std::collections::HashMap;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as Ws;

mod common;

use common::{cookie, percentile, rss_kib, start_hub};

const AGENT_SOCKETS: usize = 10;
const LATENCY_RATE: u64 = 200;
const LATENCY_MESSAGES: usize = 1_000;

/// A guest: connects, then sends each body it is given and waits for its ack; reports the
/// ack time. Reads everything else the hub sends.
/// A first visit: the hub makes the visitor and hands out its token.
async fn new_visitor(port: u16, key: &str) -> String {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws/guest"))
        .await
        .expect("guest connects");
    ws.send(Ws::Text(
        json!({"type":"hello","key":key}).to_string().into(),
    ))
    .await
    .expect("hello");
    while let Some(Ok(frame)) = ws.next().await {
        if let Ws::Text(t) = frame {
            let v: Value = serde_json::from_str(&t).unwrap_or_default();
            if let Some(token) = v["token"].as_str() {
                return token.to_owned();
            }
        }
    }
    panic!("no token in the welcome")
}

async fn guest(
    port: u16,
    key: String,
    token: String,
    mut commands: mpsc::Receiver<String>,
    acks: mpsc::UnboundedSender<Duration>,
    ready: mpsc::UnboundedSender<()>,
) {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws/guest"))
        .await
        .expect("guest connects");
    ws.send(Ws::Text(
        json!({"type":"hello","key":key,"token":token})
            .to_string()
            .into(),
    ))
    .await
    .expect("hello");
    loop {
        match ws.next().await {
            Some(Ok(Ws::Text(t))) if t.contains("\"welcome\"") => break,
            Some(Ok(_)) => continue,
            _ => return,
        }
    }
    let _ = ready.send(());
    let mut n = 0u64;
    while let Some(body) = commands.recv().await {
        n += 1;
        let cid = format!("c{n}");
        let started = Instant::now();
        if ws
            .send(Ws::Text(
                json!({"type":"send","client_id":cid,"body":body})
                    .to_string()
                    .into(),
            ))
            .await
            .is_err()
        {
            return;
        }
        loop {
            match tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
                Ok(Some(Ok(Ws::Text(t)))) => {
                    if t.contains("\"ack\"") && t.contains(&format!("\"client_id\":\"{cid}\"")) {
                        let _ = acks.send(started.elapsed());
                        break;
                    }
                }
                Ok(Some(Ok(_))) => {}
                _ => return,
            }
        }
    }
}

async fn run(n_guests: usize, per_guest: usize) {
    let hub = start_hub();
    let port = hub.port;
    let pid = hub.child.id();
    let owner_cookie = cookie(port, &hub.owner).await;
    let agent_cookie = cookie(port, &hub.agent).await;
    let http = reqwest::Client::new();
    let widget: Value = http
        .get(format!("http://127.0.0.1:{port}/api/v1/chat/widget"))
        .header("cookie", &owner_cookie)
        .send()
        .await
        .expect("widget")
        .json()
        .await
        .expect("json");
    let key = widget["widget_key"].as_str().expect("key").to_owned();
    let mut settings: Value = http
        .get(format!(
            "http://127.0.0.1:{port}/api/v1/admin/chat/settings"
        ))
        .header("cookie", &owner_cookie)
        .send()
        .await
        .expect("settings")
        .json()
        .await
        .expect("json");
    settings["agents_see_others"] = json!(true);
    http.put(format!(
        "http://127.0.0.1:{port}/api/v1/admin/chat/settings"
    ))
    .header("cookie", &owner_cookie)
    .json(&settings)
    .send()
    .await
    .expect("put settings");
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Ten Team Messenger sockets; the first times when each "lat-" message arrives.
    let arrivals: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let load_seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut team_ready = Vec::new();
    for i in 0..AGENT_SOCKETS {
        let cookie = if i % 2 == 0 {
            owner_cookie.clone()
        } else {
            agent_cookie.clone()
        };
        let arrivals = (i == 0).then(|| arrivals.clone());
        let load_seen = load_seen.clone();
        let (tx, rx) = tokio::sync::oneshot::channel();
        team_ready.push(rx);
        tokio::spawn(async move {
            let mut request = format!("ws://127.0.0.1:{port}/ws/team")
                .into_client_request()
                .expect("request");
            request
                .headers_mut()
                .insert("cookie", cookie.parse().expect("cookie header"));
            let (mut ws, _) = tokio_tungstenite::connect_async(request)
                .await
                .expect("team connects");
            ws.send(Ws::Text(json!({"type":"hello"}).to_string().into()))
                .await
                .expect("hello");
            let _ = tx.send(());
            while let Some(Ok(frame)) = ws.next().await {
                if let (Some(arrivals), Ws::Text(t)) = (&arrivals, &frame) {
                    if t.contains("\"body\":\"load ") {
                        load_seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    if let Some(at) = t.find("\"body\":\"lat-") {
                        let rest = &t[at + 8..];
                        let body = rest.split('"').next().unwrap_or_default().to_owned();
                        arrivals.lock().expect("lock").insert(body, Instant::now());
                    }
                }
            }
        });
    }
    for r in team_ready {
        let _ = r.await;
    }
    // The visitors exist beforehand (a returning guest), so the figure below is the cost of
    // an open socket, not of a new row in the store.
    let mut tokens = Vec::new();
    for chunk in 0..n_guests.div_ceil(100) {
        let batch =
            (chunk * 100..((chunk + 1) * 100).min(n_guests)).map(|_| new_visitor(port, &key));
        tokens.extend(futures_util::future::join_all(batch).await);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rss_before = rss_kib(pid);

    let (ack_tx, mut ack_rx) = mpsc::unbounded_channel();
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel();
    let mut senders = Vec::new();
    for token in tokens {
        let (tx, rx) = mpsc::channel(4);
        senders.push(tx);
        tokio::spawn(guest(
            port,
            key.clone(),
            token,
            rx,
            ack_tx.clone(),
            ready_tx.clone(),
        ));
    }
    for _ in 0..n_guests {
        tokio::time::timeout(Duration::from_secs(60), ready_rx.recv())
            .await
            .expect("guests connect in time");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_idle = rss_kib(pid);
    let per_socket = (rss_idle.saturating_sub(rss_before)) as f64 / n_guests as f64;

    // Throughput: every guest writes `per_guest` messages, each waiting for its ack.
    let total = n_guests * per_guest;
    let started = Instant::now();
    let feeders: Vec<_> = senders
        .iter()
        .map(|tx| {
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0..per_guest {
                    if tx.send(format!("load {i}")).await.is_err() {
                        return;
                    }
                }
            })
        })
        .collect();
    for _ in 0..total {
        tokio::time::timeout(Duration::from_secs(60), ack_rx.recv())
            .await
            .expect("acks keep coming")
            .expect("ack");
    }
    let elapsed = started.elapsed();
    for f in feeders {
        let _ = f.await;
    }
    let rate = total as f64 / elapsed.as_secs_f64();

    // The agents' sockets still deliver the burst; latency is timed once they are idle.
    let drain_deadline = Instant::now() + Duration::from_secs(60);
    while load_seen.load(std::sync::atomic::Ordering::Relaxed) < total
        && Instant::now() < drain_deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let delivered = started.elapsed();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Latency at a fixed rate: one message every 5 ms from guests in turn.
    let mut sent_at = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / LATENCY_RATE));
    for i in 0..LATENCY_MESSAGES {
        tick.tick().await;
        let body = format!("lat-{i}");
        sent_at.insert(body.clone(), Instant::now());
        let _ = senders[i % n_guests].try_send(body);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while arrivals.lock().expect("lock").len() < LATENCY_MESSAGES && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let arrived = arrivals.lock().expect("lock").clone();
    let mut latencies: Vec<Duration> = sent_at
        .iter()
        .filter_map(|(body, t0)| {
            arrived
                .get(body)
                .map(|t1| t1.saturating_duration_since(*t0))
        })
        .collect();
    latencies.sort();
    let rss_end = rss_kib(pid);
    println!(
        "chat {n_guests:>5} guest + {AGENT_SOCKETS} agent sockets: {rate:>7.0} durable msg/s ({total} in {:.2} s, \
         all on every agent socket after {:.2} s) | \
         guest→agent at {LATENCY_RATE} msg/s: p50 {:.2} ms, p99 {:.2} ms ({}/{LATENCY_MESSAGES} timed) | \
         RSS {:.1} MiB idle with sockets, {per_socket:.1} KiB per idle guest socket, {:.1} MiB after load",
        elapsed.as_secs_f64(),
        delivered.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.len(),
        rss_idle as f64 / 1024.0,
        rss_end as f64 / 1024.0,
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
        run(100, 50).await;
        run(1_000, 10).await;
    });
}
