//! System updates over HTTP, for owners and admins (behind the admin gate): the status,
//! a bundle uploaded as the raw body or named by its URL, and the restart.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Operation, UpdateError, UpdateStatus, Updates};
use crate::web::{ApiJson, AppError, ErrorBody};

impl From<UpdateError> for AppError {
    fn from(e: UpdateError) -> AppError {
        match e {
            UpdateError::Off => AppError::Conflict(e.to_string()),
            UpdateError::Busy => AppError::Conflict(e.to_string()),
            UpdateError::Invalid(why) => AppError::bad("invalid", why),
            UpdateError::TooLarge(_) => AppError::PayloadTooLarge,
            UpdateError::Fetch(_) => AppError::bad("unreachable", e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub fn admin_routes() -> OpenApiRouter<Updates> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(fetch))
        .routes(routes!(reboot))
}

/// The bundle upload: its own route table, for the body limit of bundles.
pub fn bundle_routes() -> OpenApiRouter<Updates> {
    OpenApiRouter::new().routes(routes!(upload))
}

/// The running version, the slots, what the updater is doing and the history.
#[utoipa::path(get, path = "/updates", tag = "updates", security(("session" = ["admin"])), responses(
    (status = 200, body = UpdateStatus), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn status(State(updates): State<Updates>) -> Result<ApiJson<UpdateStatus>, AppError> {
    Ok(ApiJson(updates.status().await?))
}

/// A RAUC bundle (`.raucb`) as the raw body; answered once it is kept, then verified and
/// installed into the other slot in the background (follow it with `GET /updates`).
#[utoipa::path(post, path = "/updates/bundle", tag = "updates", security(("session" = ["admin"])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 202, body = Operation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn upload(
    State(updates): State<Updates>,
    body: Body,
) -> Result<(StatusCode, ApiJson<Operation>), AppError> {
    let op = updates.receive(body.into_data_stream()).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(op)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FetchRequest {
    /// The bundle's http:// or https:// address.
    url: String,
}

/// Fetches a bundle from its address, then installs it (follow it with `GET /updates`).
#[utoipa::path(post, path = "/updates/url", tag = "updates", security(("session" = ["admin"])), request_body = FetchRequest,
    responses((status = 202, body = Operation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn fetch(
    State(updates): State<Updates>,
    ApiJson(req): ApiJson<FetchRequest>,
) -> Result<(StatusCode, ApiJson<Operation>), AppError> {
    let op = updates.fetch(&req.url).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(op)))
}

/// Restarts the box (into the newly installed slot, if one waits).
#[utoipa::path(post, path = "/updates/reboot", tag = "updates", security(("session" = ["admin"])),
    responses((status = 202, body = Operation), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
async fn reboot(
    State(updates): State<Updates>,
) -> Result<(StatusCode, ApiJson<Operation>), AppError> {
    Ok((StatusCode::ACCEPTED, ApiJson(updates.reboot().await?)))
}
