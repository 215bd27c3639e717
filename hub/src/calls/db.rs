//! The calls' SQL: the call log and the ring time.

use rusqlite::{params, Connection, OptionalExtension};

use super::CallRecord;

const COLUMNS: &str = "id, caller_name, kiosk_id, video, started_at, answered_by, \
    answered_by_name, answered_at, ended_at, outcome";

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<CallRecord> {
    let started_at: String = r.get(4)?;
    let answered_at: Option<String> = r.get(7)?;
    let ended_at: Option<String> = r.get(8)?;
    let secs = |from: &str, to: Option<&str>| {
        let (from, to) = (crate::clock::parse(from)?, crate::clock::parse(to?)?);
        Some((to - from).num_seconds().max(0))
    };
    Ok(CallRecord {
        id: r.get(0)?,
        from: r.get(1)?,
        kiosk_id: r.get(2)?,
        video: r.get(3)?,
        wait_secs: secs(&started_at, answered_at.as_deref().or(ended_at.as_deref())),
        duration_secs: answered_at
            .as_deref()
            .and_then(|a| secs(a, ended_at.as_deref())),
        started_at,
        answered_by: r.get(5)?,
        answered_by_name: r.get(6)?,
        answered_at,
        ended_at,
        outcome: r.get(9)?,
    })
}

pub(super) fn start(
    conn: &Connection,
    caller_name: &str,
    kiosk_id: Option<i64>,
    video: bool,
    now: &str,
) -> rusqlite::Result<CallRecord> {
    conn.execute(
        "INSERT INTO calls (caller_name, kiosk_id, video, started_at, outcome) \
         VALUES (?1, ?2, ?3, ?4, 'ringing')",
        params![caller_name, kiosk_id, video, now],
    )?;
    get(conn, conn.last_insert_rowid())?.ok_or(rusqlite::Error::QueryReturnedNoRows)
}

pub(super) fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<CallRecord>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM calls WHERE id = ?1"),
        [id],
        record,
    )
    .optional()
}

pub(super) fn answered(
    conn: &Connection,
    id: i64,
    member: i64,
    name: &str,
    now: &str,
) -> rusqlite::Result<Option<CallRecord>> {
    conn.execute(
        "UPDATE calls SET answered_by = ?2, answered_by_name = ?3, answered_at = ?4, \
         outcome = 'connected' WHERE id = ?1",
        params![id, member, name, now],
    )?;
    get(conn, id)
}

pub(super) fn ended(
    conn: &Connection,
    id: i64,
    outcome: &str,
    now: &str,
) -> rusqlite::Result<Option<CallRecord>> {
    conn.execute(
        "UPDATE calls SET ended_at = ?3, outcome = ?2 WHERE id = ?1 AND ended_at IS NULL",
        params![id, outcome, now],
    )?;
    get(conn, id)
}

/// Calls a stop cut short (the hub stopped or crashed mid-call) are closed at start.
pub(super) fn close_interrupted(conn: &Connection, now: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE calls SET ended_at = ?1, \
         outcome = CASE WHEN answered_at IS NULL THEN 'missed' ELSE 'interrupted' END \
         WHERE ended_at IS NULL",
        [now],
    )
}

/// Calls started in `[from, to)` (RFC 3339 instants), newest first; `missed_only` keeps
/// the ones nobody answered.
pub(super) fn list(
    conn: &Connection,
    from: &str,
    to: &str,
    missed_only: bool,
    limit: usize,
) -> rusqlite::Result<Vec<CallRecord>> {
    let filter = if missed_only {
        "AND outcome IN ('missed', 'abandoned')"
    } else {
        ""
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM calls WHERE started_at >= ?1 AND started_at < ?2 {filter} \
         ORDER BY started_at DESC, id DESC LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![from, to, limit as i64], record)?;
    rows.collect()
}

pub(super) fn ring_secs(conn: &Connection) -> rusqlite::Result<Option<u32>> {
    conn.query_row(
        "SELECT ring_secs FROM call_settings WHERE id = 1",
        [],
        |r| r.get(0),
    )
    .optional()
}

pub(super) fn set_ring_secs(conn: &Connection, secs: u32) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO call_settings (id, ring_secs) VALUES (1, ?1) \
         ON CONFLICT (id) DO UPDATE SET ring_secs = excluded.ring_secs",
        [secs],
    )?;
    Ok(())
}
