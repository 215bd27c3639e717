//! The bookings REST API: reservations and occupancy for all staff; entry, feeds and the
//! webhook's settings for admins; the PMS webhook itself, open to anyone holding the
//! secret (its signature is the check).

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::ical::ImportReport;
use super::reservations::{self, Reservation, Status, Stay};
use super::webhook::{PmsUpdate, WebhookError, MAX_BODY, SIGNATURE_HEADER};
use super::BookingError;
use crate::web::auth::Staff;
use crate::web::{ApiJson, AppError, AppState};

impl From<BookingError> for AppError {
    fn from(e: BookingError) -> AppError {
        match e {
            BookingError::Invalid(m) => AppError::bad("invalid", m),
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
        }
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_reservations))
        .routes(routes!(occupancy))
        .routes(routes!(pms_webhook))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
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

fn day(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    s.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| AppError::bad("invalid", format!("{field}: a date like 2026-10-24")))
    })
    .transpose()
}

/// Stays overlapping the window, by check-in.
#[utoipa::path(get, path = "/reservations", tag = "bookings", security(("session" = [])),
    params(Window),
    responses((status = 200, body = Vec<Reservation>), (status = 401, body = crate::web::ErrorBody)))]
async fn list_reservations(
    _staff: Staff,
    State(state): State<AppState>,
    Query(w): Query<Window>,
) -> Result<ApiJson<Vec<Reservation>>, AppError> {
    let today = state.clock.now().date_naive();
    let from = day("from", w.from.as_deref())?.unwrap_or(today - Duration::days(1));
    let to = day("to", w.to.as_deref())?.unwrap_or(from + Duration::days(60));
    if to <= from || (to - from).num_days() > 400 {
        return Err(AppError::bad("invalid", "to: after from, within 400 days"));
    }
    let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let (from, to) = (at(from), at(to));
    Ok(ApiJson(
        state
            .store
            .read(move |c| Ok::<_, AppError>(reservations::between(c, from, to)?))
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
struct UnitNow {
    id: i64,
    name: String,
    kind: super::rooms::RoomKind,
    occupied: bool,
    /// Who is there, when someone is.
    reservation: Option<Reservation>,
}

#[derive(Serialize, ToSchema)]
struct Occupancy {
    at: String,
    occupied: usize,
    units: Vec<UnitNow>,
}

/// Which units are occupied now, and by whom.
#[utoipa::path(get, path = "/occupancy", tag = "bookings", security(("session" = [])),
    responses((status = 200, body = Occupancy), (status = 401, body = crate::web::ErrorBody)))]
async fn occupancy(
    _staff: Staff,
    State(state): State<AppState>,
) -> Result<ApiJson<Occupancy>, AppError> {
    let now = state.clock.now();
    let units = state
        .store
        .read(move |c| {
            let mut occupants = reservations::occupants(c, now)?;
            let mut out = Vec::new();
            for room in super::rooms::list(c)? {
                let r = occupants.remove(&room.id);
                out.push(UnitNow {
                    id: room.id,
                    name: room.name,
                    kind: room.kind,
                    occupied: r.is_some(),
                    reservation: r,
                });
            }
            Ok::<_, AppError>(out)
        })
        .await?;
    Ok(ApiJson(Occupancy {
        at: crate::clock::stamp(now),
        occupied: units.iter().filter(|u| u.occupied).count(),
        units,
    }))
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
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<ApiJson<Reservation>, AppError> {
    let limiter = &state.limits.webhook_failures;
    let key = peer.ip().to_string();
    let now = std::time::Instant::now();
    limiter
        .check(&key, now)
        .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    if body.len() > MAX_BODY {
        return Err(AppError::PayloadTooLarge);
    }
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    match state.bookings.pms(&body, signature).await {
        Ok(r) => Ok(ApiJson(r)),
        Err(e) => {
            if matches!(e, BookingError::Webhook(_)) {
                limiter.record_failure(&key, now);
                tracing::warn!(peer = %peer.ip(), error = %e, "PMS webhook refused.");
            }
            Err(e.into())
        }
    }
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
}

impl ReservationForm {
    fn stay(&self) -> Result<Stay, AppError> {
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

/// Enters a reservation by hand.
#[utoipa::path(post, path = "/reservations", tag = "bookings", security(("session" = ["admin"])),
    request_body = ReservationForm,
    responses((status = 201, body = Reservation), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn add_reservation(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<ReservationForm>,
) -> Result<(StatusCode, ApiJson<Reservation>), AppError> {
    let unit = form
        .unit_id
        .ok_or_else(|| AppError::bad("invalid", "choose a unit"))?;
    let stay = form.stay()?;
    let r = state
        .bookings
        .add(unit, stay, form.status.unwrap_or(Status::Booked))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(r)))
}

/// Changes a reservation: unit, guest, dates or status (check in, check out, cancel).
#[utoipa::path(patch, path = "/reservations/{id}", tag = "bookings", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = ReservationForm,
    responses((status = 200, body = Reservation), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn edit_reservation(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<ReservationForm>,
) -> Result<ApiJson<Reservation>, AppError> {
    let stay = form.stay()?;
    Ok(ApiJson(
        state
            .bookings
            .edit(id, form.unit_id, stay, form.status)
            .await?,
    ))
}

#[derive(Serialize, ToSchema)]
struct Feed {
    unit_id: i64,
    name: String,
    /// Private to admins: channel managers put a secret token in it.
    url: String,
    synced_at: Option<String>,
    error: String,
}

/// Every unit's iCal feed and how its last import went.
#[utoipa::path(get, path = "/ical-feeds", tag = "bookings", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Feed>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_feeds(State(state): State<AppState>) -> Result<ApiJson<Vec<Feed>>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(|c| {
                let mut s = c.prepare(
                    "SELECT id, name, ical_url, ical_synced_at, ical_error FROM rooms ORDER BY name",
                )?;
                let rows = s.query_map([], |r| {
                    Ok(Feed {
                        unit_id: r.get(0)?,
                        name: r.get(1)?,
                        url: r.get(2)?,
                        synced_at: r.get(3)?,
                        error: r.get(4)?,
                    })
                })?;
                Ok::<_, AppError>(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await?,
    ))
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
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<FeedForm>,
) -> Result<ApiJson<Option<ImportReport>>, AppError> {
    Ok(ApiJson(state.bookings.set_feed(id, form.url).await?))
}

/// Imports a unit's feed now.
#[utoipa::path(post, path = "/rooms/{id}/ical/refresh", tag = "bookings", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 200, body = ImportReport), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody), (status = 503, body = crate::web::ErrorBody)))]
async fn refresh_feed(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<ApiJson<ImportReport>, AppError> {
    Ok(ApiJson(state.bookings.import(id).await?))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct BookingSettings {
    /// Local "HH:MM".
    check_in_time: String,
    check_out_time: String,
    /// Shown to admins to paste into the PMS; null until made.
    #[serde(default)]
    webhook_secret: Option<String>,
}

/// Check-in/out times and the webhook secret.
#[utoipa::path(get, path = "/booking-settings", tag = "bookings", security(("session" = ["admin"])),
    responses((status = 200, body = BookingSettings), (status = 403, body = crate::web::ErrorBody)))]
async fn get_settings(State(state): State<AppState>) -> Result<ApiJson<BookingSettings>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(|c| {
                Ok::<_, AppError>(c.query_row(
                    "SELECT check_in_time, check_out_time, webhook_secret FROM booking_settings WHERE id = 1",
                    [],
                    |r| {
                        Ok(BookingSettings {
                            check_in_time: r.get(0)?,
                            check_out_time: r.get(1)?,
                            webhook_secret: r.get(2)?,
                        })
                    },
                )?)
            })
            .await?,
    ))
}

