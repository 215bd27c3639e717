//! iCal feeds from channel managers (Airbnb, Booking.com, Vrbo and the like): reading a
//! feed into stays, and following it in the store. UIDs are followed when dates move; a
//! future stay whose event vanished is cancelled; blocks ("Not available", "Blocked") are
//! not stays. A feed that cannot be read changes nothing.

use chrono::{DateTime, NaiveDate, Utc};
use icalendar::{Calendar, Component, DatePerhapsTime};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
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
    #[error("the feed is not text: {0}")]
    NotText(#[from] crate::inbound::InboundError),
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

/// What a feed said: its stays, how many blocks it had, and the events it could not make
/// sense of (skipped, each named with why), so one bad event never sinks the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Feed {
    pub stays: Vec<FeedStay>,
    /// Blocked dates and repeating events, which are not stays.
    pub blocks: usize,
    /// "event <UID or summary or its place>: <why>".
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(default)]
pub struct ImportReport {
    pub stays: usize,
    pub added: usize,
    pub moved: usize,
    pub cancelled: usize,
    /// Blocked dates and repeating events, which are not stays.
    pub skipped: usize,
    /// Events the feed sent that could not be read, each with why; the rest was imported.
    pub unreadable: Vec<String>,
    /// Stays this answer left out that were kept: under way (never cancelled by a feed), or
    /// missing once (cancelled only when missing from two answers in a row).
    pub kept: Vec<String>,
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

/// The VEVENT blocks of an unfolded calendar, each with the line it starts on; lines
/// outside events (the calendar's own properties, time zones) are not stays.
fn event_blocks(lines: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (n, line) in lines.lines().enumerate() {
        let upper = line.trim().to_ascii_uppercase();
        if upper == "BEGIN:VEVENT" {
            current = Some((n + 1, String::new()));
        }
        if let Some((_, block)) = current.as_mut() {
            block.push_str(line);
            block.push_str("\r\n");
        }
        if upper == "END:VEVENT" {
            blocks.extend(current.take());
        }
    }
    // An event left open at the end is unreadable, not silently dropped.
    blocks.extend(current);
    blocks
}

/// Reads a feed from its bytes (see [`crate::inbound::ical_lines`] for the text it takes).
/// Each event is read on its own: one the hub cannot make sense of is skipped and named in
/// [`Feed::unreadable`]. Every stay needs a UID and a start; the end defaults to the next day.
pub fn parse(bytes: &[u8]) -> Result<Feed, FeedError> {
    let lines = crate::inbound::ical_lines(bytes)?;
    let upper = lines.to_ascii_uppercase();
    if !upper.starts_with("BEGIN:VCALENDAR\r\n") || !upper.contains("END:VCALENDAR") {
        return Err(FeedError::NotCalendar);
    }
    let blocks = event_blocks(&lines);
    if blocks.len() > MAX_EVENTS {
        return Err(FeedError::TooMany);
    }
    let mut feed = Feed::default();
    for (line, block) in blocks {
        match read_event(&block) {
            Ok(Some(stay)) => feed.stays.push(stay),
            Ok(None) => feed.blocks += 1,
            Err((name, why)) => {
                let name = name.unwrap_or_else(|| format!("at line {line}"));
                feed.unreadable.push(format!("event {name}: {why}"));
            }
        }
    }
    Ok(feed)
}

/// One VEVENT: a stay, `None` for a block, or why not (with the event's name if known).
fn read_event(block: &str) -> Result<Option<FeedStay>, (Option<String>, String)> {
    let calendar: Calendar = format!("BEGIN:VCALENDAR\r\n{block}END:VCALENDAR\r\n")
        .parse()
        .map_err(|_: String| {
            let uid = block.lines().find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.trim().eq_ignore_ascii_case("UID"))
                    .map(|(_, v)| v.trim().chars().take(80).collect::<String>())
            });
            (uid, "a line is not an iCalendar property".to_owned())
        })?;
    let Some(e) = calendar.events().next() else {
        return Err((None, "not a complete event (no END:VEVENT)".into()));
    };
    let uid = e.get_uid().unwrap_or_default().trim().to_owned();
    let summary = e.get_summary().unwrap_or_default().trim().to_owned();
    let name = Some(if uid.is_empty() {
        summary.clone()
    } else {
        uid.clone()
    })
    .filter(|n| !n.is_empty())
    .map(|n| n.chars().take(80).collect());
    let bad = |message: &str| (name.clone(), message.to_owned());
    if is_block(&summary) || e.property_value("RRULE").is_some() {
        return Ok(None);
    }
    if uid.is_empty() || uid.len() > 255 {
        return Err(bad("no UID"));
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
    Ok(Some(FeedStay {
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
    }))
}

