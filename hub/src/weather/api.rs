//! `GET /weather` (the cached forecast with its age) and `GET /sun` (sunrise and sunset
//! for a local date, computed offline), for every member of staff.

use axum::extract::{Query, State};
use chrono::{NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{openmeteo::Forecast, FRESH_HOURS};
use crate::scenarios::model::SunEvent;
use crate::scenarios::schedule::sun_event;
use crate::web::auth::Staff;
use crate::web::{ApiJson, AppError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(weather))
        .routes(routes!(sun))
}

#[derive(Serialize, ToSchema)]
struct WeatherNow {
    /// When the forecast was fetched; null before the first one.
    fetched_at: Option<String>,
    age_seconds: Option<i64>,
    /// Older than three hours: the hub could not fetch a newer one.
    stale: bool,
    /// Why the last fetch failed, if it did.
    error: Option<String>,
    forecast: Option<Forecast>,
    /// Weather data by Open-Meteo.com (CC BY 4.0).
    attribution: &'static str,
}

/// The last forecast the hub has, with its age.
#[utoipa::path(get, path = "/weather", tag = "weather", security(("session" = [])),
    responses((status = 200, body = WeatherNow), (status = 401, body = crate::web::ErrorBody)))]
async fn weather(_staff: Staff, State(state): State<AppState>) -> ApiJson<WeatherNow> {
    let now = state.clock.now();
    let latest = state.weather.latest();
    let age = latest.as_ref().map(|s| (now - s.fetched_at).num_seconds());
    ApiJson(WeatherNow {
        fetched_at: latest.as_ref().map(|s| crate::clock::stamp(s.fetched_at)),
        age_seconds: age,
        stale: age.is_some_and(|a| a > FRESH_HOURS * 3600),
        error: state.weather.last_error(),
        forecast: latest.map(|s| s.forecast),
        attribution: "Weather data by Open-Meteo.com",
    })
}

#[derive(Deserialize, IntoParams)]
struct SunQuery {
    /// A local date, YYYY-MM-DD; today by default.
    date: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct SunDay {
    date: String,
    time_zone: String,
    /// Local time with offset; null in polar day or night.
    sunrise: Option<String>,
    sunset: Option<String>,
    /// "day" or "night" when the sun does not rise or set that day.
    polar: Option<String>,
}

/// Sunrise and sunset at the property on a date (set its location first).
#[utoipa::path(get, path = "/sun", tag = "weather", security(("session" = [])),
    params(SunQuery),
    responses((status = 200, body = SunDay), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody)))]
async fn sun(
    _staff: Staff,
    State(state): State<AppState>,
    Query(q): Query<SunQuery>,
) -> Result<ApiJson<SunDay>, AppError> {
    let p = state
        .store
        .read(|c| Ok::<_, AppError>(crate::team::property::load(c)))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (Some(lat), Some(lon)) = (p.latitude, p.longitude) else {
        return Err(AppError::bad(
            "no_location",
            "set the property's latitude and longitude first",
        ));
    };
    let tz: chrono_tz::Tz = p.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let date = match q.date.as_deref() {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .map_err(|_| AppError::bad("invalid", "date: like 2026-10-24"))?,
        None => state.clock.now().with_timezone(&tz).date_naive(),
    };
    let local =
        |e| sun_event(lat, lon, date, e).map(|t| tz.from_utc_datetime(&t.naive_utc()).to_rfc3339());
    let (sunrise, sunset) = (local(SunEvent::Sunrise), local(SunEvent::Sunset));
    let polar = (sunrise.is_none() && sunset.is_none()).then(|| polar_kind(lat, date).into());
    Ok(ApiJson(SunDay {
        date: date.to_string(),
        time_zone: p.time_zone,
        sunrise,
        sunset,
        polar,
    }))
}

/// Polar day or night, from the sun's declination at noon.
fn polar_kind(lat: f64, date: NaiveDate) -> &'static str {
    let n = f64::from(chrono::Datelike::ordinal(&date));
    let declination = -23.44 * ((360.0 / 365.0) * (n + 10.0)).to_radians().cos();
    if 90.0 - (lat - declination).abs() > 0.0 {
        "day"
    } else {
        "night"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn polar_day_and_night_are_told_apart() {
        let d = |s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(super::polar_kind(69.65, d("2026-06-21")), "day");
        assert_eq!(super::polar_kind(69.65, d("2026-12-21")), "night");
        assert_eq!(super::polar_kind(-77.8, d("2026-12-21")), "day");
    }
}
