//! The guest page as HTML, rendered on the hub: small (no framework; a style sheet, the
//! design's colours as a second one, a few lines of script for the clock, all from the
//! hub), readable on a weak phone and without the internet, every built-in word in the
//! guest's language and every owner text escaped.

use std::fmt::Write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::design::{BlockKind, Design};
use super::words::{self, Words};
use super::{qr, Place};
use crate::bookings::{Reservation, Room};
use crate::markup::html_escape as esc;
use crate::team::PropertySettings;
use crate::weather::{Snapshot, SunDay};

/// Everything one guest page shows.
pub(super) struct View<'a> {
    pub words: &'static Words,
    /// Empty on the property's own page.
    pub slug: &'a str,
    /// The unit; `None` on the property's own page (the lobby, the website), which has no
    /// stay and tags its chat with no unit.
    pub room: Option<&'a Room>,
    pub property: &'a PropertySettings,
    pub zone: Tz,
    pub now: DateTime<Utc>,
    pub design: &'a Design,
    pub places: &'a [Place],
    pub forecast: Option<&'a Snapshot>,
    pub sun: Option<&'a SunDay>,
    /// The chat widget's key; `None` in the editor's preview, which starts no chat.
    pub widget_key: Option<&'a str>,
    /// The guest's own stay, when their link opened it on this unit.
    pub reservation: Option<&'a Reservation>,
    pub notice: super::PageNotice,
    /// The stay form's values, `(reference, surname)`, after a try that opened nothing.
    pub typed: Option<(&'a str, &'a str)>,
    /// The draft this page previews: its theme, and language links that keep previewing.
    pub preview: Option<&'a str>,
    /// The hotel's messengers, their deep links carrying the unit.
    pub channels: &'a [crate::chat::ChannelLink],
}

/// The page.
pub(super) fn render(v: &View) -> String {
    let w = v.words;
    let mut body = String::new();
    for block in v.design.shown() {
        let html = match block.kind {
            BlockKind::Title => title(v),
            BlockKind::Information => information(v),
            BlockKind::Glance => glance(v),
            BlockKind::Weather => super::weather_block::weather(v),
            BlockKind::Places => places(v),
            BlockKind::Chat => chat(v),
            BlockKind::Reservation if v.room.is_some() => reservation(v),
            BlockKind::Reservation => String::new(),
        };
        if !html.is_empty() {
            let _ = write!(
                body,
                "<section class=\"{}\">{html}</section>",
                block.kind.as_str()
            );
        }
    }
    let logo = if v.property.logo_url.is_empty() {
        String::new()
    } else {
        format!("<img src=\"{}\" alt=\"\">", esc(&v.property.logo_url))
    };
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{name}{title_unit}</title><link rel=\"stylesheet\" href=\"/guest/page.css\">\
         <link rel=\"stylesheet\" href=\"/r/theme.css?{theme}\">\
         <script src=\"/guest/clock.js\" defer></script>{here}</head>\
         <body><header>{logo}<div class=\"who\"><h1>{name}</h1><div class=\"unit\">{unit}</div></div>{switch}</header>\
         <main>{body}</main></body></html>",
        lang = w.tag,
        name = esc(&v.property.name),
        unit = v.room.map(|r| esc(&r.name)).unwrap_or_default(),
        title_unit = v.room.map(|r| format!(" · {}", esc(&r.name))).unwrap_or_default(),
        theme = match v.preview {
            Some(id) => format!("preview={}", esc(id)),
            None => format!("v={}", theme_version(v.design)),
        },
        switch = language_switch(v),
        here = if v.design.weather_by_position {
            "<script src=\"/guest/weather-here.js\" defer></script>"
        } else {
            ""
        },
    )
}

/// The page's colours as a style sheet (the hub's Content-Security-Policy allows no inline
/// styles): the accent, and each coloured block's background.
pub(super) fn theme(design: &Design) -> String {
    let mut css = format!(":root{{--accent:{}}}", design.accent);
    for block in &design.blocks {
        if let Some(colour) = &block.colour {
            let _ = write!(css, "section.{}{{--bg:{colour}}}", block.kind.as_str());
        }
    }
    css
}

