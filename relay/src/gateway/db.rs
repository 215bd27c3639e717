//! The gateway's SQL: each enrolled hub's forwarding secret, and which hub each Telegram
//! chat writes to. Written once for SQLite and PostgreSQL.

use cloud_link::HubId;

use crate::args;
use crate::store::{Schema, Sql, StoreError};

pub(super) static SCHEMA: Schema = Schema {
    sqlite: "
CREATE TABLE IF NOT EXISTS gateway_hubs (
    hub_id TEXT PRIMARY KEY,
    -- The key of the HMAC the relay signs forwarded updates with, chosen by the hub.
    secret TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS gateway_chats (
    chat_id TEXT PRIMARY KEY,
    hub_id TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
",
    postgres: "
CREATE TABLE IF NOT EXISTS gateway_hubs (
    hub_id TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS gateway_chats (
    chat_id TEXT PRIMARY KEY,
    hub_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
",
};

pub(super) fn enrol(
    c: &mut dyn Sql,
    hub: &HubId,
    secret: &str,
    now: i64,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO gateway_hubs (hub_id, secret, enrolled_at) VALUES ($1, $2, $3)
         ON CONFLICT (hub_id) DO UPDATE SET secret = excluded.secret, enrolled_at = excluded.enrolled_at",
        args![hub.as_str(), secret, now],
    )?;
    Ok(())
}

pub(super) fn secret_of(c: &mut dyn Sql, hub: &HubId) -> Result<Option<String>, StoreError> {
    c.row(
        "SELECT secret FROM gateway_hubs WHERE hub_id = $1",
        args![hub.as_str()],
    )?
    .map(|r| r.text(0))
    .transpose()
}

/// The chat now writes to `hub` (a guest opened another hotel's link: the newest wins).
pub(super) fn route(c: &mut dyn Sql, chat: &str, hub: &HubId, now: i64) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO gateway_chats (chat_id, hub_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (chat_id) DO UPDATE SET hub_id = excluded.hub_id, updated_at = excluded.updated_at",
        args![chat, hub.as_str(), now],
    )?;
    Ok(())
}

pub(super) fn hub_of(c: &mut dyn Sql, chat: &str) -> Result<Option<HubId>, StoreError> {
    let Some(r) = c.row(
        "SELECT hub_id FROM gateway_chats WHERE chat_id = $1",
        args![chat],
    )?
    else {
        return Ok(None);
    };
    Ok(HubId::parse(&r.text(0)?).ok())
}
