//! The device tables: devices with their sealed secrets and last state, and the
//! per-brand grants. Plain queries; sealing and opening is the vault's job.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Brand;
use device_drivers::Kind;

/// One device as stored (without its secret).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceRow {
    pub id: String,
    pub brand: Brand,
    #[schema(value_type = String)]
    pub kind: Kind,
    pub name: String,
    pub room_id: Option<i64>,
    pub native_id: String,
    pub address: String,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    pub created_at: String,
    /// Whether a secret (key, token) is on file.
    pub has_secret: bool,
}

const COLUMNS: &str =
    "id, brand, kind, name, room_id, native_id, address, settings, state, created_at, secret IS NOT NULL";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
    let json = |i: usize| -> rusqlite::Result<serde_json::Value> {
        let text: String = r.get(i)?;
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    };
    // Stored values were checked on the way in; a row edited by hand is not a device.
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown device {what}").into(),
        )
    };
    Ok(DeviceRow {
        id: r.get(0)?,
        brand: Brand::parse(&r.get::<_, String>(1)?).ok_or_else(|| bad(1, "brand"))?,
        kind: Kind::parse(&r.get::<_, String>(2)?).ok_or_else(|| bad(2, "kind"))?,
        name: r.get(3)?,
        room_id: r.get(4)?,
        native_id: r.get(5)?,
        address: r.get(6)?,
        settings: json(7)?,
        state: json(8)?,
        created_at: r.get(9)?,
        has_secret: r.get(10)?,
    })
}

pub(super) fn list(conn: &Connection) -> rusqlite::Result<Vec<DeviceRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM devices ORDER BY name COLLATE NOCASE, id"
    ))?;
    let mut out = Vec::new();
    for r in stmt.query_map([], row)? {
        match r {
            Ok(d) => out.push(d),
            Err(e @ rusqlite::Error::FromSqlConversionFailure(..)) => {
                tracing::warn!(error = %e, "A device row that is not a device is left out.");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

pub(super) fn get(conn: &Connection, id: &str) -> rusqlite::Result<Option<DeviceRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM devices WHERE id = ?1"),
        [id],
        row,
    )
    .optional()
}

/// The device a brand knows by `native_id`.
pub(super) fn by_native(
    conn: &Connection,
    brand: &str,
    native_id: &str,
) -> rusqlite::Result<Option<DeviceRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM devices WHERE brand = ?1 AND native_id = ?2"),
        [brand, native_id],
        row,
    )
    .optional()
}

pub(super) fn secret(conn: &Connection, id: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row("SELECT secret FROM devices WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()
    .map(Option::flatten)
}

pub(super) struct NewDevice<'a> {
    pub id: &'a str,
    pub brand: Brand,
    pub kind: Kind,
    pub name: &'a str,
    pub room_id: Option<i64>,
    pub native_id: &'a str,
    pub address: &'a str,
    pub settings: &'a serde_json::Value,
    pub secret: Option<&'a [u8]>,
    pub now: &'a str,
}

/// False when a device of that brand and native id is already there.
pub(super) fn insert(conn: &Connection, d: &NewDevice<'_>) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO devices (id, brand, kind, name, room_id, native_id, address, settings, secret, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            d.id,
            d.brand.as_str(),
            d.kind.as_str(),
            d.name,
            d.room_id,
            d.native_id,
            d.address,
            d.settings.to_string(),
            d.secret,
            d.now
        ],
    )?;
    Ok(n == 1)
}

pub(super) fn rename(
    conn: &Connection,
    id: &str,
    name: &str,
    room_id: Option<i64>,
) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE devices SET name = ?2, room_id = ?3 WHERE id = ?1",
        params![id, name, room_id],
    )?;
    Ok(n == 1)
}

/// A device's kind, name and settings as it last described itself.
pub(super) fn redescribe(
    conn: &Connection,
    id: &str,
    kind: Kind,
    name: &str,
    settings: &serde_json::Value,
) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE devices SET kind = ?2, name = ?3, settings = ?4 WHERE id = ?1",
        params![id, kind.as_str(), name, settings.to_string()],
    )?;
    Ok(n == 1)
}

/// Moves a brand's devices: the one with `native_id` and its channels (or, without one,
/// every device of the brand whose `base_url` is `old_base`) get the new address or base
/// URL. Their ids.
pub(super) fn relocate(
    conn: &Connection,
    brand: Brand,
    native_id: Option<&str>,
    address: Option<&str>,
    base_url: Option<(&str, &str)>,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM devices WHERE brand = ?1
           AND (?2 IS NULL OR native_id = ?2 OR substr(native_id, 1, length(?2) + 1) = ?2 || '#')
           AND (?3 IS NULL OR settings ->> '$.base_url' LIKE ?3 || '%')",
    )?;
    let ids: Vec<String> = stmt
        .query_map(
            params![brand.as_str(), native_id, base_url.map(|(old, _)| old)],
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        if let Some(address) = address {
            conn.execute(
                "UPDATE devices SET address = ?2 WHERE id = ?1",
                params![id, address],
            )?;
        }
        if let Some((_, new)) = base_url {
            conn.execute(
                "UPDATE devices SET settings = json_set(settings, '$.base_url', ?2) WHERE id = ?1",
                params![id, new],
            )?;
        }
    }
    Ok(ids)
}

pub(super) fn delete(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    Ok(conn.execute("DELETE FROM devices WHERE id = ?1", [id])? == 1)
}

pub(super) fn save_state(
    conn: &Connection,
    id: &str,
    state: &serde_json::Value,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE devices SET state = ?2 WHERE id = ?1",
        params![id, state.to_string()],
    )?;
    Ok(())
}

pub(super) fn grant(conn: &Connection, brand: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row(
        "SELECT secret FROM device_grants WHERE brand = ?1",
        [brand],
        |r| r.get(0),
    )
    .optional()
}

pub(super) fn granted_brands(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT brand FROM device_grants ORDER BY brand")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

pub(super) fn put_grant(
    conn: &Connection,
    brand: &str,
    sealed: &[u8],
    now: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO device_grants (brand, secret, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (brand) DO UPDATE SET secret = excluded.secret, updated_at = excluded.updated_at",
        params![brand, sealed, now],
    )?;
    Ok(())
}
