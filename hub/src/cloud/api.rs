//! The link's state for admins (`GET /api/v1/admin/cloud`), and what browsers outside may
//! not reach through it.

use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Cloud, CloudStatus};
use crate::web::{ApiJson, ErrorBody};

pub fn admin_routes() -> OpenApiRouter<Cloud> {
    OpenApiRouter::new().routes(routes!(status))
}

/// Whether the hub is linked to its cloud relay, since when, the last error, and the hub's
/// public address there.
#[utoipa::path(get, path = "/cloud", tag = "cloud", security(("session" = ["admin"])),
    responses((status = 200, body = CloudStatus), (status = 403, body = ErrorBody)))]
async fn status(State(cloud): State<Cloud>) -> ApiJson<CloudStatus> {
    ApiJson(cloud.status())
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
