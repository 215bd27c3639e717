//! The calls over HTTP for staff: the calls ringing now, answering one with the browser's
//! SDP offer (the hub's answer comes back: no trickle, the hub's candidates are in it),
//! hanging up, the call log; for admins the ring time. The caller's side is the kiosk's
//! socket (`/ws/kiosk`, the Front Desk's).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{CallError, CallLog, CallRecord, Calls, IceServer};
use crate::team::Staff;
use crate::web::{ApiJson, AppError, ErrorBody};

impl From<CallError> for AppError {
    fn from(e: CallError) -> AppError {
        match e {
            CallError::Invalid(why) => AppError::bad("invalid", why),
            CallError::NotFound => AppError::NotFound,
            CallError::Gone(why) => AppError::Conflict(why),
            CallError::NotYours => AppError::Forbidden,
            CallError::Busy(_) => AppError::Conflict(e.to_string()),
            CallError::TooMany(secs) => AppError::TooManyRequests {
                retry_after_secs: secs,
            },
            CallError::Media(super::MediaError::Offer(why)) => AppError::bad("bad_offer", why),
            CallError::Media(e) => AppError::Internal(e.to_string()),
            CallError::Store(e) => AppError::Internal(e.to_string()),
        }
    }
}

pub fn routes() -> OpenApiRouter<Calls> {
    OpenApiRouter::new()
        .routes(routes!(ringing))
        .routes(routes!(ice_servers))
        .routes(routes!(log))
        .routes(routes!(answer))
        .routes(routes!(hang_up))
        .routes(routes!(ask_for_scan))
}

pub fn admin_routes() -> OpenApiRouter<Calls> {
    OpenApiRouter::new().routes(routes!(settings, save_settings))
}

/// Calls ringing now (a messenger that has just opened rings for them too).
#[utoipa::path(get, path = "/calls/ringing", tag = "calls", security(("session" = [])),
    responses((status = 200, body = Vec<CallRecord>), (status = 401, body = ErrorBody)))]
async fn ringing(
    State(calls): State<Calls>,
    _staff: Staff,
) -> Result<ApiJson<Vec<CallRecord>>, AppError> {
    Ok(ApiJson(calls.ringing().await?))
}

/// The TURN servers to put in the browser's peer connection before answering: a member
/// away from the hotel's network reaches the hub's media through them. Their credentials
/// expire (hours); ask before each call.
#[utoipa::path(get, path = "/calls/ice-servers", tag = "calls", security(("session" = [])),
    responses((status = 200, body = Vec<IceServer>), (status = 401, body = ErrorBody)))]
async fn ice_servers(
    State(calls): State<Calls>,
    _staff: Staff,
) -> Result<ApiJson<Vec<IceServer>>, AppError> {
    Ok(ApiJson(calls.ice_servers().await))
}

#[derive(Debug, Deserialize, IntoParams)]
struct LogQuery {
    /// First day (YYYY-MM-DD, the property's time zone); 30 days before `to` by default.
    from: Option<String>,
    /// Last day, inclusive; today by default.
    to: Option<String>,
    /// Only the calls nobody answered.
    #[serde(default)]
    missed: bool,
}

/// The call log: who called from where, who answered, when, how long; with totals.
#[utoipa::path(get, path = "/calls", tag = "calls", security(("session" = [])), params(LogQuery),
    responses((status = 200, body = CallLog), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
async fn log(
    State(calls): State<Calls>,
    _staff: Staff,
    Query(q): Query<LogQuery>,
) -> Result<ApiJson<CallLog>, AppError> {
    Ok(ApiJson(
        calls
            .log(q.from.as_deref(), q.to.as_deref(), q.missed)
            .await?,
    ))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Sdp {
    /// A session description (RFC 8866) with the candidates gathered: the browser's offer
    /// going in, the hub's answer coming back.
    sdp: String,
}

/// Takes a ringing call: the first member to answer gets it, and the others stop ringing;
/// a later answer gets 409.
#[utoipa::path(post, path = "/calls/{id}/answer", tag = "calls", security(("session" = [])),
    params(("id" = i64, Path)), request_body = Sdp,
    responses((status = 200, body = Sdp), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn answer(
    State(calls): State<Calls>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(offer): ApiJson<Sdp>,
) -> Result<ApiJson<Sdp>, AppError> {
    let sdp = calls.answer(id, &staff.member, &offer.sdp).await?;
    Ok(ApiJson(Sdp { sdp }))
}

/// Ends a call the member answered.
#[utoipa::path(post, path = "/calls/{id}/hangup", tag = "calls", security(("session" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn hang_up(
    State(calls): State<Calls>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    calls.hang_up(id, &staff.member).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScanRequest {
    /// Take the picture now, rather than let the guest press the button.
    #[serde(default)]
    shoot: bool,
}

/// The member on the call asks the guest to hold a passport or ID card to the kiosk's
/// camera (DESK-5); the kiosk shows where to hold it, and the still arrives as a scan.
#[utoipa::path(post, path = "/calls/{id}/scan", tag = "calls", security(("session" = [])),
    params(("id" = i64, Path)), request_body = ScanRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn ask_for_scan(
    State(calls): State<Calls>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<ScanRequest>,
) -> Result<StatusCode, AppError> {
    calls.ask_for_scan(id, &staff.member, req.shoot).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CallSettings {
    /// Seconds a call rings before it is missed (10 to 300).
    ring_secs: u32,
}

#[utoipa::path(get, path = "/calls/settings", tag = "calls", security(("session" = ["admin"])),
    responses((status = 200, body = CallSettings), (status = 403, body = ErrorBody)))]
async fn settings(State(calls): State<Calls>) -> ApiJson<CallSettings> {
    ApiJson(CallSettings {
        ring_secs: calls.ring_secs(),
    })
}

#[utoipa::path(put, path = "/calls/settings", tag = "calls", security(("session" = ["admin"])),
    request_body = CallSettings,
    responses((status = 200, body = CallSettings), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn save_settings(
    State(calls): State<Calls>,
    ApiJson(new): ApiJson<CallSettings>,
) -> Result<ApiJson<CallSettings>, AppError> {
    calls.set_ring_secs(new.ring_secs).await?;
    Ok(ApiJson(new))
}
