//! Messenger channels (CLOUD-2, CLOUD-3, TEAM-3): the property's own Telegram bot, Viber
//! bot, WhatsApp number and Facebook page; guests who write there becoming dialogues in the
//! Team Messenger and the team's answers carried back by an outbox; the staff's own
//! messenger accounts, linked by a one-time code, for their notifications.
//!
//! The hub is not on the internet, so the platforms post their webhooks to its address on
//! the relay, carried to the hub over its link; a webhook is answered only after what it
//! brought is stored, so while the link is down the platforms keep and retry it. Every
//! webhook is verified over its raw bytes as its platform documents before it is read.

pub mod api;
mod bots;
mod db;
#[cfg(test)]
mod decode_tests;
mod inbound;
mod meta;
mod outbox;
mod platform;
mod staff;
mod telegram;
mod viber;
mod words;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::chat::Chat;
use crate::clock::Clock;
use crate::config::MessengersConfig;
use crate::ratelimit::FailureLimiter;
use crate::reception::Reception;
use crate::sealing::Sealer;
use crate::store::{Store, StoreError};

pub use db::StaffLink;
pub use platform::{BotInfo, Platform};
pub use staff::{Choices, LinkOffer, NoticeEvent, NoticeRoute};

use platform::{Credentials, Outgoing, SendError};

/// The largest file the hub fetches from a platform for a guest.
const MAX_GUEST_FILE: usize = 20 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum MessengerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("not found")]
    NotFound,
    #[error("{0} is not connected")]
    NotConnected(&'static str),
    #[error("{0}")]
    Invalid(String),
    /// A webhook whose signature or token is not the platform's.
    #[error("the request is not signed by the platform")]
    Unverified,
    /// Too many unverified webhooks from one address: seconds to wait.
    #[error("too many refused requests; wait {0} s")]
    TooMany(u64),
    #[error("the platform refused: {0}")]
    Platform(String),
    #[error("the hub has no public address yet: link it to the cloud relay first")]
    NoPublicAddress,
    #[error("the stored credentials cannot be opened: {0}")]
    Seal(String),
    #[error(transparent)]
    Decode(#[from] platform::DecodeError),
}

impl From<rusqlite::Error> for MessengerError {
    fn from(e: rusqlite::Error) -> Self {
        MessengerError::Store(StoreError::from(e))
    }
}

/// The hub's public address (its relay's, or the configured one), when it has one.
pub type PublicUrl = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// What the messengers need from the hub.
pub struct MessengersParts {
    pub store: Store,
    pub clock: Clock,
    pub data_dir: std::path::PathBuf,
    pub http: reqwest::Client,
    pub config: MessengersConfig,
    pub chat: Arc<Chat>,
    pub reception: Reception,
    pub public_url: PublicUrl,
    /// The cloud link: the relay's shared bot is reached through it.
    pub cloud: crate::cloud::Cloud,
}

/// What the owner enters to connect a platform.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBot {
    /// Telegram's bot token (from @BotFather), Viber's auth token, or Meta's access token.
    /// Empty (as every field here) keeps what is saved for a connected platform.
    #[serde(default)]
    pub token: String,
    /// Meta only: the app secret that signs its webhooks.
    #[serde(default)]
    pub app_secret: String,
    /// WhatsApp's phone-number id, or the Facebook page's id.
    #[serde(default)]
    pub account_id: String,
    /// Offer this channel in the widget, on the guest pages and on the QR plates.
    #[serde(default = "yes")]
    pub offered: bool,
    /// Telegram only: use the cloud relay's shared bot instead of the property's own (no
    /// token needed; guests see the relay's bot).
    #[serde(default)]
    pub shared: bool,
}

fn yes() -> bool {
    true
}

/// A platform as the admin app shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlatformStatus {
    pub platform: Platform,
    pub label: &'static str,
    pub connected: bool,
    /// Through the relay's shared bot.
    pub shared: bool,
    pub name: String,
    pub offered: bool,
    /// Where the platform posts its webhooks, once set.
    pub webhook_url: String,
    /// Why the webhook could not be set, if it could not.
    pub webhook_error: String,
    /// Meta only: the callback URL and verify token to enter in the app's dashboard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
    /// Webhooks refused since the hub started (bad signature or token).
    pub refused: u64,
}

