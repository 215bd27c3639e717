//! The property's people: the owner made at set-up, members invited by link, their roles,
//! sessions and availability, and the property settings staff edit (TEAM-1, -2, -4, -5).
//! It does not decide what a role may do in other capabilities; those ask [`Role`].

pub mod api;
mod db;
mod property;
pub mod secure_api;
mod service;
pub mod staff_api;

pub use db::{Invite, Member};
pub use property::{Property, PropertyChanged, PropertySettings, Weekday, WorkingDay};
pub use service::{InviteFor, InviteSent, SeedMember, Session, Team};
pub use staff_api::{ChatAdmin, Staff};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    ChatAdmin,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::ChatAdmin => "chat_admin",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "chat_admin" => Role::ChatAdmin,
            "agent" => Role::Agent,
            _ => return None,
        })
    }

    /// Team, property settings, devices: the admin app's sections.
    pub fn administers_hub(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Online,
    Away,
    Offline,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Online => "online",
            Availability::Away => "away",
            Availability::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Availability {
        match s {
            "online" => Availability::Online,
            "away" => Availability::Away,
            _ => Availability::Offline,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error("the owner already exists")]
    AlreadySetUp,
    #[error("the set-up code is wrong")]
    WrongSetupCode,
    #[error("this invite link has expired or was already used")]
    InviteGone,
    #[error("no such member")]
    NoSuchMember,
    #[error("{0}")]
    NotAllowed(&'static str),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("wrong e-mail or password")]
    WrongCredentials,
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
}

impl From<crate::secret::HashingFailed> for TeamError {
    fn from(e: crate::secret::HashingFailed) -> TeamError {
        TeamError::Hashing(e.0)
    }
}

impl From<rusqlite::Error> for TeamError {
    fn from(e: rusqlite::Error) -> TeamError {
        TeamError::Store(StoreError::Sqlite(e))
    }
}

/// Trims and checks a person's name or nickname.
pub fn clean_name(field: &'static str, value: &str, required: bool) -> Result<String, TeamError> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(TeamError::Invalid {
            field,
            message: "is required".into(),
        });
    }
    if v.chars().count() > 80 || v.chars().any(char::is_control) {
        return Err(TeamError::Invalid {
            field,
            message: "at most 80 characters, no control characters".into(),
        });
    }
    Ok(v.to_owned())
}

/// A plausible address: something@something.tld, no spaces, at most 254 bytes.
pub fn clean_email(value: &str) -> Result<String, TeamError> {
    let v = value.trim();
    let ok = v.len() <= 254
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if ok {
        Ok(v.to_owned())
    } else {
        Err(TeamError::Invalid {
            field: "email",
            message: "is not an e-mail address".into(),
        })
    }
}

/// A member, read inside another capability's transaction (the chat names whom it routes a
/// dialogue to in the same commit). [`TeamError::NoSuchMember`] when there is none.
pub fn read_member(conn: &rusqlite::Connection, id: i64) -> Result<Member, TeamError> {
    db::member(conn, id)
}

/// The set-up code of the store's hub while it has no owner (made on first call), for
/// `hub setup-code`: no running hub needed.
pub async fn setup_code(
    store: &crate::store::Store,
    clock: &crate::clock::Clock,
) -> Result<Option<String>, TeamError> {
    let now = clock.now_text();
    store.write(move |c| db::ensure_setup_code(c, &now)).await
}

/// Staff for other capabilities' unit tests: a member made directly in the store.
#[cfg(test)]
pub(crate) async fn test_member(
    store: &crate::store::Store,
    email: &'static str,
    name: &'static str,
    status: Availability,
) -> Member {
    let now = crate::clock::Clock::system().now_text();
    store
        .write(move |c| {
            let user = db::NewUser {
                email,
                name,
                nickname: "",
                role: Role::Agent,
                password_hash: "x",
            };
            let id = db::create_user(c, &user, &now)?;
            db::set_availability(c, id, status, true)?;
            db::member(c, id)
        })
        .await
        .expect("a test member")
}
