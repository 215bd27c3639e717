//! The Online Reception's SQL: each unit's page slug, the page design row and the places
//! of the guest services directory.

use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::design::Design;
use super::plates::PlateDesign;
use super::Place;

/// `(room id, slug)` of every unit that has a page.
pub(super) fn slugs(conn: &Connection) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare("SELECT room_id, slug FROM guest_pages")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Gives `room_id` a page at `slug` unless it has one; false when the slug is taken.
pub(super) fn ensure_slug(conn: &Connection, room_id: i64, slug: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO guest_pages (room_id, slug) SELECT ?1, ?2
           WHERE EXISTS (SELECT 1 FROM rooms WHERE id = ?1)",
        params![room_id, slug],
    )?;
    Ok(n == 1)
}

/// Moves `room_id`'s page to `slug`: `Ok(false)` when another unit has it.
pub(super) fn set_slug(conn: &Connection, room_id: i64, slug: &str) -> rusqlite::Result<bool> {
    let taken: Option<i64> = conn
        .query_row(
            "SELECT room_id FROM guest_pages WHERE slug = ?1",
            [slug],
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_some_and(|other| other != room_id) {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO guest_pages (room_id, slug) VALUES (?1, ?2)
           ON CONFLICT (room_id) DO UPDATE SET slug = excluded.slug",
        params![room_id, slug],
    )?;
    Ok(true)
}

pub(super) fn room_of(conn: &Connection, slug: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT room_id FROM guest_pages WHERE slug = ?1",
        [slug],
        |r| r.get(0),
    )
    .optional()
}

/// A one-row JSON table's value (`reception_design`, `plate_design`); `None` before the
/// owner saved one, or when it no longer reads as `T`.
fn json_row<T: DeserializeOwned>(conn: &Connection, table: &str) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = conn
        .query_row(
            &format!("SELECT design FROM {table} WHERE id = 1"),
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

fn put_json_row<T: Serialize>(
    conn: &Connection,
    table: &str,
    value: &T,
    now: &str,
) -> rusqlite::Result<()> {
    let text = serde_json::to_string(value).unwrap_or_default();
    conn.execute(
        &format!(
            "INSERT INTO {table} (id, design, updated_at) VALUES (1, ?1, ?2)
               ON CONFLICT (id) DO UPDATE SET design = excluded.design, updated_at = excluded.updated_at"
        ),
        params![text, now],
    )?;
    Ok(())
}

/// The stored page design; `None` before the owner saved one.
pub(super) fn design(conn: &Connection) -> rusqlite::Result<Option<Design>> {
    json_row(conn, "reception_design")
}

pub(super) fn put_design(conn: &Connection, design: &Design, now: &str) -> rusqlite::Result<()> {
    put_json_row(conn, "reception_design", design, now)
}

/// The stored plate design; `None` before the owner saved one.
pub(super) fn plate_design(conn: &Connection) -> rusqlite::Result<Option<PlateDesign>> {
    json_row(conn, "plate_design")
}

pub(super) fn put_plate_design(
    conn: &Connection,
    design: &PlateDesign,
    now: &str,
) -> rusqlite::Result<()> {
    put_json_row(conn, "plate_design", design, now)
}

/// The directory in the owner's order.
pub(super) fn places(conn: &Connection) -> rusqlite::Result<Vec<Place>> {
    let mut stmt = conn.prepare("SELECT id, place FROM places ORDER BY position, id")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut places = Vec::new();
    for row in rows {
        let (id, text) = row?;
        if let Ok(mut place) = serde_json::from_str::<Place>(&text) {
            place.id = id;
            places.push(place);
        }
    }
    Ok(places)
}

pub(super) fn add_place(conn: &Connection, place: &Place, now: &str) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO places (place, position, created_at)
           VALUES (?1, (SELECT COALESCE(MAX(position), 0) + 1 FROM places), ?2)",
        params![serde_json::to_string(place).unwrap_or_default(), now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn edit_place(conn: &Connection, id: i64, place: &Place) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE places SET place = ?2 WHERE id = ?1",
        params![id, serde_json::to_string(place).unwrap_or_default()],
    )?;
    Ok(n == 1)
}

pub(super) fn delete_place(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM places WHERE id = ?1", [id])? == 1)
}

/// Puts the places in `ids`' order; places not named keep their place after them.
pub(super) fn order_places(conn: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    for (i, id) in ids.iter().enumerate() {
        conn.execute(
            "UPDATE places SET position = ?2 WHERE id = ?1",
            params![id, i as i64 - ids.len() as i64],
        )?;
    }
    Ok(())
}

pub(super) fn add_stay_link(
    conn: &Connection,
    token_hash: &str,
    reservation_id: i64,
    now: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO stay_links (token_hash, reservation_id, created_at) VALUES (?1, ?2, ?3)",
        params![token_hash, reservation_id, now],
    )?;
    Ok(())
}

/// The reservation a stay link was made for.
pub(super) fn stay_of(conn: &Connection, token_hash: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT reservation_id FROM stay_links WHERE token_hash = ?1",
        [token_hash],
        |r| r.get(0),
    )
    .optional()
}
