//! Browser connections carried to hubs: this node's MQTT client (subscribed to the answers
//! addressed to it) and one task per connection that cuts its bytes into frames one way and
//! puts the hub's frames back in order the other way.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloud_link::frame::{Reorder, MAX_BODY};
use cloud_link::{topics, Frame, FrameKind, HubId};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::broker::Upstream;

/// How long a hub has to send its first bytes for a connection.
const FIRST_ANSWER: Duration = Duration::from_secs(20);
/// Frames waiting for a slow browser before its connection is given up.
const QUEUE: usize = 256;

#[derive(Clone)]
pub struct Streams {
    node: String,
    client: AsyncClient,
    open: Arc<Mutex<HashMap<String, Open>>>,
    max_per_hub: usize,
}

struct Open {
    hub: HubId,
    /// When the connection began (unix ms).
    opened_ms: i64,
    frames: mpsc::Sender<Frame>,
}

/// Why a connection was not carried.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hub has as many connections as it may.
    Busy,
}

impl Streams {
    /// Connects this node's client to the broker and keeps it connected, moving to the
    /// next broker of `upstream` when one is lost.
    pub fn start(upstream: &Upstream, node: String, max_per_hub: usize) -> Streams {
        let options = |i: usize| {
            let (host, port) = upstream.addrs[i]
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.trim_matches(['[', ']']).to_owned(), p.parse().ok()?)))
                .unwrap_or_else(|| (upstream.addrs[i].clone(), 1883));
            let mut options = MqttOptions::new(format!("relay-{node}"), host, port);
            options
                .set_credentials(upstream.username.clone(), upstream.password.clone())
                .set_clean_session(true)
                .set_keep_alive(Duration::from_secs(30))
                .set_max_packet_size(2 * MAX_BODY, 2 * MAX_BODY)
                .set_inflight(200);
            options
        };
        let (client, mut events) = AsyncClient::new(options(0), 512);
        events.network_options.set_tcp_nodelay(true);
        let streams = Streams {
            node: node.clone(),
            client: client.clone(),
            open: Arc::default(),
            max_per_hub,
        };
        let table = streams.open.clone();
        let brokers = upstream.addrs.len();
        let options: Vec<MqttOptions> = (0..brokers).map(options).collect();
        tokio::spawn(async move {
            let mut broker = 0;
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        tracing::info!(broker = ?events.mqtt_options.broker_address(), "The relay's broker client is connected.");
                        subscribe(&client, &node).await;
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        if let Some(hub) = topics::parse_link_notice(&p.topic) {
                            let before = std::str::from_utf8(&p.payload)
                                .ok()
                                .and_then(|t| t.parse().ok());
                            if let Some(before) = before {
                                end_hub(&table, &hub, before);
                            }
                        } else {
                            deliver(&table, &p.topic, &p.payload);
                        }
                    }
                    // A cluster's broker refuses subscriptions while it elects a leader:
                    // without them no answer arrives, so they are asked for again.
                    Ok(Event::Incoming(Packet::SubAck(ack)))
                        if ack
                            .return_codes
                            .iter()
                            .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure)) =>
                    {
                        tracing::warn!(
                            "The broker refused a subscription; asking again in a second."
                        );
                        let (client, node) = (client.clone(), node.clone());
                        tokio::spawn(async move {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            subscribe(&client, &node).await;
                        });
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "The relay's broker client lost its connection.");
                        // The next broker of a cluster, if there is one (they share sessions).
                        broker = (broker + 1) % brokers;
                        events.mqtt_options = options[broker].clone();
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        });
        streams
    }

    /// Carries `browser` to hub `hub`: `head` is what was read of it already; `peer` and
    /// `tls` tell the hub who is asking and how; `silent_page` is the answer when the hub
    /// sends nothing back in time.
    pub async fn carry<B>(
        &self,
        hub: HubId,
        mut browser: B,
        head: Vec<u8>,
        peer: SocketAddr,
        tls: bool,
        silent_page: String,
    ) -> Result<(), Refusal>
    where
        B: AsyncRead + AsyncWrite + Unpin,
    {
        let stream = hex::encode(rand::random::<[u8; 8]>());
        let (tx, mut rx) = mpsc::channel(QUEUE);
        {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            if open.values().filter(|o| o.hub == hub).count() >= self.max_per_hub {
                return Err(Refusal::Busy);
            }
            open.insert(
                stream.clone(),
                Open {
                    hub: hub.clone(),
                    opened_ms: unix_ms(),
                    frames: tx,
                },
            );
        }
        let topic = topics::down(&hub, &self.node, &stream);
        let mut sender = Sender {
            client: &self.client,
            topic: &topic,
            seq: 0,
        };
        // Whether the hub still needs to be told that the connection ended.
        let tell_hub = async {
            let scheme = if tls { "tls" } else { "plain" };
            let opened = format!("{peer} {scheme}").into_bytes();
            if sender.send(FrameKind::Open, opened).await.is_none()
                || sender.send(FrameKind::Data, head).await.is_none()
            {
                return true;
            }
            let mut reorder = Reorder::default();
            let mut answered = false;
            let mut buffer = vec![0u8; MAX_BODY];
            loop {
                let wait = async {
                    if answered {
                        std::future::pending::<()>().await;
                    }
                    tokio::time::sleep(FIRST_ANSWER).await;
                };
                tokio::select! {
                    read = browser.read(&mut buffer) => match read {
                        Ok(n) if n > 0 => {
                            if sender.send(FrameKind::Data, buffer[..n].to_vec()).await.is_none() {
                                return true;
                            }
                        }
                        _ => return true,
                    },
                    frame = rx.recv() => {
                        let Some(Ok(ready)) = frame.map(|f| reorder.accept(f)) else {
                            return true;
                        };
                        for f in ready {
                            match f.kind {
                                FrameKind::Data => {
                                    answered = true;
                                    if browser.write_all(&f.body).await.is_err() {
                                        return true;
                                    }
                                }
                                FrameKind::End => return false,
                                FrameKind::Open => {}
                            }
                        }
                    }
                    () = wait => {
                        let _ = browser.write_all(silent_page.as_bytes()).await;
                        return true;
                    }
                }
            }
        };
        if tell_hub.await {
            let _ = sender.send(FrameKind::End, Vec::new()).await;
        }
        let _ = browser.shutdown().await;
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&stream);
        Ok(())
    }
}