/// A deep link a guest surface offers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuestLink {
    pub platform: Platform,
    pub label: &'static str,
    pub url: String,
    /// What the guest looks for there: "@SeaviewBot", "+351 912 345 678", the page.
    pub name: String,
}

/// How long the team may still send free text to a guest on a platform with a window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyWindow {
    pub platform: Platform,
    pub label: &'static str,
    /// When the window closes (RFC 3339); `None` on a platform without one.
    pub closes_at: Option<String>,
    /// The team's messages reach the guest now.
    pub open: bool,
}

/// A connected platform, its credentials open in memory.
#[derive(Clone)]
struct Bot {
    row: db::BotRow,
    creds: Credentials,
}

/// The front door.
#[derive(Clone)]
pub struct Messengers {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    clock: Clock,
    sealer: Sealer,
    http: reqwest::Client,
    config: MessengersConfig,
    chat: Arc<Chat>,
    reception: Reception,
    public_url: PublicUrl,
    cloud: crate::cloud::Cloud,
    bots: RwLock<HashMap<Platform, Bot>>,
    refused: HashMap<Platform, AtomicU64>,
    refusals: FailureLimiter,
    staff: staff::StaffSide,
    outbox: outbox::Outbox,
}

impl Messengers {
    /// Opens the sealing key, loads the connected platforms and starts the outbox (which
    /// first sends whatever was left unsent at the last stop).
    pub async fn start(parts: MessengersParts) -> Result<Messengers, MessengerError> {
        let sealer = Sealer::open(&parts.data_dir, "messengers.key")
            .map_err(|e| MessengerError::Seal(e.to_string()))?;
        let rows = parts.store.read(db::bots).await?;
        let mut bots = HashMap::new();
        for row in rows {
            match bots::open_credentials(&sealer, &row) {
                Ok(creds) => {
                    bots.insert(row.platform, Bot { row, creds });
                }
                Err(e) => tracing::error!(platform = row.platform.as_str(), error = %e,
                    "A messenger's stored credentials cannot be opened; connect it again."),
            }
        }
        let staff = staff::StaffSide::load(&parts.store).await?;
        let messengers = Messengers {
            inner: Arc::new(Inner {
                store: parts.store,
                clock: parts.clock,
                sealer,
                http: parts.http,
                config: parts.config,
                chat: parts.chat,
                reception: parts.reception,
                public_url: parts.public_url,
                cloud: parts.cloud,
                bots: RwLock::new(bots),
                refused: Platform::ALL
                    .into_iter()
                    .map(|p| (p, AtomicU64::new(0)))
                    .collect(),
                refusals: FailureLimiter::new(std::time::Duration::from_secs(60), 30),
                staff,
                outbox: outbox::Outbox::default(),
            }),
        };
        Ok(messengers)
    }

    /// Runs the outbox: sends what the team writes to messenger guests, and what was
    /// left unsent at the last stop.
    pub fn spawn_outbox(&self) -> tokio::task::JoinHandle<()> {
        outbox::spawn(self.clone())
    }

