//! iCal feeds from channel managers (Airbnb, Booking.com, Vrbo and the like): reading a
//! feed into stays, and following it in the store. UIDs are followed when dates move; a
//! future stay whose event vanished is cancelled; blocks ("Not available", "Blocked") are
//! not stays. A feed that cannot be read changes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, DatePerhapsTime};
use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use super::reservations::{self, Status, Stay, Times};
use super::BookingChange;
use super::BookingEvent;

/// A feed larger than this is refused (a busy unit's feed is a few KiB).
pub(super) const MAX_FEED_BYTES: usize = 2 * 1024 * 1024;
pub(super) const MAX_EVENTS: usize = 5000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FeedError {
    #[error("not an iCalendar file (no BEGIN:VCALENDAR … END:VCALENDAR)")]
    NotCalendar,
    #[error("the calendar cannot be read: {0}")]
    Syntax(String),
    #[error("event {uid}: {message}")]
    Event { uid: String, message: String },
    #[error("more than {MAX_EVENTS} events")]
    TooMany,
}

/// One stay of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedStay {
    pub uid: String,
    pub stay: Stay,
    pub cancelled: bool,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct ImportReport {
    pub stays: usize,
    pub added: usize,
    pub moved: usize,
    pub cancelled: usize,
    /// Blocked dates and repeating events, which are not stays.
    pub skipped: usize,
}

fn is_block(summary: &str) -> bool {
    let s = summary.to_ascii_lowercase();
    s.contains("not available") || s.contains("blocked") || s.contains("unavailable")
}

/// The guest's name where the channel puts one: "CLOSED - Name" (Booking.com),
/// "Reserved - Name" (Vrbo); Airbnb's "Reserved" has none.
fn guest_of(summary: &str) -> String {
    summary
        .split_once(" - ")
        .map(|(_, name)| name.trim().chars().take(120).collect())
        .unwrap_or_default()
}

fn date_of(d: Option<DatePerhapsTime>) -> Option<NaiveDate> {
    d.map(|d| d.date_naive())
}

/// Reads a feed. Every event must have a UID and a start; the end defaults to the next day.
pub fn parse(text: &str) -> Result<(Vec<FeedStay>, usize), FeedError> {
    let upper = text.to_ascii_uppercase();
    if !upper.contains("BEGIN:VCALENDAR") || !upper.contains("END:VCALENDAR") {
        return Err(FeedError::NotCalendar);
    }
    let calendar: Calendar = text.parse().map_err(|e: String| {
        // The parser's message is nom's; the line number is what helps.
        let line = e
            .split_once("at line ")
            .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
            .filter(|n| !n.is_empty());
        FeedError::Syntax(line.map_or("malformed".into(), |n| format!("line {n}")))
    })?;
    let events: Vec<_> = calendar.events().collect();
    if events.len() > MAX_EVENTS {
        return Err(FeedError::TooMany);
    }
    let (mut stays, mut skipped) = (Vec::new(), 0);
    for e in events {
        let uid = e.get_uid().unwrap_or_default().trim().to_owned();
        let summary = e.get_summary().unwrap_or_default().trim().to_owned();
        let bad = |message: &str| FeedError::Event {
            uid: if uid.is_empty() {
                summary.clone()
            } else {
                uid.clone()
            },
            message: message.to_owned(),
        };
        if uid.is_empty() || uid.len() > 255 {
            return Err(bad("no UID"));
        }
        if is_block(&summary) || e.property_value("RRULE").is_some() {
            skipped += 1;
            continue;
        }
        let start = date_of(e.get_start()).ok_or_else(|| bad("no readable DTSTART"))?;
        let end = match e.property_value("DTEND") {
            Some(_) => date_of(e.get_end()).ok_or_else(|| bad("DTEND is not a date"))?,
            None => start
                .succ_opt()
                .ok_or_else(|| bad("DTSTART out of range"))?,
        };
        if end <= start {
            return Err(bad("ends before it starts"));
        }
        if (end - start).num_days() > 366 {
            return Err(bad("a stay longer than a year"));
        }
        let cancelled = e
            .property_value("STATUS")
            .is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED"));
        stays.push(FeedStay {
            uid,
            stay: Stay {
                guest_name: guest_of(&summary),
                notes: e
                    .get_description()
                    .unwrap_or_default()
                    .chars()
                    .take(500)
                    .collect(),
                check_in: Some(start),
                check_out: Some(end),
                ..Stay::default()
            },
            cancelled,
        });
    }
    Ok((stays, skipped))
}

