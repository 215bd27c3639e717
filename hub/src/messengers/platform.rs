//! What the four platforms have in common, as the rest of the capability sees them: which
//! platform, the owner's credentials, a guest's message read from a webhook, a message to
//! send, and how a send can fail.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    Telegram,
    Viber,
    Whatsapp,
    Messenger,
}

impl Platform {
    pub const ALL: [Platform; 4] = [
        Platform::Telegram,
        Platform::Viber,
        Platform::Whatsapp,
        Platform::Messenger,
    ];

    /// The name in paths, the store and the dialogue's channel.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Telegram => "telegram",
            Platform::Viber => "viber",
            Platform::Whatsapp => "whatsapp",
            Platform::Messenger => "messenger",
        }
    }

    pub fn parse(s: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The platform's name as people write it.
    pub fn label(self) -> &'static str {
        match self {
            Platform::Telegram => "Telegram",
            Platform::Viber => "Viber",
            Platform::Whatsapp => "WhatsApp",
            Platform::Messenger => "Facebook Messenger",
        }
    }

    /// Meta's platforms take free text only within 24 hours of the guest's last message
    /// (developers.facebook.com, WhatsApp "customer service window", Messenger "standard
    /// messaging"); after it, only templates or tagged messages.
    pub fn reply_window(self) -> Option<chrono::Duration> {
        match self {
            Platform::Whatsapp | Platform::Messenger => Some(chrono::Duration::hours(24)),
            Platform::Telegram | Platform::Viber => None,
        }
    }

    /// The gap kept between two messages to one chat. Telegram asks for no more than one
    /// a second in a chat (core.telegram.org/bots/faq, "avoid sending more than one message
    /// per second"); the others publish no per-chat figure, and a short gap keeps order.
    pub fn per_chat_gap(self) -> Duration {
        match self {
            Platform::Telegram => Duration::from_secs(1),
            Platform::Viber | Platform::Whatsapp | Platform::Messenger => {
                Duration::from_millis(200)
            }
        }
    }
}

/// What the owner enters for a platform, and what the hub made for it. Stored sealed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Credentials {
    /// Telegram's bot token, Viber's auth token, or Meta's access token.
    pub token: String,
    /// Meta's app secret: the key of `X-Hub-Signature-256`.
    pub app_secret: String,
    /// WhatsApp's phone-number id or the Facebook page's id.
    pub account_id: String,
    /// Made by the hub: Telegram's `secret_token`, the `hub.verify_token` Meta's
    /// subscription check must echo, or the key the relay signs the shared bot's forwarded
    /// updates with.
    pub webhook_secret: String,
    /// The relay's shared bot rather than the property's own (Telegram only).
    pub shared: bool,
}

/// The bot as its platform describes it.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct BotInfo {
    /// Shown to the owner: "@HotelAuroraBot", "Hotel Aurora", "+351 912 345 678".
    pub name: String,
    /// What a deep link needs (username, chat URI, number in digits, page).
    pub link_name: String,
}

/// A guest's file the hub fetches from the platform.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FileRef {
    /// Telegram's `file_id` (getFile, then the file path).
    Telegram(String),
    /// A URL the platform serves the file at (Viber `media`, Messenger attachment `url`).
    Url(String),
    /// WhatsApp's media id (GET `/<id>` gives a URL fetched with the token).
    WhatsappMedia(String),
}

/// One message a guest sent, read from a webhook.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Inbound {
    /// Where answers go: Telegram chat id, Viber user id, WhatsApp number, page-scoped id.
    pub address: String,
    /// The platform's id of this message (a repeated delivery carries the same).
    pub message_id: String,
    pub name: String,
    pub language: String,
    pub text: String,
    /// A deep link's payload: Telegram's `/start <payload>`, Viber's `context`,
    /// Messenger's `ref`.
    pub start: Option<String>,
    pub file: Option<FileRef>,
}

/// A file sent to a guest.
#[derive(Debug, Clone)]
pub(super) struct OutFile {
    pub bytes: Vec<u8>,
    pub name: String,
    pub content_type: String,
    /// Where the platform can fetch it, for one (Viber) that takes only URLs.
    pub public_url: Option<String>,
}

/// One message to a guest or a member.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    pub text: String,
    pub file: Option<OutFile>,
}

/// Why a platform did not take a message.
#[derive(Debug, thiserror::Error)]
pub(super) enum SendError {
    /// The platform asked to wait (HTTP 429 or its own flood answer), with its hint.
    #[error("the platform asked to wait {0:?}")]
    RetryAfter(Duration),
    /// Could not reach it, or it failed on its side: try again later.
    #[error("{0}")]
    Transient(String),
    /// It refused this message for good (bad token, blocked by the user, outside the
    /// window): retrying the same would fail the same way.
    #[error("{0}")]
    Refused(String),
}

impl SendError {
    /// From an HTTP status and body that was not a success.
    pub(super) fn from_status(
        status: reqwest::StatusCode,
        body: &str,
        retry_after: Option<u64>,
    ) -> Self {
        let text: String = body.chars().take(300).collect();
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return SendError::RetryAfter(Duration::from_secs(retry_after.unwrap_or(5).max(1)));
        }
        if status.is_server_error() || status == reqwest::StatusCode::REQUEST_TIMEOUT {
            return SendError::Transient(format!("{status}: {text}"));
        }
        SendError::Refused(format!("{status}: {text}"))
    }

    pub(super) fn network(e: reqwest::Error) -> Self {
        SendError::Transient(format!("cannot reach the platform: {e}"))
    }
}

/// A webhook body that is not what the platform sends.
#[derive(Debug, thiserror::Error)]
#[error("unreadable webhook: {0}")]
pub struct DecodeError(pub String);

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        DecodeError(e.to_string())
    }
}

/// The HMAC-SHA256 of `body` under `key` equals `hex_signature` (hex, either case),
/// compared in constant time.
pub(super) fn hmac_sha256_matches(key: &[u8], body: &[u8], hex_signature: &str) -> bool {
    use hmac::Mac;
    let Ok(expected) = hex::decode(hex_signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Two strings equal, compared in constant time.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    !b.is_empty() && a.as_bytes().ct_eq(b.as_bytes()).into()
}
