//! Time arithmetic for triggers, in the property's zone: daily times and cron
//! expressions, sunrise and sunset with offsets. Instants are UTC; schedules are local.
//!
//! The DST policy (tested below): each local time runs at most once a day.
//! - A local time that does not exist (spring forward) runs at the instant it would have
//!   had by the offset before the change, i.e. as much later by the clock as the jump
//!   (03:30 in Athens on the last Sunday of March runs at 04:30 EEST).
//! - A local time that happens twice (fall back) runs at its first occurrence only.
//!
//! Both follow from computing each next time afresh in local time from the last handled
//! instant; no offset is ever cached.

use std::str::FromStr;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;

use super::model::Invalid;
use crate::clock::resolve_local;
use crate::weather::{sun_event, SunEvent};

/// "HH:MM" (24 h) → a schedule that fires then every day.
pub(super) fn daily(at: &str) -> Result<cron::Schedule, Invalid> {
    let t = chrono::NaiveTime::parse_from_str(at, "%H:%M")
        .map_err(|_| Invalid(format!("\"{at}\" is not a time like 07:30")))?;
    let expr = format!(
        "0 {} {} * * *",
        chrono::Timelike::minute(&t),
        chrono::Timelike::hour(&t)
    );
    cron::Schedule::from_str(&expr).map_err(|e| Invalid(e.to_string()))
}

/// A cron expression: the usual five fields (seconds are added), or the `cron` crate's
/// six or seven with seconds first, or a shorthand such as `@daily`. In five-field form
/// weekdays must be names: the crate numbers them 1 = Sunday, crontab 0 = Sunday.
pub(super) fn cron(expression: &str) -> Result<cron::Schedule, Invalid> {
    let e = expression.trim();
    if e.is_empty() || e.len() > 200 {
        return Err(Invalid("cron: 1 to 200 characters".into()));
    }
    let fields: Vec<&str> = e.split_whitespace().collect();
    let full = if e.starts_with('@') {
        e.to_owned()
    } else if fields.len() == 5 {
        if fields[4].chars().any(|c| c.is_ascii_digit()) {
            return Err(Invalid(
                "cron: write weekdays by name (MON-FRI), not number".into(),
            ));
        }
        format!("0 {e}")
    } else {
        e.to_owned()
    };
    cron::Schedule::from_str(&full).map_err(|err| Invalid(format!("cron \"{e}\": {err}")))
}

/// The first time of `schedule` strictly after `after`.
pub(super) fn next_cron(
    schedule: &cron::Schedule,
    tz: Tz,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // Walk the schedule in wall-clock time (as if local time were UTC), then place each
    // wall time; a placed time at or before `after` (the repeated hour) is passed over.
    let local = Utc.from_utc_datetime(&after.with_timezone(&tz).naive_local());
    schedule
        .after(&local)
        .take(10_000)
        .map(|wall| resolve_local(tz, wall.naive_utc()))
        .find(|t| *t > after)
}

