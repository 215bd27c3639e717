//! The one source of "now". Code that decides by time (session and invite expiry, later
//! scenarios) asks a [`Clock`], so tests move time instead of sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }

    /// A clock that stands still until the returned handle moves it.
    pub fn manual(start: DateTime<Utc>) -> (Clock, Arc<Mutex<DateTime<Utc>>>) {
        let now = Arc::new(Mutex::new(start));
        let reader = now.clone();
        let clock = Clock(Arc::new(move || {
            *reader.lock().unwrap_or_else(|p| p.into_inner())
        }));
        (clock, now)
    }

    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }

    /// RFC 3339 in UTC, the form every instant takes in the store.
    pub fn now_text(&self) -> String {
        stamp(self.now())
    }
}

pub fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