/// Changes with the colours, so a page links the theme it was made with and browsers may
/// keep each version for good.
fn theme_version(design: &Design) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(theme(design).as_bytes())[..6])
}

impl View<'_> {
    fn local(&self) -> DateTime<Tz> {
        self.now.with_timezone(&self.zone)
    }

    fn zone_offset_minutes(&self) -> i32 {
        use chrono::Offset;
        self.local().offset().fix().local_minus_utc() / 60
    }
}

fn language_switch(v: &View) -> String {
    let mut links = String::new();
    // The property's languages that the page speaks; every one when none of them is.
    let offered: Vec<&Words> = words::ALL
        .iter()
        .copied()
        .filter(|w| {
            v.property
                .languages
                .iter()
                .any(|l| l.split('-').next() == Some(w.tag))
        })
        .collect();
    let offered = if offered.is_empty() {
        words::ALL.to_vec()
    } else {
        offered
    };
    for other in offered {
        let current = if other.tag == v.words.tag {
            " aria-current=\"true\""
        } else {
            ""
        };
        let _ = write!(
            links,
            "<a href=\"/r/{}?lang={}{}\" hreflang=\"{}\" lang=\"{}\"{current}>{}</a>",
            esc(v.slug),
            other.tag,
            v.preview
                .map(|id| format!("&amp;preview={}", esc(id)))
                .unwrap_or_default(),
            other.tag,
            other.tag,
            other.name
        );
    }
    format!(
        "<details class=\"lang\"><summary aria-label=\"{}\">🌐 {}</summary><nav>{links}</nav></details>",
        v.words.language,
        v.words.tag.to_uppercase()
    )
}

fn title(v: &View) -> String {
    let lang = v.words.tag;
    format!(
        "<h2>{}</h2><p>{}</p>",
        esc(v.design.title.pick(lang)),
        esc(v.design.invitation.pick(lang))
    )
}

fn information(v: &View) -> String {
    let (w, d, lang) = (v.words, v.design, v.words.tag);
    let mut html = format!("<h2>{}</h2>", w.information);
    if let Some(wifi) = &d.wifi {
        let code = qr::svg(&qr::wifi_payload(wifi), 150).unwrap_or_default();
        // The SVG's XML declaration is not wanted inline.
        let code = code.find("<svg").map_or("", |i| &code[i..]);
        let _ = write!(
            html,
            "<div class=\"row wifi\"><div>{code}</div><dl><dt>{}</dt><dd>{}</dd>",
            w.network,
            esc(&wifi.ssid)
        );
        if !wifi.password.is_empty() {
            let _ = write!(
                html,
                "<dt>{}</dt><dd>{}</dd>",
                w.password,
                esc(&wifi.password)
            );
        }
        let _ = write!(
            html,
            "</dl></div><p class=\"muted\">{} · {}</p>",
            w.wifi, w.scan_to_join
        );
    }
    if !d.check_in.is_empty() || !d.check_out.is_empty() {
        html.push_str("<dl>");
        for (label, time) in [(w.check_in, &d.check_in), (w.check_out, &d.check_out)] {
            if !time.is_empty() {
                let _ = write!(html, "<dt>{label}</dt><dd>{}</dd>", esc(time));
            }
        }
        html.push_str("</dl>");
    }
    for (label, text) in [
        (w.house_rules, &d.house_rules),
        (w.breakfast, &d.breakfast),
        ("", &d.notes),
    ] {
        let text = text.pick(lang).trim();
        if text.is_empty() {
            continue;
        }
        if !label.is_empty() {
            let _ = write!(html, "<h3>{label}</h3>");
        }
        let _ = write!(html, "<p>{}</p>", esc(text));
    }
    html
}

pub(super) fn sky(w: &Words, code: Option<i64>) -> (String, &'static str) {
    code.map(words::sky)
        .map(|g| (words::SKY_SYMBOLS[g].to_owned(), w.skies[g]))
        .unwrap_or_default()
}

pub(super) fn degrees(t: Option<f64>) -> String {
    t.map(|t| format!("{}°", t.round() as i64))
        .unwrap_or_default()
}

