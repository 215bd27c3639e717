//! The accounts' SQL, in the relay's store beside the registry: owners, their sessions
//! and one-time tokens (stored as SHA-256 hashes), who may open which hub, and the hubs'
//! pending claim codes. Addresses compare without case on both kinds.

use crate::args;
use crate::store::{Row, Schema, Sql, StoreError};

pub(super) static SCHEMA: Schema = Schema {
    sqlite: "
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
",
    postgres: "
CREATE TABLE IF NOT EXISTS owners (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    verified BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS owners_email ON owners (lower(email));
CREATE TABLE IF NOT EXISTS owner_sessions (
    token_hash TEXT PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS owner_tokens (
    token_hash TEXT PRIMARY KEY,
    owner_id BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS memberships (
    hub_id TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'manager')),
    PRIMARY KEY (hub_id, owner_id)
);
CREATE TABLE IF NOT EXISTS owner_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    owner_id BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    PRIMARY KEY (provider, subject)
);
CREATE TABLE IF NOT EXISTS invites (
    token_hash TEXT PRIMARY KEY,
    hub_id TEXT NOT NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('manager')),
    invited_by BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS claim_codes (
    hub_id TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    expires_at BIGINT NOT NULL
);
",
};

/// An owner as stored.
pub(super) struct OwnerRow {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub verified: bool,
}

const OWNER: &str = "o.id, o.email, o.password_hash, o.verified";

fn owner(r: Row) -> Result<OwnerRow, StoreError> {
    Ok(OwnerRow {
        id: r.int(0)?,
        email: r.text(1)?,
        password_hash: r.text(2)?,
        verified: r.int(3)? != 0,
    })
}

fn first_int(row: Option<Row>) -> Result<Option<i64>, StoreError> {
    row.map(|r| r.int(0)).transpose()
}

fn first_text(row: Option<Row>) -> Result<Option<String>, StoreError> {
    row.map(|r| r.text(0)).transpose()
}

pub(super) fn owner_by_email(c: &mut dyn Sql, email: &str) -> Result<Option<OwnerRow>, StoreError> {
    c.row(
        &format!("SELECT {OWNER} FROM owners o WHERE lower(o.email) = lower($1)"),
        args![email],
    )?
    .map(owner)
    .transpose()
}

pub(super) fn owner_by_session(
    c: &mut dyn Sql,
    token_hash: &str,
    now: i64,
) -> Result<Option<OwnerRow>, StoreError> {
    c.row(
        &format!(
            "SELECT {OWNER} FROM owner_sessions s
             JOIN owners o ON o.id = s.owner_id WHERE s.token_hash = $1 AND s.expires_at > $2"
        ),
        args![token_hash, now],
    )?
    .map(owner)
    .transpose()
}

/// A new owner, unverified; `None` when the address is taken.
pub(super) fn insert_owner(
    c: &mut dyn Sql,
    email: &str,
    password_hash: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    first_int(c.row(
        "INSERT INTO owners (email, password_hash, created_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING id",
        args![email, password_hash, now],
    )?)
}

pub(super) fn insert_token(
    c: &mut dyn Sql,
    token_hash: &str,
    owner_id: i64,
    purpose: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO owner_tokens (token_hash, owner_id, purpose, expires_at) VALUES ($1, $2, $3, $4)",
        args![token_hash, owner_id, purpose, expires_at],
    )?;
    Ok(())
}

/// Spends a one-time token: the owner it was for, once, before it expires.
pub(super) fn take_token(
    c: &mut dyn Sql,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    first_int(c.row(
        "DELETE FROM owner_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3
         RETURNING owner_id",
        args![token_hash, purpose, now],
    )?)
}

pub(super) fn set_verified(c: &mut dyn Sql, owner_id: i64) -> Result<(), StoreError> {
    c.exec(
        "UPDATE owners SET verified = 1 WHERE id = $1",
        args![owner_id],
    )?;
    Ok(())
}

