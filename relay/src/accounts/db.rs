//! The accounts' SQL, in the relay's SQLite file beside the registry: owners, their sessions
//! and one-time tokens (stored as SHA-256 hashes), who may open which hub, and the hubs'
//! pending claim codes.

use rusqlite::{params, Connection, OptionalExtension};

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS owners (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    verified INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS owner_sessions (
    token_hash TEXT PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS owner_tokens (
    token_hash TEXT PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS memberships (
    hub_id TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'manager')),
    PRIMARY KEY (hub_id, owner_id)
) STRICT;
CREATE TABLE IF NOT EXISTS owner_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    PRIMARY KEY (provider, subject)
) STRICT;
CREATE TABLE IF NOT EXISTS invites (
    token_hash TEXT PRIMARY KEY,
    hub_id TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('manager')),
    invited_by INTEGER NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS claim_codes (
    hub_id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL
) STRICT;
";

/// An owner as stored.
pub(super) struct OwnerRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub verified: bool,
}

fn owner(r: &rusqlite::Row<'_>) -> rusqlite::Result<OwnerRow> {
    Ok(OwnerRow {
        id: r.get(0)?,
        email: r.get(1)?,
        password_hash: r.get(2)?,
        verified: r.get(3)?,
    })
}

pub(super) fn owner_by_email(c: &Connection, email: &str) -> rusqlite::Result<Option<OwnerRow>> {
    c.query_row(
        "SELECT id, email, password_hash, verified FROM owners WHERE email = ?1",
        [email],
        owner,
    )
    .optional()
}

pub(super) fn owner_by_session(
    c: &Connection,
    token_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<OwnerRow>> {
    c.query_row(
        "SELECT o.id, o.email, o.password_hash, o.verified FROM owner_sessions s
         JOIN owners o ON o.id = s.owner_id WHERE s.token_hash = ?1 AND s.expires_at > ?2",
        params![token_hash, now],
        owner,
    )
    .optional()
}

/// A new owner, unverified; `None` when the address is taken.
pub(super) fn insert_owner(
    c: &Connection,
    email: &str,
    password_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<i64>> {
    let n = c.execute(
        "INSERT INTO owners (email, password_hash, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (email) DO NOTHING",
        params![email, password_hash, now],
    )?;
    Ok((n == 1).then(|| c.last_insert_rowid()))
}

pub(super) fn insert_token(
    c: &Connection,
    token_hash: &str,
    owner_id: i64,
    purpose: &str,
    expires_at: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO owner_tokens (token_hash, owner_id, purpose, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, owner_id, purpose, expires_at],
    )?;
    Ok(())
}

/// Spends a one-time token: the owner it was for, once, before it expires.
pub(super) fn take_token(
    c: &Connection,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> rusqlite::Result<Option<i64>> {
    c.query_row(
        "DELETE FROM owner_tokens WHERE token_hash = ?1 AND purpose = ?2 AND expires_at > ?3
         RETURNING owner_id",
        params![token_hash, purpose, now],
        |r| r.get(0),
    )
    .optional()
}

pub(super) fn set_verified(c: &Connection, owner_id: i64) -> rusqlite::Result<()> {
    c.execute("UPDATE owners SET verified = 1 WHERE id = ?1", [owner_id])?;
    Ok(())
}

/// A new password ends every session of the owner (a reset means the old one may be known).
pub(super) fn set_password(c: &Connection, owner_id: i64, hash: &str) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE owners SET password_hash = ?2, verified = 1 WHERE id = ?1",
        params![owner_id, hash],
    )?;
    c.execute("DELETE FROM owner_sessions WHERE owner_id = ?1", [owner_id])?;
    Ok(())
}

pub(super) fn insert_session(
    c: &Connection,
    token_hash: &str,
    owner_id: i64,
    expires_at: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM owner_sessions WHERE expires_at <= ?1",
        [expires_at - super::SESSION_SECS],
    )?;
    c.execute(
        "INSERT INTO owner_sessions (token_hash, owner_id, expires_at) VALUES (?1, ?2, ?3)",
        params![token_hash, owner_id, expires_at],
    )?;
    Ok(())
}

pub(super) fn delete_session(c: &Connection, token_hash: &str) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM owner_sessions WHERE token_hash = ?1",
        [token_hash],
    )?;
    Ok(())
}

/// A hub's new claim code replaces its previous one.
pub(super) fn set_claim_code(
    c: &Connection,
    hub_id: &str,
    code_hash: &str,
    expires_at: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO claim_codes (hub_id, code_hash, expires_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (hub_id) DO UPDATE SET code_hash = excluded.code_hash,
             expires_at = excluded.expires_at",
        params![hub_id, code_hash, expires_at],
    )?;
    Ok(())
}

