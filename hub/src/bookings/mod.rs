//! BOOK-1: rooms and other units, reservations and the occupancy they make. Sources are
//! staff (the admin app), channel managers' iCal feeds (`ical.rs`, refreshed on a period)
//! and a PMS webhook (`webhook.rs`). Every change is one store transaction; what it meant
//! (booked, cancelled, checked in or out, dates moved) goes out as a [`BookingChange`]
//! after the commit, for the scenario engine. Occupancy rules live in `reservations.rs`.

pub mod api;
mod desk;
mod feeds;
mod ical;
mod reservations;
mod rooms;
pub mod rooms_api;
mod webhook;

pub use desk::{BookingSettings, Feed, Occupancy, RoomUsage, UnitNow};
pub use ical::{parse as parse_feed, Feed as FeedContents, FeedStay, ImportReport};
pub use reservations::{HistoryEntry, Reservation, Status, Stay};
pub use rooms::{Room, RoomKind};
pub use webhook::{
    read as read_pms_update, verify as verify_pms_signature, PmsUpdate, WebhookError,
};

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch};
use utoipa::ToSchema;

use crate::clock::Clock;
use crate::ratelimit::FailureLimiter;
use crate::store::{Store, StoreError};
use crate::team::Property;
use reservations::{Origin, Times};

/// What a reservation's change meant, for scenarios' booking triggers.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BookingEvent {
    Booked,
    Cancelled,
    CheckedIn,
    CheckedOut,
}

/// A reservation changed; `event` says what it meant, `None` for dates or details only.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingChange {
    pub reservation_id: i64,
    pub unit_id: i64,
    pub event: Option<BookingEvent>,
}

