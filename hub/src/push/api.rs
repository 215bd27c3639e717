//! The push API: the VAPID public key a browser subscribes with, a member's subscriptions,
//! and (for the admin app's Team section) who can be reached by push.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{NewSubscription, Push, PushError};
use crate::team::Staff;
use crate::web::{ApiJson, AppError};

impl From<PushError> for AppError {
    fn from(e: PushError) -> AppError {
        match e {
            PushError::Invalid(m) => AppError::bad("invalid_subscription", m),
            PushError::Store(e) => e.into(),
            PushError::Key(m) => AppError::Internal(m),
        }
    }
}

pub fn routes() -> OpenApiRouter<Push> {
    OpenApiRouter::new()
        .routes(routes!(key))
        .routes(routes!(subscribe, unsubscribe))
        .routes(routes!(reachable))
}

#[derive(Serialize, ToSchema)]
struct PushKey {
    /// The VAPID public key (RFC 8292 §3.2), base64url: `applicationServerKey`.
    public_key: String,
}

/// The key a browser subscribes to the hub's pushes with.
#[utoipa::path(get, path = "/push/key", tag = "team", security(("session" = [])),
    responses((status = 200, body = PushKey), (status = 401, body = crate::web::ErrorBody)))]
async fn key(State(push): State<Push>, _staff: Staff) -> ApiJson<PushKey> {
    ApiJson(PushKey {
        public_key: push.public_key(),
    })
}

/// Keeps this browser's push subscription for the signed-in member.
#[utoipa::path(post, path = "/push/subscriptions", tag = "team", security(("session" = [])),
    request_body = NewSubscription,
    responses((status = 204), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody)))]
async fn subscribe(
    State(push): State<Push>,
    staff: Staff,
    ApiJson(new): ApiJson<NewSubscription>,
) -> Result<StatusCode, AppError> {
    push.subscribe(staff.member.id, new).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
struct Endpoint {
    endpoint: String,
}

/// Forgets this browser's subscription.
#[utoipa::path(delete, path = "/push/subscriptions", tag = "team", security(("session" = [])),
    request_body = Endpoint,
    responses((status = 204), (status = 401, body = crate::web::ErrorBody)))]
async fn unsubscribe(
    State(push): State<Push>,
    staff: Staff,
    ApiJson(e): ApiJson<Endpoint>,
) -> Result<StatusCode, AppError> {
    push.unsubscribe(staff.member.id, e.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Members with at least one browser subscribed to pushes.
#[utoipa::path(get, path = "/push/reachable", tag = "team", security(("session" = [])),
    responses((status = 200, body = Vec<i64>), (status = 401, body = crate::web::ErrorBody)))]
async fn reachable(State(push): State<Push>, _staff: Staff) -> ApiJson<Vec<i64>> {
    ApiJson(push.reachable())
}
