//! The hub link over a WebSocket on the relay's HTTPS port (`GET /mqtt`, subprotocol
//! `mqtt`, MQTT 3.1.1 §6), for hotels whose network lets only port 443 out. The WebSocket's
//! binary messages become a byte stream, and the guard takes it as it takes a link on the
//! link port.

use std::net::SocketAddr;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _, DuplexStream};

use super::Own;

/// Bytes buffered between the WebSocket and the guard, each way.
const BUFFER: usize = 64 * 1024;

pub(super) async fn upgrade(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ws: WebSocketUpgrade,
) -> Response {
    let guard = own.links.clone();
    ws.protocols(["mqtt"])
        .max_message_size(own.max_packet_bytes.saturating_add(16))
        .on_upgrade(move |socket| async move {
            let (ours, theirs) = tokio::io::duplex(BUFFER);
            tokio::join!(guard.websocket_link(theirs, peer), carry(socket, ours));
        })
}

/// Copies the WebSocket's binary messages into `io` and what comes out of `io` into binary
/// messages, until either side ends.
async fn carry(socket: WebSocket, io: DuplexStream) {
    let (mut ws_tx, mut ws_rx) = socket.split();
    let (mut rd, mut wr) = tokio::io::split(io);
    let inbound = async {
        while let Some(Ok(message)) = ws_rx.next().await {
            match message {
                Message::Binary(bytes) if wr.write_all(&bytes).await.is_err() => break,
                Message::Close(_) => break,
                // Text has no place in MQTT over WebSocket; pings are answered by axum.
                _ => {}
            }
        }
        let _ = wr.shutdown().await;
    };
    let outbound = async {
        let mut buffer = vec![0u8; 16 * 1024];
        loop {
            match rd.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let message = Message::Binary(bytes::Bytes::copy_from_slice(&buffer[..n]));
                    if ws_tx.send(message).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = ws_tx.close().await;
    };
    tokio::select! {
        () = inbound => {}
        () = outbound => {}
    }
}
