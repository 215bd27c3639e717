//! Local servers that answer as internet services do, for tests: Open-Meteo's forecast
//! API and a channel manager's iCal feeds. Each checks what a real one would require.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use hub::clock::ManualClock;
use serde_json::json;

/// What the stand-in's sky is doing.
#[derive(Debug, Clone, Copy)]
pub struct Sky {
    pub cloud_cover: f64,
    pub temperature: f64,
}

/// A status and raw body the stand-in answers with instead of a forecast.
type Refusal = Arc<Mutex<Option<(StatusCode, String)>>>;

#[derive(Clone)]
struct MeteoState {
    down: Arc<std::sync::atomic::AtomicBool>,
    refusal: Refusal,
    sky: Arc<Mutex<Sky>>,
    places: Places,
    requests: Arc<Mutex<u64>>,
    clock: ManualClock,
}

/// Skies by position (tenths of a degree), and every position asked for.
#[derive(Clone, Default)]
struct Places {
    skies: Arc<Mutex<HashMap<(i64, i64), Sky>>>,
    asked: Arc<Mutex<Vec<(f64, f64)>>>,
}

fn tenths(lat: f64, lon: f64) -> (i64, i64) {
    ((lat * 10.0).round() as i64, (lon * 10.0).round() as i64)
}

pub struct OpenMeteo {
    pub url: String,
    down: Arc<std::sync::atomic::AtomicBool>,
    refusal: Refusal,
    sky: Arc<Mutex<Sky>>,
    places: Places,
    requests: Arc<Mutex<u64>>,
    _task: tokio::task::JoinHandle<()>,
}

impl OpenMeteo {
    /// Serves `/v1/forecast` on loopback; "now" for its answers is the test's clock.
    pub async fn start(clock: ManualClock) -> anyhow::Result<OpenMeteo> {
        let sky = Arc::new(Mutex::new(Sky {
            cloud_cover: 20.0,
            temperature: 18.0,
        }));
        let requests = Arc::new(Mutex::new(0));
        let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let refusal = Refusal::default();
        let places = Places::default();
        let state = MeteoState {
            down: down.clone(),
            refusal: refusal.clone(),
            sky: sky.clone(),
            places: places.clone(),
            requests: requests.clone(),
            clock,
        };
        let app = axum::Router::new()
            .route("/v1/forecast", axum::routing::get(forecast))
            .with_state(state);
        let (url, task) = serve(app).await?;
        Ok(OpenMeteo {
            url,
            down,
            refusal,
            sky,
            places,
            requests,
            _task: task,
        })
    }

    pub fn set(&self, sky: Sky) {
        *self.sky.lock().unwrap_or_else(|p| p.into_inner()) = sky;
    }

    /// From now on answers 503, as a service that is down (or unreachable) would.
    pub fn go_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    /// From now on answers `status` with `body` as Open-Meteo sends it (its 429 when a
    /// daily limit is hit, say); `None` to answer again.
    pub fn refuse(&self, refusal: Option<(u16, &str)>) {
        *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = refusal.map(|(status, body)| {
            (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body.to_owned(),
            )
        });
    }

    /// The sky at a position (to a tenth of a degree) instead of the general one.
    pub fn set_at(&self, lat: f64, lon: f64, sky: Sky) {
        self.places
            .skies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(tenths(lat, lon), sky);
    }

    /// Every position asked for, in order, as the request gave it.
    pub fn asked(&self) -> Vec<(f64, f64)> {
        self.places
            .asked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn requests(&self) -> u64 {
        *self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }
}

async fn serve(app: axum::Router) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}

