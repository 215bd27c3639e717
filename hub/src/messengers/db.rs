//! The messengers' SQL: the owner's bots (credentials sealed), the guests on each platform
//! with their outbox cursor, the staff's linked accounts and everyone's notification
//! choices. Runs inside `Store::write` / `Store::read` closures.

use rusqlite::{params, Connection, OptionalExtension};

use super::platform::Platform;
use super::MessengerError;

/// A connected platform as stored; `credentials` still sealed.
#[derive(Debug, Clone)]
pub(super) struct BotRow {
    pub platform: Platform,
    pub credentials: Vec<u8>,
    pub name: String,
    pub link_name: String,
    pub offered: bool,
    pub webhook_url: String,
    pub webhook_error: String,
}

pub(super) fn bots(conn: &Connection) -> Result<Vec<BotRow>, MessengerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT platform, credentials, name, link_name, offered, webhook_url, webhook_error \
         FROM messenger_bots ORDER BY platform",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            BotRow {
                platform: Platform::Telegram,
                credentials: r.get(1)?,
                name: r.get(2)?,
                link_name: r.get(3)?,
                offered: r.get(4)?,
                webhook_url: r.get(5)?,
                webhook_error: r.get(6)?,
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (platform, mut bot) = row?;
        if let Some(p) = Platform::parse(&platform) {
            bot.platform = p;
            out.push(bot);
        }
    }
    Ok(out)
}

pub(super) fn put_bot(conn: &Connection, bot: &BotRow, now: &str) -> Result<(), MessengerError> {
    conn.execute(
        "INSERT INTO messenger_bots (platform, credentials, name, link_name, offered, \
         webhook_url, webhook_error, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (platform) DO UPDATE SET credentials = ?2, name = ?3, link_name = ?4, \
         offered = ?5, webhook_url = ?6, webhook_error = ?7, updated_at = ?8",
        params![
            bot.platform.as_str(),
            bot.credentials,
            bot.name,
            bot.link_name,
            bot.offered,
            bot.webhook_url,
            bot.webhook_error,
            now
        ],
    )?;
    Ok(())
}

pub(super) fn delete_bot(conn: &Connection, platform: Platform) -> Result<bool, MessengerError> {
    Ok(conn.execute(
        "DELETE FROM messenger_bots WHERE platform = ?1",
        [platform.as_str()],
    )? > 0)
}

/// A guest on a platform and how far the team's messages have reached them.
#[derive(Debug, Clone)]
pub(super) struct GuestRow {
    pub id: i64,
    pub platform: Platform,
    pub address: String,
    pub visitor_id: i64,
    pub delivered_up_to: i64,
    pub last_inbound_at: String,
}

const GUEST_COLUMNS: &str =
    "id, platform, address, visitor_id, delivered_up_to, last_inbound_at FROM messenger_guests";

fn guest_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Option<GuestRow>> {
    let platform: String = r.get(1)?;
    let Some(platform) = Platform::parse(&platform) else {
        return Ok(None);
    };
    Ok(Some(GuestRow {
        id: r.get(0)?,
        platform,
        address: r.get(2)?,
        visitor_id: r.get(3)?,
        delivered_up_to: r.get(4)?,
        last_inbound_at: r.get(5)?,
    }))
}

/// Records that the guest at `address` wrote now, making their row for `visitor_id` the
/// first time (its cursor at 0: everything the team says to this new visitor goes out).
pub(super) fn guest_wrote(
    conn: &Connection,
    platform: Platform,
    address: &str,
    visitor_id: i64,
    now: &str,
) -> Result<GuestRow, MessengerError> {
    conn.execute(
        "INSERT INTO messenger_guests (platform, address, visitor_id, delivered_up_to, \
         last_inbound_at) VALUES (?1, ?2, ?3, 0, ?4) ON CONFLICT (platform, address) \
         DO UPDATE SET last_inbound_at = ?4",
        params![platform.as_str(), address, visitor_id, now],
    )?;
    conn.query_row(
        &format!("SELECT {GUEST_COLUMNS} WHERE platform = ?1 AND address = ?2"),
        params![platform.as_str(), address],
        guest_from_row,
    )?
    .ok_or(MessengerError::NotFound)
}

pub(super) fn guests_of_visitor(
    conn: &Connection,
    visitor_id: i64,
) -> Result<Vec<GuestRow>, MessengerError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {GUEST_COLUMNS} WHERE visitor_id = ?1"))?;
    let rows = stmt.query_map([visitor_id], guest_from_row)?;
    Ok(rows
        .filter_map(|r| r.transpose())
        .collect::<Result<_, _>>()?)
}

