//! Weather and sun for the property. The forecast comes from Open-Meteo (`openmeteo.rs`,
//! base URL from the config), is fetched on a period by the hub's clock, kept in the
//! store, and served with its age (stale rather than nothing when offline). Sunrise and
//! sunset are computed offline from the property's location (`sun` in `api.rs`).
//! Scenarios read it through [`Weather::reading`] and follow [`Weather::subscribe`]; a
//! guest's own position gets its forecast through [`Weather::at`] (`nearby.rs`).

pub mod api;
mod nearby;
pub mod openmeteo;
mod sun;

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;

use crate::clock::Clock;
use crate::store::{Store, StoreError};
use crate::team::Property;
pub use nearby::NearbyError;
pub use openmeteo::Forecast;
pub use sun::{sun_event, SunEvent};

/// What weather triggers and conditions can test.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum WeatherMetric {
    /// %, 0–100.
    CloudCover,
    /// °C at 2 m.
    Temperature,
}

impl WeatherMetric {
    /// How a trace names it, with its unit.
    pub fn name(self) -> &'static str {
        match self {
            WeatherMetric::CloudCover => "cloud cover (%)",
            WeatherMetric::Temperature => "temperature (°C)",
        }
    }
}

/// The sun on one local day at the property.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SunDay {
    pub date: String,
    pub time_zone: String,
    /// Local time with offset; null in polar day or night.
    pub sunrise: Option<String>,
    pub sunset: Option<String>,
    /// "day" or "night" when the sun does not rise or set that day.
    pub polar: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SunError {
    #[error("set the property's latitude and longitude first")]
    NoLocation,
    #[error("date: like 2026-10-24")]
    BadDate,
}

/// A forecast older than this no longer says what the sky is doing now.
pub const FRESH_HOURS: i64 = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub fetched_at: DateTime<Utc>,
    pub forecast: Forecast,
}

impl Snapshot {
    /// The metric at `at`: the current observation while fresh, else the forecast hour
    /// (for a day after the fetch); `None` when unknown.
    pub fn reading(&self, metric: WeatherMetric, at: DateTime<Utc>) -> Option<f64> {
        let pick = |c: &openmeteo::Conditions| match metric {
            WeatherMetric::CloudCover => c.cloud_cover,
            WeatherMetric::Temperature => c.temperature,
        };
        let age = at - self.fetched_at;
        if age < Duration::hours(FRESH_HOURS) {
            if let Some(v) = self.forecast.current.as_ref().and_then(pick) {
                return Some(v);
            }
        }
        if age < Duration::hours(24) {
            return self.forecast.hour_of(at).and_then(pick);
        }
        None
    }
}

struct Inner {
    store: Store,
    clock: Clock,
    http: reqwest::Client,
    base_url: String,
    refresh: Duration,
    latest: Mutex<Option<Snapshot>>,
    last_error: Mutex<Option<String>>,
    updates: broadcast::Sender<Snapshot>,
    /// Where the property is; a change of place or zone fetches again at once.
    property: Property,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// When the refresher fetches next; past it, a fetch is due or under way.
    next_fetch: Mutex<Option<DateTime<Utc>>>,
    /// Forecasts fetched for guests' positions.
    nearby: nearby::Nearby,
}

#[derive(Clone)]
pub struct Weather {
    inner: Arc<Inner>,
}

impl Weather {
    pub async fn start(
        store: Store,
        clock: Clock,
        property: Property,
        config: &crate::config::WeatherConfig,
    ) -> Result<Weather, StoreError> {
        let cached = store
            .read(|c| {
                use rusqlite::OptionalExtension;
                Ok::<_, StoreError>(
                    c.query_row(
                        "SELECT fetched_at, forecast FROM weather_cache WHERE id = 1",
                        [],
                        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                    )
                    .optional()?,
                )
            })
            .await?
            .and_then(|(at, f)| {
                Some(Snapshot {
                    fetched_at: crate::clock::parse(&at)?,
                    forecast: serde_json::from_str(&f).ok()?,
                })
            });
        let http = reqwest::Client::builder()
            .timeout(StdDuration::from_secs(20))
            .connect_timeout(StdDuration::from_secs(10))
            .build()
            .unwrap_or_default();
        let (updates, _) = broadcast::channel(64);
        let weather = Weather {
            inner: Arc::new(Inner {
                store,
                clock,
                http,
                base_url: config.base_url.clone(),
                refresh: Duration::minutes(config.refresh_minutes.into()),
                latest: Mutex::new(cached),
                last_error: Mutex::new(None),
                updates,
                property,
                task: Mutex::new(None),
                next_fetch: Mutex::new(None),
                nearby: nearby::Nearby::default(),
            }),
        };
        let task = tokio::spawn(weather.clone().refresher());
        *weather.inner.task.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
        Ok(weather)
    }