/// A new password ends every session of the owner (a reset means the old one may be known).
pub(super) fn set_password(c: &mut dyn Sql, owner_id: i64, hash: &str) -> Result<(), StoreError> {
    c.exec(
        "UPDATE owners SET password_hash = $2, verified = 1 WHERE id = $1",
        args![owner_id, hash],
    )?;
    c.exec(
        "DELETE FROM owner_sessions WHERE owner_id = $1",
        args![owner_id],
    )?;
    Ok(())
}

pub(super) fn insert_session(
    c: &mut dyn Sql,
    token_hash: &str,
    owner_id: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    c.exec(
        "DELETE FROM owner_sessions WHERE expires_at <= $1",
        args![expires_at - super::SESSION_SECS],
    )?;
    c.exec(
        "INSERT INTO owner_sessions (token_hash, owner_id, expires_at) VALUES ($1, $2, $3)",
        args![token_hash, owner_id, expires_at],
    )?;
    Ok(())
}

pub(super) fn delete_session(c: &mut dyn Sql, token_hash: &str) -> Result<(), StoreError> {
    c.exec(
        "DELETE FROM owner_sessions WHERE token_hash = $1",
        args![token_hash],
    )?;
    Ok(())
}

/// A hub's new claim code replaces its previous one.
pub(super) fn set_claim_code(
    c: &mut dyn Sql,
    hub_id: &str,
    code_hash: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO claim_codes (hub_id, code_hash, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (hub_id) DO UPDATE SET code_hash = excluded.code_hash,
             expires_at = excluded.expires_at",
        args![hub_id, code_hash, expires_at],
    )?;
    Ok(())
}

/// Spends a claim code: the hub becomes `owner_id`'s (its owner role replaces any other
/// claim: the person at the hub's admin app decides). `None` for an unknown or old code.
pub(super) fn claim(
    c: &mut dyn Sql,
    code_hash: &str,
    owner_id: i64,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let hub = first_text(c.row(
        "DELETE FROM claim_codes WHERE code_hash = $1 AND expires_at > $2 RETURNING hub_id",
        args![code_hash, now],
    )?)?;
    if let Some(hub) = &hub {
        c.exec(
            "DELETE FROM memberships WHERE hub_id = $1 AND role = 'owner'",
            args![hub],
        )?;
        c.exec(
            "INSERT INTO memberships (hub_id, owner_id, role) VALUES ($1, $2, 'owner')
             ON CONFLICT (hub_id, owner_id) DO UPDATE SET role = 'owner'",
            args![hub, owner_id],
        )?;
    }
    Ok(hub)
}

/// The hubs `owner_id` may open, with the role.
pub(super) fn memberships(
    c: &mut dyn Sql,
    owner_id: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    c.rows(
        "SELECT hub_id, role FROM memberships WHERE owner_id = $1 ORDER BY hub_id",
        args![owner_id],
    )?
    .into_iter()
    .map(|r| Ok((r.text(0)?, r.text(1)?)))
    .collect()
}

/// The owner an OpenID provider's subject signs in as: linked before, or the one with that
/// confirmed address (linked now), or a new one (confirmed, with no password).
pub(super) fn owner_for_identity(
    c: &mut dyn Sql,
    provider: &str,
    subject: &str,
    email: &str,
    now: i64,
) -> Result<i64, StoreError> {
    let linked = first_int(c.row(
        "SELECT owner_id FROM owner_identities WHERE provider = $1 AND subject = $2",
        args![provider, subject],
    )?)?;
    if let Some(id) = linked {
        return Ok(id);
    }
    let existing = first_int(c.row(
        "SELECT id FROM owners WHERE lower(email) = lower($1)",
        args![email],
    )?)?;
    let id = match existing {
        Some(id) => {
            // The provider confirmed the address: that is what confirming it here does.
            set_verified(c, id)?;
            id
        }
        // "!" is no argon2 hash: no password signs in until one is reset.
        None => first_int(c.row(
            "INSERT INTO owners (email, password_hash, verified, created_at)
             VALUES ($1, '!', 1, $2) RETURNING id",
            args![email, now],
        )?)?
        .ok_or(StoreError::Worker("no id for a new owner".into()))?,
    };
    c.exec(
        "INSERT INTO owner_identities (provider, subject, owner_id) VALUES ($1, $2, $3)",
        args![provider, subject, id],
    )?;
    Ok(id)
}

