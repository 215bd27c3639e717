//! Rooms, villas, cars and areas: the units bookings are for, and their SQL.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub kind: RoomKind,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RoomKind {
    Room,
    Villa,
    Car,
    Area,
}

impl RoomKind {
    fn as_str(self) -> &'static str {
        match self {
            RoomKind::Room => "room",
            RoomKind::Villa => "villa",
            RoomKind::Car => "car",
            RoomKind::Area => "area",
        }
    }

    fn parse(s: &str) -> RoomKind {
        match s {
            "villa" => RoomKind::Villa,
            "car" => RoomKind::Car,
            "area" => RoomKind::Area,
            _ => RoomKind::Room,
        }
    }
}

pub(super) fn list(conn: &Connection) -> rusqlite::Result<Vec<Room>> {
    let mut stmt =
        conn.prepare("SELECT id, name, kind, created_at FROM rooms ORDER BY name COLLATE NOCASE")?;
    let rows = stmt.query_map([], |r| {
        Ok(Room {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: RoomKind::parse(&r.get::<_, String>(2)?),
            created_at: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// `None` when the name is taken.
pub(super) fn create(
    conn: &Connection,
    name: &str,
    kind: RoomKind,
    now: &str,
) -> rusqlite::Result<Option<Room>> {
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO rooms (name, kind, created_at) VALUES (?1, ?2, ?3)",
        params![name, kind.as_str(), now],
    )?;
    Ok((inserted == 1).then(|| Room {
        id: conn.last_insert_rowid(),
        name: name.to_owned(),
        kind,
        created_at: now.to_owned(),
    }))
}

/// Renames unit `id` and sets its kind: `Ok(None)` when no unit has that id,
/// `Ok(Some(false))` when another has the name.
pub(super) fn rename(
    conn: &Connection,
    id: i64,
    name: &str,
    kind: RoomKind,
) -> rusqlite::Result<Option<bool>> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM rooms WHERE name = ?1 AND id <> ?2)",
        params![name, id],
        |r| r.get(0),
    )?;
    if taken {
        return Ok(Some(false));
    }
    let n = conn.execute(
        "UPDATE rooms SET name = ?2, kind = ?3 WHERE id = ?1",
        params![id, name, kind.as_str()],
    )?;
    Ok((n == 1).then_some(true))
}