impl Streams {
    /// Tells every node (this one too) that `hub`'s link began or ended now: the
    /// connections carried to it until now are over.
    pub async fn announce_link(&self, hub: &HubId) {
        let now = unix_ms();
        end_hub(&self.open, hub, now);
        let notice = now.to_string().into_bytes();
        if let Err(e) = self
            .client
            .publish(topics::link_notice(hub), QoS::AtLeastOnce, false, notice)
            .await
        {
            tracing::warn!(error = %e, "A link notice was not sent to the other relay nodes.");
        }
    }
}

/// Subscribes node `node`'s client to the hubs' answers addressed to it and to the other
/// nodes' link notices.
async fn subscribe(client: &AsyncClient, node: &str) {
    for filter in [topics::up_filter(node), topics::link_notice_filter()] {
        if let Err(e) = client.subscribe(filter, QoS::AtLeastOnce).await {
            tracing::warn!(error = %e, "Cannot subscribe to the hubs' answers.");
        }
    }
}

/// Ends the connections carried to `hub` that began before `before` (unix ms).
fn end_hub(table: &Mutex<HashMap<String, Open>>, hub: &HubId, before: i64) {
    table
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|_, o| o.hub != *hub || o.opened_ms >= before);
}

fn unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

struct Sender<'a> {
    client: &'a AsyncClient,
    topic: &'a str,
    seq: u64,
}

impl Sender<'_> {
    /// Publishes one frame (QoS 1); `None` when the broker client is gone.
    async fn send(&mut self, kind: FrameKind, body: Vec<u8>) -> Option<()> {
        for chunk in body
            .chunks(MAX_BODY)
            .chain(body.is_empty().then_some(&[][..]))
        {
            let frame = Frame {
                kind,
                seq: self.seq,
                body: chunk.to_vec(),
            };
            self.seq += 1;
            self.client
                .publish(self.topic, QoS::AtLeastOnce, false, frame.encode())
                .await
                .ok()?;
        }
        Some(())
    }
}

/// Hands a hub's frame to the connection it belongs to.
fn deliver(table: &Mutex<HashMap<String, Open>>, topic: &str, payload: &[u8]) {
    let Some(place) = topics::parse(topic, "up") else {
        tracing::debug!(topic, "An answer on an unknown topic.");
        return;
    };
    let frame = match Frame::decode(payload) {
        Ok(f) => f,
        Err(e) => {
            tracing::debug!(topic, error = %e, "An unreadable frame from a hub.");
            return;
        }
    };
    let mut open = table.lock().unwrap_or_else(|p| p.into_inner());
    let Some(entry) = open.get(&place.stream) else {
        return;
    };
    // Only the hub the connection went to may answer it.
    if entry.hub != place.hub {
        return;
    }
    if entry.frames.try_send(frame).is_err() {
        // A browser this far behind is gone: ending its connection frees the hub's side too.
        open.remove(&place.stream);
    }
}