/// Spends a claim code: the hub becomes `owner_id`'s (its owner role replaces any other
/// claim: the person at the hub's admin app decides). `None` for an unknown or old code.
pub(super) fn claim(
    c: &mut Connection,
    code_hash: &str,
    owner_id: i64,
    now: i64,
) -> rusqlite::Result<Option<String>> {
    let tx = c.transaction()?;
    let hub: Option<String> = tx
        .query_row(
            "DELETE FROM claim_codes WHERE code_hash = ?1 AND expires_at > ?2 RETURNING hub_id",
            params![code_hash, now],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(hub) = &hub {
        tx.execute(
            "DELETE FROM memberships WHERE hub_id = ?1 AND role = 'owner'",
            [hub],
        )?;
        tx.execute(
            "INSERT INTO memberships (hub_id, owner_id, role) VALUES (?1, ?2, 'owner')
             ON CONFLICT (hub_id, owner_id) DO UPDATE SET role = 'owner'",
            params![hub, owner_id],
        )?;
    }
    tx.commit()?;
    Ok(hub)
}

/// The hubs `owner_id` may open, with the role.
pub(super) fn memberships(
    c: &Connection,
    owner_id: i64,
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt =
        c.prepare("SELECT hub_id, role FROM memberships WHERE owner_id = ?1 ORDER BY hub_id")?;
    let rows = stmt.query_map([owner_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The owner an OpenID provider's subject signs in as: linked before, or the one with that
/// confirmed address (linked now), or a new one (confirmed, with no password).
pub(super) fn owner_for_identity(
    c: &mut Connection,
    provider: &str,
    subject: &str,
    email: &str,
    now: i64,
) -> rusqlite::Result<i64> {
    let tx = c.transaction()?;
    let linked: Option<i64> = tx
        .query_row(
            "SELECT owner_id FROM owner_identities WHERE provider = ?1 AND subject = ?2",
            params![provider, subject],
            |r| r.get(0),
        )
        .optional()?;
    let owner = match linked {
        Some(id) => id,
        None => {
            let existing: Option<i64> = tx
                .query_row("SELECT id FROM owners WHERE email = ?1", [email], |r| {
                    r.get(0)
                })
                .optional()?;
            let id = match existing {
                Some(id) => {
                    // The provider confirmed the address: that is what confirming it here does.
                    tx.execute("UPDATE owners SET verified = 1 WHERE id = ?1", [id])?;
                    id
                }
                None => {
                    // "!" is no argon2 hash: no password signs in until one is reset.
                    tx.execute(
                        "INSERT INTO owners (email, password_hash, verified, created_at)
                         VALUES (?1, '!', 1, ?2)",
                        params![email, now],
                    )?;
                    tx.last_insert_rowid()
                }
            };
            tx.execute(
                "INSERT INTO owner_identities (provider, subject, owner_id) VALUES (?1, ?2, ?3)",
                params![provider, subject, id],
            )?;
            id
        }
    };
    tx.commit()?;
    Ok(owner)
}

/// The role `owner_id` holds on `hub_id`, if any.
pub(super) fn role(
    c: &Connection,
    hub_id: &str,
    owner_id: i64,
) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT role FROM memberships WHERE hub_id = ?1 AND owner_id = ?2",
        params![hub_id, owner_id],
        |r| r.get(0),
    )
    .optional()
}

pub(super) fn insert_invite(
    c: &Connection,
    token_hash: &str,
    hub_id: &str,
    email: &str,
    invited_by: i64,
    expires_at: i64,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO invites (token_hash, hub_id, email, role, invited_by, expires_at)
         VALUES (?1, ?2, ?3, 'manager', ?4, ?5)",
        params![token_hash, hub_id, email, invited_by, expires_at],
    )?;
    Ok(())
}

/// What accepting an invitation came to.
pub(super) enum Accepted {
    Hub(String),
    Unknown,
    /// The invitation is for another address; it stays for its owner.
    NotYours,
}

/// Spends an invitation for `owner_id` when it was made out to `email`.
pub(super) fn accept_invite(
    c: &mut Connection,
    token_hash: &str,
    owner_id: i64,
    email: &str,
    now: i64,
) -> rusqlite::Result<Accepted> {
    let tx = c.transaction()?;
    let invite: Option<(String, String, String)> = tx
        .query_row(
            "SELECT hub_id, email, role FROM invites WHERE token_hash = ?1 AND expires_at > ?2",
            params![token_hash, now],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((hub, invited, role)) = invite else {
        return Ok(Accepted::Unknown);
    };
    if !invited.eq_ignore_ascii_case(email) {
        return Ok(Accepted::NotYours);
    }
    tx.execute("DELETE FROM invites WHERE token_hash = ?1", [token_hash])?;
    // Someone who owns the hub already keeps owning it.
    tx.execute(
        "INSERT INTO memberships (hub_id, owner_id, role) VALUES (?1, ?2, ?3)
         ON CONFLICT (hub_id, owner_id) DO NOTHING",
        params![hub, owner_id, role],
    )?;
    tx.commit()?;
    Ok(Accepted::Hub(hub))
}
