//! The guest page's own words in the languages a small hotel's guests most often read
//! (GUEST-9): English, Russian, German, French, Spanish and Portuguese, and which one a
//! guest gets from the phone's `Accept-Language` (RFC 9110 §12.5.4) or their choice.

/// Every built-in word of the guest page in one language.
pub struct Words {
    pub tag: &'static str,
    /// The language's own name, for the switch.
    pub name: &'static str,
    pub local_time: &'static str,
    pub weather: &'static str,
    pub now: &'static str,
    pub next_hours: &'static str,
    pub next_days: &'static str,
    pub sunrise: &'static str,
    pub sunset: &'static str,
    pub polar_day: &'static str,
    pub polar_night: &'static str,
    /// `{n}` is a number of minutes.
    pub updated_minutes: &'static str,
    /// `{n}` is a number of hours.
    pub updated_hours: &'static str,
    pub stale: &'static str,
    pub no_forecast: &'static str,
    pub information: &'static str,
    pub wifi: &'static str,
    pub network: &'static str,
    pub password: &'static str,
    pub scan_to_join: &'static str,
    /// A QR plate's default line under the code: what scanning gives.
    pub plate_invitation: &'static str,
    /// The button that asks the phone for its position (GUEST-2).
    pub weather_here: &'static str,
    pub weather_here_title: &'static str,
    pub weather_here_failed: &'static str,
    /// Back from the guest's position to the property's forecast.
    pub weather_at_hotel: &'static str,
    pub position_denied: &'static str,
    pub check_in: &'static str,
    pub check_out: &'static str,
    pub house_rules: &'static str,
    pub breakfast: &'static str,
    pub places: &'static str,
    pub directions: &'static str,
    pub call: &'static str,
    pub website: &'static str,
    pub chat: &'static str,
    pub chat_hint: &'static str,
    /// Before the messengers the hotel answers on (CLOUD-2).
    pub chat_elsewhere: &'static str,
    pub language: &'static str,
    pub not_found: &'static str,
    pub not_found_hint: &'static str,
    pub my_stay: &'static str,
    pub guest: &'static str,
    pub arrival: &'static str,
    pub departure: &'static str,
    pub open_stay: &'static str,
    pub reference: &'static str,
    pub surname: &'static str,
    pub open: &'static str,
    pub stay_not_found: &'static str,
    pub link_expired: &'static str,
    pub link_expired_hint: &'static str,
    pub link_unknown: &'static str,
    pub link_unknown_hint: &'static str,
    pub too_many: &'static str,
    /// Place categories, in [`CATEGORIES`] order.
    pub categories: [&'static str; 11],
    /// Skies by WMO code group, in [`sky`]'s order.
    pub skies: [&'static str; 9],
}

/// Place categories the directory groups by (GUEST-4).
pub const CATEGORIES: [&str; 11] = [
    "taxi",
    "restaurant",
    "cafe",
    "shop",
    "pharmacy",
    "hospital",
    "parking",
    "transport",
    "beach",
    "sight",
    "other",
];

/// The group of a WMO weather code (Open-Meteo's `weather_code`, WMO 4677): clear, mainly
/// clear, cloudy, fog, drizzle, rain, snow, showers, thunderstorm.
pub fn sky(code: i64) -> usize {
    match code {
        0 => 0,
        1 | 2 => 1,
        3 => 2,
        45 | 48 => 3,
        51..=57 => 4,
        61..=67 => 5,
        71..=77 | 85 | 86 => 6,
        80..=82 => 7,
        95..=99 => 8,
        _ => 2,
    }
}

/// A symbol for the same groups.
pub const SKY_SYMBOLS: [&str; 9] = ["☀️", "🌤️", "☁️", "🌫️", "🌦️", "🌧️", "🌨️", "🌦️", "⛈️"];

mod languages;

pub use languages::{DE, EN, ES, FR, PT, RU};

pub const ALL: [&Words; 6] = [&EN, &RU, &DE, &FR, &ES, &PT];

/// The words for `tag` ("ru", "pt-BR"), English when there are none.
pub fn of(tag: &str) -> &'static Words {
    let primary = tag
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    ALL.iter()
        .find(|w| w.tag == primary)
        .copied()
        .unwrap_or(&EN)
}

/// The language to show: the guest's choice when we have it, else the first of the
/// phone's `Accept-Language` ranges we have (by weight), else English.
pub fn choose(chosen: Option<&str>, accept_language: &str) -> &'static Words {
    let have = |tag: &str| {
        let primary = tag
            .split('-')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        ALL.iter().find(|w| w.tag == primary).copied()
    };
    if let Some(w) = chosen.and_then(have) {
        return w;
    }
    let mut ranges: Vec<(f32, &str)> = accept_language
        .split(',')
        .filter_map(|part| {
            let mut bits = part.split(';');
            let tag = bits.next()?.trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (q > 0.0).then_some((q, tag))
        })
        .collect();
    // Stable: equal weights keep the phone's order.
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges.into_iter().find_map(|(_, t)| have(t)).unwrap_or(&EN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_phone_language_is_read_by_weight_and_a_choice_wins() {
        assert_eq!(choose(None, "ru-RU,ru;q=0.9,en-US;q=0.8").tag, "ru");
        assert_eq!(choose(None, "en;q=0.5, de-AT").tag, "de");
        assert_eq!(choose(None, "ja, zh;q=0.9").tag, "en");
        assert_eq!(choose(None, "garbage;q=x,,;").tag, "en");
        assert_eq!(choose(Some("pt-BR"), "ru").tag, "pt");
        assert_eq!(choose(Some("xx"), "fr-CA").tag, "fr");
    }
}
