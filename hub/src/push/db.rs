//! The push capability's SQL: the one VAPID key and the subscriptions.

use rusqlite::{params, Connection};

use super::{NewSubscription, PushError};

/// A browser's subscription.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: i64,
    pub user_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// The stored key; `fresh` becomes it on first use.
pub(super) fn key(c: &Connection, fresh: &[u8], now: &str) -> Result<Vec<u8>, PushError> {
    c.execute(
        "INSERT OR IGNORE INTO push_key (id, private_key, created_at) VALUES (1, ?1, ?2)",
        params![fresh, now],
    )?;
    Ok(
        c.query_row("SELECT private_key FROM push_key WHERE id = 1", [], |r| {
            r.get(0)
        })?,
    )
}

pub(super) fn subscribe(
    c: &Connection,
    user_id: i64,
    s: &NewSubscription,
    now: &str,
) -> Result<(), PushError> {
    c.execute(
        "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (endpoint) DO UPDATE SET user_id = ?1, p256dh = ?3, auth = ?4, created_at = ?5",
        params![user_id, s.endpoint, s.keys.p256dh, s.keys.auth, now],
    )?;
    Ok(())
}

pub(super) fn unsubscribe(c: &Connection, user_id: i64, endpoint: &str) -> Result<(), PushError> {
    c.execute(
        "DELETE FROM push_subscriptions WHERE user_id = ?1 AND endpoint = ?2",
        params![user_id, endpoint],
    )?;
    Ok(())
}

pub(super) fn drop_subscription(c: &Connection, id: i64) -> Result<(), PushError> {
    c.execute("DELETE FROM push_subscriptions WHERE id = ?1", [id])?;
    Ok(())
}

pub(super) fn subscriptions_of(
    c: &Connection,
    user_ids: &[i64],
) -> Result<Vec<Subscription>, PushError> {
    let mut stmt = c.prepare_cached(
        "SELECT id, user_id, endpoint, p256dh, auth FROM push_subscriptions \
         WHERE user_id = ?1 ORDER BY id",
    )?;
    let mut all = Vec::new();
    for user_id in user_ids {
        let rows = stmt.query_map([user_id], |r| {
            Ok(Subscription {
                id: r.get(0)?,
                user_id: r.get(1)?,
                endpoint: r.get(2)?,
                p256dh: r.get(3)?,
                auth: r.get(4)?,
            })
        })?;
        for row in rows {
            all.push(row?);
        }
    }
    Ok(all)
}

pub(super) fn subscribed_members(c: &Connection) -> Result<Vec<i64>, PushError> {
    let mut stmt =
        c.prepare_cached("SELECT DISTINCT user_id FROM push_subscriptions ORDER BY user_id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
