//! The Front Desk's SQL: the paired kiosks.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Kiosk, KioskScreen};

const COLUMNS: &str = "id, name, paired_at, last_seen_at, show_wifi, show_guide, calls, note";

fn kiosk(r: &rusqlite::Row<'_>) -> rusqlite::Result<Kiosk> {
    Ok(Kiosk {
        id: r.get(0)?,
        name: r.get(1)?,
        paired_at: r.get(2)?,
        last_seen_at: r.get(3)?,
        screen: KioskScreen {
            show_wifi: r.get(4)?,
            show_guide: r.get(5)?,
            calls: r.get(6)?,
            note: r.get(7)?,
        },
    })
}

pub(super) fn add(
    conn: &Connection,
    name: &str,
    token_hash: &str,
    now: &str,
) -> rusqlite::Result<Kiosk> {
    conn.execute(
        "INSERT INTO kiosks (name, token_hash, paired_at) VALUES (?1, ?2, ?3)",
        params![name, token_hash, now],
    )?;
    Ok(Kiosk {
        id: conn.last_insert_rowid(),
        name: name.to_owned(),
        paired_at: now.to_owned(),
        last_seen_at: None,
        screen: KioskScreen::default(),
    })
}

pub(super) fn list(conn: &Connection) -> rusqlite::Result<Vec<Kiosk>> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM kiosks ORDER BY name, id"))?;
    let rows = stmt.query_map([], kiosk)?;
    rows.collect()
}

pub(super) fn by_token(conn: &Connection, token_hash: &str) -> rusqlite::Result<Option<Kiosk>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM kiosks WHERE token_hash = ?1"),
        [token_hash],
        kiosk,
    )
    .optional()
}

pub(super) fn seen(conn: &Connection, id: i64, now: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE kiosks SET last_seen_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// `false` when no kiosk has that id.
pub(super) fn remove(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM kiosks WHERE id = ?1", [id])? == 1)
}

/// A kiosk's name and idle screen; `false` when no kiosk has that id.
pub(super) fn set_screen(
    conn: &Connection,
    id: i64,
    name: &str,
    screen: &KioskScreen,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE kiosks SET name = ?2, show_wifi = ?3, show_guide = ?4, calls = ?5, note = ?6 \
         WHERE id = ?1",
        params![
            id,
            name,
            screen.show_wifi,
            screen.show_guide,
            screen.calls,
            screen.note
        ],
    )? == 1)
}
