//! The bookings REST API: reservations and occupancy for all staff; entry, feeds and the
//! webhook's settings for admins; the PMS webhook itself, open to anyone holding the
//! secret (its signature is the check).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::desk::{day, BookingSettings, Feed, Occupancy};
use super::ical::ImportReport;
use super::reservations::{HistoryEntry, Reservation, Status, Stay};
use super::webhook::{PmsUpdate, WebhookError, SIGNATURE_HEADER};
use super::{BookingError, Bookings};
use crate::team::Staff;
use crate::web::{ApiJson, AppError};

impl From<BookingError> for AppError {
    fn from(e: BookingError) -> AppError {
        match e {
            BookingError::Invalid(m) => AppError::bad("invalid", m),
            BookingError::InvalidField(m) => AppError::bad("invalid_field", m),
            BookingError::NotFound => AppError::NotFound,
            BookingError::Webhook(WebhookError::Signature) => {
                AppError::BadSignature(WebhookError::Signature.to_string())
            }
            BookingError::Webhook(WebhookError::NoSecret) => {
                AppError::Conflict(WebhookError::NoSecret.to_string())
            }
            BookingError::Webhook(WebhookError::Body(m)) => AppError::bad("invalid_body", m),
            BookingError::Feed(m) => AppError::Device {
                code: "feed_failed",
                message: m,
            },
            BookingError::Store(e) => AppError::Internal(e.to_string()),
            BookingError::Conflict(why) => AppError::Conflict(why.into()),
            BookingError::Overlap(why) => AppError::Conflict(why),
            BookingError::TooManyFailures { retry_after_secs } => {
                AppError::TooManyRequests { retry_after_secs }
            }
            BookingError::TooLarge => AppError::PayloadTooLarge,
        }
    }
}

pub fn routes() -> OpenApiRouter<Bookings> {
    OpenApiRouter::new()
        .routes(routes!(list_reservations))
        .routes(routes!(reservation_history))
        .routes(routes!(occupancy))
        .routes(routes!(pms_webhook))
}

pub fn admin_routes() -> OpenApiRouter<Bookings> {
    OpenApiRouter::new()
        .routes(routes!(add_reservation))
        .routes(routes!(edit_reservation))
        .routes(routes!(list_feeds))
        .routes(routes!(set_feed))
        .routes(routes!(refresh_feed))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(new_secret))
}

#[derive(Deserialize, IntoParams)]
struct Window {
    /// YYYY-MM-DD; yesterday by default.
    from: Option<String>,
    /// YYYY-MM-DD, exclusive; 60 days after `from` by default (at most 400).
    to: Option<String>,
}

/// Stays overlapping the window, by check-in.
#[utoipa::path(get, path = "/reservations", tag = "bookings", security(("session" = [])),
    params(Window),
    responses((status = 200, body = Vec<Reservation>), (status = 401, body = crate::web::ErrorBody)))]
async fn list_reservations(
    _staff: Staff,
    State(bookings): State<Bookings>,
    Query(w): Query<Window>,
) -> Result<ApiJson<Vec<Reservation>>, AppError> {
    Ok(ApiJson(
        bookings.between(w.from.as_deref(), w.to.as_deref()).await?,
    ))
}

/// Which units are occupied now, and by whom.
#[utoipa::path(get, path = "/occupancy", tag = "bookings", security(("session" = [])),
    responses((status = 200, body = Occupancy), (status = 401, body = crate::web::ErrorBody)))]
async fn occupancy(
    _staff: Staff,
    State(bookings): State<Bookings>,
) -> Result<ApiJson<Occupancy>, AppError> {
    Ok(ApiJson(bookings.occupancy().await?))
}

/// A PMS reports a reservation: booked, moved, checked in or out, cancelled. The body
/// must be signed: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` with the
/// secret from the admin app.
#[utoipa::path(post, path = "/bookings/webhook", tag = "bookings", request_body = PmsUpdate,
    responses((status = 200, body = Reservation), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody),
        (status = 413, body = crate::web::ErrorBody),
        (status = 429, body = crate::web::ErrorBody)))]
