//! How a guest socket ends: with the close code its fault calls for (RFC 6455 §7.4.1) and
//! a closing handshake rather than a reset.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket};

/// How long a closing socket waits for the client's close frame.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Closes with `code` (RFC 6455 §7.4.1) and waits a little for the client's close frame, so
/// the connection ends in a closing handshake rather than a reset.
pub(super) async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let sent = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from_static(reason),
        })))
        .await;
    if sent.is_ok() {
        let _ = tokio::time::timeout(CLOSE_WAIT, async {
            while let Some(Ok(m)) = socket.recv().await {
                if matches!(m, WsMessage::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// Ends a socket whose frame could not be read, with the close code the fault calls for:
/// 1007 for text that is not UTF-8, 1009 for a frame past what the library reads, 1002 for a
/// protocol violation; a connection already gone just ends.
pub(super) async fn close_on(socket: &mut WebSocket, e: axum::Error) {
    let inner = e.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Utf8(_)) => {
            close(socket, 1007, "frames are UTF-8 text").await;
        }
        Some(tungstenite::Error::Capacity(_)) => {
            close(socket, 1009, "a frame has at most 64 KB").await;
        }
        Some(tungstenite::Error::Protocol(_)) => {
            close(socket, 1002, "not the WebSocket protocol").await;
        }
        _ => tracing::debug!(error = %inner, "A guest socket failed."),
    }
}
