//! The one source of "now". Code that decides by time (session and invite expiry, chat
//! timers, the scenario scheduler) asks a [`Clock`], so tests move time instead of
//! sleeping. A manual clock also wakes whoever waits on [`Clock::changed`] when it moves.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

#[derive(Clone)]
pub struct Clock {
    now: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>,
    /// Bumped by a manual clock each time it is moved; the system clock never sends.
    moved: watch::Receiver<u64>,
    /// The system clock's sender, held so `changed()` pends instead of failing.
    _never: Option<Arc<watch::Sender<u64>>>,
}

/// The handle that moves a manual clock.
#[derive(Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
    moved: Arc<watch::Sender<u64>>,
}

impl ManualClock {
    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = t;
        self.moved.send_modify(|n| *n += 1);
    }

    pub fn advance(&self, by: chrono::Duration) -> DateTime<Utc> {
        let t = self.get() + by;
        self.set(t);
        t
    }

    pub fn get(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock {
    pub fn system() -> Clock {
        let (tx, moved) = watch::channel(0);
        Clock {
            now: Arc::new(Utc::now),
            moved,
            _never: Some(Arc::new(tx)),
        }
    }

    /// A clock that stands still until the returned handle moves it.
    pub fn manual(start: DateTime<Utc>) -> (Clock, ManualClock) {
        let now = Arc::new(Mutex::new(start));
        let reader = now.clone();
        let (tx, moved) = watch::channel(0);
        let clock = Clock {
            now: Arc::new(move || *reader.lock().unwrap_or_else(|p| p.into_inner())),
            moved,
            _never: None,
        };
        (
            clock,
            ManualClock {
                now,
                moved: Arc::new(tx),
            },
        )
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.now)()
    }

    /// RFC 3339 in UTC, the form every instant takes in the store.
    pub fn now_text(&self) -> String {
        stamp(self.now())
    }

    /// A receiver that sees each move of a manual clock; never fires for the system clock.
    pub fn moves(&self) -> watch::Receiver<u64> {
        self.moved.clone()
    }

    /// Sleeps until `deadline` by this clock: real time for the system clock, or until a
    /// manual clock is moved. `moves` is the caller's own receiver from [`Clock::moves`],
    /// marked seen (`borrow_and_update`) before it last read the time, so a move in
    /// between is not missed. Returns after `cap` of real time at most, so a stepped wall
    /// clock is noticed.
    pub async fn sleep_until(
        &self,
        moves: &mut watch::Receiver<u64>,
        deadline: DateTime<Utc>,
        cap: std::time::Duration,
    ) {
        let wait = (deadline - self.now())
            .to_std()
            .unwrap_or_default()
            .min(cap);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = moves.changed() => {}
        }
    }
}

/// A report's days, `from` to `to` inclusive (YYYY-MM-DD, the property's days): `to` is
/// `today` and `from` 30 days before `to` when not given. Errors name the expected form.
pub fn report_days(
    from: Option<&str>,
    to: Option<&str>,
    today: chrono::NaiveDate,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), &'static str> {
    let parse = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "dates are YYYY-MM-DD")
    };
    let to = to.map(parse).transpose()?.unwrap_or(today);
    let from = from
        .map(parse)
        .transpose()?
        .unwrap_or(to - chrono::Duration::days(30));
    Ok((from, to))
}

pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Reads an instant the store wrote with [`stamp`].
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A local wall time as an instant. The DST policy: a time in a spring-forward gap is
/// placed by the offset in force before the gap (as much later by the clock as the
/// jump); a time that happens twice (fall back) is its first occurrence.
pub fn resolve_local(tz: chrono_tz::Tz, local: chrono::NaiveDateTime) -> DateTime<Utc> {
    match chrono::TimeZone::from_local_datetime(&tz, &local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            // In a gap: use the offset in force just before it.
            let earlier = local - chrono::Duration::hours(3);
            let before = chrono::TimeZone::from_local_datetime(&tz, &earlier)
                .earliest()
                .map(|t| chrono::Offset::fix(t.offset()))
                .unwrap_or_else(|| chrono::Offset::fix(&Utc));
            chrono::TimeZone::from_utc_datetime(&Utc, &(local - before))
        }
    }
}