/// The role `owner_id` holds on `hub_id`, if any.
pub(super) fn role(
    c: &mut dyn Sql,
    hub_id: &str,
    owner_id: i64,
) -> Result<Option<String>, StoreError> {
    first_text(c.row(
        "SELECT role FROM memberships WHERE hub_id = $1 AND owner_id = $2",
        args![hub_id, owner_id],
    )?)
}

/// Who may open `hub_id`: (owner id, e-mail, role), owners first.
pub(super) fn members(
    c: &mut dyn Sql,
    hub_id: &str,
) -> Result<Vec<(i64, String, String)>, StoreError> {
    c.rows(
        "SELECT o.id, o.email, m.role FROM memberships m JOIN owners o ON o.id = m.owner_id
         WHERE m.hub_id = $1 ORDER BY m.role DESC, lower(o.email)",
        args![hub_id],
    )?
    .into_iter()
    .map(|r| Ok((r.int(0)?, r.text(1)?, r.text(2)?)))
    .collect()
}

/// Invitations to `hub_id` not yet accepted and still valid: (e-mail, expiry).
pub(super) fn pending_invites(
    c: &mut dyn Sql,
    hub_id: &str,
    now: i64,
) -> Result<Vec<(String, i64)>, StoreError> {
    c.rows(
        "SELECT email, expires_at FROM invites WHERE hub_id = $1 AND expires_at > $2
         ORDER BY lower(email)",
        args![hub_id, now],
    )?
    .into_iter()
    .map(|r| Ok((r.text(0)?, r.int(1)?)))
    .collect()
}

/// Takes a manager's access to `hub_id` away (an owner's stays); whether there was one.
pub(super) fn remove_manager(
    c: &mut dyn Sql,
    hub_id: &str,
    owner_id: i64,
) -> Result<bool, StoreError> {
    Ok(c.exec(
        "DELETE FROM memberships WHERE hub_id = $1 AND owner_id = $2 AND role = 'manager'",
        args![hub_id, owner_id],
    )? > 0)
}

pub(super) fn insert_invite(
    c: &mut dyn Sql,
    token_hash: &str,
    hub_id: &str,
    email: &str,
    invited_by: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    c.exec(
        "INSERT INTO invites (token_hash, hub_id, email, role, invited_by, expires_at)
         VALUES ($1, $2, $3, 'manager', $4, $5)",
        args![token_hash, hub_id, email, invited_by, expires_at],
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
    c: &mut dyn Sql,
    token_hash: &str,
    owner_id: i64,
    email: &str,
    now: i64,
) -> Result<Accepted, StoreError> {
    let Some(invite) = c.row(
        "SELECT hub_id, email, role FROM invites WHERE token_hash = $1 AND expires_at > $2",
        args![token_hash, now],
    )?
    else {
        return Ok(Accepted::Unknown);
    };
    let (hub, invited, role) = (invite.text(0)?, invite.text(1)?, invite.text(2)?);
    if !invited.eq_ignore_ascii_case(email) {
        return Ok(Accepted::NotYours);
    }
    c.exec(
        "DELETE FROM invites WHERE token_hash = $1",
        args![token_hash],
    )?;
    // Someone who owns the hub already keeps owning it.
    c.exec(
        "INSERT INTO memberships (hub_id, owner_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (hub_id, owner_id) DO NOTHING",
        args![&hub, owner_id, role],
    )?;
    Ok(Accepted::Hub(hub))
}
