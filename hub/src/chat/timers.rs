//! Chat's timers (CHAT-5, CHAT-10): which dialogues are due to end or to raise an
//! unanswered alert at a given instant. Pure queries over stored instants, so a restart
//! loses no timer and tests move the injected clock instead of sleeping. `Chat::sweep`
//! applies the plan; `spawn` runs it on a period.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::settings::ChatSettings;
use super::{Chat, ChatError};
use crate::clock::stamp;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Swept {
    /// Dialogues to end, with why.
    pub to_end: Vec<(i64, &'static str)>,
    /// Dialogues whose guest has waited past the alert delay (alerted once per wait).
    pub to_alert: Vec<i64>,
}

pub fn due(
    conn: &Connection,
    settings: &ChatSettings,
    alert_minutes: u32,
    now: DateTime<Utc>,
) -> Result<Swept, ChatError> {
    let mut swept = Swept::default();
    let ids = |sql: &str, cutoff: String| -> Result<Vec<i64>, ChatError> {
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params![cutoff], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    if settings.auto_close_minutes > 0 {
        let cutoff = stamp(now - chrono::Duration::minutes(i64::from(settings.auto_close_minutes)));
        for id in ids(
            "SELECT id FROM dialogues WHERE kind = 'guest' AND state = 'assigned' \
             AND last_activity_at < ?1 ORDER BY id",
            cutoff,
        )? {
            swept.to_end.push((id, "idle"));
        }
    }
    let cutoff = stamp(now - chrono::Duration::days(i64::from(settings.unassigned_close_days)));
    for id in ids(
        "SELECT id FROM dialogues WHERE kind = 'guest' AND state IN ('new', 'unassigned') \
         AND last_activity_at < ?1 ORDER BY id",
        cutoff,
    )? {
        swept.to_end.push((id, "unassigned"));
    }
    let cutoff = stamp(now - chrono::Duration::minutes(i64::from(alert_minutes)));
    swept.to_alert = ids(
        "SELECT id FROM dialogues WHERE state != 'ended' AND alerted = 0 \
         AND waiting_since IS NOT NULL AND waiting_since < ?1 ORDER BY id",
        cutoff,
    )?;
    Ok(swept)
}

/// Sweeps every `period` until the hub stops.
pub fn spawn(chat: Arc<Chat>, period: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = chat.sweep().await {
                tracing::warn!(error = %e, "The chat timer sweep failed; retrying next period.");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::chat::visitors::PageInfo;
    use crate::chat::DialogueState;
    use crate::clock::Clock;
    use crate::store::{Store, StoreOptions};

    struct World {
        chat: Arc<Chat>,
        now: crate::clock::ManualClock,
    }

    async fn open(path: &std::path::Path, start: DateTime<Utc>) -> World {
        let store = Store::open(path, StoreOptions::default()).unwrap();
        let (clock, now) = Clock::manual(start);
        World {
            chat: Chat::for_test(store, clock).await,
            now,
        }
    }

    impl World {
        fn advance(&self, by: Duration) -> DateTime<Utc> {
            self.now.advance(by)
        }

        /// `user_id` opens a Team Messenger (until the guard drops).
        fn connect(&self, user_id: i64) -> crate::chat::presence::Connected {
            let clock = self.chat.clock.clone();
            self.chat.presence.connect(user_id, move || clock.now())
        }

        async fn assignee(&self, id: i64) -> Option<i64> {
            self.chat
                .store
                .read(move |c| crate::chat::db::dialogue(c, id))
                .await
                .unwrap()
                .assignee_id
        }

        async fn state(&self, id: i64) -> DialogueState {
            self.chat
                .store
                .read(move |c| crate::chat::db::dialogue(c, id))
                .await
                .unwrap()
                .state
        }
    }

    async fn guest_writes(w: &World, token: Option<String>, body: &str) -> (i64, Option<String>) {
        let hello = w
            .chat
            .guest_hello(token, PageInfo::default(), "192.0.2.1".into())
            .await
            .unwrap();
        let posted = w
            .chat
            .guest_post(hello.visitor.id, None, body, "web", false, None)
            .await
            .unwrap();
        (posted.message.dialogue_id, hello.new_token)
    }

    async fn agent(w: &World) -> crate::team::Member {
        crate::team::test_member(
            &w.chat.store,
            "ana@example.org",
            "Ana",
            crate::team::Availability::Offline,
        )
        .await
    }

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[tokio::test]
    async fn an_idle_assigned_dialogue_ends_even_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        let w = open(&path, start()).await;
        let ana = agent(&w).await;
        let here = w.connect(ana.id);
        let (d, _) = guest_writes(&w, None, "Is the pool open?").await;
        w.chat.join(&ana, d).await.unwrap();
        w.advance(Duration::minutes(59));
        assert!(
            w.chat.sweep().await.unwrap().to_end.is_empty(),
            "59 idle minutes: still open"
        );
        let at = w.advance(Duration::minutes(0));
        drop(here);
        drop(w);

        // The hub restarts; the timer is in the stored instants, not in memory.
        let w = open(&path, at + Duration::minutes(2)).await;
        assert_eq!(w.chat.sweep().await.unwrap().to_end, vec![(d, "idle")]);
        assert_eq!(w.state(d).await, DialogueState::Ended);
        assert!(
            w.chat.sweep().await.unwrap().to_end.is_empty(),
            "ended once"
        );
    }

    /// Presence is the open Team Messenger: a member available by choice but not connected
    /// is given nothing; one who leaves keeps their dialogues for the grace, then the
    /// unanswered ones go to someone here, or to the queue (and the unanswered alert).
    #[tokio::test]
    async fn dialogues_go_to_staff_who_are_here_and_come_back_when_they_leave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        let w = open(&path, start()).await;
        let ana = crate::team::test_member(
            &w.chat.store,
            "ana@example.org",
            "Ana",
            crate::team::Availability::Online,
        )
        .await;
        let bo = crate::team::test_member(
            &w.chat.store,
            "bo@example.org",
            "Bo",
            crate::team::Availability::Online,
        )
        .await;
        let (first, _) = guest_writes(&w, None, "Anyone?").await;
        assert_eq!(
            w.assignee(first).await,
            None,
            "nobody has the messenger open"
        );

        let ana_here = w.connect(ana.id);
        let (d, _) = guest_writes(&w, None, "Is the pool open?").await;
        assert_eq!(w.assignee(d).await, Some(ana.id));
        let guest_saw: Vec<String> = w
            .chat
            .store
            .read(move |c| {
                let mut s =
                    c.prepare("SELECT body FROM messages WHERE dialogue_id = ?1 AND private = 0")?;
                let rows = s.query_map([d], |r| r.get(0))?;
                Ok::<_, crate::chat::ChatError>(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .await
            .unwrap();
        assert!(
            guest_saw.iter().all(|b| !b.contains("joined")),
            "the guest is not told someone joined: {guest_saw:?}"
        );

        w.advance(Duration::seconds(10));
        drop(ana_here);
        w.advance(Duration::seconds(30));
        w.chat.sweep().await.unwrap();
        assert_eq!(
            w.assignee(d).await,
            Some(ana.id),
            "within the grace: still Ana's"
        );
        let (during_grace, _) = guest_writes(&w, None, "Hello?").await;
        assert_eq!(
            w.assignee(during_grace).await,
            None,
            "a new dialogue is not given to someone whose messenger is closed"
        );

        w.advance(Duration::seconds(31));
        w.chat.sweep().await.unwrap();
        assert_eq!(
            w.assignee(d).await,
            None,
            "past the grace: back in the queue"
        );
        assert_eq!(w.state(d).await, DialogueState::Unassigned);

        // Ana reopens the dialogue's queue; Bo is here when Ana leaves again.
        let ana_here = w.connect(ana.id);
        let _bo_here = w.connect(bo.id);
        let (e, _) = guest_writes(&w, None, "Late checkout?").await;
        let first_given = w.assignee(e).await;
        assert!(first_given.is_some());
        let leaver = first_given.unwrap();
        if leaver == ana.id {
            drop(ana_here);
        } else {
            drop(_bo_here);
        }
        w.advance(Duration::seconds(61));
        w.chat.sweep().await.unwrap();
        let other = if leaver == ana.id { bo.id } else { ana.id };
        assert_eq!(
            w.assignee(e).await,
            Some(other),
            "handed to the one still here"
        );
    }

    #[tokio::test]
    async fn an_unassigned_dialogue_ends_after_thirty_days() {
        let dir = tempfile::tempdir().unwrap();
        let w = open(&dir.path().join("hub.db"), start()).await;
        let (d, _) = guest_writes(&w, None, "Anyone there?").await;
        w.advance(Duration::days(29));
        let swept = w.chat.sweep().await.unwrap();
        assert!(
            swept.to_end.is_empty(),
            "29 days: kept (the 60-minute idle rule is for assigned ones)"
        );
        w.advance(Duration::days(1) + Duration::minutes(1));
        assert_eq!(
            w.chat.sweep().await.unwrap().to_end,
            vec![(d, "unassigned")]
        );
        let missed = w
            .chat
            .store
            .read(move |c| crate::chat::db::dialogue(c, d))
            .await
            .unwrap()
            .missed;
        assert!(missed, "nobody answered: it counts as missed");
    }

    #[tokio::test]
    async fn an_unanswered_guest_raises_one_alert_per_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        let w = open(&path, start()).await;
        let ana = agent(&w).await;
        let (d, token) = guest_writes(&w, None, "My key card does not work").await;
        w.advance(Duration::minutes(4));
        assert!(
            w.chat.sweep().await.unwrap().to_alert.is_empty(),
            "4 of 5 minutes"
        );
        let at = w.advance(Duration::minutes(2));
        drop(w);
        let w = open(&path, at).await;
        // Whoever delivers notices hears of it (Web Push, a linked messenger).
        let mut alerts = w.chat.alerts(|_| true);
        assert_eq!(
            w.chat.sweep().await.unwrap().to_alert,
            vec![d],
            "restart or not, 6 minutes alert"
        );
        let alert = alerts.try_recv().expect("an alert for the notices");
        assert!(alert.unanswered && alert.dialogue_id == d && !alert.new_dialogue);
        assert!(
            w.chat.sweep().await.unwrap().to_alert.is_empty(),
            "once per wait"
        );
        w.chat.join(&ana, d).await.unwrap();
        w.chat
            .staff_post(&ana, d, None, "On my way", false, None)
            .await
            .unwrap();
        w.advance(Duration::minutes(10));
        assert!(
            w.chat.sweep().await.unwrap().to_alert.is_empty(),
            "answered"
        );
        let (d2, _) = guest_writes(&w, token, "Still broken").await;
        assert_eq!(d2, d, "the open dialogue continues");
        w.advance(Duration::minutes(6));
        assert_eq!(
            w.chat.sweep().await.unwrap().to_alert,
            vec![d],
            "a new wait, a new alert"
        );
    }
}
