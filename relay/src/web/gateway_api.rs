//! The shared gateway bot's routes: Telegram's webhook (`POST /gateway/telegram`, checked by
//! its secret-token header), and what hubs ask of it, signed with their key: enrolling with
//! the secret forwarded updates are signed with (`POST /api/v1/hubs/gateway`), and sending
//! a message to a chat that writes to them (`POST /api/v1/hubs/gateway/send`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::hubs_api::signed_hub;
use super::{problem, Own};
use crate::gateway::{Forwarded, SendRequest, Sent};

pub(super) async fn webhook(State(own): State<Own>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(gateway) = &own.gateway else {
        return problem(StatusCode::NOT_FOUND, "this relay has no gateway bot");
    };
    let secret = headers
        .get("x-telegram-bot-api-secret-token")
        .and_then(|v| v.to_str().ok());
    match gateway
        .webhook(secret, &body, crate::guard::unix_now())
        .await
    {
        Forwarded::Done => StatusCode::OK.into_response(),
        Forwarded::Later => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "the hotel cannot take it now",
        ),
        Forwarded::Refused => problem(StatusCode::FORBIDDEN, "not Telegram's"),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Enrolment {
    /// The key of the HMAC-SHA256 the relay signs forwarded updates with (16 to 128 bytes).
    secret: String,
}

/// A hub takes the gateway bot's guests: `{"telegram": "<bot username>"}`.
pub(super) async fn enrol(
    State(own): State<Own>,
    headers: HeaderMap,
    Json(form): Json<Enrolment>,
) -> Response {
    let now = crate::guard::unix_now();
    let Some(hub) = signed_hub(&own, &headers, now).await else {
        return problem(StatusCode::UNAUTHORIZED, "a hub's signed token is needed");
    };
    let Some(gateway) = &own.gateway else {
        return problem(StatusCode::NOT_FOUND, "this relay has no gateway bot");
    };
    if !(16..=128).contains(&form.secret.len()) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a secret of 16 to 128 bytes",
        );
    }
    match gateway.enrol(&hub, form.secret, now).await {
        Ok(()) => Json(serde_json::json!({ "telegram": gateway.username() })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "A gateway enrolment was not recorded.");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay cannot record it now",
            )
        }
    }
}

/// Sends a hub's message through the gateway bot: 200, 429 with `retry_after`, 422 when
/// Telegram refused it for good, 502 when Telegram could not be reached.
pub(super) async fn send(
    State(own): State<Own>,
    headers: HeaderMap,
    Json(request): Json<SendRequest>,
) -> Response {
    let Some(hub) = signed_hub(&own, &headers, crate::guard::unix_now()).await else {
        return problem(StatusCode::UNAUTHORIZED, "a hub's signed token is needed");
    };
    let Some(gateway) = &own.gateway else {
        return problem(StatusCode::NOT_FOUND, "this relay has no gateway bot");
    };
    match gateway.send(&hub, request).await {
        Sent::Ok => Json(serde_json::json!({})).into_response(),
        Sent::Wait(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            Json(serde_json::json!({ "error": "Telegram asks to wait", "retry_after": secs })),
        )
            .into_response(),
        Sent::Refused(why) => problem(StatusCode::UNPROCESSABLE_ENTITY, &why),
        Sent::Unreachable(why) => problem(StatusCode::BAD_GATEWAY, &why),
    }
}
