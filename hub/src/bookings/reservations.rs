//! Reservations in the store: the row, its dates as instants, the status it has, and
//! occupancy derived from them. Who may change them (API, iCal, webhook) is elsewhere.
//!
//! Occupancy (BOOK-1): a unit is occupied at an instant when one of its reservations is
//! - `booked` and the instant is within [check-in, check-out), or
//! - `checked_in` (a PMS or staff said so) and check-out is less than a day past, so a
//!   forgotten check-out does not keep a room "occupied" for ever.
//!
//! `checked_out` and `cancelled` reservations occupy nothing.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::{parse, resolve_local, stamp};

/// How long past check-out a checked-in guest still counts as there.
pub(super) const OVERSTAY: i64 = 24;

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Booked,
    CheckedIn,
    CheckedOut,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::CheckedIn => "checked_in",
            Status::CheckedOut => "checked_out",
            Status::Cancelled => "cancelled",
        }
    }

    /// Ours, and the words PMSs use for the same (Cloudbeds, Mews, Beds24).
    pub fn parse(s: &str) -> Option<Status> {
        Some(match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "booked" | "confirmed" | "new" | "not_confirmed" => Status::Booked,
            "checked_in" | "in_house" | "started" | "in_progress" => Status::CheckedIn,
            "checked_out" | "processed" => Status::CheckedOut,
            "cancelled" | "canceled" | "no_show" => Status::Cancelled,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Reservation {
    pub id: i64,
    pub unit_id: i64,
    /// manual, ical or pms.
    pub source: String,
    pub external_id: Option<String>,
    pub guest_name: String,
    pub email: String,
    pub phone: String,
    pub notes: String,
    /// YYYY-MM-DD.
    pub check_in: String,
    pub check_out: String,
    /// The instants the dates mean, with the property's times and zone.
    pub check_in_at: String,
    pub check_out_at: String,
    pub status: Status,
    pub created_at: String,
    pub updated_at: String,
}

impl Reservation {
    pub fn occupies(&self, at: DateTime<Utc>) -> bool {
        let (Some(from), Some(to)) = (parse(&self.check_in_at), parse(&self.check_out_at)) else {
            return false;
        };
        match self.status {
            Status::Booked => from <= at && at < to,
            Status::CheckedIn => at < to + Duration::hours(OVERSTAY),
            Status::CheckedOut | Status::Cancelled => false,
        }
    }

    /// The instants after `after` at which this reservation's occupancy may change.
    fn boundaries(&self, after: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> {
        let (from, to) = (parse(&self.check_in_at), parse(&self.check_out_at));
        let list = match self.status {
            Status::Booked => vec![from, to],
            Status::CheckedIn => vec![to.map(|t| t + Duration::hours(OVERSTAY))],
            _ => vec![],
        };
        list.into_iter().flatten().filter(move |t| *t > after)
    }
}

/// The property's check-in and check-out times and zone: what turns dates into instants.
#[derive(Debug, Clone, Copy)]
pub(super) struct Times {
    pub zone: Tz,
    pub check_in: NaiveTime,
    pub check_out: NaiveTime,
}

impl Times {
    /// The check-in/out times stored with the bookings, in `zone` (the property's).
    pub(super) fn load(conn: &Connection, zone: Tz) -> rusqlite::Result<Times> {
        let (i, o): (String, String) = conn.query_row(
            "SELECT check_in_time, check_out_time FROM booking_settings WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let time = |s: &str, default| NaiveTime::parse_from_str(s, "%H:%M").unwrap_or(default);
        Ok(Times {
            zone,
            check_in: time(&i, NaiveTime::from_hms_opt(15, 0, 0).unwrap_or_default()),
            check_out: time(&o, NaiveTime::from_hms_opt(11, 0, 0).unwrap_or_default()),
        })
    }

    pub(super) fn instants(&self, check_in: NaiveDate, check_out: NaiveDate) -> (String, String) {
        (
            stamp(resolve_local(self.zone, check_in.and_time(self.check_in))),
            stamp(resolve_local(self.zone, check_out.and_time(self.check_out))),
        )
    }
}

/// What a source says about one stay.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stay {
    pub guest_name: String,
    pub email: String,
    pub phone: String,
    pub notes: String,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
}

const COLUMNS: &str = "id, unit_id, source, external_id, guest_name, email, phone, notes, check_in,
    check_out, check_in_at, check_out_at, status, created_at, updated_at";

fn from_row(r: &Row) -> rusqlite::Result<Reservation> {
    Ok(Reservation {
        id: r.get(0)?,
        unit_id: r.get(1)?,
        source: r.get(2)?,
        external_id: r.get(3)?,
        guest_name: r.get(4)?,
        email: r.get(5)?,
        phone: r.get(6)?,
        notes: r.get(7)?,
        check_in: r.get(8)?,
        check_out: r.get(9)?,
        check_in_at: r.get(10)?,
        check_out_at: r.get(11)?,
        status: Status::parse(&r.get::<_, String>(12)?).unwrap_or(Status::Cancelled),
        created_at: r.get(13)?,
        updated_at: r.get(14)?,
    })
}

pub(super) fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Reservation>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM reservations WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()
}

pub(super) fn by_external(
    conn: &Connection,
    source: &str,
    unit_id: Option<i64>,
    external_id: &str,
) -> rusqlite::Result<Option<Reservation>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM reservations WHERE source = ?1 AND external_id = ?2
             AND (?3 IS NULL OR unit_id = ?3)"
        ),
        params![source, external_id, unit_id],
        from_row,
    )
    .optional()
}

