//! The registry's SQL (WAL, `synchronous=FULL`: a registration acknowledged is kept).

use std::path::Path;

use cloud_link::HubId;
use rusqlite::{params, Connection, OptionalExtension};

use super::HubRecord;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS hubs (
    id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL,
    name TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    online_since INTEGER,
    offline_since INTEGER,
    -- The hub's latest summary for the dashboard (JSON) and its sequence (the hub's clock,
    -- ms): an older one arriving late changes nothing.
    summary TEXT,
    summary_seq INTEGER NOT NULL DEFAULT 0
) STRICT;
";

pub(super) fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(SCHEMA)?;
    // A relay that stopped without closing its links: none of them is up now.
    conn.execute(
        "UPDATE hubs SET offline_since = online_since, online_since = NULL
         WHERE online_since IS NOT NULL",
        [],
    )?;
    Ok(conn)
}

pub(super) fn upsert(
    c: &Connection,
    id: &HubId,
    public_key: &[u8],
    name: &str,
    now: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO hubs (id, public_key, name, registered_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        params![id.as_str(), public_key, name, now],
    )?;
    Ok(())
}

pub(super) fn get(c: &Connection, id: &HubId) -> rusqlite::Result<Option<HubRecord>> {
    c.query_row(
        "SELECT public_key, name, online_since, offline_since, summary FROM hubs WHERE id = ?1",
        [id.as_str()],
        |r| {
            Ok(HubRecord {
                id: id.clone(),
                public_key: r.get(0)?,
                name: r.get(1)?,
                online_since: r.get(2)?,
                offline_since: r.get(3)?,
                summary: r.get(4)?,
            })
        },
    )
    .optional()
}

pub(super) fn set_online(c: &Connection, id: &HubId, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE hubs SET online_since = ?2 WHERE id = ?1",
        params![id.as_str(), now],
    )?;
    Ok(())
}

pub(super) fn set_offline(c: &Connection, id: &HubId, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE hubs SET online_since = NULL, offline_since = ?2 WHERE id = ?1",
        params![id.as_str(), now],
    )?;
    Ok(())
}

/// Keeps `summary` unless a newer one is stored already.
pub(super) fn set_summary(
    c: &Connection,
    id: &HubId,
    seq: i64,
    summary: &str,
) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE hubs SET summary = ?3, summary_seq = ?2 WHERE id = ?1 AND summary_seq < ?2",
        params![id.as_str(), seq, summary],
    )?;
    Ok(n == 1)
}