async fn pms_webhook(
    State(bookings): State<Bookings>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<ApiJson<Reservation>, AppError> {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    Ok(ApiJson(
        bookings.pms_from(peer.ip(), &body, signature).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReservationForm {
    unit_id: Option<i64>,
    #[serde(default)]
    guest_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    notes: String,
    /// YYYY-MM-DD.
    check_in: Option<String>,
    check_out: Option<String>,
    status: Option<Status>,
    /// Enter it even if another stay holds the room for some of those nights.
    #[serde(default)]
    allow_overlap: bool,
}

impl ReservationForm {
    fn stay(&self) -> Result<Stay, BookingError> {
        Ok(Stay {
            guest_name: self.guest_name.trim().to_owned(),
            email: self.email.trim().to_owned(),
            phone: self.phone.trim().to_owned(),
            notes: self.notes.trim().to_owned(),
            check_in: day("check_in", self.check_in.as_deref())?,
            check_out: day("check_out", self.check_out.as_deref())?,
        })
    }
}

/// What changed a reservation and why (staff, a channel's calendar, the PMS), oldest first.
#[utoipa::path(get, path = "/reservations/{id}/history", tag = "bookings", security(("session" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<HistoryEntry>), (status = 401, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn reservation_history(
    State(bookings): State<Bookings>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<ApiJson<Vec<HistoryEntry>>, AppError> {
    Ok(ApiJson(bookings.history(id).await?))
}

/// Enters a reservation by hand.
#[utoipa::path(post, path = "/reservations", tag = "bookings", security(("session" = ["admin"])),
    request_body = ReservationForm,
    responses((status = 201, body = Reservation), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn add_reservation(
    State(bookings): State<Bookings>,
    ApiJson(form): ApiJson<ReservationForm>,
) -> Result<(StatusCode, ApiJson<Reservation>), AppError> {
    let unit = form
        .unit_id
        .ok_or_else(|| BookingError::Invalid("choose a unit".into()))?;
    let stay = form.stay()?;
    let r = bookings
        .add(
            unit,
            stay,
            form.status.unwrap_or(Status::Booked),
            form.allow_overlap,
        )
        .await?;
    Ok((StatusCode::CREATED, ApiJson(r)))
}

/// Changes a reservation: unit, guest, dates or status (check in, check out, cancel). A
/// move onto nights another stay holds answers 409 naming it, unless `allow_overlap`.
#[utoipa::path(patch, path = "/reservations/{id}", tag = "bookings", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = ReservationForm,
    responses((status = 200, body = Reservation), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody),
        (status = 409, body = crate::web::ErrorBody)))]
async fn edit_reservation(
    State(bookings): State<Bookings>,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<ReservationForm>,
) -> Result<ApiJson<Reservation>, AppError> {
    let stay = form.stay()?;
    Ok(ApiJson(
        bookings
            .edit(id, form.unit_id, stay, form.status, form.allow_overlap)
            .await?,
    ))
}

/// Every unit's iCal feed and how its last import went.
#[utoipa::path(get, path = "/ical-feeds", tag = "bookings", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Feed>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_feeds(State(bookings): State<Bookings>) -> Result<ApiJson<Vec<Feed>>, AppError> {
    Ok(ApiJson(bookings.feeds().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FeedForm {
    /// http(s); empty removes the feed (its reservations stay).
    url: String,
}

/// Sets a unit's iCal feed and imports it at once.
#[utoipa::path(put, path = "/rooms/{id}/ical", tag = "bookings", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = FeedForm,
    responses((status = 200, body = Option<ImportReport>), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 503, body = crate::web::ErrorBody)))]
async fn set_feed(
    State(bookings): State<Bookings>,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<FeedForm>,
) -> Result<ApiJson<Option<ImportReport>>, AppError> {
    Ok(ApiJson(bookings.set_feed(id, form.url).await?))
}

/// Imports a unit's feed now.
#[utoipa::path(post, path = "/rooms/{id}/ical/refresh", tag = "bookings", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ImportReport), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody), (status = 503, body = crate::web::ErrorBody)))]
async fn refresh_feed(
    State(bookings): State<Bookings>,
    Path(id): Path<i64>,
) -> Result<ApiJson<ImportReport>, AppError> {
    Ok(ApiJson(bookings.import(id).await?))
}

/// Check-in/out times and the webhook secret.
#[utoipa::path(get, path = "/booking-settings", tag = "bookings", security(("session" = ["admin"])),
    responses((status = 200, body = BookingSettings), (status = 403, body = crate::web::ErrorBody)))]
async fn get_settings(
    State(bookings): State<Bookings>,
) -> Result<ApiJson<BookingSettings>, AppError> {
    Ok(ApiJson(bookings.settings().await?))
}

/// Sets the check-in and check-out times; every reservation's instants follow.
#[utoipa::path(put, path = "/booking-settings", tag = "bookings", security(("session" = ["admin"])),
    request_body = BookingSettings,
    responses((status = 200, body = BookingSettings), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn put_settings(
    State(bookings): State<Bookings>,
    ApiJson(s): ApiJson<BookingSettings>,
) -> Result<ApiJson<BookingSettings>, AppError> {
    Ok(ApiJson(
        bookings
            .set_times(&s.check_in_time, &s.check_out_time)
            .await?,
    ))
}

/// Makes a new webhook secret; the old one stops working at once.
#[utoipa::path(post, path = "/booking-settings/webhook-secret", tag = "bookings", security(("session" = ["admin"])),
    responses((status = 200, body = BookingSettings), (status = 403, body = crate::web::ErrorBody)))]
async fn new_secret(
    State(bookings): State<Bookings>,
) -> Result<ApiJson<BookingSettings>, AppError> {
    Ok(ApiJson(bookings.new_secret().await?))
}