    /// The hub's clock, for the age of what is served.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// Sunrise and sunset at the property on a local `date` (today by default), in its
    /// zone (`date` is YYYY-MM-DD); [`SunError::NoLocation`] before a location is set.
    pub fn sun_day(&self, date: Option<&str>) -> Result<SunDay, SunError> {
        let p = self.inner.property.current();
        let (Some(lat), Some(lon)) = (p.latitude, p.longitude) else {
            return Err(SunError::NoLocation);
        };
        let tz = self.inner.property.zone();
        let date = match date {
            Some(d) => {
                chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| SunError::BadDate)?
            }
            None => self.now().with_timezone(&tz).date_naive(),
        };
        let local = |e| {
            sun_event(lat, lon, date, e)
                .map(|t| chrono::TimeZone::from_utc_datetime(&tz, &t.naive_utc()).to_rfc3339())
        };
        let (sunrise, sunset) = (local(SunEvent::Sunrise), local(SunEvent::Sunset));
        let polar =
            (sunrise.is_none() && sunset.is_none()).then(|| sun::polar_kind(lat, date).to_owned());
        Ok(SunDay {
            date: date.to_string(),
            time_zone: p.time_zone,
            sunrise,
            sunset,
            polar,
        })
    }

    pub fn latest(&self) -> Option<Snapshot> {
        self.inner
            .latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn last_error(&self) -> Option<String> {
        self.inner
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn reading(&self, metric: WeatherMetric, at: DateTime<Utc>) -> Option<f64> {
        self.latest()?.reading(metric, at)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Snapshot> {
        self.inner.updates.subscribe()
    }

    /// Whether every fetch due by `now` has been made (for tests that move the clock).
    pub fn caught_up(&self, now: DateTime<Utc>) -> bool {
        self.inner
            .next_fetch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|next| next > now)
    }

    /// Ends the periodic fetching.
    pub fn stop(&self) {
        if let Some(t) = self
            .inner
            .task
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            t.abort();
        }
    }

    async fn refresher(self) {
        let mut next = self.latest().map_or(self.inner.clock.now(), |s| {
            s.fetched_at + self.inner.refresh
        });
        let mut moves = self.inner.clock.moves();
        let mut changes = self.inner.property.subscribe();
        loop {
            moves.borrow_and_update();
            let now = self.inner.clock.now();
            if now >= next {
                next = match self.refresh().await {
                    Ok(true) => now + self.inner.refresh,
                    // No location yet: wait for the owner to set one.
                    Ok(false) => now + Duration::days(365),
                    // Offline: try again sooner, serving the old forecast meanwhile.
                    Err(e) => {
                        tracing::warn!(error = %e, "No weather forecast.");
                        *self
                            .inner
                            .last_error
                            .lock()
                            .unwrap_or_else(|p| p.into_inner()) = Some(e);
                        now + self.inner.refresh.min(Duration::minutes(5))
                    }
                };
            }
            *self
                .inner
                .next_fetch
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(next);
            tokio::select! {
                _ = self.inner.clock.sleep_until(&mut moves, next, StdDuration::from_secs(300)) => {}
                // Lagging behind several changes still means "fetch now".
                _ = changes.recv() => next = self.inner.clock.now(),
            }
        }
    }

    /// Fetches the forecast once; `Ok(false)` when the property has no location.
    pub async fn refresh(&self) -> Result<bool, String> {
        let property = self.inner.property.current();
        let (Some(lat), Some(lon)) = (property.latitude, property.longitude) else {
            return Ok(false);
        };
        let forecast = self.fetch(lat, lon, &property.time_zone).await?;
        let snapshot = Snapshot {
            fetched_at: self.inner.clock.now(),
            forecast,
        };
        let (at, text) = (
            crate::clock::stamp(snapshot.fetched_at),
            serde_json::to_string(&snapshot.forecast).map_err(|e| e.to_string())?,
        );
        self.inner
            .store
            .write(move |c| {
                c.execute(
                    "INSERT INTO weather_cache (id, fetched_at, forecast) VALUES (1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET fetched_at = ?1, forecast = ?2",
                    [&at, &text],
                )?;
                Ok::<_, StoreError>(())
            })
            .await
            .map_err(|e| e.to_string())?;
        *self.inner.latest.lock().unwrap_or_else(|p| p.into_inner()) = Some(snapshot.clone());
        *self
            .inner
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = None;
        let _ = self.inner.updates.send(snapshot);
        Ok(true)
    }

    /// One forecast from Open-Meteo for a position, daily dates in `zone`; the error in
    /// words for the owner (unreachable, an HTTP status, an answer it cannot read).
    async fn fetch(&self, lat: f64, lon: f64, zone: &str) -> Result<Forecast, String> {
        let url = openmeteo::url(&self.inner.base_url, lat, lon, zone);
        let mut response = self
            .inner
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("cannot reach the forecast service: {e}"))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            body.extend_from_slice(&chunk);
            if body.len() > openmeteo::MAX_ANSWER_BYTES {
                return Err("the forecast answer is too large".into());
            }
        }
        let forecast = match openmeteo::parse(&body) {
            Ok(f) if status.is_success() => f,
            Err(e) if status.is_success() => return Err(e.to_string()),
            Ok(_) => {
                return Err(format!(
                    "the forecast service answered HTTP {}",
                    status.as_u16()
                ))
            }
            Err(e) => {
                return Err(format!(
                    "the forecast service answered HTTP {} ({e})",
                    status.as_u16()
                ))
            }
        };
        Ok(forecast)
    }
}