impl BookingChange {
    pub fn new(reservation_id: i64, unit_id: i64, event: Option<BookingEvent>) -> Self {
        BookingChange {
            reservation_id,
            unit_id,
            event,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Webhook(#[from] webhook::WebhookError),
    #[error("the feed could not be imported: {0}")]
    Feed(String),
    #[error("{0}")]
    Conflict(&'static str),
    /// Another stay holds the room for some of those nights; the message names it.
    #[error("{0}")]
    Overlap(String),
    /// A unit's own field (reported as `invalid_field`, like the team's forms).
    #[error("{0}")]
    InvalidField(&'static str),
    #[error("too many failures; try again in {retry_after_secs} s")]
    TooManyFailures { retry_after_secs: u64 },
    #[error("the body is larger than this hub accepts")]
    TooLarge,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for BookingError {
    fn from(e: rusqlite::Error) -> Self {
        BookingError::Store(StoreError::from(e))
    }
}

/// What a status change means to scenarios.
fn event_of(before: Option<Status>, after: Status) -> Option<BookingEvent> {
    if before == Some(after) {
        return None;
    }
    match after {
        Status::Booked => Some(BookingEvent::Booked),
        Status::CheckedIn => Some(BookingEvent::CheckedIn),
        Status::CheckedOut => Some(BookingEvent::CheckedOut),
        Status::Cancelled => Some(BookingEvent::Cancelled),
    }
}

struct Inner {
    store: Store,
    clock: Clock,
    /// The zone that turns dates into instants.
    property: Property,
    events: broadcast::Sender<BookingChange>,
    published: std::sync::atomic::AtomicU64,
    /// Bumped after every stay's instants were computed afresh (new check-in/out times or
    /// zone): occupancy deadlines move.
    retimed: watch::Sender<u64>,
    http: reqwest::Client,
    /// Bad signatures on the PMS webhook, per address.
    webhook_failures: FailureLimiter,
}

#[derive(Clone)]
pub struct Bookings {
    inner: Arc<Inner>,
}

impl Bookings {
    /// The bookings of the property whose zone `property` gives. Stays are re-timed at once
    /// (a zone saved just before a crash is caught up) and whenever the property changes.
    pub async fn start(
        store: Store,
        clock: Clock,
        property: Property,
    ) -> Result<Bookings, BookingError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| BookingError::Feed(e.to_string()))?;
        let (events, _) = broadcast::channel(1024);
        let mut changes = property.subscribe();
        let bookings = Bookings {
            inner: Arc::new(Inner {
                store,
                clock,
                property,
                events,
                published: std::sync::atomic::AtomicU64::new(0),
                retimed: watch::channel(0).0,
                http,
                webhook_failures: FailureLimiter::new(Duration::from_secs(15 * 60), 20),
            }),
        };
        bookings.retime().await?;
        let me = bookings.clone();
        tokio::spawn(async move {
            // Lagging behind several changes still means "re-time once".
            while !matches!(
                changes.recv().await,
                Err(broadcast::error::RecvError::Closed)
            ) {
                if let Err(e) = me.retime().await {
                    tracing::error!(error = %e, "Stays could not follow the property's zone.");
                }
            }
        });
        Ok(bookings)
    }

    /// Every stay's instants afresh from its dates, in the property's zone.
    async fn retime(&self) -> Result<(), BookingError> {
        let zone = self.inner.property.zone();
        self.inner
            .store
            .write(move |c| {
                reservations::replace_instants(c, &Times::load(c, zone)?)?;
                Ok::<_, BookingError>(())
            })
            .await?;
        self.retimed();
        Ok(())
    }

    fn retimed(&self) {
        self.inner.retimed.send_modify(|n| *n += 1);
    }

    /// Follows re-timings of every stay (see [`Inner::retimed`]).
    pub fn follow_retimes(&self) -> watch::Receiver<u64> {
        self.inner.retimed.subscribe()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<BookingChange> {
        self.inner.events.subscribe()
    }

    fn publish(&self, changes: Vec<BookingChange>) {
        for c in changes {
            if self.inner.events.send(c).is_ok() {
                self.inner
                    .published
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    }

    /// Changes sent to subscribers so far.
    pub fn published(&self) -> u64 {
        self.inner
            .published
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn load(&self, id: i64) -> Result<Reservation, BookingError> {
        self.inner
            .store
            .read(move |c| Ok::<_, BookingError>(reservations::get(c, id)?))
            .await?
            .ok_or(BookingError::NotFound)
    }

    /// A reservation entered by staff.
    /// Enters a stay by hand; one that shares a night with another stay in the room is
    /// refused, naming that stay, unless `allow_overlap` (staff who know better).
    pub async fn add(
        &self,
        unit_id: i64,
        stay: Stay,
        status: Status,
        allow_overlap: bool,
    ) -> Result<Reservation, BookingError> {
        if stay.check_in.is_none() || stay.check_out.is_none() {
            return Err(BookingError::Invalid(
                "give check-in and check-out dates".into(),
            ));
        }
        dates_ok(&stay)?;
        let now = self.inner.clock.now_text();
        let zone = self.inner.property.zone();
        let id = self
            .inner
            .store
            .write(move |c| {
                unit_exists(c, unit_id)?;
                if !allow_overlap {
                    refuse_overlap(c, unit_id, &stay, None)?;
                }
                let times = Times::load(c, zone)?;
                let id = reservations::insert(
                    c,
                    unit_id,
                    Origin {
                        source: "manual",
                        external_id: None,
                    },
                    &stay,
                    status,
                    &times,
                    &now,
                )?;
                let what = if allow_overlap {
                    "entered by staff over another stay"
                } else {
                    "entered by staff"
                };
                reservations::record(c, id, "manual", what, &now)?;
                Ok::<_, BookingError>(id)
            })
            .await?;
        self.publish(vec![BookingChange::new(
            id,
            unit_id,
            event_of(None, status),
        )]);
        self.load(id).await
    }

    /// Staff change a reservation: any of unit, details, dates, status. A move to other
    /// dates or another room, or a cancelled stay made live again, is refused like
    /// [`Self::add`] when it would share a night with another stay, unless `allow_overlap`.
    pub async fn edit(
        &self,
        id: i64,
        unit_id: Option<i64>,
        stay: Stay,
        status: Option<Status>,
        allow_overlap: bool,
    ) -> Result<Reservation, BookingError> {
        let now = self.inner.clock.now_text();
        let zone = self.inner.property.zone();
        let change =
            self.inner
                .store
                .write(move |c| {
                    let current = reservations::get(c, id)?.ok_or(BookingError::NotFound)?;
                    let unit = unit_id.unwrap_or(current.unit_id);
                    unit_exists(c, unit)?;
                    let merged = merged_dates(&current, &stay);
                    dates_ok(&merged)?;
                    let status = status.unwrap_or(current.status);
                    let moved = unit != current.unit_id
                        || (merged.check_in, merged.check_out) != stay_dates(&current)
                        || current.status == Status::Cancelled;
                    if moved && status != Status::Cancelled && !allow_overlap {
                        refuse_overlap(c, unit, &merged, Some(id))?;
                    }
                    let times = Times::load(c, zone)?;
                    let changed =
                        reservations::update(c, &current, unit, &merged, status, &times, &now)?;
                    if changed {
                        reservations::record_change(c, &current, "manual", &now)?;
                    }
                    Ok::<_, BookingError>(changed.then(|| {
                        BookingChange::new(id, unit, event_of(Some(current.status), status))
                    }))
                })
                .await?;
        self.publish(change.into_iter().collect());
        self.load(id).await
    }

    /// A PMS update from `from`: refused with [`BookingError::TooManyFailures`] after 20
    /// bad signatures from that address in 15 minutes, and bodies over
    /// [`webhook::MAX_BODY`] bytes with [`BookingError::TooLarge`].
    pub async fn pms_from(
        &self,
        from: std::net::IpAddr,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<Reservation, BookingError> {
        let limiter = &self.inner.webhook_failures;
        let key = from.to_string();
        let now = std::time::Instant::now();
        limiter
            .check(&key, now)
            .map_err(|retry_after_secs| BookingError::TooManyFailures { retry_after_secs })?;
        if body.len() > webhook::MAX_BODY {
            return Err(BookingError::TooLarge);
        }
        match self.pms(body, signature).await {
            Ok(r) => Ok(r),
            Err(e) => {
                if matches!(e, BookingError::Webhook(_)) {
                    limiter.record_failure(&key, now);
                    tracing::warn!(peer = %from, error = %e, "PMS webhook refused.");
                }
                Err(e)
            }
        }
    }

    /// A PMS update, after its signature is checked against the stored secret.
    async fn pms(&self, body: &[u8], signature: Option<&str>) -> Result<Reservation, BookingError> {
        let secret = self
            .inner
            .store
            .read(|c| {
                Ok::<_, BookingError>(c.query_row(
                    "SELECT webhook_secret FROM booking_settings WHERE id = 1",
                    [],
                    |r| r.get::<_, Option<String>>(0),
                )?)
            })
            .await?
            .ok_or(webhook::WebhookError::NoSecret)?;
        webhook::verify(&secret, body, signature)?;
        let (update, status, stay) = webhook::read(body)?;
        let now = self.inner.clock.now_text();
        let zone = self.inner.property.zone();
        let (id, change) = self
            .inner
            .store
            .write(move |c| {
                let unit = match update.unit.as_deref() {
                    Some(name) => Some(
                        c.query_row(
                            "SELECT id FROM rooms WHERE name = ?1 COLLATE NOCASE",
                            [name.trim()],
                            |r| r.get::<_, i64>(0),
                        )
                        .optional()?
                        .ok_or_else(|| {
                            BookingError::Invalid(format!(
                                "unit \"{}\" is not a room of this hub",
                                name.chars().take(60).collect::<String>()
                            ))
                        })?,
                    ),
                    None => None,
                };
                let times = Times::load(c, zone)?;
                match reservations::by_external(c, "pms", None, &update.reservation_id)? {
                    Some(current) => {
                        let unit = unit.unwrap_or(current.unit_id);
                        let merged = merged_dates(&current, &stay);
                        let changed =
                            reservations::update(c, &current, unit, &merged, status, &times, &now)?;
                        if changed {
                            reservations::record_change(c, &current, "pms", &now)?;
                        }
                        let change = changed.then(|| {
                            BookingChange::new(
                                current.id,
                                unit,
                                event_of(Some(current.status), status),
                            )
                        });
                        Ok::<_, BookingError>((current.id, change))
                    }
                    None => {
                        let unit = unit.ok_or_else(|| {
                            BookingError::Invalid("a new reservation needs its unit".into())
                        })?;
                        if stay.check_in.is_none() || stay.check_out.is_none() {
                            return Err(BookingError::Invalid(
                                "a new reservation needs check_in and check_out".into(),
                            ));
                        }
                        let id = reservations::insert(
                            c,
                            unit,
                            Origin {
                                source: "pms",
                                external_id: Some(&update.reservation_id),
                            },
                            &stay,
                            status,
                            &times,
                            &now,
                        )?;
                        reservations::record(c, id, "pms", "booked by the PMS", &now)?;
                        Ok((
                            id,
                            Some(BookingChange::new(id, unit, event_of(None, status))),
                        ))
                    }
                }
            })
            .await?;
        self.publish(change.into_iter().collect());
        self.load(id).await
    }
}

fn unit_exists(c: &rusqlite::Connection, unit: i64) -> Result<(), BookingError> {
    let found: Option<i64> = c
        .query_row("SELECT id FROM rooms WHERE id = ?1", [unit], |r| r.get(0))
        .optional()?;
    found
        .map(|_| ())
        .ok_or_else(|| BookingError::Invalid(format!("unit {unit} does not exist")))
}

/// The dates a change gives, the stored ones where it gives none.
/// A stored reservation's check-in and check-out days.
fn stay_dates(r: &Reservation) -> (Option<NaiveDate>, Option<NaiveDate>) {
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    (date(&r.check_in), date(&r.check_out))
}

fn merged_dates(current: &Reservation, stay: &Stay) -> Stay {
    let (check_in, check_out) = stay_dates(current);
    Stay {
        check_in: stay.check_in.or(check_in),
        check_out: stay.check_out.or(check_out),
        ..stay.clone()
    }
}

/// Refuses a stay in `unit_id` that shares a night with another (`except` aside), naming
/// the other stay so staff can decide.
fn refuse_overlap(
    c: &rusqlite::Connection,
    unit_id: i64,
    stay: &Stay,
    except: Option<i64>,
) -> Result<(), BookingError> {
    let (Some(from), Some(to)) = (stay.check_in, stay.check_out) else {
        return Ok(());
    };
    match reservations::overlapping(c, unit_id, from, to, except)? {
        Some((room, guest, a, b)) => {
            let guest = if guest.is_empty() {
                "another guest".into()
            } else {
                guest
            };
            Err(BookingError::Overlap(format!(
                "Room {room} is booked for {guest} from {a} to {b}: choose other dates or another room"
            )))
        }
        None => Ok(()),
    }
}

fn dates_ok(stay: &Stay) -> Result<(), BookingError> {
    if let (Some(i), Some(o)) = (stay.check_in, stay.check_out) {
        if o <= i || (o - i).num_days() > 366 {
            return Err(BookingError::Invalid(
                "check-out must be after check-in, within a year".into(),
            ));
        }
    }
    for (field, text, max) in [
        ("guest name", &stay.guest_name, 120),
        ("e-mail", &stay.email, 200),
        ("phone", &stay.phone, 40),
        ("notes", &stay.notes, 2000),
    ] {
        if text.chars().count() > max || text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(BookingError::Invalid(format!(
                "{field}: at most {max} printable characters"
            )));
        }
    }
    Ok(())
}