/// Answers in a row a future stay must be missing from before the feed cancels it: one
/// empty answer (Airbnb sends them now and then) takes nothing away.
pub(super) const MISSING_TO_CANCEL: i64 = 2;

/// Makes the unit's iCal reservations what the feed says, in the caller's transaction.
/// A feed books, moves and cancels; it never cancels a stay under way (begun, or checked
/// in), and a future stay only once it has been missing from [`MISSING_TO_CANCEL`]
/// successful answers in a row. Each change is written to the reservation's history and
/// the report is kept beside the feed.
pub(super) fn follow(
    conn: &Connection,
    unit_id: i64,
    feed: &Feed,
    times: &Times,
    now: DateTime<Utc>,
    changes: &mut Vec<BookingChange>,
) -> rusqlite::Result<ImportReport> {
    let now_text = crate::clock::stamp(now);
    let mut report = ImportReport {
        skipped: feed.blocks,
        unreadable: feed.unreadable.clone(),
        ..ImportReport::default()
    };
    let history = |id: i64, what: &str| reservations::record(conn, id, "ical", what, &now_text);
    let mut seen = std::collections::HashSet::new();
    for f in &feed.stays {
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
                history(id, "booked by the channel's calendar")?;
                if want == Status::Booked {
                    report.added += 1;
                    changes.push(BookingChange::new(id, unit_id, Some(BookingEvent::Booked)));
                }
            }
            Some(r) => {
                conn.execute(
                    "UPDATE reservations SET feed_missing = 0 WHERE id = ?1 AND feed_missing != 0",
                    [r.id],
                )?;
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
                    if moved {
                        let (i, o) = (f.stay.check_in, f.stay.check_out);
                        let day =
                            |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
                        history(
                            r.id,
                            &format!("moved by the channel's calendar to {} – {}", day(i), day(o)),
                        )?;
                    }
                    let event = match (r.status, status) {
                        (a, Status::Cancelled) if a != Status::Cancelled => {
                            report.cancelled += 1;
                            history(r.id, "cancelled: the channel's calendar marks it cancelled")?;
                            Some(BookingEvent::Cancelled)
                        }
                        (Status::Cancelled, Status::Booked) => {
                            history(r.id, "booked again: back in the channel's calendar")?;
                            Some(BookingEvent::Booked)
                        }
                        _ => None,
                    };
                    changes.push(BookingChange::new(r.id, unit_id, event));
                }
            }
        }
    }
    // Stays this answer left out. Past ones simply drop off channel feeds and stay as they
    // are; one under way is never taken away by a feed; a future one goes only when it has
    // been missing from answers in a row.
    let mut stmt = conn.prepare(
        "SELECT id, external_id, guest_name, check_in, check_out, check_in_at, status, feed_missing
         FROM reservations WHERE source = 'ical' AND unit_id = ?1
         AND status IN ('booked', 'checked_in') AND check_out_at > ?2",
    )?;
    type Row = (i64, String, String, String, String, String, String, i64);
    let gone: Vec<Row> = stmt
        .query_map(rusqlite::params![unit_id, now_text], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|row| !seen.contains(&row.1))
        .collect();
    for (id, _, guest, check_in, check_out, check_in_at, status, missing) in gone {
        let who = if guest.is_empty() {
            "the stay".to_owned()
        } else {
            format!("{guest}'s stay")
        };
        let stay = format!("{who} {check_in} – {check_out}");
        let under_way = status == "checked_in" || check_in_at <= now_text;
        if under_way {
            report.kept.push(format!(
                "{stay}: missing from the calendar but under way, kept"
            ));
            if missing == 0 {
                history(
                    id,
                    "missing from the channel's calendar while under way: kept",
                )?;
            }
            conn.execute(
                "UPDATE reservations SET feed_missing = feed_missing + 1 WHERE id = ?1",
                [id],
            )?;
            continue;
        }
        if missing + 1 < MISSING_TO_CANCEL {
            conn.execute(
                "UPDATE reservations SET feed_missing = feed_missing + 1 WHERE id = ?1",
                [id],
            )?;
            report.kept.push(format!(
                "{stay}: missing from this answer, kept until it is missing from the next too"
            ));
            history(id, "missing from the channel's calendar once: kept")?;
            continue;
        }
        conn.execute(
            "UPDATE reservations SET status = 'cancelled', feed_missing = feed_missing + 1, updated_at = ?2 WHERE id = ?1",
            rusqlite::params![id, now_text],
        )?;
        history(
            id,
            &format!(
                "cancelled: missing from the channel's calendar {} answers in a row",
                missing + 1
            ),
        )?;
        report.cancelled += 1;
        changes.push(BookingChange::new(
            id,
            unit_id,
            Some(BookingEvent::Cancelled),
        ));
    }
    let kept = serde_json::to_string(&report).unwrap_or_default();
    conn.execute(
        "UPDATE rooms SET ical_synced_at = ?2, ical_error = '', ical_report = ?3 WHERE id = ?1",
        rusqlite::params![unit_id, now_text, kept],
    )?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIRBNB: &str = "BEGIN:VCALENDAR\r\nPRODID;X-RICAL-TZSOURCE=TZINFO:-//Airbnb Inc//Hosting Calendar 0.8.8//EN\r\nCALSCALE:GREGORIAN\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTEND;VALUE=DATE:20261026\r\nDTSTART;VALUE=DATE:20261023\r\nUID:1418fb94e984-0b6bbd0e7b5ed8a0fa4a43e2ea2d1c21@airbnb.com\r\nDESCRIPTION:Reservation URL: https://www.airbnb.com/hosting/reservations/d\r\n etails/HMABCDE123\\nPhone Number (Last 4 Digits): 1234\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTEND;VALUE=DATE:20270301\r\nDTSTART;VALUE=DATE:20261201\r\nUID:7f1c-blocked@airbnb.com\r\nSUMMARY:Airbnb (Not available)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn airbnb_all_day_events_with_folded_lines_read_as_stays() {
        let feed = parse(AIRBNB.as_bytes()).unwrap();
        assert_eq!(feed.blocks, 1);
        assert_eq!(feed.stays.len(), 1);
        let s = &feed.stays[0];
        assert_eq!(s.stay.check_in, NaiveDate::from_ymd_opt(2026, 10, 23));
        assert_eq!(s.stay.check_out, NaiveDate::from_ymd_opt(2026, 10, 26));
        assert!(
            s.stay.notes.contains("details/HMABCDE123"),
            "{}",
            s.stay.notes
        );
        assert_eq!(s.stay.guest_name, "");
    }

    /// The field case ical-01: Airbnb's feed behind a UTF-8 byte-order mark.
    #[test]
    fn a_byte_order_mark_and_bare_line_feeds_are_read() {
        let bom = format!("\u{feff}{AIRBNB}");
        assert_eq!(parse(bom.as_bytes()).unwrap().stays.len(), 1);
        let lf = AIRBNB.replace("\r\n", "\n");
        assert_eq!(
            parse(lf.as_bytes()).unwrap(),
            parse(AIRBNB.as_bytes()).unwrap()
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(AIRBNB.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(parse(&utf16).unwrap().stays.len(), 1);
    }

    #[test]
    fn booking_com_and_vrbo_shapes() {
        let feed = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:b1@booking.com\nDTSTART;VALUE=DATE:20261101\nDTEND;VALUE=DATE:20261104\nSUMMARY:CLOSED - Not available\nEND:VEVENT\nBEGIN:VEVENT\nUID:b2@booking.com\nDTSTART;VALUE=DATE:20261105\nDTEND;VALUE=DATE:20261107\nSUMMARY:CLOSED - Maria Papadopoulou\nEND:VEVENT\nBEGIN:VEVENT\nUID:v1@vrbo\nDTSTART:20261110T150000Z\nDTEND:20261112T100000Z\nSUMMARY:Reserved - Jan Novak\nEND:VEVENT\nBEGIN:VEVENT\nUID:v2@vrbo\nDTSTART;VALUE=DATE:20261120\nDTEND;VALUE=DATE:20261122\nSUMMARY:Reserved - Gone\nSTATUS:CANCELLED\nEND:VEVENT\nEND:VCALENDAR\n";
        let feed = parse(feed.as_bytes()).unwrap();
        assert_eq!(feed.blocks, 1);
        let names: Vec<_> = feed
            .stays
            .iter()
            .map(|s| s.stay.guest_name.as_str())
            .collect();
        assert_eq!(names, ["Maria Papadopoulou", "Jan Novak", "Gone"]);
        assert!(feed.stays[2].cancelled);
        assert_eq!(
            feed.stays[1].stay.check_in,
            NaiveDate::from_ymd_opt(2026, 11, 10)
        );
    }

    #[test]
    fn files_that_are_no_calendar_are_refused() {
        assert_eq!(
            parse(b"<html>502 Bad Gateway</html>"),
            Err(FeedError::NotCalendar)
        );
        let truncated = &AIRBNB[..AIRBNB.len() / 2];
        assert_eq!(parse(truncated.as_bytes()), Err(FeedError::NotCalendar));
        assert!(matches!(
            parse(b"BEGIN:VCALENDAR\r\n\xff\r\nEND:VCALENDAR"),
            Err(FeedError::NotText(_))
        ));
    }

    #[test]
    fn one_bad_event_is_named_and_skipped_the_rest_imported() {
        let good = "BEGIN:VEVENT\r\nUID:good\r\nDTSTART;VALUE=DATE:20261201\r\nDTEND;VALUE=DATE:20261203\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\n";
        let bad = [
            ("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261101\r\nSUMMARY:Reserved\r\nEND:VEVENT\r\n", "event Reserved: no UID"),
            ("BEGIN:VEVENT\r\nUID:back\r\nDTSTART;VALUE=DATE:20261105\r\nDTEND;VALUE=DATE:20261101\r\nEND:VEVENT\r\n", "event back: ends before it starts"),
            ("BEGIN:VEVENT\r\nUID:baddate\r\nDTSTART;VALUE=DATE:2026-99\r\nEND:VEVENT\r\n", "event baddate: no readable DTSTART"),
            ("BEGIN:VEVENT\r\nUID:junk\r\nthis is not a property\r\nEND:VEVENT\r\n", "event junk: a line is not an iCalendar property"),
            ("BEGIN:VEVENT\r\nUID:open\r\nDTSTART;VALUE=DATE:20261101\r\n", "event open: a line is not an iCalendar property"),
        ];
        for (event, why) in bad {
            let text = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{good}{event}END:VCALENDAR\r\n");
            let feed = parse(text.as_bytes()).unwrap();
            assert_eq!(feed.stays.len(), 1, "{why}");
            assert_eq!(feed.unreadable, [why]);
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,400}") {
            let _ = parse(s.as_bytes());
            let _ = parse(format!("BEGIN:VCALENDAR\n{s}\nEND:VCALENDAR\n").as_bytes());
            let _ = parse(format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\n{s}\nEND:VEVENT\nEND:VCALENDAR\n").as_bytes());
        }
    }
}
