//! The link's state for admins (`GET /api/v1/admin/cloud`), and what browsers outside may
//! not reach through it.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::http::StatusCode;

use super::{ClaimCode, Cloud, CloudError, CloudStatus};
use crate::web::{ApiJson, AppError, ErrorBody};

impl From<CloudError> for AppError {
    fn from(e: CloudError) -> AppError {
        AppError::Conflict(e.to_string())
    }
}

pub fn admin_routes() -> OpenApiRouter<Cloud> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(claim_code))
}

/// Whether the hub is linked to its cloud relay, since when, the last error, and the hub's
/// public address there.
#[utoipa::path(get, path = "/cloud", tag = "cloud", security(("session" = ["admin"])),
    responses((status = 200, body = CloudStatus), (status = 403, body = ErrorBody)))]
async fn status(State(cloud): State<Cloud>) -> ApiJson<CloudStatus> {
    ApiJson(cloud.status())
}

/// A one-time code for the owner to claim this hub on the relay (valid an hour); a new
/// code replaces the last.
#[utoipa::path(post, path = "/cloud/claim-code", tag = "cloud", security(("session" = ["admin"])),
    responses((status = 201, body = ClaimCode), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn claim_code(
    State(cloud): State<Cloud>,
) -> Result<(StatusCode, ApiJson<ClaimCode>), AppError> {
    Ok((StatusCode::CREATED, ApiJson(cloud.claim_code().await?)))
}

/// Refuses, to browsers carried by the relay, what is for the LAN alone: the operator's
/// metrics.
pub async fn lan_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.uri().path() == "/metrics" {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}
