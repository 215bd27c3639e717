//! The sun's events for the property's place, computed offline (the `sunrise` crate, NOAA's
//! algorithm); none in polar day or night.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SunEvent {
    Sunrise,
    Sunset,
}

/// The sun's event on a local date at `lat`, `lon` (degrees), if it happens (not in polar
/// day or night).
pub fn sun_event(lat: f64, lon: f64, date: NaiveDate, event: SunEvent) -> Option<DateTime<Utc>> {
    let coordinates = sunrise::Coordinates::new(lat, lon)?;
    let day = sunrise::SolarDay::new(coordinates, date);
    day.event_time(match event {
        SunEvent::Sunrise => sunrise::SolarEvent::Sunrise,
        SunEvent::Sunset => sunrise::SolarEvent::Sunset,
    })
}

/// Polar day or night at `lat` on `date`, from the sun's declination at noon.
pub(super) fn polar_kind(lat: f64, date: NaiveDate) -> &'static str {
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
