//! The team's SQL: users, sessions, invites and the set-up code. Plain functions over a
//! connection, run by the store's writer or a reader.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Availability, Role, TeamError};

/// A signed-in member as the web layer sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub nickname: String,
    pub role: Role,
    pub status: Availability,
    pub offline_notifications: bool,
    pub created_at: String,
}

const MEMBER_COLUMNS: &str =
    "id, email, name, nickname, role, status, offline_notifications, created_at";

fn member_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Member> {
    let role: String = r.get(4)?;
    let status: String = r.get(5)?;
    Ok(Member {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        nickname: r.get(3)?,
        // The CHECK constraint keeps the column to known roles.
        role: Role::parse(&role).unwrap_or(Role::Agent),
        status: Availability::parse(&status),
        offline_notifications: r.get(6)?,
        created_at: r.get(7)?,
    })
}

pub(super) fn owner_exists(conn: &Connection) -> Result<bool, TeamError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'owner')",
        [],
        |r| r.get(0),
    )?)
}

/// The set-up code, made on first call while there is no owner; `None` once set up.
pub(super) fn ensure_setup_code(conn: &Connection, now: &str) -> Result<Option<String>, TeamError> {
    if owner_exists(conn)? {
        return Ok(None);
    }
    let existing: Option<String> = conn
        .query_row("SELECT code FROM setup_code WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    if let Some(code) = existing {
        return Ok(Some(code));
    }
    let code = crate::secret::new_setup_code();
    conn.execute(
        "INSERT INTO setup_code (id, code, created_at) VALUES (1, ?1, ?2)",
        params![code, now],
    )?;
    Ok(Some(code))
}

pub(super) struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub nickname: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
}

pub(super) fn create_user(
    conn: &Connection,
    user: &NewUser<'_>,
    now: &str,
) -> Result<i64, TeamError> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)",
        [user.email],
        |r| r.get(0),
    )?;
    if taken {
        return Err(TeamError::EmailTaken);
    }
    conn.execute(
        // Available by choice from the start: whether they are here is their connection's.
        "INSERT INTO users (email, name, nickname, role, password_hash, created_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'online')",
        params![
            user.email,
            user.name,
            user.nickname,
            user.role.as_str(),
            user.password_hash,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Creates the owner if the set-up code matches; the code is spent in the same transaction.
pub(super) fn create_owner(
    conn: &Connection,
    code: &str,
    user: &NewUser<'_>,
    now: &str,
) -> Result<i64, TeamError> {
    if owner_exists(conn)? {
        return Err(TeamError::AlreadySetUp);
    }
    let stored: Option<String> = conn
        .query_row("SELECT code FROM setup_code WHERE id = 1", [], |r| r.get(0))
        .optional()?;
    let matches = stored.is_some_and(|s| {
        crate::secret::normalize_setup_code(&s) == crate::secret::normalize_setup_code(code)
    });
    if !matches {
        return Err(TeamError::WrongSetupCode);
    }
    let id = create_user(conn, user, now)?;
    spend_setup_code(conn)?;
    Ok(id)
}

pub(super) fn spend_setup_code(conn: &Connection) -> Result<(), TeamError> {
    conn.execute("DELETE FROM setup_code", [])?;
    Ok(())
}

pub(super) fn login_hash(
    conn: &Connection,
    email: &str,
) -> Result<Option<(i64, String)>, TeamError> {
    Ok(conn
        .query_row(
            "SELECT id, password_hash FROM users WHERE email = ?1",
            [email],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

pub(super) fn create_session(
    conn: &Connection,
    user_id: i64,
    token_hash: &str,
    now: &str,
    expires_at: &str,
) -> Result<(), TeamError> {
    // Expired sessions are swept whenever a new one starts: no timer needed.
    conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?;
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, user_id, now, expires_at],
    )?;
    Ok(())
}

pub(super) fn session_member(
    conn: &Connection,
    token_hash: &str,
    now: &str,
) -> Result<Option<Member>, TeamError> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM users WHERE id =
           (SELECT user_id FROM sessions WHERE token_hash = ?1 AND expires_at > ?2)"
    );
    Ok(conn
        .query_row(&sql, params![token_hash, now], member_from_row)
        .optional()?)
}

pub(super) fn delete_session(conn: &Connection, token_hash: &str) -> Result<(), TeamError> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

pub(super) fn members(conn: &Connection) -> Result<Vec<Member>, TeamError> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM users ORDER BY role = 'owner' DESC, name COLLATE NOCASE"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], member_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn member(conn: &Connection, id: i64) -> Result<Member, TeamError> {
    let sql = format!("SELECT {MEMBER_COLUMNS} FROM users WHERE id = ?1");
    conn.query_row(&sql, [id], member_from_row)
        .optional()?
        .ok_or(TeamError::NoSuchMember)
}

