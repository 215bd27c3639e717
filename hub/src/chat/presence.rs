//! Who of the staff is here (CHAT-11, TEAM-4): a live fact from their open Team Messenger
//! connections (any device), not a saved flag. New dialogues go only to someone connected
//! now; a person whose last connection closed keeps their dialogues through a short grace
//! (a reload, a phone switching networks), after which their unanswered ones go back to
//! the queue. After a start nobody is connected yet: everyone gets the grace from then.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

/// How long a person stays "here" after their last connection closed, in seconds.
pub(super) const GRACE_SECS: i64 = 60;

#[derive(Default)]
struct Entry {
    sockets: usize,
    /// When the last connection closed; `None` while one is open.
    left_at: Option<DateTime<Utc>>,
}

pub(super) struct Presence {
    started: DateTime<Utc>,
    people: Mutex<HashMap<i64, Entry>>,
}

/// One open connection of a member; dropping it closes it.
pub(super) struct Connected {
    presence: Arc<Presence>,
    user_id: i64,
    now: Box<dyn Fn() -> DateTime<Utc> + Send + Sync>,
}

impl Drop for Connected {
    fn drop(&mut self) {
        let mut people = self.presence.lock();
        let entry = people.entry(self.user_id).or_default();
        entry.sockets = entry.sockets.saturating_sub(1);
        if entry.sockets == 0 {
            entry.left_at = Some((self.now)());
        }
    }
}

impl Presence {
    pub(super) fn new(started: DateTime<Utc>) -> Arc<Presence> {
        Arc::new(Presence {
            started,
            people: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Entry>> {
        self.people.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a connection of `user_id` until the returned guard drops; `now` tells the
    /// time it closes (the chat's clock).
    pub(super) fn connect(
        self: &Arc<Self>,
        user_id: i64,
        now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static,
    ) -> Connected {
        let mut people = self.lock();
        let entry = people.entry(user_id).or_default();
        entry.sockets += 1;
        entry.left_at = None;
        Connected {
            presence: self.clone(),
            user_id,
            now: Box::new(now),
        }
    }

    /// Members with a Team Messenger open right now.
    pub(super) fn connected(&self) -> HashSet<i64> {
        self.lock()
            .iter()
            .filter(|(_, e)| e.sockets > 0)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Whether `user_id` still counts as here at `now`: connected, or gone less than the
    /// grace ago (a start counts as everyone leaving then).
    pub(super) fn here(&self, user_id: i64, now: DateTime<Utc>) -> bool {
        let grace = chrono::Duration::seconds(GRACE_SECS);
        match self.lock().get(&user_id) {
            Some(e) if e.sockets > 0 => true,
            Some(Entry {
                left_at: Some(left),
                ..
            }) => now < *left + grace,
            _ => now < self.started + grace,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn here_while_connected_and_for_the_grace_after() {
        let p = Presence::new(at(0));
        assert!(p.here(7, at(59)), "everyone has the grace after a start");
        assert!(!p.here(7, at(60)));
        let phone = p.connect(7, || at(100));
        let laptop = p.connect(7, || at(130));
        assert_eq!(p.connected(), HashSet::from([7]));
        drop(phone);
        assert!(p.here(7, at(1000)), "the laptop is still open");
        drop(laptop);
        assert!(p.connected().is_empty());
        assert!(p.here(7, at(189)));
        assert!(!p.here(7, at(190)), "gone 60 s after the last one closed");
    }
}