/// The place's name in the guest's language as the owner wrote it, else the city of the
/// property's zone ("Europe/Lisbon" → "Lisbon").
fn city(v: &View) -> String {
    let named = v.design.city.pick(v.words.tag).trim();
    if !named.is_empty() {
        return named.to_owned();
    }
    let zone = &v.property.time_zone;
    zone.rsplit('/').next().unwrap_or(zone).replace('_', " ")
}

fn glance(v: &View) -> String {
    let w = v.words;
    let local = v.local();
    let mut html = format!(
        "<h2>{}</h2><div class=\"facts\"><div><div class=\"muted\">{} · {}</div><div class=\"big\" data-clock=\"{}\">{}</div></div>",
        esc(&city(v)),
        w.local_time,
        local.format("%d.%m"),
        v.zone_offset_minutes(),
        local.format("%H:%M")
    );
    if let Some(now) = v.forecast.and_then(|s| s.forecast.current.as_ref()) {
        let (symbol, words) = sky(w, now.weather_code);
        let _ = write!(
            html,
            "<div><div class=\"muted\">{}</div><div class=\"big\">{symbol} {}</div><div class=\"muted\">{words}</div></div>",
            w.now,
            degrees(now.temperature)
        );
    }
    if let Some(sun) = v.sun {
        let time = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.format("%H:%M").to_string())
        };
        match (time(&sun.sunrise), time(&sun.sunset), sun.polar.as_deref()) {
            (_, _, Some("day")) => {
                let _ = write!(html, "<div class=\"muted\">{}</div>", w.polar_day);
            }
            (_, _, Some(_)) => {
                let _ = write!(html, "<div class=\"muted\">{}</div>", w.polar_night);
            }
            (rise, set, None) => {
                let _ = write!(
                    html,
                    "<div><div class=\"muted\">🌅 {}</div><div class=\"big\">{}</div></div>\
                     <div><div class=\"muted\">🌇 {}</div><div class=\"big\">{}</div></div>",
                    w.sunrise,
                    rise.unwrap_or_else(|| "—".into()),
                    w.sunset,
                    set.unwrap_or_else(|| "—".into())
                );
            }
        }
    }
    html.push_str("</div>");
    html
}

/// A link that opens the phone's maps app at the place (Google Maps URLs, which Android
/// and iOS hand to the installed app): by position when known, else by address.
fn directions(p: &Place) -> Option<String> {
    let destination = match (p.latitude, p.longitude) {
        (Some(lat), Some(lon)) => format!("{lat:.6},{lon:.6}"),
        _ if !p.address.trim().is_empty() => p.address.trim().to_owned(),
        _ => return None,
    };
    Some(format!(
        "https://www.google.com/maps/dir/?api=1&destination={}",
        url::form_urlencoded::byte_serialize(destination.as_bytes()).collect::<String>()
    ))
}

fn places(v: &View) -> String {
    if v.places.is_empty() {
        return String::new();
    }
    let (w, lang) = (v.words, v.words.tag);
    let mut html = format!("<h2>{}</h2>", w.places);
    // Grouped by category, the groups in the order the owner's list first names them.
    let mut order: Vec<&str> = Vec::new();
    for p in v.places {
        if !order.contains(&p.category.as_str()) {
            order.push(&p.category);
        }
    }
    for category in order {
        let label = words::CATEGORIES
            .iter()
            .position(|c| *c == category)
            .map_or("", |i| w.categories[i]);
        let _ = write!(html, "<h3>{label}</h3>");
        for p in v.places.iter().filter(|p| p.category == category) {
            let _ = write!(
                html,
                "<div class=\"place\"><b>{}</b>",
                esc(p.name.pick(lang))
            );
            if !p.address.is_empty() {
                let _ = write!(html, "<div class=\"muted\">{}</div>", esc(&p.address));
            }
            let notes = p.notes.pick(lang);
            if !notes.trim().is_empty() {
                let _ = write!(html, "<p>{}</p>", esc(notes));
            }
            html.push_str("<div class=\"acts\">");
            if let Some(link) = directions(p) {
                let _ = write!(
                    html,
                    "<a href=\"{}\" rel=\"noopener\">🧭 {}</a>",
                    esc(&link),
                    w.directions
                );
            }
            if !p.phone.is_empty() {
                let tel: String = p
                    .phone
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                let _ = write!(html, "<a href=\"tel:{tel}\">📞 {}</a>", w.call);
            }
            if !p.website.is_empty() {
                let _ = write!(
                    html,
                    "<a href=\"{}\" rel=\"noopener\" target=\"_blank\">🔗 {}</a>",
                    esc(&p.website),
                    w.website
                );
            }
            html.push_str("</div></div>");
        }
    }
    html
}