    fn bot(&self, platform: Platform) -> Option<Bot> {
        self.inner
            .bots
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&platform)
            .cloned()
    }

    /// Webhooks refused since start, all platforms (for `/metrics`).
    pub fn refused_total(&self) -> u64 {
        self.inner
            .refused
            .values()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The hub's public address without a trailing slash.
    fn public_base(&self) -> Option<String> {
        let configured = self.inner.config.public_url.trim_end_matches('/');
        if !configured.is_empty() {
            return Some(configured.to_owned());
        }
        (self.inner.public_url)().map(|u| u.trim_end_matches('/').to_owned())
    }

    /// Sends one message through `bot` outside the outbox (a greeting, a member's
    /// notification), in the background at the chat's pace, giving up after five minutes;
    /// a failure is logged.
    fn send_now(&self, bot: &Bot, address: &str, text: String) {
        let (m, bot, address) = (self.clone(), bot.clone(), address.to_owned());
        tokio::spawn(async move {
            let out = Outgoing { text, file: None };
            let budget = Some(std::time::Duration::from_secs(300));
            if let Err(e) = outbox::send_paced(&m, &bot, &address, &out, budget).await {
                tracing::warn!(platform = bot.row.platform.as_str(), error = %e,
                    "A message to a messenger was not sent.");
            }
        });
    }

    async fn send(&self, bot: &Bot, address: &str, out: &Outgoing) -> Result<(), SendError> {
        if bot.creds.shared {
            return self.send_shared(address, out).await;
        }
        let (http, c) = (&self.inner.http, &self.inner.config);
        match bot.row.platform {
            Platform::Telegram => {
                telegram::send(http, &c.telegram_api, &bot.creds, address, out).await
            }
            Platform::Viber => {
                let sender = self.inner.chat.property().name;
                viber::send(http, &c.viber_api, &bot.creds, &sender, address, out).await
            }
            Platform::Whatsapp => {
                meta::send_whatsapp(http, &c.graph_api, &bot.creds, address, out).await
            }
            Platform::Messenger => {
                meta::send_messenger(http, &c.graph_api, &bot.creds, address, out).await
            }
        }
    }

    /// A messenger dialogue's reply window as `member` may see it; `None` when the dialogue
    /// is not a messenger's.
    pub async fn reply_window(
        &self,
        member: &crate::team::Member,
        dialogue_id: i64,
    ) -> Result<Option<ReplyWindow>, MessengerError> {
        let detail = self
            .inner
            .chat
            .dialogue_detail(member, dialogue_id)
            .await
            .map_err(|e| match e {
                crate::chat::ChatError::Store(s) => MessengerError::Store(s),
                _ => MessengerError::NotFound,
            })?;
        let (Some(platform), Some(visitor)) = (
            Platform::parse(&detail.dialogue.channel),
            detail.visitor.map(|v| v.id),
        ) else {
            return Ok(None);
        };
        let guests = self
            .inner
            .store
            .read(move |c| db::guests_of_visitor(c, visitor))
            .await?;
        let Some(guest) = guests.into_iter().find(|g| g.platform == platform) else {
            return Ok(None);
        };
        let closes = platform
            .reply_window()
            .and_then(|w| crate::clock::parse(&guest.last_inbound_at).map(|t| t + w));
        Ok(Some(ReplyWindow {
            platform,
            label: platform.label(),
            closes_at: closes.map(crate::clock::stamp),
            open: closes.is_none_or(|c| c > self.inner.clock.now()),
        }))
    }

    /// Sends through the relay's shared bot.
    async fn send_shared(&self, chat: &str, out: &Outgoing) -> Result<(), SendError> {
        use base64::Engine as _;
        let file = out.file.as_ref().map(|f| {
            serde_json::json!({
                "name": f.name,
                "content_type": f.content_type,
                "data": base64::engine::general_purpose::STANDARD.encode(&f.bytes),
            })
        });
        let message = serde_json::json!({ "chat_id": chat, "text": out.text, "file": file });
        match self.inner.cloud.gateway_send(message).await {
            Ok(crate::cloud::GatewaySent::Sent) => Ok(()),
            Ok(crate::cloud::GatewaySent::Wait(s)) => Err(SendError::RetryAfter(
                std::time::Duration::from_secs(s.max(1)),
            )),
            Ok(crate::cloud::GatewaySent::Refused(why)) => Err(SendError::Refused(why)),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }

    /// A deep link's payload for `bot`: the relay's shared bot needs the hub's id first
    /// (`h-<hub id>-<payload>`) to know which hotel the guest means.
    fn payload(&self, bot: &Bot, payload: &str) -> String {
        if !bot.creds.shared {
            return payload.to_owned();
        }
        let hub = self.inner.cloud.status().hub_id.unwrap_or_default();
        if payload.is_empty() {
            format!("h-{hub}")
        } else {
            format!("h-{hub}-{payload}")
        }
    }

    /// The deep links guest surfaces offer, for the unit whose page is `slug` when known
    /// (its name for WhatsApp's filled-in text) and the guest's language.
    pub fn guest_links(&self, unit: Option<(&str, &str)>, lang: &str) -> Vec<GuestLink> {
        let bots = self.inner.bots.read().unwrap_or_else(|p| p.into_inner());
        let code = unit
            .map(|(slug, _)| format!("r-{slug}"))
            .unwrap_or_default();
        // Telegram's start payload is at most 64 characters (deep linking).
        let code = if code.len() <= 64 {
            code
        } else {
            String::new()
        };
        Platform::ALL
            .into_iter()
            .filter_map(|p| {
                bots.get(&p)
                    .filter(|b| b.row.offered && !b.row.link_name.is_empty())
            })
            .map(|b| {
                let name = &b.row.link_name;
                let url = match b.row.platform {
                    Platform::Telegram => {
                        let payload = self.payload(b, &code);
                        // Telegram's start payload is at most 64 characters.
                        let payload = if payload.len() <= 64 {
                            payload
                        } else {
                            self.payload(b, "")
                        };
                        telegram::deep_link(name, &payload)
                    }
                    Platform::Viber => viber::deep_link(name, &code),
                    Platform::Whatsapp => match unit {
                        Some((_, room)) if !code.is_empty() => {
                            meta::whatsapp_link(name, &words::whatsapp_text(lang, room, &code))
                        }
                        _ => meta::whatsapp_link(name, ""),
                    },
                    Platform::Messenger => meta::messenger_link(name, &code),
                };
                GuestLink {
                    platform: b.row.platform,
                    label: b.row.platform.label(),
                    url,
                    name: b.row.name.clone(),
                }
            })
            .collect()
    }

    /// Where a staff page is for a member who is not on the LAN: on the relay when the
    /// hub has a public address, else the hub's LAN address.
    pub fn team_link(&self, path: &str) -> String {
        let base = self.public_base().unwrap_or_else(|| {
            self.inner
                .reception
                .addresses()
                .first()
                .cloned()
                .unwrap_or_default()
        });
        format!("{}{path}", base.trim_end_matches('/'))
    }

    /// A file of the team's, for Viber to fetch by the URL the outbox gave it (signed, so
    /// only files the hub sent can be read).
    pub async fn media(
        &self,
        visitor_id: i64,
        attachment_id: i64,
        signature: &str,
    ) -> Result<(Vec<u8>, String), MessengerError> {
        let bot = self.bot(Platform::Viber).ok_or(MessengerError::NotFound)?;
        let expected = media_signature(&bot.creds, visitor_id, attachment_id);
        if !platform::same_secret(signature, &expected) {
            return Err(MessengerError::NotFound);
        }
        let (bytes, _, content_type) = self
            .inner
            .chat
            .channel_attachment(visitor_id, attachment_id)
            .await
            .map_err(|_| MessengerError::NotFound)?;
        Ok((bytes, content_type))
    }
}

/// The signature in a Viber media URL: HMAC-SHA256 of `visitor/attachment` under the bot's
/// webhook secret, hex.
fn media_signature(creds: &Credentials, visitor_id: i64, attachment_id: i64) -> String {
    use hmac::Mac;
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(creds.webhook_secret.as_bytes())
    {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(format!("{visitor_id}/{attachment_id}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A unit's name as a tag: letters and digits kept, the rest `-` (as the guest pages tag).
fn tag_safe(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect()
}

fn chat_error(e: crate::chat::ChatError) -> MessengerError {
    match e {
        crate::chat::ChatError::Store(s) => MessengerError::Store(s),
        other => MessengerError::Invalid(other.to_string()),
    }
}

/// Fetches a body of at most `max` bytes.
async fn download(request: reqwest::RequestBuilder, max: usize) -> Result<Vec<u8>, SendError> {
    let mut response = request.send().await.map_err(SendError::network)?;
    if !response.status().is_success() {
        return Err(SendError::from_status(response.status(), "", None));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(SendError::network)? {
        if bytes.len() + chunk.len() > max {
            return Err(SendError::Refused(format!("the file is over {max} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
