//! Working hours (CHAT-9): whether the property is open at an instant, in its own time
//! zone. A day's hours may run past midnight (close before open): the late part counts for
//! the next morning.

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::team::{PropertySettings, Weekday};

fn weekday(d: chrono::Weekday) -> Weekday {
    match d {
        chrono::Weekday::Mon => Weekday::Mon,
        chrono::Weekday::Tue => Weekday::Tue,
        chrono::Weekday::Wed => Weekday::Wed,
        chrono::Weekday::Thu => Weekday::Thu,
        chrono::Weekday::Fri => Weekday::Fri,
        chrono::Weekday::Sat => Weekday::Sat,
        chrono::Weekday::Sun => Weekday::Sun,
    }
}

/// Minutes since midnight for "HH:MM" ("24:00" is the day's end).
fn minutes(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
}

/// No hours at all means always open: a property that never set them is not "closed".
pub(super) fn is_open(property: &PropertySettings, at: DateTime<Utc>) -> bool {
    if property.working_hours.is_empty() {
        return true;
    }
    let tz: chrono_tz::Tz = property.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let local = at.with_timezone(&tz);
    let now = local.hour() * 60 + local.minute();
    let today = weekday(local.weekday());
    let yesterday = weekday(local.weekday().pred());
    property.working_hours.iter().any(|d| {
        let (Some(open), Some(close)) = (minutes(&d.open), minutes(&d.close)) else {
            return false;
        };
        if close > open {
            d.day == today && (open..close).contains(&now)
        } else {
            (d.day == today && now >= open) || (d.day == yesterday && now < close)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::WorkingDay;

    fn property(hours: &[(Weekday, &str, &str)]) -> PropertySettings {
        PropertySettings {
            name: "Test".into(),
            logo_url: String::new(),
            time_zone: "Europe/Lisbon".into(),
            latitude: None,
            longitude: None,
            working_hours: hours
                .iter()
                .map(|(day, open, close)| WorkingDay {
                    day: *day,
                    open: (*open).into(),
                    close: (*close).into(),
                })
                .collect(),
            out_of_hours_text: String::new(),
            out_of_hours_texts: Default::default(),
            unanswered_alert_minutes: 5,
            languages: vec!["en".into()],
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn hours_follow_the_property_time_zone_and_cross_midnight() {
        // Friday 18:00 until Saturday 02:00, Lisbon time (UTC+1 in summer).
        let p = property(&[(Weekday::Fri, "18:00", "02:00")]);
        assert!(
            !is_open(&p, at("2026-07-03T16:30:00Z")),
            "Fri 17:30 local: not yet"
        );
        assert!(
            is_open(&p, at("2026-07-03T17:00:00Z")),
            "Fri 18:00 local: open"
        );
        assert!(
            is_open(&p, at("2026-07-03T23:30:00Z")),
            "Sat 00:30 local: still open"
        );
        assert!(
            !is_open(&p, at("2026-07-04T01:00:00Z")),
            "Sat 02:00 local: closed"
        );
        assert!(
            !is_open(&p, at("2026-07-04T17:30:00Z")),
            "Saturday evening is not Friday"
        );
        // Winter: Lisbon is UTC+0.
        assert!(
            is_open(&p, at("2026-01-09T18:00:00Z")),
            "Fri 18:00 local in January"
        );
    }

    #[test]
    fn same_day_hours_and_no_hours() {
        let p = property(&[(Weekday::Mon, "08:00", "20:00")]);
        assert!(is_open(&p, at("2026-07-06T10:00:00Z")));
        assert!(!is_open(&p, at("2026-07-06T19:30:00Z")), "20:30 local");
        assert!(is_open(&property(&[]), at("2026-07-06T03:00:00Z")));
    }
}
