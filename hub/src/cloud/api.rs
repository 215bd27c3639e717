//! The link's state for admins (`GET /api/v1/admin/cloud`), the accounts on the relay that
//! hold the hub, claim codes, and what browsers outside may not reach through it.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::http::StatusCode;

use super::{ClaimCode, Cloud, CloudError, CloudStatus, RelayMember};
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
        .routes(routes!(access))
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

/// Whose accounts on the relay hold this hub (owners first); empty before a claim or without
/// a relay. 409 when the relay cannot be asked.
#[utoipa::path(get, path = "/cloud/access", tag = "cloud", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<RelayMember>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn access(State(cloud): State<Cloud>) -> Result<ApiJson<Vec<RelayMember>>, AppError> {
    match cloud.relay_access().await {
        // No relay: no account holds the hub.
        Err(CloudError::Off) => Ok(ApiJson(Vec::new())),
        other => Ok(ApiJson(other?)),
    }
}

/// Refuses, to browsers carried by the relay, what is for the LAN alone: the operator's
/// metrics, and what the box shows its own screen.
pub async fn lan_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if matches!(request.uri().path(), "/metrics" | "/api/v1/gpio/notice") {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    next.run(request).await
}
