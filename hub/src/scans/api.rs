//! Scanned documents over HTTP: the list and an image for owners and admins (each view
//! logged; the OpenAPI scope "documents"), attaching one to a reservation, and the
//! retention period for admins. The kiosk
//! sends a scan through the Front Desk's routes.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Scan, ScanError, Scans};
use crate::team::Staff;
use crate::web::{ApiJson, AppError, ErrorBody};

impl From<ScanError> for AppError {
    fn from(e: ScanError) -> AppError {
        match e {
            ScanError::Invalid(why) => AppError::bad("invalid", why),
            ScanError::NotFound => AppError::NotFound,
            ScanError::Forbidden => AppError::Forbidden,
            other => AppError::Internal(other.to_string()),
        }
    }
}

pub fn routes() -> OpenApiRouter<Scans> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(image))
        .routes(routes!(attach))
}

pub fn admin_routes() -> OpenApiRouter<Scans> {
    OpenApiRouter::new().routes(routes!(settings, save_settings))
}

/// Every scanned document's record with who has viewed it (owners and admins).
#[utoipa::path(get, path = "/scans", tag = "scans", security(("session" = ["documents"])),
    responses((status = 200, body = Vec<Scan>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list(State(scans): State<Scans>, staff: Staff) -> Result<ApiJson<Vec<Scan>>, AppError> {
    Ok(ApiJson(scans.list(&staff.member).await?))
}

/// The scanned image (JPEG); the view is logged before it is sent.
#[utoipa::path(get, path = "/scans/{id}/image", tag = "scans", security(("session" = ["documents"])),
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn image(
    State(scans): State<Scans>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let jpeg = scans.image(id, &staff.member).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            // An identity document is not kept by the browser or anything between.
            (header::CACHE_CONTROL, "no-store"),
        ],
        jpeg,
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Attach {
    reservation_id: i64,
}

/// Attaches a scan to a reservation: it is then kept until the retention period after
/// that stay's check-out.
#[utoipa::path(put, path = "/scans/{id}/reservation", tag = "scans", security(("session" = ["documents"])),
    params(("id" = i64, Path)), request_body = Attach,
    responses((status = 200, body = Scan), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn attach(
    State(scans): State<Scans>,
    staff: Staff,
    Path(id): Path<i64>,
    req: Result<ApiJson<Attach>, AppError>,
) -> Result<ApiJson<Scan>, AppError> {
    // Whether the member may touch documents at all comes before what they sent.
    super::may_see(&staff.member)?;
    let ApiJson(req) = req?;
    Ok(ApiJson(
        scans.attach(id, req.reservation_id, &staff.member).await?,
    ))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScanSettings {
    /// Days a scanned document is kept after the stay's check-out (1 to 3650; local law
    /// decides).
    retention_days: u32,
}

#[utoipa::path(get, path = "/scans/settings", tag = "scans", security(("session" = ["admin"])),
    responses((status = 200, body = ScanSettings), (status = 403, body = ErrorBody)))]
async fn settings(State(scans): State<Scans>) -> ApiJson<ScanSettings> {
    ApiJson(ScanSettings {
        retention_days: scans.retention_days(),
    })
}

#[utoipa::path(put, path = "/scans/settings", tag = "scans", security(("session" = ["admin"])),
    request_body = ScanSettings,
    responses((status = 200, body = ScanSettings), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn save_settings(
    State(scans): State<Scans>,
    ApiJson(new): ApiJson<ScanSettings>,
) -> Result<ApiJson<ScanSettings>, AppError> {
    scans.set_retention_days(new.retention_days).await?;
    Ok(ApiJson(new))
}