/// The chat block: a line that says where the chat is, and the widget itself, tagged with
/// the unit so staff see which room writes (GUEST-8).
fn chat(v: &View) -> String {
    let Some(key) = v.widget_key else {
        return format!("<h2>{}</h2><p>{}</p>", v.words.chat, v.words.chat_hint);
    };
    let tags = v
        .room
        .map(|r| {
            let tag: String = r
                .name
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { '-' })
                .collect();
            format!(" data-tags=\"room-{}\"", esc(&tag))
        })
        .unwrap_or_default();
    let elsewhere = if v.channels.is_empty() {
        String::new()
    } else {
        let links: String = v
            .channels
            .iter()
            .map(|c| {
                format!(
                    "<a class=\"channel\" href=\"{}\" rel=\"noopener\">{}</a>",
                    esc(&c.url),
                    esc(&c.label)
                )
            })
            .collect();
        format!(
            "<p>{}</p><p class=\"channels\">{links}</p>",
            v.words.chat_elsewhere
        )
    };
    format!(
        "<h2>{}</h2><p>{}</p>{elsewhere}<script src=\"/widget.js\" data-key=\"{}\" data-lang=\"{}\" data-state=\"{}\"{tags} async></script>",
        v.words.chat,
        v.words.chat_hint,
        esc(key),
        v.words.tag,
        v.design.chat_state.as_str(),
    )
}

/// The guest's stay, or the form that opens it: only the guest whose link (or reference
/// and surname) opened it on this unit sees it (GUEST-5).
fn reservation(v: &View) -> String {
    let w = v.words;
    let mut html = format!("<h2>{}</h2>", w.my_stay);
    if let Some(r) = v.reservation {
        let at = |t: &str| {
            crate::clock::parse(t)
                .map(|t| {
                    t.with_timezone(&v.zone)
                        .format("%d.%m.%Y %H:%M")
                        .to_string()
                })
                .unwrap_or_default()
        };
        let _ = write!(
            html,
            "<dl class=\"stay\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>",
            w.guest,
            esc(&r.guest_name),
            w.arrival,
            at(&r.check_in_at),
            w.departure,
            at(&r.check_out_at)
        );
        return html;
    }
    let notice = match v.notice {
        super::PageNotice::None => None,
        super::PageNotice::StayNotFound => Some(w.stay_not_found),
        super::PageNotice::TooMany => Some(w.too_many),
    };
    if let Some(text) = notice {
        let _ = write!(html, "<p class=\"warn\" role=\"alert\">{text}</p>");
    }
    let _ = write!(
        html,
        "<p class=\"muted\">{}</p><form method=\"post\" action=\"/r/{}/stay?lang={}\" class=\"stay-form\">\
         <label>{}<input name=\"reference\" required maxlength=\"64\" autocomplete=\"off\" value=\"{}\"></label>\
         <label>{}<input name=\"surname\" required maxlength=\"80\" autocomplete=\"family-name\" value=\"{}\"></label>\
         <button>{}</button></form>",
        w.open_stay,
        esc(v.slug),
        w.tag,
        w.reference,
        esc(v.typed.map_or("", |t| t.0)),
        w.surname,
        esc(v.typed.map_or("", |t| t.1)),
        w.open
    );
    html
}

/// The page for an address no unit has.
pub(super) fn not_found(w: &Words) -> String {
    message(w, w.not_found, w.not_found_hint)
}

/// A page that only says something: a title and a line under it.
pub(super) fn message(w: &Words, title: &str, hint: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title>\
         <link rel=\"stylesheet\" href=\"/guest/page.css\"></head><body><main><section><h2>{}</h2><p>{}</p></section></main></body></html>",
        w.tag, title, title, hint
    )
}
