//! The Front Desk over HTTP: admins make pairing codes, list and revoke kiosks; a tablet
//! pairs with a code (its credential comes back as the `hub_kiosk` cookie) and reads its
//! idle screen with that credential. A kiosk is not a member of staff: it reaches only the
//! `/kiosk/` routes.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{FrontDesk, FrontDeskError, IdleScreen, Kiosk, KioskScreen, PairingCode};
use crate::web::{ApiJson, AppError};

impl From<FrontDeskError> for AppError {
    fn from(e: FrontDeskError) -> AppError {
        match e {
            FrontDeskError::Invalid(why) => AppError::bad("invalid", why),
            FrontDeskError::NotFound => AppError::NotFound,
            FrontDeskError::TooMany(secs) => AppError::TooManyRequests {
                retry_after_secs: secs,
            },
            FrontDeskError::Store(e) => AppError::Internal(e.to_string()),
            FrontDeskError::Internal(why) => AppError::Internal(why),
        }
    }
}

/// A paired kiosk, by its cookie; 401 without one that is still paired.
pub struct KioskSession(pub Kiosk);

impl FromRequestParts<FrontDesk> for KioskSession {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        desk: &FrontDesk,
    ) -> Result<KioskSession, AppError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(crate::web::KIOSK_COOKIE)
            .map(|c| c.value().to_owned())
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(AppError::Unauthorized)?;
        desk.kiosk_of(&token)
            .await?
            .map(KioskSession)
            .ok_or(AppError::Unauthorized)
    }
}

pub fn admin_routes() -> OpenApiRouter<FrontDesk> {
    OpenApiRouter::new()
        .routes(routes!(list_kiosks))
        .routes(routes!(pairing_code))
        .routes(routes!(revoke_kiosk, set_screen))
        .routes(routes!(kiosk_addresses))
}

/// Routes with a larger body than the API's default: the kiosk's document scan.
pub fn upload_routes() -> OpenApiRouter<FrontDesk> {
    OpenApiRouter::new().routes(routes!(scan))
}

pub fn routes() -> OpenApiRouter<FrontDesk> {
    OpenApiRouter::new()
        .routes(routes!(pair))
        .routes(routes!(idle))
}

#[utoipa::path(get, path = "/kiosks", tag = "frontdesk", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Kiosk>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_kiosks(State(desk): State<FrontDesk>) -> Result<ApiJson<Vec<Kiosk>>, AppError> {
    Ok(ApiJson(desk.kiosks().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewKiosk {
    /// Where the tablet stands, e.g. "Lobby".
    name: String,
}

/// A one-time code to type on the tablet: it pairs the tablet as this kiosk within ten
/// minutes.
#[utoipa::path(post, path = "/kiosks/pairing", tag = "frontdesk", security(("session" = ["admin"])),
    request_body = NewKiosk,
    responses((status = 200, body = PairingCode), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn pairing_code(
    State(desk): State<FrontDesk>,
    ApiJson(req): ApiJson<NewKiosk>,
) -> Result<ApiJson<PairingCode>, AppError> {
    Ok(ApiJson(desk.pairing_code(&req.name)?))
}

/// Cuts the kiosk off at once.
#[utoipa::path(delete, path = "/kiosks/{id}", tag = "frontdesk", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn revoke_kiosk(
    State(desk): State<FrontDesk>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    desk.revoke(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Serialize, ToSchema)]
struct KioskAddresses {
    /// `https://<LAN address>:<port>/kiosk/` for each of the hub's LAN addresses (plain
    /// HTTP only with HTTPS off).
    addresses: Vec<String>,
}

/// Where a tablet opens the kiosk.
#[utoipa::path(get, path = "/kiosks/addresses", tag = "frontdesk", security(("session" = ["admin"])),
    responses((status = 200, body = KioskAddresses), (status = 403, body = crate::web::ErrorBody)))]
async fn kiosk_addresses(State(desk): State<FrontDesk>) -> ApiJson<KioskAddresses> {
    ApiJson(KioskAddresses {
        addresses: desk.kiosk_addresses(),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct KioskSettings {
    /// Where the tablet stands, e.g. "Lobby".
    name: String,
    screen: KioskScreen,
}

/// Renames a kiosk and sets what its idle screen offers.
#[utoipa::path(put, path = "/kiosks/{id}", tag = "frontdesk", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = KioskSettings,
    responses((status = 200, body = Kiosk), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn set_screen(
    State(desk): State<FrontDesk>,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<KioskSettings>,
) -> Result<ApiJson<Kiosk>, AppError> {
    Ok(ApiJson(desk.set_screen(id, &req.name, req.screen).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PairRequest {
    /// The code the admin app showed, XXXX-XXXX (case and dashes do not matter).
    code: String,
}

/// The tablet pairs with an admin's code and gets its credential as a cookie (ten wrong
/// codes a quarter of an hour per address).
#[utoipa::path(post, path = "/kiosk/pair", tag = "frontdesk", request_body = PairRequest,
    responses((status = 200, body = Kiosk), (status = 400, body = crate::web::ErrorBody),
        (status = 429, body = crate::web::ErrorBody)))]
async fn pair(
    State(desk): State<FrontDesk>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    ApiJson(req): ApiJson<PairRequest>,
) -> Result<(CookieJar, ApiJson<Kiosk>), AppError> {
    if req.code.len() > 32 {
        return Err(AppError::bad("invalid", "a pairing code is like ABCD-2345"));
    }
    let (kiosk, token) = desk
        .pair(&req.code, &peer.ip().to_string())
        .await?
        .ok_or_else(|| {
            AppError::bad(
                "wrong_code",
                "This code is wrong or was used or is older than ten minutes: make a new one in the admin app.",
            )
        })?;
    let cookie = Cookie::build((crate::web::KIOSK_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(true)
        .max_age(time::Duration::days(400))
        .build();
    Ok((jar.add(cookie), ApiJson(kiosk)))
}

/// What the kiosk's idle screen shows, from the hub's caches.
#[utoipa::path(get, path = "/kiosk/idle", tag = "frontdesk", security(("kiosk" = [])),
    responses((status = 200, body = IdleScreen), (status = 401, body = crate::web::ErrorBody)))]
async fn idle(
    State(desk): State<FrontDesk>,
    KioskSession(kiosk): KioskSession,
) -> Result<ApiJson<IdleScreen>, AppError> {
    Ok(ApiJson(desk.idle(&kiosk).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
struct ScanQuery {
    /// The call whose member asked for the scan.
    call_id: i64,
}

#[derive(serde::Serialize, ToSchema)]
struct ScanTaken {
    scan_id: i64,
}

/// The kiosk sends the document scan (a JPEG, at most 8 MiB) the member on its call asked
/// for; it is kept encrypted on the hub.
#[utoipa::path(post, path = "/kiosk/scan", tag = "frontdesk", security(("kiosk" = [])),
    params(ScanQuery), request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ScanTaken), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn scan(
    State(desk): State<FrontDesk>,
    KioskSession(kiosk): KioskSession,
    axum::extract::Query(q): axum::extract::Query<ScanQuery>,
    body: axum::body::Bytes,
) -> Result<ApiJson<ScanTaken>, AppError> {
    let scan_id = desk.scan(&kiosk, q.call_id, body.to_vec()).await?;
    Ok(ApiJson(ScanTaken { scan_id }))
}
