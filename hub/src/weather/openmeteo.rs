//! The Open-Meteo forecast API (`/v1/forecast`, no key): the request the hub makes and
//! the answer read into a [`Forecast`]. Times are asked as unix seconds, so nothing here
//! guesses a zone; daily dates are local to the property (`utc_offset_seconds`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const MAX_ANSWER_BYTES: usize = 512 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct Forecast {
    pub latitude: f64,
    pub longitude: f64,
    pub current: Option<Conditions>,
    pub hourly: Vec<Conditions>,
    pub daily: Vec<Day>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct Conditions {
    /// The start of the hour (hourly) or the observation time (current), UTC.
    pub time: String,
    /// °C at 2 m.
    pub temperature: Option<f64>,
    /// %.
    pub cloud_cover: Option<f64>,
    /// WMO weather code.
    pub weather_code: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Default)]
pub struct Day {
    /// Local date, YYYY-MM-DD.
    pub date: String,
    pub temperature_max: Option<f64>,
    pub temperature_min: Option<f64>,
    pub weather_code: Option<i64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ForecastError {
    #[error("the forecast answer is not what Open-Meteo sends: {0}")]
    Shape(String),
    #[error("Open-Meteo refused: {0}")]
    Refused(String),
}

/// The request URL for a place.
pub fn url(base: &str, latitude: f64, longitude: f64, zone: &str) -> String {
    format!(
        "{}/v1/forecast?latitude={latitude:.4}&longitude={longitude:.4}\
         &current=temperature_2m,cloud_cover,weather_code\
         &hourly=temperature_2m,cloud_cover,weather_code\
         &daily=weather_code,temperature_2m_max,temperature_2m_min\
         &timezone={}&forecast_days=3&timeformat=unixtime",
        base.trim_end_matches('/'),
        url::form_urlencoded::byte_serialize(zone.as_bytes()).collect::<String>()
    )
}

#[derive(Deserialize)]
struct Answer {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    utc_offset_seconds: i64,
    current: Option<Block>,
    hourly: Option<Series>,
    daily: Option<Series>,
}

#[derive(Deserialize)]
struct Block {
    time: i64,
    temperature_2m: Option<f64>,
    cloud_cover: Option<f64>,
    weather_code: Option<f64>,
}

#[derive(Deserialize)]
struct Series {
    time: Vec<i64>,
    #[serde(default)]
    temperature_2m: Vec<Option<f64>>,
    #[serde(default)]
    cloud_cover: Vec<Option<f64>>,
    #[serde(default)]
    weather_code: Vec<Option<f64>>,
    #[serde(default)]
    temperature_2m_max: Vec<Option<f64>>,
    #[serde(default)]
    temperature_2m_min: Vec<Option<f64>>,
}

#[derive(Deserialize)]
struct Refusal {
    reason: String,
}

fn instant(t: i64) -> Result<DateTime<Utc>, ForecastError> {
    DateTime::from_timestamp(t, 0).ok_or_else(|| ForecastError::Shape(format!("time {t}")))
}

fn at<T: Copy>(v: &[Option<T>], i: usize) -> Option<T> {
    v.get(i).copied().flatten()
}

fn finite(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

pub fn parse(body: &[u8]) -> Result<Forecast, ForecastError> {
    if let Ok(r) = crate::inbound::json::<Refusal>(body) {
        return Err(ForecastError::Refused(r.reason.chars().take(200).collect()));
    }
    let a: Answer = crate::inbound::json(body).map_err(|e| ForecastError::Shape(e.to_string()))?;
    let current = a
        .current
        .map(|c| {
            Ok::<_, ForecastError>(Conditions {
                time: crate::clock::stamp(instant(c.time)?),
                temperature: finite(c.temperature_2m),
                cloud_cover: finite(c.cloud_cover),
                weather_code: c.weather_code.map(|w| w as i64),
            })
        })
        .transpose()?;
    let mut hourly = Vec::new();
    if let Some(h) = a.hourly {
        if h.time.len() > 24 * 16 {
            return Err(ForecastError::Shape("too many hours".into()));
        }
        for (i, t) in h.time.iter().enumerate() {
            hourly.push(Conditions {
                time: crate::clock::stamp(instant(*t)?),
                temperature: finite(at(&h.temperature_2m, i)),
                cloud_cover: finite(at(&h.cloud_cover, i)),
                weather_code: at(&h.weather_code, i).map(|w| w as i64),
            });
        }
    }
    let mut daily = Vec::new();
    if let Some(d) = a.daily {
        if d.time.len() > 16 {
            return Err(ForecastError::Shape("too many days".into()));
        }
        for (i, t) in d.time.iter().enumerate() {
            let local = instant(*t)? + Duration::seconds(a.utc_offset_seconds);
            daily.push(Day {
                date: local.date_naive().to_string(),
                temperature_max: finite(at(&d.temperature_2m_max, i)),
                temperature_min: finite(at(&d.temperature_2m_min, i)),
                weather_code: at(&d.weather_code, i).map(|w| w as i64),
            });
        }
    }
    Ok(Forecast {
        latitude: a.latitude,
        longitude: a.longitude,
        current,
        hourly,
        daily,
    })
}

impl Forecast {
    /// The forecast hour that contains `t`.
    pub fn hour_of(&self, t: DateTime<Utc>) -> Option<&Conditions> {
        self.hourly.iter().rev().find(|h| {
            crate::clock::parse(&h.time).is_some_and(|s| s <= t && t < s + Duration::hours(1))
        })
    }

    pub fn day(&self, date: NaiveDate) -> Option<&Day> {
        self.daily.iter().find(|d| d.date == date.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_meteo_answer_reads() {
        let body = br#"{"latitude":37.98,"longitude":23.72,"generationtime_ms":0.1,"utc_offset_seconds":10800,
            "timezone":"Europe/Athens","timezone_abbreviation":"EEST","elevation":100.0,
            "current_units":{"time":"unixtime","interval":"seconds","temperature_2m":"C","cloud_cover":"%","weather_code":"wmo code"},
            "current":{"time":1792828800,"interval":900,"temperature_2m":19.4,"cloud_cover":85,"weather_code":3},
            "hourly_units":{"time":"unixtime"},
            "hourly":{"time":[1792792800,1792796400],"temperature_2m":[15.0,null],"cloud_cover":[20,90],"weather_code":[1,3]},
            "daily_units":{"time":"unixtime"},
            "daily":{"time":[1792789200],"weather_code":[3],"temperature_2m_max":[22.1],"temperature_2m_min":[14.0]}}"#;
        let f = parse(body).unwrap();
        let c = f.current.as_ref().unwrap();
        assert_eq!((c.cloud_cover, c.weather_code), (Some(85.0), Some(3)));
        assert_eq!(f.hourly.len(), 2);
        assert_eq!(f.hourly[1].temperature, None);
        assert_eq!(f.daily[0].date, "2026-10-24");
        let t = instant(1792796400 + 1800).unwrap();
        assert_eq!(f.hour_of(t).unwrap().cloud_cover, Some(90.0));
    }

    #[test]
    fn refusals_and_garbage_are_errors() {
        assert_eq!(
            parse(br#"{"error":true,"reason":"Latitude must be in range of -90 to 90."}"#),
            Err(ForecastError::Refused(
                "Latitude must be in range of -90 to 90.".into()
            ))
        );
        assert!(parse(b"<html>").is_err());
        assert!(parse(br#"{"latitude":1}"#).is_err());
        assert!(
            parse(br#"{"latitude":1,"longitude":2,"current":{"time":99999999999999}}"#).is_err()
        );
    }

    #[test]
    fn the_url_asks_for_what_scenarios_need() {
        let u = url("http://127.0.0.1:9/", 37.98, 23.72, "Europe/Athens");
        assert!(u.starts_with("http://127.0.0.1:9/v1/forecast?latitude=37.9800"));
        assert!(u.contains("cloud_cover") && u.contains("timezone=Europe%2FAthens"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let _ = parse(&b);
        }
    }
}
