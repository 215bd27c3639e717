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