/// Stays that end after `from` and start before `to`, by check-in.
pub(super) fn between(
    conn: &Connection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> rusqlite::Result<Vec<Reservation>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM reservations WHERE check_out_at > ?1 AND check_in_at < ?2
         ORDER BY check_in_at, id LIMIT 2000"
    ))?;
    let rows = stmt.query_map(params![stamp(from), stamp(to)], from_row)?;
    rows.collect()
}

/// Reservations that may occupy something at or after `at`.
fn live(conn: &Connection, at: DateTime<Utc>) -> rusqlite::Result<Vec<Reservation>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM reservations WHERE status IN ('booked', 'checked_in')
         AND check_out_at > ?1"
    ))?;
    let rows = stmt.query_map([stamp(at - Duration::hours(OVERSTAY))], from_row)?;
    rows.collect()
}

/// Who is in each occupied unit at `at` (the latest arrival where stays overlap).
pub(super) fn occupants(
    conn: &Connection,
    at: DateTime<Utc>,
) -> rusqlite::Result<std::collections::BTreeMap<i64, Reservation>> {
    let mut out: std::collections::BTreeMap<i64, Reservation> = Default::default();
    for r in live(conn, at)?.into_iter().filter(|r| r.occupies(at)) {
        match out.get(&r.unit_id) {
            Some(there) if there.check_in_at >= r.check_in_at => {}
            _ => {
                out.insert(r.unit_id, r);
            }
        }
    }
    Ok(out)
}

/// The units occupied at `at`.
pub(super) fn occupied(
    conn: &Connection,
    at: DateTime<Utc>,
) -> rusqlite::Result<std::collections::BTreeSet<i64>> {
    Ok(occupants(conn, at)?.into_keys().collect())
}

/// The reservation occupying `unit` at `at`, if any (the latest to arrive).
pub(super) fn occupying(
    conn: &Connection,
    unit: i64,
    at: DateTime<Utc>,
) -> rusqlite::Result<Option<Reservation>> {
    Ok(occupants(conn, at)?.remove(&unit))
}

/// The next instant after `after` at which any unit's occupancy may change.
pub(super) fn next_boundary(
    conn: &Connection,
    after: DateTime<Utc>,
) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(live(conn, after)?
        .iter()
        .flat_map(|r| r.boundaries(after).collect::<Vec<_>>())
        .min())
}

/// Units that can be let: rooms, villas and cars (areas are not).
pub(super) fn lettable_units(conn: &Connection) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT id FROM rooms WHERE kind != 'area' ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// Where a reservation came from: `manual`, `ical` or `pms`, with that source's own id.
pub(super) struct Origin<'a> {
    pub source: &'a str,
    pub external_id: Option<&'a str>,
}