/// Open-Meteo's answer for `timeformat=unixtime`: parallel arrays, offsets for the zone,
/// and its error shape for a bad request.
async fn forecast(
    State(s): State<MeteoState>,
    Query(q): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    *s.requests.lock().unwrap_or_else(|p| p.into_inner()) += 1;
    let refusal = s.refusal.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some((status, body)) = refusal {
        let body = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
        return (status, axum::Json(body));
    }
    if s.down.load(std::sync::atomic::Ordering::SeqCst) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(json!({"error": true, "reason": "Service temporarily unavailable"})),
        );
    }
    let lat = q.get("latitude").and_then(|v| v.parse::<f64>().ok());
    let lon = q.get("longitude").and_then(|v| v.parse::<f64>().ok());
    let (Some(lat), Some(lon)) = (lat, lon) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"error": true, "reason": "Parameter 'latitude' and 'longitude' must have the same number of elements"}),
            ),
        );
    };
    let zone: chrono_tz::Tz = match q.get("timezone").map(|z| z.parse()) {
        Some(Ok(z)) => z,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": true, "reason": "Invalid timezone"})),
            )
        }
    };
    let wants = |key: &str, var: &str| q.get(key).is_some_and(|v| v.split(',').any(|x| x == var));
    if !wants("current", "cloud_cover")
        || q.get("timeformat").map(String::as_str) != Some("unixtime")
    {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({"error": true, "reason": "the test expects current cloud_cover in unixtime"}),
            ),
        );
    }
    s.places
        .asked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((lat, lon));
    let general = *s.sky.lock().unwrap_or_else(|p| p.into_inner());
    let sky = s
        .places
        .skies
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&tenths(lat, lon))
        .copied()
        .unwrap_or(general);
    let now = s.clock.get();
    let offset = {
        use chrono::Offset;
        use chrono::TimeZone;
        zone.offset_from_utc_datetime(&now.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let t = now.timestamp();
    let local_midnight = t - (t + i64::from(offset)).rem_euclid(86_400);
    let hours: Vec<i64> = (0..72).map(|h| local_midnight + h * 3600).collect();
    let days: Vec<i64> = (0..3).map(|d| local_midnight + d * 86_400).collect();
    (
        StatusCode::OK,
        axum::Json(json!({
            "latitude": lat, "longitude": lon, "generationtime_ms": 0.05,
            "utc_offset_seconds": offset, "timezone": zone.name(),
            "timezone_abbreviation": "", "elevation": 70.0,
            "current_units": {"time": "unixtime", "interval": "seconds", "temperature_2m": "°C", "cloud_cover": "%", "weather_code": "wmo code"},
            "current": {"time": t - t.rem_euclid(900), "interval": 900,
                "temperature_2m": sky.temperature, "cloud_cover": sky.cloud_cover,
                "weather_code": if sky.cloud_cover > 70.0 { 3 } else { 1 }},
            "hourly_units": {"time": "unixtime", "temperature_2m": "°C", "cloud_cover": "%", "weather_code": "wmo code"},
            "hourly": {"time": hours,
                "temperature_2m": hours.iter().map(|_| sky.temperature).collect::<Vec<_>>(),
                "cloud_cover": hours.iter().map(|_| sky.cloud_cover).collect::<Vec<_>>(),
                "weather_code": hours.iter().map(|_| 1).collect::<Vec<_>>()},
            "daily_units": {"time": "unixtime"},
            "daily": {"time": days, "weather_code": [1, 1, 1],
                "temperature_2m_max": [21.0, 21.0, 21.0], "temperature_2m_min": [12.0, 12.0, 12.0]}
        })),
    )
}

/// Feed name → the HTTP status and body it answers with.
type FeedMap = Arc<Mutex<HashMap<String, (u16, String)>>>;

/// iCal feeds by name, each a status and a body the test sets.
#[derive(Clone, Default)]
pub struct Feeds {
    pub url: String,
    feeds: FeedMap,
}

impl Feeds {
    pub async fn start() -> anyhow::Result<(Feeds, tokio::task::JoinHandle<()>)> {
        let feeds: FeedMap = Arc::default();
        let app = axum::Router::new()
            .route("/ical/{name}", axum::routing::get(feed))
            .with_state(feeds.clone());
        let (url, task) = serve(app).await?;
        Ok((Feeds { url, feeds }, task))
    }

    pub fn set(&self, name: &str, status: u16, body: &str) {
        self.feeds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.into(), (status, body.into()));
    }

    pub fn link(&self, name: &str) -> String {
        format!("{}/ical/{name}", self.url)
    }
}

async fn feed(State(feeds): State<FeedMap>, Path(name): Path<String>) -> impl IntoResponse {
    let found = feeds
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&name)
        .cloned();
    match found {
        Some((status, body)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [("content-type", "text/calendar; charset=utf-8")],
            body,
        ),
        None => (
            StatusCode::NOT_FOUND,
            [("content-type", "text/plain")],
            "no such calendar".to_owned(),
        ),
    }
}

/// Airbnb-style: all-day events, `SUMMARY:Reserved`, CRLF, a folded DESCRIPTION line.
pub fn airbnb(stays: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nPRODID;X-RICAL-TZSOURCE=TZINFO:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\nCALSCALE:GREGORIAN\r\nVERSION:2.0\r\n",
    );
    for (uid, start, end) in stays {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nDTEND;VALUE=DATE:{end}\r\nDTSTART;VALUE=DATE:{start}\r\nUID:{uid}\r\nDESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/details/HM\r\n 4KX9TQ2Z\\nPhone Number (Last 4 Digits): 4821\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\n"
        ));
    }
    s.push_str("BEGIN:VEVENT\r\nDTEND;VALUE=DATE:20270115\r\nDTSTART;VALUE=DATE:20261201\r\nUID:1418fb94e984-blocked@airbnb.com\r\nSUMMARY:Airbnb (Not available)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    s
}

/// Signs a PMS webhook body as the hub expects.
pub fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
