//! A caller's call socket (DESK-3, CHAT-3), the same for the lobby kiosk and a guest's
//! widget once each side's edge has said who is calling: `{"type":"call","sdp":…}` with
//! the offer (candidates gathered, no trickle); the hub answers `{"type":"answer",
//! "call_id":…,"sdp":…}` and then the call's state as it changes (`{"type":"call_state",
//! "state":"ringing"|"connected"|"ended",…}`) and what the member on it asks
//! (`{"type":"scan_request","shoot":…}`). `{"type":"hangup"}` or the socket closing ends
//! the call; so does `cut` resolving (a revoked kiosk), with its reason as an error code.
//! One call at a time per socket.

use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures_util::future::Either;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;

use super::{CallError, Caller, CallerView, Calls, ScanAsk};

/// The largest frame a caller sends: an offer of a few kilobytes.
pub const MAX_FRAME: usize = 64 * 1024;
/// A caller that sends nothing (its page pings) for this long is gone.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    Call { sdp: String },
    Hangup,
    Ping,
}

/// The call this socket placed, what its caller is told, and what the member asks of it.
struct Current {
    id: i64,
    view: watch::Receiver<CallerView>,
    asks: watch::Receiver<ScanAsk>,
}

/// Serves `caller`'s socket until it closes, `cut` resolves (its reason goes out as an
/// error code), or the caller goes quiet for 90 s; a call under way is hung up then.
pub async fn serve_caller(
    calls: Calls,
    caller: Caller,
    mut socket: WebSocket,
    cut: impl std::future::Future<Output = &'static str>,
) {
    tokio::pin!(cut);
    let mut current: Option<Current> = None;
    loop {
        let (view_changed, asked) = match current.as_mut() {
            Some(Current { view, asks, .. }) => (
                Either::Left(async move { view.changed().await.is_ok() }),
                Either::Left(async move {
                    match asks.changed().await {
                        Ok(()) => Some(*asks.borrow_and_update()),
                        Err(_) => std::future::pending().await,
                    }
                }),
            ),
            None => (
                Either::Right(std::future::pending()),
                Either::Right(std::future::pending()),
            ),
        };
        tokio::select! {
            frame = tokio::time::timeout(IDLE_TIMEOUT, socket.recv()) => {
                let text = match frame {
                    Ok(Some(Ok(WsMessage::Text(t)))) => t,
                    Ok(Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_)))) => continue,
                    _ => break,
                };
                match serde_json::from_str::<Incoming>(&text) {
                    Ok(Incoming::Call { sdp }) => {
                        if current.is_some() {
                            if !error(&mut socket, "busy", "a call is already under way").await {
                                break;
                            }
                            continue;
                        }
                        match calls.place(caller.clone(), &sdp).await {
                            Ok(placed) => {
                                let frame = json!({"type": "answer", "call_id": placed.id, "sdp": placed.answer});
                                current = Some(Current { id: placed.id, view: placed.view, asks: placed.asks });
                                if !send(&mut socket, frame).await {
                                    break;
                                }
                                if let Some(c) = current.as_mut() {
                                    let view = c.view.borrow_and_update().clone();
                                    if !send_state(&mut socket, &view).await {
                                        break;
                                    }
                                }
                            }
                            Err(e) => {
                                tracing::warn!(caller = %caller.name, error = %e, "A call was not placed.");
                                let code = match e {
                                    CallError::Busy(_) => "busy",
                                    CallError::Media(super::MediaError::Offer(_)) => "bad_offer",
                                    _ => "failed",
                                };
                                if !error(&mut socket, code, &e.to_string()).await {
                                    break;
                                }
                            }
                        }
                    }
                    Ok(Incoming::Hangup) => {
                        if let Some(c) = current.take() {
                            calls.caller_hangs_up(c.id).await;
                            if !send_state(&mut socket, &CallerView::Ended { outcome: "hung_up".into() }).await {
                                break;
                            }
                        }
                    }
                    Ok(Incoming::Ping) => {
                        if !send(&mut socket, json!({"type": "pong"})).await {
                            break;
                        }
                    }
                    Err(e) => {
                        if !error(&mut socket, "bad_frame", &e.to_string()).await {
                            break;
                        }
                    }
                }
            }
            ask = asked => {
                if let Some(ask) = ask {
                    if !send(&mut socket, json!({"type": "scan_request", "shoot": ask.shoot})).await {
                        break;
                    }
                }
            }
            alive = view_changed => {
                let view = match current.as_mut() {
                    Some(c) if alive => c.view.borrow_and_update().clone(),
                    _ => CallerView::Ended { outcome: "failed".into() },
                };
                if matches!(view, CallerView::Ended { .. }) {
                    current = None;
                }
                if !send_state(&mut socket, &view).await {
                    break;
                }
            }
            why = &mut cut => {
                let _ = error(&mut socket, why, "This device may no longer call.").await;
                break;
            }
        }
    }
    if let Some(c) = current {
        calls.caller_hangs_up(c.id).await;
    }
}

async fn send(socket: &mut WebSocket, frame: serde_json::Value) -> bool {
    socket
        .send(WsMessage::Text(frame.to_string().into()))
        .await
        .is_ok()
}

async fn send_state(socket: &mut WebSocket, view: &CallerView) -> bool {
    let mut frame = serde_json::to_value(view).unwrap_or_default();
    if let Some(map) = frame.as_object_mut() {
        map.insert("type".into(), "call_state".into());
    }
    send(socket, frame).await
}

async fn error(socket: &mut WebSocket, code: &str, message: &str) -> bool {
    send(
        socket,
        json!({"type": "error", "code": code, "message": message}),
    )
    .await
}
