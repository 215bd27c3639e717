//! `/ws/kiosk`: a paired kiosk's call socket (DESK-3): the caller's socket of the calls
//! (`crate::calls::serve_caller`), the kiosk named by its cookie; a revoked kiosk's socket
//! closes at once.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

use super::api::KioskSession;
use super::{FrontDesk, Kiosk};
use crate::calls::{serve_caller, Caller, CALLER_MAX_FRAME};
use crate::web::AppError;

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
    if !kiosk.screen.calls {
        return AppError::Forbidden.into_response();
    }
    ws.max_frame_size(CALLER_MAX_FRAME)
        .max_message_size(CALLER_MAX_FRAME)
        .on_upgrade(move |socket| {
            let caller = Caller {
                name: kiosk.name.clone(),
                kiosk_id: Some(kiosk.id),
            };
            let cut = revoked(desk.clone(), kiosk);
            serve_caller(desk.calls().clone(), caller, socket, cut)
        })
}

/// Resolves when `kiosk` is revoked.
async fn revoked(desk: FrontDesk, kiosk: Kiosk) -> &'static str {
    let mut revocations = desk.revocations();
    loop {
        let cut = match revocations.recv().await {
            Ok(id) => id == kiosk.id,
            // Revocations were missed: ask the store.
            Err(RecvError::Lagged(_)) => {
                !matches!(desk.kiosks().await, Ok(k) if k.iter().any(|k| k.id == kiosk.id))
            }
            Err(RecvError::Closed) => true,
        };
        if cut {
            tracing::info!(kiosk = kiosk.id, "A revoked kiosk's socket was closed.");
            return "revoked";
        }
    }
}