pub(super) fn guest(conn: &Connection, id: i64) -> Result<Option<GuestRow>, MessengerError> {
    Ok(conn
        .query_row(
            &format!("SELECT {GUEST_COLUMNS} WHERE id = ?1"),
            [id],
            guest_from_row,
        )
        .optional()?
        .flatten())
}

pub(super) fn all_guests(conn: &Connection) -> Result<Vec<GuestRow>, MessengerError> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {GUEST_COLUMNS} ORDER BY id"))?;
    let rows = stmt.query_map([], guest_from_row)?;
    Ok(rows
        .filter_map(|r| r.transpose())
        .collect::<Result<_, _>>()?)
}

/// Moves a guest's cursor past message `message_id` (never back).
pub(super) fn delivered(
    conn: &Connection,
    guest_id: i64,
    message_id: i64,
) -> Result<(), MessengerError> {
    conn.execute(
        "UPDATE messenger_guests SET delivered_up_to = MAX(delivered_up_to, ?2) WHERE id = ?1",
        params![guest_id, message_id],
    )?;
    Ok(())
}

/// A member's linked account on a platform.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct StaffLink {
    pub platform: Platform,
    /// How the platform names the account ("Anna K.").
    pub display: String,
    pub linked_at: String,
    #[serde(skip)]
    pub address: String,
}

pub(super) fn link_staff(
    conn: &Connection,
    user_id: i64,
    platform: Platform,
    address: &str,
    display: &str,
    now: &str,
) -> Result<(), MessengerError> {
    // One account links to one member: linking it again moves it.
    conn.execute(
        "DELETE FROM messenger_staff WHERE platform = ?1 AND address = ?2",
        params![platform.as_str(), address],
    )?;
    conn.execute(
        "INSERT INTO messenger_staff (user_id, platform, address, display, linked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_id, platform) DO UPDATE SET \
         address = ?3, display = ?4, linked_at = ?5",
        params![user_id, platform.as_str(), address, display, now],
    )?;
    Ok(())
}

pub(super) fn unlink_staff(
    conn: &Connection,
    user_id: i64,
    platform: Platform,
) -> Result<bool, MessengerError> {
    Ok(conn.execute(
        "DELETE FROM messenger_staff WHERE user_id = ?1 AND platform = ?2",
        params![user_id, platform.as_str()],
    )? > 0)
}

pub(super) fn staff_links(
    conn: &Connection,
    user_id: i64,
) -> Result<Vec<StaffLink>, MessengerError> {
    let mut stmt = conn.prepare_cached(
        "SELECT platform, display, linked_at, address FROM messenger_staff WHERE user_id = ?1",
    )?;
    let rows = stmt.query_map([user_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            StaffLink {
                platform: Platform::Telegram,
                display: r.get(1)?,
                linked_at: r.get(2)?,
                address: r.get(3)?,
            },
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (p, link) = row?;
        if let Some(platform) = Platform::parse(&p) {
            out.push(StaffLink { platform, ..link });
        }
    }
    Ok(out)
}

/// Whether `address` on `platform` is a member's linked account.
pub(super) fn is_staff_address(
    conn: &Connection,
    platform: Platform,
    address: &str,
) -> Result<bool, MessengerError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM messenger_staff WHERE platform = ?1 AND address = ?2",
            params![platform.as_str(), address],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// A member's choices as stored: channel, events (JSON array), quiet hours.
pub(super) fn choices(
    conn: &Connection,
    user_id: i64,
) -> Result<Option<(String, String, String, String)>, MessengerError> {
    Ok(conn
        .query_row(
            "SELECT channel, events, quiet_from, quiet_to FROM notice_choices WHERE user_id = ?1",
            [user_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?)
}

pub(super) fn put_choices(
    conn: &Connection,
    user_id: i64,
    channel: &str,
    events: &str,
    quiet_from: &str,
    quiet_to: &str,
) -> Result<(), MessengerError> {
    conn.execute(
        "INSERT INTO notice_choices (user_id, channel, events, quiet_from, quiet_to) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_id) DO UPDATE SET channel = ?2, \
         events = ?3, quiet_from = ?4, quiet_to = ?5",
        params![user_id, channel, events, quiet_from, quiet_to],
    )?;
    Ok(())
}
