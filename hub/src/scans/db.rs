//! The scans' SQL: their records, the view log and the retention setting.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Origin, Scan, ScanView};

const COLUMNS: &str = "id, call_id, kiosk_name, asked_by_name, taken_at, bytes, \
    reservation_id, delete_after, deleted_at";

fn scan(conn: &Connection, r: &rusqlite::Row<'_>) -> rusqlite::Result<Scan> {
    let id: i64 = r.get(0)?;
    let mut stmt = conn
        .prepare_cached("SELECT member_name, at FROM scan_views WHERE scan_id = ?1 ORDER BY id")?;
    let views = stmt
        .query_map([id], |v| {
            Ok(ScanView {
                member_name: v.get(0)?,
                at: v.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Scan {
        id,
        call_id: r.get(1)?,
        kiosk_name: r.get(2)?,
        asked_by_name: r.get(3)?,
        taken_at: r.get(4)?,
        bytes: r.get(5)?,
        reservation_id: r.get(6)?,
        delete_after: r.get(7)?,
        deleted_at: r.get(8)?,
        views,
    })
}

pub(super) fn add(
    conn: &Connection,
    origin: &Origin,
    taken_at: &str,
    bytes: i64,
    delete_after: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO scans (call_id, kiosk_name, asked_by, asked_by_name, taken_at, bytes, \
         delete_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            origin.call_id,
            origin.kiosk_name,
            origin.asked_by,
            origin.asked_by_name,
            taken_at,
            bytes,
            delete_after
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A record whose image could not be written.
pub(super) fn forget(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM scans WHERE id = ?1", [id])?;
    Ok(())
}

pub(super) fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Scan>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM scans WHERE id = ?1"))?;
    let mut rows = stmt.query([id])?;
    rows.next()?.map(|r| scan(conn, r)).transpose()
}

pub(super) fn list(conn: &Connection) -> rusqlite::Result<Vec<Scan>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM scans ORDER BY taken_at DESC, id DESC LIMIT 500"
    ))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(scan(conn, r)?);
    }
    Ok(out)
}

pub(super) fn viewed(
    conn: &Connection,
    id: i64,
    member_id: i64,
    member_name: &str,
    at: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO scan_views (scan_id, member_id, member_name, at) VALUES (?1, ?2, ?3, ?4)",
        params![id, member_id, member_name, at],
    )?;
    Ok(())
}

pub(super) fn attach(
    conn: &Connection,
    id: i64,
    reservation_id: i64,
    delete_after: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE scans SET reservation_id = ?2, delete_after = ?3 WHERE id = ?1 AND deleted_at IS NULL",
        params![id, reservation_id, delete_after],
    )?;
    Ok(())
}

/// Scans whose image is still kept: id, reservation, delete-after.
pub(super) fn kept(conn: &Connection) -> rusqlite::Result<Vec<(i64, Option<i64>, String)>> {
    let mut stmt = conn
        .prepare("SELECT id, reservation_id, delete_after FROM scans WHERE deleted_at IS NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

pub(super) fn deleted(conn: &Connection, id: i64, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE scans SET deleted_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

pub(super) fn retention_days(conn: &Connection) -> rusqlite::Result<Option<u32>> {
    conn.query_row(
        "SELECT retention_days FROM scan_settings WHERE id = 1",
        [],
        |r| r.get(0),
    )
    .optional()
}

pub(super) fn set_retention_days(conn: &Connection, days: u32) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO scan_settings (id, retention_days) VALUES (1, ?1) \
         ON CONFLICT (id) DO UPDATE SET retention_days = excluded.retention_days",
        [days],
    )?;
    Ok(())
}
