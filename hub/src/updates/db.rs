//! The updates' SQL: the history of bundles and the one install waiting for its reboot.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Pending, UpdateEvent};

/// How many events the admin app is shown.
const HISTORY: i64 = 50;

pub(super) fn record(conn: &Connection, at: &str, e: &UpdateEvent) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO update_events (at, kind, version, slot, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![at, e.kind, e.version, e.slot, e.detail],
    )?;
    Ok(())
}

pub(super) fn history(conn: &Connection) -> rusqlite::Result<Vec<UpdateEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, kind, version, slot, detail FROM update_events ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([HISTORY], |r| {
        Ok(UpdateEvent {
            at: r.get(0)?,
            kind: r.get(1)?,
            version: r.get(2)?,
            slot: r.get(3)?,
            detail: r.get(4)?,
        })
    })?;
    rows.collect()
}

pub(super) fn set_pending(conn: &Connection, p: &Pending) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO update_pending \
         (id, slot, bootname, version, from_slot, from_version, at) \
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            p.slot,
            p.bootname,
            p.version,
            p.from_slot,
            p.from_version,
            p.at
        ],
    )?;
    Ok(())
}

pub(super) fn pending(conn: &Connection) -> rusqlite::Result<Option<Pending>> {
    conn.query_row(
        "SELECT slot, bootname, version, from_slot, from_version, at FROM update_pending \
         WHERE id = 1",
        [],
        |r| {
            Ok(Pending {
                slot: r.get(0)?,
                bootname: r.get(1)?,
                version: r.get(2)?,
                from_slot: r.get(3)?,
                from_version: r.get(4)?,
                at: r.get(5)?,
            })
        },
    )
    .optional()
}

pub(super) fn clear_pending(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM update_pending", [])?;
    Ok(())
}
