//! Browser connections the relay carries to this hub: each stream becomes an in-memory
//! connection served by the hub's own routes (through the wiring's `ServeCarried`) (the same sign-in, roles and limits as on the
//! LAN, with the browser's own address), its bytes cut into frames back to the relay node
//! that holds the browser.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use cloud_link::frame::{Reorder, MAX_BODY};
use cloud_link::{topics, Frame, FrameKind, HubId};
use rumqttc::{AsyncClient, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Browser connections carried at once; the relay holds each hub to fewer.
const MAX_STREAMS: usize = 512;
/// Frames waiting for the hub's side of one connection.
const QUEUE: usize = 256;

/// A carried connection's place: (relay node, stream).
type StreamKey = (String, String);

#[derive(Clone)]
pub(super) struct Tunnel {
    hub: HubId,
    serve: super::ServeCarried,
    /// (relay node, stream) → the stream's task.
    open: Arc<Mutex<HashMap<StreamKey, mpsc::Sender<Frame>>>>,
}

impl Tunnel {
    pub(super) fn new(hub: HubId, serve: super::ServeCarried) -> Tunnel {
        Tunnel {
            hub,
            serve,
            open: Arc::default(),
        }
    }

    /// Takes one message from the link: a frame of a stream, a new stream when it opens one.
    pub(super) fn deliver(&self, client: &AsyncClient, topic: &str, payload: &[u8]) {
        let Some(place) = topics::parse(topic, "down").filter(|p| p.hub == self.hub) else {
            tracing::debug!(topic, "A link message on a topic not for this hub.");
            return;
        };
        let frame = match Frame::decode(payload) {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!(topic, error = %e, "An unreadable frame from the relay.");
                return;
            }
        };
        let key = (place.node, place.stream);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = open.get(&key) {
            if tx.try_send(frame).is_err() {
                open.remove(&key);
            }
            return;
        }
        if frame.kind != FrameKind::Open || frame.seq != 0 || open.len() >= MAX_STREAMS {
            return;
        }
        let Some((peer, tls)) = opened(&frame.body) else {
            tracing::debug!("A stream opened without the browser's address.");
            return;
        };
        let (tx, rx) = mpsc::channel(QUEUE);
        let _ = tx.try_send(frame);
        open.insert(key.clone(), tx);
        let up = topics::up(&self.hub, &key.0, &key.1);
        let this = self.clone();
        let client = client.clone();
        tokio::spawn(async move {
            this.carry(client, up, rx, peer, tls).await;
            this.open
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&key);
        });
    }

    /// Ends every carried connection (the link they came over is gone).
    pub(super) fn end_all(&self) {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    async fn carry(
        &self,
        client: AsyncClient,
        up: String,
        mut rx: mpsc::Receiver<Frame>,
        peer: SocketAddr,
        tls: bool,
    ) {
        let (mut ours, served) = tokio::io::duplex(2 * MAX_BODY);
        let admitted = (self.serve)(served, peer, tls);
        let mut seq = 0u64;
        let mut send = |kind: FrameKind, body: Vec<u8>| {
            let frame = Frame { kind, seq, body };
            seq += 1;
            let client = client.clone();
            let up = up.clone();
            async move {
                client
                    .publish(up, QoS::AtLeastOnce, false, frame.encode())
                    .await
                    .is_ok()
            }
        };
        if !admitted {
            let _ = send(FrameKind::End, Vec::new()).await;
            return;
        }
        let mut reorder = Reorder::default();
        let mut buffer = vec![0u8; MAX_BODY];
        // Whether the relay still needs to hear that the connection ended.
        let tell_relay = loop {
            tokio::select! {
                read = ours.read(&mut buffer) => match read {
                    Ok(n) if n > 0 => {
                        if !send(FrameKind::Data, buffer[..n].to_vec()).await {
                            break false;
                        }
                    }
                    _ => break true,
                },
                frame = rx.recv() => {
                    let Some(Ok(ready)) = frame.map(|f| reorder.accept(f)) else {
                        break true;
                    };
                    let mut ended = false;
                    for f in ready {
                        match f.kind {
                            FrameKind::Data => {
                                if ours.write_all(&f.body).await.is_err() {
                                    ended = true;
                                }
                            }
                            FrameKind::End => ended = true,
                            FrameKind::Open => {}
                        }
                    }
                    if ended {
                        break false;
                    }
                }
            }
        };
        if tell_relay {
            let _ = send(FrameKind::End, Vec::new()).await;
        }
    }
}

/// The `Open` frame's body: `<ip:port> <tls|plain>`.
fn opened(body: &[u8]) -> Option<(SocketAddr, bool)> {
    let text = std::str::from_utf8(body).ok()?;
    let (peer, scheme) = text.split_once(' ')?;
    let tls = match scheme {
        "tls" => true,
        "plain" => false,
        _ => return None,
    };
    Some((peer.parse().ok()?, tls))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_browsers_address_is_read_from_the_open_frame() {
        assert_eq!(
            super::opened(b"203.0.113.7:50123 tls"),
            Some(("203.0.113.7:50123".parse().unwrap(), true))
        );
        assert_eq!(
            super::opened(b"[2001:db8::1]:443 plain").map(|p| p.1),
            Some(false)
        );
        for bad in [
            &b""[..],
            b"203.0.113.7 tls",
            b"x:1 tls",
            b"1.2.3.4:5 udp",
            b"\xff",
        ] {
            assert_eq!(super::opened(bad), None);
        }
    }
}
