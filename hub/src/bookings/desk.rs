//! The front desk's view of bookings: reservations in a window, who is in now, the units
//! themselves, the feeds' status, the check-in/out times and the webhook secret. Methods of
//! [`Bookings`]; the SQL is here and in `rooms.rs`/`reservations.rs`.

use chrono::{Duration, NaiveDate};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ical::ImportReport;
use super::reservations::{self, HistoryEntry, Reservation, Times};
use super::rooms::{self, Room, RoomKind};
use super::{BookingError, Bookings};

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitNow {
    pub id: i64,
    pub name: String,
    pub kind: RoomKind,
    pub occupied: bool,
    /// Who is there, when someone is.
    pub reservation: Option<Reservation>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Occupancy {
    pub at: String,
    pub occupied: usize,
    pub units: Vec<UnitNow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    pub unit_id: i64,
    pub name: String,
    /// Private to admins: channel managers put a secret token in it.
    pub url: String,
    pub synced_at: Option<String>,
    pub error: String,
    /// What the last successful import did: unreadable events skipped, stays kept though
    /// missing, cancellations. `None` before the first.
    pub report: Option<ImportReport>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingSettings {
    /// Local "HH:MM".
    pub check_in_time: String,
    pub check_out_time: String,
    /// Shown to admins to paste into the PMS; null until made.
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

/// What removing a unit takes with it: its stays, which go with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomUsage {
    /// Booked or checked-in stays that have not yet left (by the property's today).
    pub stays_ahead: u32,
    /// Every other stay: its history.
    pub stays_past: u32,
}

/// A YYYY-MM-DD date named `field`, if given.
pub(super) fn day(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>, BookingError> {
    s.map(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| BookingError::Invalid(format!("{field}: a date like 2026-10-24")))
    })
    .transpose()
}

impl Bookings {
    /// Stays overlapping `from`..`to` (YYYY-MM-DD, `to` exclusive; yesterday and 60 days
    /// on by default, at most 400 days), by check-in.
    pub async fn between(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<Reservation>, BookingError> {
        let today = self.inner.clock.now().date_naive();
        let from = day("from", from)?.unwrap_or(today - Duration::days(1));
        let to = day("to", to)?.unwrap_or(from + Duration::days(60));
        if to <= from || (to - from).num_days() > 400 {
            return Err(BookingError::Invalid(
                "to: after from, within 400 days".into(),
            ));
        }
        let at = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let (from, to) = (at(from), at(to));
        self.inner
            .store
            .read(move |c| Ok::<_, BookingError>(reservations::between(c, from, to)?))
            .await
    }

    /// Which units are occupied now, and by whom.
    pub async fn occupancy(&self) -> Result<Occupancy, BookingError> {
        let now = self.inner.clock.now();
        let units = self
            .inner
            .store
            .read(move |c| {
                let mut occupants = reservations::occupants(c, now)?;
                let mut out = Vec::new();
                for room in rooms::list(c)? {
                    let r = occupants.remove(&room.id);
                    out.push(UnitNow {
                        id: room.id,
                        name: room.name,
                        kind: room.kind,
                        occupied: r.is_some(),
                        reservation: r,
                    });
                }
                Ok::<_, BookingError>(out)
            })
            .await?;
        Ok(Occupancy {
            at: crate::clock::stamp(now),
            occupied: units.iter().filter(|u| u.occupied).count(),
            units,
        })
    }

    /// Every room, villa, car and area, by name.
    pub async fn rooms(&self) -> Result<Vec<Room>, BookingError> {
        self.inner
            .store
            .read(|c| Ok::<_, BookingError>(rooms::list(c)?))
            .await
    }

    /// Adds a unit; its name is 1 to 60 characters and unique.
    pub async fn add_room(&self, name: &str, kind: RoomKind) -> Result<Room, BookingError> {
        let name = check_room_name(name)?;
        let now = self.inner.clock.now_text();
        self.inner
            .store
            .write(move |c| Ok::<_, BookingError>(rooms::create(c, &name, kind, &now)?))
            .await?
            .ok_or(BookingError::Conflict("a room with this name exists"))
    }

    /// Renames a unit (its stays, devices and guest page address stay with it).
    pub async fn rename_room(
        &self,
        id: i64,
        name: &str,
        kind: RoomKind,
    ) -> Result<Room, BookingError> {
        let name = check_room_name(name)?;
        let n = name.clone();
        match self
            .inner
            .store
            .write(move |c| Ok::<_, BookingError>(rooms::rename(c, id, &n, kind)?))
            .await?
        {
            None => Err(BookingError::NotFound),
            Some(false) => Err(BookingError::Conflict("a room with this name exists")),
            Some(true) => self
                .rooms()
                .await?
                .into_iter()
                .find(|r| r.id == id)
                .ok_or(BookingError::NotFound),
        }
    }

    /// What [`Self::remove_room`] would take with it, for staff to read before they ask.
    pub async fn room_usage(&self, id: i64) -> Result<RoomUsage, BookingError> {
        let today = self
            .inner
            .clock
            .now()
            .with_timezone(&self.inner.property.zone())
            .date_naive()
            .to_string();
        self.inner
            .store
            .read(move |c| {
                let (ahead, all): (u32, u32) = c
                    .query_row(
                        "SELECT (SELECT COUNT(*) FROM reservations WHERE unit_id = r.id \
                           AND status IN ('booked', 'checked_in') AND check_out >= ?2), \
                         (SELECT COUNT(*) FROM reservations WHERE unit_id = r.id) \
                         FROM rooms r WHERE r.id = ?1",
                        rusqlite::params![id, today],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?
                    .ok_or(BookingError::NotFound)?;
                Ok(RoomUsage {
                    stays_ahead: ahead,
                    stays_past: all - ahead,
                })
            })
            .await
    }

    /// Removes a unit with its stays (staff read [`Self::room_usage`] first).
    pub async fn remove_room(&self, id: i64) -> Result<(), BookingError> {
        let n = self
            .inner
            .store
            .write(move |c| {
                Ok::<_, BookingError>(c.execute("DELETE FROM rooms WHERE id = ?1", [id])?)
            })
            .await?;
        if n == 0 {
            return Err(BookingError::NotFound);
        }
        Ok(())
    }

    /// Every unit's iCal feed and how its last import went.
    pub async fn feeds(&self) -> Result<Vec<Feed>, BookingError> {
        self.inner
            .store
            .read(|c| {
                let mut s = c.prepare(
                    "SELECT id, name, ical_url, ical_synced_at, ical_error, ical_report FROM rooms \
                     ORDER BY name",
                )?;
                let rows = s.query_map([], |r| {
                    Ok(Feed {
                        unit_id: r.get(0)?,
                        name: r.get(1)?,
                        url: r.get(2)?,
                        synced_at: r.get(3)?,
                        error: r.get(4)?,
                        report: serde_json::from_str(&r.get::<_, String>(5)?).ok(),
                    })
                })?;
                Ok::<_, BookingError>(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .await
    }

    /// Check-in/out times and the webhook secret.
    pub async fn settings(&self) -> Result<BookingSettings, BookingError> {
        self.inner
            .store
            .read(|c| {
                Ok::<_, BookingError>(c.query_row(
                    "SELECT check_in_time, check_out_time, webhook_secret FROM booking_settings WHERE id = 1",
                    [],
                    |r| {
                        Ok(BookingSettings {
                            check_in_time: r.get(0)?,
                            check_out_time: r.get(1)?,
                            webhook_secret: r.get(2)?,
                        })
                    },
                )?)
            })
            .await
    }

    /// Sets the check-in and check-out times ("HH:MM"); every reservation's instants
    /// follow in the same transaction, then the stays are announced as re-timed.
    pub async fn set_times(
        &self,
        check_in: &str,
        check_out: &str,
    ) -> Result<BookingSettings, BookingError> {
        for t in [check_in, check_out] {
            chrono::NaiveTime::parse_from_str(t, "%H:%M")
                .map_err(|_| BookingError::Invalid("times like 15:00".into()))?;
        }
        let (i, o) = (check_in.to_owned(), check_out.to_owned());
        let zone = self.inner.property.zone();
        self.inner
            .store
            .write(move |c| {
                c.execute(
                    "UPDATE booking_settings SET check_in_time = ?1, check_out_time = ?2 WHERE id = 1",
                    [&i, &o],
                )?;
                reservations::replace_instants(c, &Times::load(c, zone)?)?;
                Ok::<_, BookingError>(())
            })
            .await?;
        self.retimed();
        self.settings().await
    }

    /// Makes a new webhook secret; the old one stops working at once.
    pub async fn new_secret(&self) -> Result<BookingSettings, BookingError> {
        let secret = hex::encode(rand::random::<[u8; 24]>());
        self.inner
            .store
            .write(move |c| {
                c.execute(
                    "UPDATE booking_settings SET webhook_secret = ?1 WHERE id = 1",
                    [&secret],
                )?;
                Ok::<_, BookingError>(())
            })
            .await?;
        self.settings().await
    }
}

/// Occupancy as the scenario engine reads it.
impl Bookings {
    /// The units occupied at `at`.
    pub async fn occupied(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<std::collections::BTreeSet<i64>, BookingError> {
        self.inner
            .store
            .read(move |c| Ok::<_, BookingError>(reservations::occupied(c, at)?))
            .await
    }

    /// The units occupied at `at`, and every unit that can be let (rooms, villas, cars).
    pub async fn occupied_of_lettable(
        &self,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(std::collections::BTreeSet<i64>, Vec<i64>), BookingError> {
        self.inner
            .store
            .read(move |c| {
                Ok::<_, BookingError>((
                    reservations::occupied(c, at)?,
                    reservations::lettable_units(c)?,
                ))
            })
            .await
    }

    /// The reservation occupying `unit` at `at`, if any (the latest to arrive).
    pub async fn occupying(
        &self,
        unit: i64,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<Reservation>, BookingError> {
        self.inner
            .store
            .read(move |c| Ok::<_, BookingError>(reservations::occupying(c, unit, at)?))
            .await
    }

    /// The next instant after `after` at which any unit's occupancy may change.
    pub async fn next_boundary(
        &self,
        after: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, BookingError> {
        self.inner
            .store
            .read(move |c| Ok::<_, BookingError>(reservations::next_boundary(c, after)?))
            .await
    }

    /// One reservation by id.
    /// What changed a reservation and why, oldest first; `NotFound` for no such one.
    pub async fn history(&self, id: i64) -> Result<Vec<HistoryEntry>, BookingError> {
        self.inner
            .store
            .read(move |c| {
                reservations::get(c, id)?.ok_or(BookingError::NotFound)?;
                Ok::<_, BookingError>(reservations::history(c, id)?)
            })
            .await
    }

    pub async fn reservation(&self, id: i64) -> Result<Option<Reservation>, BookingError> {
        self.inner
            .store
            .read(move |c| Ok::<_, BookingError>(reservations::get(c, id)?))
            .await
    }
}

/// A unit's name: 1 to 60 characters, no control characters, trimmed.
fn check_room_name(name: &str) -> Result<String, BookingError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(BookingError::InvalidField("name: 1 to 60 characters"));
    }
    Ok(name.to_owned())
}