/// Sets the check-in and check-out times; every reservation's instants follow.
#[utoipa::path(put, path = "/booking-settings", tag = "bookings", security(("session" = ["admin"])),
    request_body = BookingSettings,
    responses((status = 200, body = BookingSettings), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    ApiJson(s): ApiJson<BookingSettings>,
) -> Result<ApiJson<BookingSettings>, AppError> {
    for t in [&s.check_in_time, &s.check_out_time] {
        chrono::NaiveTime::parse_from_str(t, "%H:%M")
            .map_err(|_| AppError::bad("invalid", "times like 15:00"))?;
    }
    let (i, o) = (s.check_in_time.clone(), s.check_out_time.clone());
    state
        .store
        .write(move |c| {
            c.execute(
                "UPDATE booking_settings SET check_in_time = ?1, check_out_time = ?2 WHERE id = 1",
                [&i, &o],
            )?;
            reservations::replace_instants(c)?;
            Ok::<_, AppError>(())
        })
        .await?;
    state.scenarios.bookings_changed();
    get_settings(State(state)).await
}

/// Makes a new webhook secret; the old one stops working at once.
#[utoipa::path(post, path = "/booking-settings/webhook-secret", tag = "bookings", security(("session" = ["admin"])),
    responses((status = 200, body = BookingSettings), (status = 403, body = crate::web::ErrorBody)))]
async fn new_secret(State(state): State<AppState>) -> Result<ApiJson<BookingSettings>, AppError> {
    let secret = hex::encode(rand::random::<[u8; 24]>());
    state
        .store
        .write(move |c| {
            c.execute(
                "UPDATE booking_settings SET webhook_secret = ?1 WHERE id = 1",
                [&secret],
            )?;
            Ok::<_, AppError>(())
        })
        .await?;
    get_settings(State(state)).await
}