pub(super) fn insert(
    conn: &Connection,
    unit_id: i64,
    origin: Origin<'_>,
    stay: &Stay,
    status: Status,
    times: &Times,
    now: &str,
) -> rusqlite::Result<i64> {
    let (Some(i), Some(o)) = (stay.check_in, stay.check_out) else {
        return Err(rusqlite::Error::InvalidQuery);
    };
    let (i_at, o_at) = times.instants(i, o);
    conn.execute(
        "INSERT INTO reservations (unit_id, source, external_id, guest_name, email, phone, notes,
            check_in, check_out, check_in_at, check_out_at, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
        params![
            unit_id,
            origin.source,
            origin.external_id,
            stay.guest_name,
            stay.email,
            stay.phone,
            stay.notes,
            i.to_string(),
            o.to_string(),
            i_at,
            o_at,
            status.as_str(),
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Writes the fields `stay` has (dates, contacts) over the stored ones; `true` when
/// anything changed.
pub(super) fn update(
    conn: &Connection,
    current: &Reservation,
    unit_id: i64,
    stay: &Stay,
    status: Status,
    times: &Times,
    now: &str,
) -> rusqlite::Result<bool> {
    let keep = |new: &str, old: &str| {
        if new.is_empty() {
            old.to_owned()
        } else {
            new.to_owned()
        }
    };
    let check_in = stay
        .check_in
        .map_or(current.check_in.clone(), |d| d.to_string());
    let check_out = stay
        .check_out
        .map_or(current.check_out.clone(), |d| d.to_string());
    let dates = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let (i_at, o_at) = match (dates(&check_in), dates(&check_out)) {
        (Some(i), Some(o)) => times.instants(i, o),
        _ => (current.check_in_at.clone(), current.check_out_at.clone()),
    };
    let next = Reservation {
        unit_id,
        guest_name: keep(&stay.guest_name, &current.guest_name),
        email: keep(&stay.email, &current.email),
        phone: keep(&stay.phone, &current.phone),
        notes: keep(&stay.notes, &current.notes),
        check_in,
        check_out,
        check_in_at: i_at,
        check_out_at: o_at,
        status,
        ..current.clone()
    };
    if &next == current {
        return Ok(false);
    }
    conn.execute(
        "UPDATE reservations SET unit_id = ?2, guest_name = ?3, email = ?4, phone = ?5, notes = ?6,
            check_in = ?7, check_out = ?8, check_in_at = ?9, check_out_at = ?10, status = ?11,
            updated_at = ?12 WHERE id = ?1",
        params![
            current.id,
            next.unit_id,
            next.guest_name,
            next.email,
            next.phone,
            next.notes,
            next.check_in,
            next.check_out,
            next.check_in_at,
            next.check_out_at,
            status.as_str(),
            now
        ],
    )?;
    Ok(true)
}

/// After the property's zone or check-in/out times change: every instant afresh.
pub(super) fn replace_instants(conn: &Connection, times: &Times) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare("SELECT id, check_in, check_out FROM reservations")?;
    let rows: Vec<(i64, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, i, o) in rows {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        if let (Some(i), Some(o)) = (d(&i), d(&o)) {
            let (i_at, o_at) = times.instants(i, o);
            conn.execute(
                "UPDATE reservations SET check_in_at = ?2, check_out_at = ?3 WHERE id = ?1",
                params![id, i_at, o_at],
            )?;
        }
    }
    Ok(())
}

/// Adds a line to a reservation's history: `source` (manual, ical, pms) changed it, `what`
/// says how and why.
pub(super) fn record(
    c: &Connection,
    reservation_id: i64,
    source: &str,
    what: &str,
    now: &str,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO reservation_history (reservation_id, at, source, what) VALUES (?1, ?2, ?3, ?4)",
        params![reservation_id, now, source, what],
    )?;
    Ok(())
}

/// Records what an update changed, in words ("checked in", "moved to 2026-11-03 –
/// 2026-11-05"), comparing `before` with the stored row; nothing when nothing changed.
pub(super) fn record_change(
    c: &Connection,
    before: &Reservation,
    source: &str,
    now: &str,
) -> rusqlite::Result<()> {
    let Some(after) = get(c, before.id)? else {
        return Ok(());
    };
    let mut said = Vec::new();
    if after.status != before.status {
        said.push(
            match after.status {
                Status::Booked => "booked again",
                Status::CheckedIn => "checked in",
                Status::CheckedOut => "checked out",
                Status::Cancelled => "cancelled",
            }
            .to_owned(),
        );
    }
    if (&after.check_in, &after.check_out) != (&before.check_in, &before.check_out) {
        said.push(format!("moved to {} – {}", after.check_in, after.check_out));
    }
    if after.unit_id != before.unit_id {
        let room: String = c
            .query_row(
                "SELECT name FROM rooms WHERE id = ?1",
                [after.unit_id],
                |r| r.get(0),
            )
            .unwrap_or_default();
        said.push(format!("moved to room {room}"));
    }
    if said.is_empty() {
        return Ok(());
    }
    let by = if source == "pms" {
        " by the PMS"
    } else {
        " by staff"
    };
    record(
        c,
        before.id,
        source,
        &format!("{}{by}", said.join(", ")),
        now,
    )
}

/// One line of a reservation's history.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct HistoryEntry {
    /// UTC, RFC 3339.
    pub at: String,
    /// manual, ical or pms.
    pub source: String,
    pub what: String,
}

/// A reservation's history, oldest first.
pub(super) fn history(c: &Connection, reservation_id: i64) -> rusqlite::Result<Vec<HistoryEntry>> {
    let mut stmt = c.prepare_cached(
        "SELECT at, source, what FROM reservation_history WHERE reservation_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([reservation_id], |r| {
        Ok(HistoryEntry {
            at: r.get(0)?,
            source: r.get(1)?,
            what: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// The first stay in `unit_id` (not cancelled, `except` aside) that shares a night with
/// `check_in`..`check_out` (the departure day is free): its room, guest and dates.
pub(super) fn overlapping(
    c: &Connection,
    unit_id: i64,
    check_in: NaiveDate,
    check_out: NaiveDate,
    except: Option<i64>,
) -> rusqlite::Result<Option<(String, String, String, String)>> {
    c.query_row(
        "SELECT r.name, s.guest_name, s.check_in, s.check_out FROM reservations s \
             JOIN rooms r ON r.id = s.unit_id \
             WHERE s.unit_id = ?1 AND s.status != 'cancelled' AND s.check_in < ?3 \
             AND s.check_out > ?2 AND s.id != ?4 ORDER BY s.check_in LIMIT 1",
        params![
            unit_id,
            check_in.to_string(),
            check_out.to_string(),
            except.unwrap_or(-1)
        ],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )
    .optional()
}
