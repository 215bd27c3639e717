//! The property's people: the owner made at set-up, members invited by link, their roles,
//! sessions and availability, and the property settings staff edit (TEAM-1, -2, -4, -5).
//! It does not decide what a role may do in other capabilities; those ask [`Role`].

pub mod api;
pub mod db;
pub mod property;
pub mod secret;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::StoreError;
use crate::web::AppError;

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
}

impl From<rusqlite::Error> for TeamError {
    fn from(e: rusqlite::Error) -> TeamError {
        TeamError::Store(StoreError::Sqlite(e))
    }
}

impl From<TeamError> for AppError {
    fn from(e: TeamError) -> AppError {
        match e {
            TeamError::Store(e) => e.into(),
            TeamError::Hashing(why) => AppError::Internal(why),
            TeamError::EmailTaken | TeamError::AlreadySetUp => AppError::Conflict(e.to_string()),
            TeamError::WrongSetupCode => AppError::bad("wrong_setup_code", e.to_string()),
            TeamError::InviteGone => AppError::Gone(e.to_string()),
            TeamError::NoSuchMember => AppError::NotFound,
            TeamError::NotAllowed(why) => AppError::Conflict(why.to_owned()),
            TeamError::Invalid { field, message } => {
                AppError::bad("invalid_field", format!("{field}: {message}"))
            }
        }
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
