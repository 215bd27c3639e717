//! `GET /weather` (the cached forecast with its age) and `GET /sun` (sunrise and sunset
//! for a local date, computed offline), for every member of staff.

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{openmeteo::Forecast, SunDay, SunError, Weather, FRESH_HOURS};
use crate::team::Staff;
use crate::web::{ApiJson, AppError};

impl From<SunError> for AppError {
    fn from(e: SunError) -> AppError {
        match e {
            SunError::NoLocation => AppError::bad("no_location", e.to_string()),
            SunError::BadDate => AppError::bad("invalid", e.to_string()),
        }
    }
}

pub fn routes() -> OpenApiRouter<Weather> {
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
async fn weather(_staff: Staff, State(weather): State<Weather>) -> ApiJson<WeatherNow> {
    let now = weather.now();
    let latest = weather.latest();
    let age = latest.as_ref().map(|s| (now - s.fetched_at).num_seconds());
    ApiJson(WeatherNow {
        fetched_at: latest.as_ref().map(|s| crate::clock::stamp(s.fetched_at)),
        age_seconds: age,
        stale: age.is_some_and(|a| a > FRESH_HOURS * 3600),
        error: weather.last_error(),
        forecast: latest.map(|s| s.forecast),
        attribution: "Weather data by Open-Meteo.com",
    })
}

#[derive(Deserialize, IntoParams)]
struct SunQuery {
    /// A local date, YYYY-MM-DD; today by default.
    date: Option<String>,
}

/// Sunrise and sunset at the property on a date (set its location first).
#[utoipa::path(get, path = "/sun", tag = "weather", security(("session" = [])),
    params(SunQuery),
    responses((status = 200, body = SunDay), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody)))]
async fn sun(
    _staff: Staff,
    State(weather): State<Weather>,
    Query(q): Query<SunQuery>,
) -> Result<ApiJson<SunDay>, AppError> {
    Ok(ApiJson(weather.sun_day(q.date.as_deref())?))
}
