//! The link's state for admins: `GET /api/v1/admin/cloud`.

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
