//! What a kiosk's idle screen shows (DESK-2): the property's name, logo and colour, the
//! local time, the weather from the hub's cache with its age, sunrise and sunset, the
//! codes a guest scans (the Wi-Fi's and the property's own guest page), whether it offers
//! calls, and the owner's note; per kiosk, as its `KioskScreen` says.

use chrono::Offset;
use serde::Serialize;
use utoipa::ToSchema;

use super::{FrontDesk, FrontDeskError, Kiosk};
use crate::reception::{qr_svg, wifi_payload};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdleScreen {
    /// The kiosk's name ("Lobby").
    pub kiosk: String,
    pub property: String,
    /// An http(s) URL, or empty.
    pub logo_url: String,
    /// The guest pages' accent, `#rrggbb`.
    pub accent: String,
    /// An IANA zone, and its offset from UTC now in minutes, for the clock.
    pub time_zone: String,
    pub utc_offset_minutes: i32,
    /// The property's language tags, its default first.
    pub languages: Vec<String>,
    /// None before the first forecast.
    pub weather: Option<IdleWeather>,
    /// Local times, RFC 3339; none on a polar day or night or without a location.
    pub sunrise: Option<String>,
    pub sunset: Option<String>,
    /// None when the owner set no network.
    pub wifi: Option<IdleWifi>,
    /// The property's own guest page on the hub's LAN address, and its code as SVG; none
    /// when the owner hid the guide on this kiosk.
    pub reception_url: Option<String>,
    pub reception_qr: Option<String>,
    /// Whether guests may call reception from this kiosk.
    pub calls: bool,
    /// The owner's words under the clock; may be empty.
    pub note: String,
    /// The chat widget's key, for text chat from the kiosk (DESK-4).
    pub widget_key: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdleWeather {
    /// °C.
    pub temperature: Option<f64>,
    /// WMO weather code.
    pub weather_code: Option<i64>,
    /// Minutes since the forecast was fetched.
    pub age_minutes: i64,
    /// The next hours, from the current one.
    pub hours: Vec<IdleHour>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdleHour {
    /// The hour's start, RFC 3339 UTC.
    pub time: String,
    pub temperature: Option<f64>,
    pub weather_code: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdleWifi {
    pub ssid: String,
    /// Empty for an open network.
    pub password: String,
    /// The `WIFI:` code as SVG.
    pub qr: String,
}

impl FrontDesk {
    /// The idle screen for `kiosk`, from the hub's own caches (works offline).
    pub async fn idle(&self, kiosk: &Kiosk) -> Result<IdleScreen, FrontDeskError> {
        let inner = &self.inner;
        let property = inner.property.current();
        let now = inner.clock.now();
        let internal = |e: &dyn std::fmt::Display| FrontDeskError::Internal(e.to_string());
        let design = inner.reception.design().await.map_err(|e| internal(&e))?;
        let weather = inner.weather.latest().map(|snap| IdleWeather {
            temperature: snap.forecast.current.as_ref().and_then(|c| c.temperature),
            weather_code: snap.forecast.current.as_ref().and_then(|c| c.weather_code),
            age_minutes: (now - snap.fetched_at).num_minutes().max(0),
            hours: snap
                .forecast
                .hourly
                .iter()
                .filter(|h| {
                    crate::clock::parse(&h.time)
                        .is_some_and(|t| t + chrono::Duration::hours(1) > now)
                })
                .take(6)
                .map(|h| IdleHour {
                    time: h.time.clone(),
                    temperature: h.temperature,
                    weather_code: h.weather_code,
                })
                .collect(),
        });
        let sun = inner.weather.sun_day(None).ok();
        let screen = &kiosk.screen;
        let wifi = match design.wifi.as_ref().filter(|_| screen.show_wifi) {
            Some(w) => Some(IdleWifi {
                ssid: w.ssid.clone(),
                password: w.password.clone(),
                qr: qr_svg(&wifi_payload(w), 320).map_err(|e| internal(&e))?,
            }),
            None => None,
        };
        let origin = inner
            .reception
            .addresses()
            .first()
            .cloned()
            .unwrap_or_default();
        let reception_url = format!("{origin}/r/");
        let reception_qr = if screen.show_guide {
            Some(qr_svg(&reception_url, 320).map_err(|e| internal(&e))?)
        } else {
            None
        };
        let zone = inner.property.zone();
        Ok(IdleScreen {
            kiosk: kiosk.name.clone(),
            property: property.name,
            logo_url: property.logo_url,
            accent: design.accent,
            utc_offset_minutes: now.with_timezone(&zone).offset().fix().local_minus_utc() / 60,
            time_zone: property.time_zone,
            languages: property.languages,
            weather,
            sunrise: sun.as_ref().and_then(|s| s.sunrise.clone()),
            sunset: sun.and_then(|s| s.sunset),
            wifi,
            reception_url: screen.show_guide.then_some(reception_url),
            reception_qr,
            calls: screen.calls,
            note: screen.note.clone(),
            widget_key: inner.chat.widget_key(),
        })
    }
}