/// Makes the unit's iCal reservations what the feed says, in the caller's transaction.
pub(super) fn follow(
    conn: &Connection,
    unit_id: i64,
    feed: &[FeedStay],
    skipped: usize,
    times: &Times,
    now: DateTime<Utc>,
    changes: &mut Vec<BookingChange>,
) -> rusqlite::Result<ImportReport> {
    let now_text = crate::clock::stamp(now);
    let mut report = ImportReport {
        skipped,
        ..ImportReport::default()
    };
    let mut seen = std::collections::HashSet::new();
    for f in feed {
        if !seen.insert(f.uid.clone()) {
            continue;
        }
        report.stays += 1;
        let want = if f.cancelled {
            Status::Cancelled
        } else {
            Status::Booked
        };
        match reservations::by_external(conn, "ical", Some(unit_id), &f.uid)? {
            None => {
                let id = reservations::insert(
                    conn,
                    unit_id,
                    reservations::Origin {
                        source: "ical",
                        external_id: Some(&f.uid),
                    },
                    &f.stay,
                    want,
                    times,
                    &now_text,
                )?;
                if want == Status::Booked {
                    report.added += 1;
                    changes.push(BookingChange::new(id, unit_id, Some(BookingEvent::Booked)));
                }
            }
            Some(r) => {
                // A PMS or staff may have moved it on (checked in); the feed only books
                // and cancels.
                let status = match (r.status, want) {
                    (Status::Cancelled, Status::Booked) => Status::Booked,
                    (s, Status::Booked) => s,
                    (_, Status::Cancelled) => Status::Cancelled,
                    (s, _) => s,
                };
                let moved = r.check_in
                    != f.stay.check_in.map(|d| d.to_string()).unwrap_or_default()
                    || r.check_out != f.stay.check_out.map(|d| d.to_string()).unwrap_or_default();
                if reservations::update(conn, &r, unit_id, &f.stay, status, times, &now_text)? {
                    report.moved += usize::from(moved);
                    let event = match (r.status, status) {
                        (a, Status::Cancelled) if a != Status::Cancelled => {
                            report.cancelled += 1;
                            Some(BookingEvent::Cancelled)
                        }
                        (Status::Cancelled, Status::Booked) => Some(BookingEvent::Booked),
                        _ => None,
                    };
                    changes.push(BookingChange::new(r.id, unit_id, event));
                }
            }
        }
    }
    // Stays that left the feed before they ended were cancelled; past ones simply
    // drop off channel feeds and stay as they are.
    let mut stmt = conn.prepare(
        "SELECT id, external_id FROM reservations WHERE source = 'ical' AND unit_id = ?1
         AND status IN ('booked', 'checked_in') AND check_out_at > ?2",
    )?;
    let gone: Vec<(i64, String)> = stmt
        .query_map(rusqlite::params![unit_id, now_text], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|(_, uid)| !seen.contains(uid))
        .collect();
    for (id, _) in gone {
        conn.execute(
            "UPDATE reservations SET status = 'cancelled', updated_at = ?2 WHERE id = ?1",
            rusqlite::params![id, now_text],
        )?;
        report.cancelled += 1;
        changes.push(BookingChange::new(
            id,
            unit_id,
            Some(BookingEvent::Cancelled),
        ));
    }
    conn.execute(
        "UPDATE rooms SET ical_synced_at = ?2, ical_error = '' WHERE id = ?1",
        rusqlite::params![unit_id, now_text],
    )?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIRBNB: &str = "BEGIN:VCALENDAR\r\nPRODID;X-RICAL-TZSOURCE=TZINFO:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\nCALSCALE:GREGORIAN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTEND;VALUE=DATE:20261026\r\nDTSTART;VALUE=DATE:20261023\r\nUID:1418fb94e984-0b6bbd0e7b5ed8a0fa4a43e2ea2d1c21@airbnb.com\r\nDESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/d\r\n etails/HMABCDE123\\nPhone Number (Last 4 Digits): 1234\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTEND;VALUE=DATE:20270301\r\nDTSTART;VALUE=DATE:20261201\r\nUID:7f1c-blocked@airbnb.com\r\nSUMMARY:Airbnb (Not available)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn airbnb_all_day_events_with_folded_lines_read_as_stays() {
        let (stays, skipped) = parse(AIRBNB).unwrap();
        assert_eq!(skipped, 1);
        assert_eq!(stays.len(), 1);
        let s = &stays[0];
        assert_eq!(s.stay.check_in, NaiveDate::from_ymd_opt(2026, 10, 23));
        assert_eq!(s.stay.check_out, NaiveDate::from_ymd_opt(2026, 10, 26));
        assert!(
            s.stay.notes.contains("details/HMABCDE123"),
            "{}",
            s.stay.notes
        );
        assert_eq!(s.stay.guest_name, "");
    }

    #[test]
    fn booking_com_and_vrbo_shapes() {
        let feed = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:b1@booking.com\nDTSTART;VALUE=DATE:20261101\nDTEND;VALUE=DATE:20261104\nSUMMARY:CLOSED - Not available\nEND:VEVENT\nBEGIN:VEVENT\nUID:b2@booking.com\nDTSTART;VALUE=DATE:20261105\nDTEND;VALUE=DATE:20261107\nSUMMARY:CLOSED - Maria Papadopoulou\nEND:VEVENT\nBEGIN:VEVENT\nUID:v1@vrbo\nDTSTART:20261110T150000Z\nDTEND:20261112T100000Z\nSUMMARY:Reserved - Jan Novak\nEND:VEVENT\nBEGIN:VEVENT\nUID:v2@vrbo\nDTSTART;VALUE=DATE:20261120\nDTEND;VALUE=DATE:20261122\nSUMMARY:Reserved - Gone\nSTATUS:CANCELLED\nEND:VEVENT\nEND:VCALENDAR\n";
        let (stays, skipped) = parse(feed).unwrap();
        assert_eq!(skipped, 1);
        let names: Vec<_> = stays.iter().map(|s| s.stay.guest_name.as_str()).collect();
        assert_eq!(names, ["Maria Papadopoulou", "Jan Novak", "Gone"]);
        assert!(stays[2].cancelled);
        assert_eq!(
            stays[1].stay.check_in,
            NaiveDate::from_ymd_opt(2026, 11, 10)
        );
    }

    #[test]
    fn broken_feeds_are_refused_with_a_reason() {
        assert_eq!(
            parse("<html>502 Bad Gateway</html>"),
            Err(FeedError::NotCalendar)
        );
        let no_uid = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261101\nSUMMARY:Reserved\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(matches!(parse(no_uid), Err(FeedError::Event { .. })));
        let backwards = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:20261105\nDTEND;VALUE=DATE:20261101\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(backwards).unwrap_err().to_string().contains("before"));
        let bad_date = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nDTSTART;VALUE=DATE:2026-99\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(bad_date).is_err());
        let truncated = &AIRBNB[..AIRBNB.len() / 2];
        assert_eq!(parse(truncated), Err(FeedError::NotCalendar));
        let unclosed = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20261101\r\nEND:VCALENDAR\r\n";
        assert_eq!(parse(unclosed), Err(FeedError::Syntax("line 5".into())));
        let stray = "BEGIN:VCALENDAR\r\nthis is not a property\r\nEND:VCALENDAR\r\n";
        assert!(parse(stray).is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,400}") {
            let _ = parse(&s);
            let _ = parse(&format!("BEGIN:VCALENDAR\n{s}\nEND:VCALENDAR\n"));
        }
    }
}
