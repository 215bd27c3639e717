//! The guest page's weather block (GUEST-1, 2): the hotel's forecast with its age, the next
//! hours and days, and the button for the weather where the guest is; and that block's
//! content for the guest's own position.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::page::{degrees, sky, View};
use super::words::Words;
use crate::markup::html_escape as esc;
use crate::weather::{Snapshot, FRESH_HOURS};

pub(super) fn weather(v: &View) -> String {
    let w = v.words;
    let mut html = forecast(w, (v.zone, v.now), w.weather, v.forecast);
    if v.design.weather_by_position && v.room.is_some() {
        // Shown by weather-here.js only where the phone can share its position.
        let _ = write!(
            html,
            "<p><button type=\"button\" id=\"weather-here\" hidden data-href=\"/r/{slug}/weather?lang={lang}\" \
             data-denied=\"{denied}\" data-failed=\"{failed}\">{label}</button> <span class=\"muted\" id=\"weather-here-note\" role=\"status\"></span></p>",
            slug = esc(v.slug),
            lang = w.tag,
            denied = esc(w.position_denied),
            failed = esc(w.weather_here_failed),
            label = w.weather_here,
        );
    }
    html
}

/// The weather block's content for the guest's own position on the page at `slug`: its
/// forecast, or the `hotel`'s with a word that it is not theirs; hours in `zone`.
pub(super) fn weather_here(
    w: &Words,
    slug: &str,
    when: (Tz, DateTime<Utc>),
    own: Option<&Snapshot>,
    hotel: Option<&Snapshot>,
) -> String {
    match own {
        Some(snap) => {
            // Where the forecast is for (to a tenth of a degree, as asked), and the way back.
            let (lat, lon) = (snap.forecast.latitude, snap.forecast.longitude);
            let place = format!(
                "</h2><p class=\"muted\">{:.1}° {}, {:.1}° {} · <a href=\"/r/{}?lang={}\">{}</a></p>",
                lat.abs(),
                if lat < 0.0 { 'S' } else { 'N' },
                lon.abs(),
                if lon < 0.0 { 'W' } else { 'E' },
                esc(slug),
                w.tag,
                w.weather_at_hotel,
            );
            forecast(w, when, w.weather_here_title, Some(snap)).replacen("</h2>", &place, 1)
        }
        None => format!(
            "<p class=\"muted\" role=\"status\">{}</p>{}",
            w.weather_here_failed,
            forecast(w, when, w.weather, hotel)
        ),
    }
}

/// A forecast under `heading`, its age and hours as of `now` in `zone`.
fn forecast(
    w: &Words,
    (zone, now): (Tz, DateTime<Utc>),
    heading: &str,
    forecast: Option<&Snapshot>,
) -> String {
    let mut html = format!("<h2>{heading}</h2>");
    let Some(snap) = forecast else {
        let _ = write!(html, "<p class=\"muted\">{}</p>", w.no_forecast);
        return html;
    };
    let age = (now - snap.fetched_at).num_minutes().max(0);
    let updated = if age < 120 {
        w.updated_minutes.replace("{n}", &age.to_string())
    } else {
        w.updated_hours.replace("{n}", &(age / 60).to_string())
    };
    let f = &snap.forecast;
    if let Some(now) = &f.current {
        let (symbol, words) = sky(w, now.weather_code);
        let _ = write!(
            html,
            "<div class=\"facts\"><div class=\"big\">{symbol} {}</div><div>{words}</div></div>",
            degrees(now.temperature)
        );
    }
    let _ = write!(html, "<p class=\"muted\" data-age=\"{age}\">{updated}</p>");
    if age > FRESH_HOURS * 60 {
        let _ = write!(html, "<p class=\"muted\">{}</p>", w.stale);
    }
    let hours: Vec<_> = f
        .hourly
        .iter()
        .filter(|h| {
            crate::clock::parse(&h.time).is_some_and(|t| t + chrono::Duration::hours(1) > now)
        })
        .take(12)
        .collect();
    if !hours.is_empty() {
        let _ = write!(html, "<h3>{}</h3><div class=\"hours\">", w.next_hours);
        for h in hours {
            let at = crate::clock::parse(&h.time)
                .map(|t| t.with_timezone(&zone).format("%H:%M").to_string())
                .unwrap_or_default();
            let _ = write!(
                html,
                "<div><div class=\"muted\">{at}</div><div>{}</div><div>{}</div></div>",
                sky(w, h.weather_code).0,
                degrees(h.temperature)
            );
        }
        html.push_str("</div>");
    }
    if !f.daily.is_empty() {
        let _ = write!(html, "<h3>{}</h3><div class=\"days\">", w.next_days);
        for d in &f.daily {
            let day = chrono::NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                .map(|d| d.format("%d.%m").to_string())
                .unwrap_or_default();
            let _ = write!(
                html,
                "<div><div class=\"muted\">{day}</div><div>{}</div><div>{} / {}</div></div>",
                sky(w, d.weather_code).0,
                degrees(d.temperature_max),
                degrees(d.temperature_min)
            );
        }
        html.push_str("</div>");
    }
    html.push_str("<p class=\"muted\">Open-Meteo.com</p>");
    html
}
