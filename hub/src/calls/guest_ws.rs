//! `/ws/call`: a guest's call from the chat widget (CHAT-3). The widget's frame (the hub's
//! own page) opens it and says who it is first, `{"type":"hello","key":…,"token":…}` (the
//! widget key and the guest's browser token, as on the chat socket); then it is the caller's
//! socket of every call (`caller_ws.rs`). Refused when the owner does not offer calls.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::caller_ws::{serve_caller, MAX_FRAME};
use super::{CallError, Calls};
use crate::web::AppError;

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Hello {
    Hello { key: String, token: String },
}

pub async fn upgrade(
    State(calls): State<Calls>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // Only the widget's frame, which the hub serves: a page elsewhere has no business here.
    if let Some(origin) = crate::web::foreign_origin(&headers) {
        tracing::warn!(%origin, "A guest call socket from another site was refused.");
        return AppError::ForeignOrigin.into_response();
    }
    ws.max_frame_size(MAX_FRAME)
        .max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| run(calls, socket, peer))
}

async fn run(calls: Calls, mut socket: WebSocket, peer: SocketAddr) {
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(WsMessage::Text(t)))) => serde_json::from_str::<Hello>(&t).ok(),
        _ => None,
    };
    let Some(Hello::Hello { key, token }) = hello else {
        refuse(
            &mut socket,
            "hello_expected",
            "say hello with the widget key and token first",
        )
        .await;
        return;
    };
    match calls
        .admit_guest(&key, &token, &peer.ip().to_string())
        .await
    {
        Ok(caller) => serve_caller(calls, caller, socket, std::future::pending()).await,
        Err(CallError::TooMany(secs)) => {
            refuse(
                &mut socket,
                "rate_limited",
                &format!("try again in {secs} s"),
            )
            .await;
        }
        Err(e) => {
            tracing::info!(error = %e, "A guest's call socket was refused.");
            refuse(&mut socket, "unavailable", "calls are not offered here").await;
        }
    }
}

async fn refuse(socket: &mut WebSocket, code: &str, message: &str) {
    let frame = json!({"type": "error", "code": code, "message": message});
    let _ = socket.send(WsMessage::Text(frame.to_string().into())).await;
}