/// The first sun event (plus offset) strictly after `after`, looking up to a year and a
/// half ahead (polar night can last months).
pub(super) fn next_sun(
    lat: f64,
    lon: f64,
    tz: Tz,
    event: SunEvent,
    offset_minutes: i32,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let start = after.with_timezone(&tz).date_naive() - Duration::days(1);
    (0..550)
        .map(|d| start + Duration::days(d))
        .filter_map(|date| sun_event(lat, lon, date, event))
        .map(|t| t + Duration::minutes(offset_minutes.into()))
        .find(|t| *t > after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn runs(schedule: &cron::Schedule, tz: Tz, from: &str, to: &str) -> Vec<DateTime<Utc>> {
        let (mut t, end) = (utc(from), utc(to));
        let mut out = Vec::new();
        while let Some(n) = next_cron(schedule, tz, t).filter(|n| *n < end) {
            out.push(n);
            t = n;
        }
        out
    }

    #[test]
    fn spring_forward_runs_a_missing_time_once_an_hour_later() {
        // Athens, 29 March 2026: 03:00 EET becomes 04:00 EEST.
        let s = daily("03:30").unwrap();
        let athens: Tz = "Europe/Athens".parse().unwrap();
        let got = runs(&s, athens, "2026-03-28T00:00:00Z", "2026-03-31T00:00:00Z");
        assert_eq!(
            got,
            vec![
                utc("2026-03-28T01:30:00Z"), // 03:30 EET
                utc("2026-03-29T01:30:00Z"), // the missing 03:30, = 04:30 EEST
                utc("2026-03-30T00:30:00Z"), // 03:30 EEST
            ]
        );
        // New York, 8 March 2026: 02:00 EST becomes 03:00 EDT; 02:30 runs once, at 03:30.
        let s = daily("02:30").unwrap();
        let ny: Tz = "America/New_York".parse().unwrap();
        let got = runs(&s, ny, "2026-03-07T12:00:00Z", "2026-03-10T12:00:00Z");
        assert_eq!(
            got,
            vec![
                utc("2026-03-08T07:30:00Z"),
                utc("2026-03-09T06:30:00Z"),
                utc("2026-03-10T06:30:00Z"),
            ]
        );
    }

    #[test]
    fn fall_back_runs_a_repeated_time_once_at_its_first_occurrence() {
        // Athens, 25 October 2026: 04:00 EEST becomes 03:00 EET; 03:30 happens twice.
        let s = daily("03:30").unwrap();
        let athens: Tz = "Europe/Athens".parse().unwrap();
        let got = runs(&s, athens, "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z");
        assert_eq!(
            got,
            vec![utc("2026-10-25T00:30:00Z"), utc("2026-10-26T01:30:00Z")]
        );
        // Starting inside the repeated hour, after its first 03:30, the second is not run.
        let got = runs(&s, athens, "2026-10-25T01:10:00Z", "2026-10-26T00:00:00Z");
        assert!(got.is_empty(), "{got:?}");
        // New York, 1 November 2026: 01:30 happens twice.
        let s = daily("01:30").unwrap();
        let ny: Tz = "America/New_York".parse().unwrap();
        let got = runs(&s, ny, "2026-10-31T12:00:00Z", "2026-11-02T12:00:00Z");
        assert_eq!(
            got,
            vec![utc("2026-11-01T05:30:00Z"), utc("2026-11-02T06:30:00Z")]
        );
    }

    #[test]
    fn cron_takes_five_fields_with_named_weekdays() {
        let s = cron("0 1 * * MON-FRI").unwrap();
        let athens: Tz = "Europe/Athens".parse().unwrap();
        // Saturday 24 October 2026 → next is Monday 26 at 01:00 EET.
        assert_eq!(
            next_cron(&s, athens, utc("2026-10-24T12:00:00Z")),
            Some(utc("2026-10-25T23:00:00Z"))
        );
        assert!(cron("0 1 * * 1-5").unwrap_err().0.contains("name"));
        assert!(cron("*/15 * * * * *").is_ok());
        assert!(cron("@daily").is_ok());
        assert!(cron("61 * * * *").is_err());
        assert!(cron("").is_err());
        // Every 15 minutes across the Athens fall-back: the repeated hour is not run twice.
        let s = cron("*/15 * * * *").unwrap();
        let got = runs(&s, athens, "2026-10-25T00:00:00Z", "2026-10-25T03:00:00Z");
        let mut sorted = got.clone();
        sorted.dedup();
        assert_eq!(got, sorted);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn sunset_in_athens_follows_the_clock_change() {
        let athens: Tz = "Europe/Athens".parse().unwrap();
        let (lat, lon) = (37.98, 23.73);
        let before = next_sun(
            lat,
            lon,
            athens,
            SunEvent::Sunset,
            -10,
            utc("2026-10-24T06:00:00Z"),
        )
        .unwrap();
        let after = next_sun(lat, lon, athens, SunEvent::Sunset, -10, before).unwrap();
        let local = |t: DateTime<Utc>| t.with_timezone(&athens).format("%H:%M").to_string();
        // Sunset is about 18:36 EEST on the 24th, and an hour earlier by the clock
        // (17:35 EET) on the 25th, when the clocks go back.
        assert!(
            ("18:20".."18:32").contains(&local(before).as_str()),
            "{}",
            local(before)
        );
        assert!(
            ("17:19".."17:31").contains(&local(after).as_str()),
            "{}",
            local(after)
        );
        assert!((after - before - Duration::days(1)).num_minutes().abs() < 5);
    }

    #[test]
    fn polar_night_skips_to_the_first_day_with_a_sunrise() {
        let tromso: Tz = "Europe/Oslo".parse().unwrap();
        let (lat, lon) = (69.65, 18.96);
        let dec = utc("2026-12-01T12:00:00Z");
        assert_eq!(
            sun_event(lat, lon, dec.date_naive(), SunEvent::Sunrise),
            None
        );
        let next = next_sun(lat, lon, tromso, SunEvent::Sunrise, 0, dec).unwrap();
        assert!(
            next > utc("2027-01-10T00:00:00Z") && next < utc("2027-01-20T00:00:00Z"),
            "{next}"
        );
        // Midnight sun: no sunset in late June.
        assert_eq!(
            sun_event(
                lat,
                lon,
                utc("2026-06-21T12:00:00Z").date_naive(),
                SunEvent::Sunset
            ),
            None
        );
    }
}
