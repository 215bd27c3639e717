//! `/ws/kiosk`: a paired kiosk's call socket (DESK-3). The kiosk sends `{"type":"call",
//! "sdp":…}` with its offer (candidates gathered, no trickle); the hub answers
//! `{"type":"answer","call_id":…,"sdp":…}` and then the call's state as it changes:
//! `{"type":"call_state","state":"ringing"|"connected"|"ended",…}`. `{"type":"hangup"}`
//! or the socket closing ends the call; a revoked kiosk's socket closes at once. One call
//! at a time per socket.

use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::future::Either;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use super::api::KioskSession;
use super::{FrontDesk, Kiosk};
use crate::calls::{CallError, CallerView, ScanAsk};
use crate::web::AppError;

/// The largest frame a kiosk sends: an offer of a few kilobytes.
const MAX_FRAME: usize = 64 * 1024;
/// A kiosk that sends nothing (its page pings) for this long is gone.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    Call { sdp: String },
    Hangup,
    Ping,
}

pub async fn upgrade(
    State(desk): State<FrontDesk>,
    KioskSession(kiosk): KioskSession,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(origin) = crate::web::foreign_origin(&headers) {
        tracing::warn!(%origin, kiosk = kiosk.id, "A kiosk socket from another site was refused.");
        return AppError::ForeignOrigin.into_response();
    }
    ws.max_frame_size(MAX_FRAME)
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| run(desk, socket, kiosk))
}

/// The call this socket placed, what its caller is told, and what the member asks of it.
struct Current {
    id: i64,
    view: watch::Receiver<CallerView>,
    asks: watch::Receiver<ScanAsk>,
}

async fn run(desk: FrontDesk, mut socket: WebSocket, kiosk: Kiosk) {
    let mut revoked = desk.revocations();
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
                        match desk.call(&kiosk, &sdp).await {
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
                                tracing::warn!(kiosk = kiosk.id, error = %e, "A kiosk's call was not placed.");
                                let code = match e {
                                    CallError::Busy(_) => "busy",
                                    CallError::Media(crate::calls::MediaError::Offer(_)) => "bad_offer",
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
                            desk.hang_up(c.id).await;
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
            gone = revoked.recv() => {
                let cut = match gone {
                    Ok(id) => id == kiosk.id,
                    // Revocations were missed: ask the store.
                    Err(RecvError::Lagged(_)) => {
                        !matches!(desk.kiosks().await, Ok(k) if k.iter().any(|k| k.id == kiosk.id))
                    }
                    Err(RecvError::Closed) => true,
                };
                if cut {
                    tracing::info!(kiosk = kiosk.id, "A revoked kiosk's socket was closed.");
                    let _ = error(&mut socket, "revoked", "This tablet is no longer paired with the hub.").await;
                    break;
                }
            }
        }
    }
    if let Some(c) = current {
        desk.hang_up(c.id).await;
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
