//! Web Push fan-out on the release demo hub: the owner has 20 subscribed devices (20 browser
//! key pairs, one local push-service stand-in on loopback that answers 201), nobody has the
//! Team Messenger open, and a guest writes 20 messages one after another. Prints the time
//! from each message's ack to its 20th push arriving (p50, max) and the hub's CPU time per
//! push (user + system, from /proc). Bounded: 20 messages, 60 s.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message as Ws;
use web_push_native::p256::elliptic_curve::rand_core::OsRng;
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
use web_push_native::p256::SecretKey;

mod common;

const DEVICES: usize = 20;
const MESSAGES: usize = 20;

/// The hub process's CPU time so far (utime + stime, clock ticks of 1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let f: Vec<&str> = after.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let hub = common::start_hub();
    let port = hub.port;
    runtime.block_on(async {
        // The push service: counts what arrives.
        let received = Arc::new(AtomicUsize::new(0));
        let arrived = Arc::new(Notify::new());
        let service = {
            let (received, arrived) = (received.clone(), arrived.clone());
            axum::Router::new().route(
                "/push/{id}",
                axum::routing::post(move || {
                    let (received, arrived) = (received.clone(), arrived.clone());
                    async move {
                        received.fetch_add(1, Ordering::SeqCst);
                        arrived.notify_waiters();
                        axum::http::StatusCode::CREATED
                    }
                }),
            )
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the push service");
        let service_port = listener.local_addr().expect("its port").port();
        tokio::spawn(async move { axum::serve(listener, service).await });

        let cookie = common::cookie(port, &hub.owner).await;
        let client = reqwest::Client::new();
        for device in 0..DEVICES {
            let key = SecretKey::random(&mut OsRng);
            let public = key.public_key().to_encoded_point(false);
            let body = json!({
                "endpoint": format!("http://127.0.0.1:{service_port}/push/{device}"),
                "keys": {
                    "p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()),
                    "auth": URL_SAFE_NO_PAD.encode([device as u8; 16]),
                }
            });
            let r = client
                .post(format!("http://127.0.0.1:{port}/api/v1/push/subscriptions"))
                .header("cookie", &cookie)
                .json(&body)
                .send()
                .await
                .expect("subscribe");
            assert_eq!(r.status(), 204, "a subscription is kept");
        }
        let widget: Value = client
            .get(format!("http://127.0.0.1:{port}/api/v1/chat/widget"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("the widget key")
            .json()
            .await
            .expect("JSON");
        let key = widget["widget_key"].as_str().expect("a key").to_owned();

        let (mut ws, _) =
            tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{port}/ws/guest"))
                .await
                .expect("a guest socket");
        ws.send(Ws::Text(
            json!({"type":"hello","key":key}).to_string().into(),
        ))
        .await
        .expect("hello");
        let cpu_before = cpu_ticks(hub.child.id());
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut fan_out = Vec::new();
        for n in 0..MESSAGES {
            let frame =
                json!({"type":"send","client_id":format!("b{n}"),"body":format!("question {n}")});
            ws.send(Ws::Text(frame.to_string().into()))
                .await
                .expect("send");
            loop {
                let Some(Ok(Ws::Text(t))) = ws.next().await else {
                    panic!("the guest socket closed")
                };
                let v: Value = serde_json::from_str(&t).unwrap_or_default();
                if v["type"] == "ack" && v["client_id"] == format!("b{n}") {
                    break;
                }
            }
            let acked = Instant::now();
            let want = (n + 1) * DEVICES;
            while received.load(Ordering::SeqCst) < want {
                assert!(Instant::now() < deadline, "pushes stopped arriving");
                let _ = tokio::time::timeout(Duration::from_millis(50), arrived.notified()).await;
            }
            fan_out.push(acked.elapsed());
        }
        let cpu_ticks_used = cpu_ticks(hub.child.id()) - cpu_before;
        fan_out.sort();
        let pushes = MESSAGES * DEVICES;
        println!(
            "release demo hub, this machine: {MESSAGES} guest messages, each pushed to {DEVICES} \
             subscribed devices (a loopback push service)"
        );
        println!(
            "ack → 20th push delivered: p50 {:.1} ms, max {:.1} ms",
            common::percentile(&fan_out, 0.5).as_secs_f64() * 1000.0,
            fan_out.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
        );
        println!(
            "hub CPU per push (encrypt, sign, send; the chat's own work included): {:.2} ms \
             ({} pushes, {} ms CPU)",
            cpu_ticks_used as f64 * 10.0 / pushes as f64,
            pushes,
            cpu_ticks_used * 10
        );
    });
}