pub(super) fn update_profile(
    conn: &Connection,
    id: i64,
    name: &str,
    nickname: &str,
) -> Result<(), TeamError> {
    let n = conn.execute(
        "UPDATE users SET name = ?2, nickname = ?3 WHERE id = ?1",
        params![id, name, nickname],
    )?;
    if n == 0 {
        return Err(TeamError::NoSuchMember);
    }
    Ok(())
}

pub(super) fn set_role(conn: &Connection, id: i64, role: Role) -> Result<(), TeamError> {
    conn.execute(
        "UPDATE users SET role = ?2 WHERE id = ?1",
        params![id, role.as_str()],
    )?;
    Ok(())
}

/// Removes the member; their sessions go with them (ON DELETE CASCADE), so they are signed
/// out on their next request.
pub(super) fn delete_member(conn: &Connection, id: i64) -> Result<(), TeamError> {
    conn.execute("DELETE FROM users WHERE id = ?1", [id])?;
    Ok(())
}

pub(super) fn set_availability(
    conn: &Connection,
    id: i64,
    status: Availability,
    offline_notifications: bool,
) -> Result<(), TeamError> {
    conn.execute(
        "UPDATE users SET status = ?2, offline_notifications = ?3 WHERE id = ?1",
        params![id, status.as_str(), offline_notifications],
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invite {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub created_at: String,
    pub expires_at: String,
}

pub(super) fn create_invite(
    conn: &Connection,
    token_hash: &str,
    email: &str,
    role: Role,
    invited_by: i64,
    now: &str,
    expires_at: &str,
) -> Result<i64, TeamError> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1)",
        [email],
        |r| r.get(0),
    )?;
    if taken {
        return Err(TeamError::EmailTaken);
    }
    // A new invite to the same address replaces the pending one.
    conn.execute(
        "DELETE FROM invites WHERE email = ?1 AND used_at IS NULL",
        [email],
    )?;
    conn.execute(
        "INSERT INTO invites (token_hash, email, role, invited_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            token_hash,
            email,
            role.as_str(),
            invited_by,
            now,
            expires_at
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

fn invite_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Invite> {
    let role: String = r.get(2)?;
    Ok(Invite {
        id: r.get(0)?,
        email: r.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Agent),
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
    })
}

pub(super) fn pending_invites(conn: &Connection, now: &str) -> Result<Vec<Invite>, TeamError> {
    let mut stmt = conn.prepare(
        "SELECT id, email, role, created_at, expires_at FROM invites
         WHERE used_at IS NULL AND expires_at > ?1 ORDER BY created_at DESC",
    )?;
    let rows = stmt.query_map([now], invite_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn open_invite(
    conn: &Connection,
    token_hash: &str,
    now: &str,
) -> Result<Invite, TeamError> {
    conn.query_row(
        "SELECT id, email, role, created_at, expires_at FROM invites
         WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2",
        params![token_hash, now],
        invite_from_row,
    )
    .optional()?
    .ok_or(TeamError::InviteGone)
}

pub(super) fn mark_invite_used(conn: &Connection, id: i64, now: &str) -> Result<(), TeamError> {
    conn.execute(
        "UPDATE invites SET used_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

pub(super) fn revoke_invite(conn: &Connection, id: i64) -> Result<(), TeamError> {
    conn.execute(
        "DELETE FROM invites WHERE id = ?1 AND used_at IS NULL",
        [id],
    )?;
    Ok(())
}
