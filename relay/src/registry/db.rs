//! The registry's SQL: hubs, and the relay nodes' heartbeats that tell whose links are
//! still up. Written once for SQLite and PostgreSQL (the store's dialect).

use cloud_link::HubId;

use super::HubRecord;
use crate::args;
use crate::store::{Dialect, Schema, Sql, StoreError};

pub(super) static SCHEMA: Schema = Schema {
    sqlite: "
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
    summary_seq INTEGER NOT NULL DEFAULT 0,
    -- The relay node holding the hub's link while it is up.
    linked_node TEXT
) STRICT;
CREATE TABLE IF NOT EXISTS relay_nodes (
    node TEXT PRIMARY KEY,
    heartbeat_at INTEGER NOT NULL
) STRICT;
",
    postgres: "
CREATE TABLE IF NOT EXISTS hubs (
    id TEXT PRIMARY KEY,
    public_key BYTEA NOT NULL,
    name TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    online_since BIGINT,
    offline_since BIGINT,
    summary TEXT,
    summary_seq BIGINT NOT NULL DEFAULT 0,
    linked_node TEXT
);
CREATE INDEX IF NOT EXISTS hubs_linked_node ON hubs (linked_node);
CREATE TABLE IF NOT EXISTS relay_nodes (
    node TEXT PRIMARY KEY,
    heartbeat_at BIGINT NOT NULL
);
",
};

/// Brings a file from before `linked_node` up to date, then takes down the links `node`
/// held when it last stopped (it holds none now).
pub(super) fn open(c: &mut dyn Sql, node: &str, now: i64) -> Result<(), StoreError> {
    if c.dialect() == Dialect::Sqlite
        && c.row(
            "SELECT 1 FROM pragma_table_info('hubs') WHERE name = 'linked_node'",
            &[],
        )?
        .is_none()
    {
        c.batch("ALTER TABLE hubs ADD COLUMN linked_node TEXT")?;
    }
    c.exec(
        "UPDATE hubs SET offline_since = $2, online_since = NULL, linked_node = NULL
         WHERE online_since IS NOT NULL AND (linked_node = $1 OR linked_node IS NULL)",
        args![node, now],
    )?;
    Ok(())
}

pub(super) fn upsert(
    c: &mut dyn Sql,
    id: &HubId,
    public_key: &[u8],
    name: &str,
    now: i64,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO hubs (id, public_key, name, registered_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
        args![id.as_str(), public_key, name, now],
    )?;
    Ok(())
}

pub(super) fn get(c: &mut dyn Sql, id: &HubId) -> Result<Option<HubRecord>, StoreError> {
    let Some(r) = c.row(
        "SELECT public_key, name, online_since, offline_since, summary, linked_node
         FROM hubs WHERE id = $1",
        args![id.as_str()],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(HubRecord {
        id: id.clone(),
        public_key: r.bytes(0)?,
        name: r.text(1)?,
        online_since: r.opt_int(2)?,
        offline_since: r.opt_int(3)?,
        summary: r.opt_text(4)?,
        linked_node: r.opt_text(5)?,
    }))
}

pub(super) fn set_online(
    c: &mut dyn Sql,
    id: &HubId,
    node: &str,
    now: i64,
) -> Result<(), StoreError> {
    c.exec(
        "UPDATE hubs SET online_since = $2, linked_node = $3 WHERE id = $1",
        args![id.as_str(), now, node],
    )?;
    Ok(())
}

/// The link on `node` ended; a hub that has linked to another node since stays online.
pub(super) fn set_offline(
    c: &mut dyn Sql,
    id: &HubId,
    node: &str,
    now: i64,
) -> Result<(), StoreError> {
    c.exec(
        "UPDATE hubs SET online_since = NULL, offline_since = $2, linked_node = NULL
         WHERE id = $1 AND linked_node = $3",
        args![id.as_str(), now, node],
    )?;
    Ok(())
}

/// Keeps `summary` unless a newer one is stored already.
pub(super) fn set_summary(
    c: &mut dyn Sql,
    id: &HubId,
    seq: i64,
    summary: &str,
) -> Result<bool, StoreError> {
    let n = c.exec(
        "UPDATE hubs SET summary = $3, summary_seq = $2 WHERE id = $1 AND summary_seq < $2",
        args![id.as_str(), seq, summary],
    )?;
    Ok(n == 1)
}

/// `node` is alive at `now`; the links of nodes silent since before `dead_before` are down
/// since their last heartbeat. Returns how many hubs that took down.
pub(super) fn heartbeat(
    c: &mut dyn Sql,
    node: &str,
    now: i64,
    dead_before: i64,
) -> Result<u64, StoreError> {
    c.exec(
        "INSERT INTO relay_nodes (node, heartbeat_at) VALUES ($1, $2)
         ON CONFLICT (node) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        args![node, now],
    )?;
    c.exec(
        "UPDATE hubs SET online_since = NULL, linked_node = NULL,
             offline_since = (SELECT heartbeat_at FROM relay_nodes n WHERE n.node = hubs.linked_node)
         WHERE linked_node IN (SELECT node FROM relay_nodes WHERE heartbeat_at < $1)",
        args![dead_before],
    )
}

/// The nodes heard from since `since`, by name.
pub(super) fn live_nodes(c: &mut dyn Sql, since: i64) -> Result<Vec<String>, StoreError> {
    c.rows(
        "SELECT node FROM relay_nodes WHERE heartbeat_at >= $1 ORDER BY node",
        args![since],
    )?
    .into_iter()
    .map(|r| r.text(0))
    .collect()
}
