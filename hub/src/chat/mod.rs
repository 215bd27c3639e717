//! Chat (CHAT-1 … CHAT-21 but the messenger channels): guests known by a browser token,
//! their dialogues with staff, messages in per-dialogue sequence, the guest and team
//! sockets, the dialogue lifecycle and its timers, and the Team Messenger's REST routes.
//!
//! The rule every path keeps: a message is acknowledged only after its commit, and is then
//! published on the [`bus`]; sockets deliver from the bus and fill any gap from the store,
//! so every client ends up with each message exactly once, in sequence.
//! It does not own staff accounts (`team`) or e-mail transport (`notify`).

pub mod api;
mod attachments;
mod automation;
mod bus;
mod channels;
mod db;
mod frames;
pub mod geoip;
pub mod guest_api;
mod guest_dialogue;
pub mod guest_ws;
mod guests;
mod hours;
mod identify;
mod inbox;
#[cfg(test)]
mod lifecycle_tests;
mod presence;
mod reply_time;
mod reports;
pub mod reports_api;
mod service;
mod settings;
mod staff_dialogue;
pub mod team_ws;
pub mod timers;
mod visitors;
mod ws_close;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::store::StoreError;

pub use channels::{ChannelGuest, ChannelLink, ChannelLinks};
pub use service::{Alert, Chat, ChatParts, Posted};
pub use visitors::Visitor;

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 4000;
/// Longest client id a client may attach to a message.
pub const MAX_CLIENT_ID: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("no such dialogue")]
    NoSuchDialogue,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotAllowed(&'static str),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("please accept the privacy policy to start a chat")]
    ConsentRequired,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    File(#[from] attachments::FileRefused),
    /// Attachments could not be written (disk full, permissions).
    #[error("{0}")]
    Disk(String),
    /// The team could not be read.
    #[error("{0}")]
    Team(String),
    /// Another party refused or did not answer (the CRM).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Mail(String),
}

impl From<rusqlite::Error> for ChatError {
    fn from(e: rusqlite::Error) -> ChatError {
        ChatError::Store(StoreError::Sqlite(e))
    }
}

impl ChatError {
    /// The short code sockets put in their error frames.
    pub fn code(&self) -> &'static str {
        match self {
            ChatError::Store(_) => "internal",
            ChatError::NoSuchDialogue => "not_found",
            ChatError::Invalid(_) => "invalid",
            ChatError::NotAllowed(_) => "forbidden",
            ChatError::Conflict(_) => "conflict",
            ChatError::ConsentRequired => "consent_required",
            ChatError::NotFound => "not_found",
            ChatError::File(_) => "invalid_file",
            ChatError::Refused(_) => "conflict",
            ChatError::Disk(_) | ChatError::Team(_) | ChatError::Mail(_) => "internal",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialogueState {
    New,
    Unassigned,
    Assigned,
    Ended,
}

impl DialogueState {
    pub fn as_str(self) -> &'static str {
        match self {
            DialogueState::New => "new",
            DialogueState::Unassigned => "unassigned",
            DialogueState::Assigned => "assigned",
            DialogueState::Ended => "ended",
        }
    }

    pub fn parse(s: &str) -> DialogueState {
        match s {
            "new" => DialogueState::New,
            "assigned" => DialogueState::Assigned,
            "ended" => DialogueState::Ended,
            _ => DialogueState::Unassigned,
        }
    }
}

/// A guest's dialogue with staff, or a direct one between colleagues (CHAT-21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DialogueKind {
    Guest,
    Direct,
}

impl DialogueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DialogueKind::Guest => "guest",
            DialogueKind::Direct => "direct",
        }
    }

    /// The column's CHECK keeps it to these two.
    pub fn parse(s: &str) -> DialogueKind {
        match s {
            "direct" => DialogueKind::Direct,
            _ => DialogueKind::Guest,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Guest,
    Staff,
    Bot,
    System,
}

impl AuthorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorKind::Guest => "guest",
            AuthorKind::Staff => "staff",
            AuthorKind::Bot => "bot",
            AuthorKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> AuthorKind {
        match s {
            "guest" => AuthorKind::Guest,
            "staff" => AuthorKind::Staff,
            "bot" => AuthorKind::Bot,
            _ => AuthorKind::System,
        }
    }
}

/// A stored message as every client sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub dialogue_id: i64,
    pub seq: i64,
    pub author_kind: AuthorKind,
    pub author_id: i64,
    pub author_name: String,
    pub body: String,
    pub private: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentRef>,
    pub at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttachmentRef {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

/// Trims and checks a message body.
pub fn clean_body(body: &str) -> Result<String, ChatError> {
    let b = body.trim();
    if b.is_empty() {
        return Err(ChatError::Invalid("the message is empty".into()));
    }
    if b.chars().count() > MAX_BODY_CHARS {
        return Err(ChatError::Invalid(format!(
            "a message has at most {MAX_BODY_CHARS} characters"
        )));
    }
    Ok(b.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect())
}

/// A client id is optional, short and printable.
pub fn clean_client_id(id: Option<&str>) -> Result<Option<String>, ChatError> {
    match id {
        None => Ok(None),
        Some(id)
            if !id.is_empty()
                && id.len() <= MAX_CLIENT_ID
                && id.chars().all(|c| c.is_ascii_graphic()) =>
        {
            Ok(Some(id.to_owned()))
        }
        Some(_) => Err(ChatError::Invalid(format!(
            "client_id: 1 to {MAX_CLIENT_ID} printable ASCII characters"
        ))),
    }
}

/// E-mails every member of staff who keeps offline notifications on; failures are logged,
/// the chat goes on (the message is already stored and shown in the Team Messenger).
/// E-mails the members who asked for it and have no Team Messenger open (`connected`).
pub async fn notify_team(
    team: &crate::team::Team,
    mailer: &crate::notify::Mailer,
    connected: &std::collections::HashSet<i64>,
    subject: &str,
    text: &str,
) {
    let members = match team.members().await {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "Cannot list the team to notify.");
            return;
        }
    };
    for m in members
        .into_iter()
        .filter(|m| m.offline_notifications && !connected.contains(&m.id))
    {
        if let Err(e) = mailer.send(&m.email, subject, text).await {
            tracing::warn!(error = %e, "A team notification e-mail failed.");
        }
    }
}
