//! The shared gateway bot (CLOUD-2): the relay's own Telegram bot for hotels without one of
//! their own. A guest opens a hotel's link (`t.me/<bot>?start=h-<hub id>-…`); the relay
//! remembers which hub the chat writes to and forwards every update of that chat, as it
//! came and signed with the hub's own secret, over the hub's link to its
//! `/hooks/gateway/telegram`, answering Telegram with the hub's answer: stored, or "later"
//! (Telegram keeps and retries updates while a hub is offline). The hub sends its answers
//! back through `POST /api/v1/hubs/gateway/send`; the relay keeps no conversation.

mod db;
mod telegram;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cloud_link::HubId;
use hmac::Mac;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{GatewayConfig, PublicUrl};
use crate::registry::Registry;
use crate::store::{Store, StoreError};
use crate::tunnel::Streams;

/// What a forwarded update takes at most, end to end.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(25);

#[derive(Clone)]
pub struct Gateway {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    api: String,
    token: String,
    /// The `secret_token` Telegram puts in every webhook request to us.
    webhook_secret: String,
    username: String,
    store: Store,
    streams: Streams,
    registry: Registry,
    public: PublicUrl,
}

/// How a forwarded update went, as Telegram should be answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Forwarded {
    /// Taken (or not for any hotel): 200.
    Done,
    /// The hotel's hub could not take it now: 503, so Telegram sends it again.
    Later,
    /// Not Telegram's: 403.
    Refused,
}

/// A message a hub asks the gateway bot to send.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    pub chat_id: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub file: Option<SendFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendFile {
    pub name: String,
    pub content_type: String,
    /// The file's bytes, base64 (standard alphabet).
    pub data: String,
}

/// What the platform said to a hub's message.
#[derive(Debug)]
pub enum Sent {
    Ok,
    /// 429 with Telegram's `retry_after`, seconds.
    Wait(u64),
    /// Refused for good (blocked by the user, not this hub's chat): the reason.
    Refused(String),
    /// Telegram could not be reached.
    Unreachable(String),
}

impl Gateway {
    /// Asks Telegram who the bot is and sets its webhook to `<public>/gateway/telegram`.
    pub async fn start(
        config: &GatewayConfig,
        store: Store,
        (streams, registry): (Streams, Registry),
        public: PublicUrl,
    ) -> anyhow::Result<Gateway> {
        use anyhow::Context;
        store.ensure(&db::SCHEMA).await?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .context("cannot make the gateway's HTTP client")?;
        let api = config.telegram_api.trim_end_matches('/').to_owned();
        let token = config.telegram_token.trim().to_owned();
        let webhook_secret = {
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes())
                .context("the gateway token")?;
            mac.update(b"hub-relay gateway webhook");
            hex::encode(mac.finalize().into_bytes())
        };
        let username = telegram::me(&http, &api, &token)
            .await
            .context("Telegram does not take the gateway bot's token ([gateway] telegram_token)")?;
        let url = format!("{}://{}/gateway/telegram", public.scheme, public.authority);
        telegram::set_webhook(&http, &api, &token, &url, &webhook_secret)
            .await
            .context("Telegram refused the gateway bot's webhook")?;
        tracing::info!(bot = %username, "The shared Telegram bot is ready.");
        Ok(Gateway {
            inner: Arc::new(Inner {
                http,
                api,
                token,
                webhook_secret,
                username,
                store,
                streams,
                registry,
                public,
            }),
        })
    }

    /// The bot's username, for the hubs' deep links.
    pub fn username(&self) -> &str {
        &self.inner.username
    }

    /// Hub `hub` takes the gateway's updates, signed with `secret`.
    pub async fn enrol(&self, hub: &HubId, secret: String, now: i64) -> Result<(), StoreError> {
        let hub = hub.clone();
        self.inner
            .store
            .run(move |c| db::enrol(c, &hub, &secret, now))
            .await
    }

    /// A webhook from Telegram: checked, routed to its hotel by the chat (or the link's
    /// `h-<hub id>-` payload) and forwarded there.
    pub async fn webhook(&self, secret: Option<&str>, body: &[u8], now: i64) -> Forwarded {
        if !secret.is_some_and(|s| same(s, &self.inner.webhook_secret)) {
            return Forwarded::Refused;
        }
        let Some(update) = telegram::read(body) else {
            return Forwarded::Done;
        };
        let chat = update.chat_id.clone();
        let named = update.start_hub.clone();
        let route = self
            .inner
            .store
            .run(move |c| -> Result<_, StoreError> {
                if let Some(hub) = &named {
                    if db::secret_of(c, hub)?.is_some() {
                        db::route(c, &chat, hub, now)?;
                    }
                }
                let Some(hub) = db::hub_of(c, &chat)? else {
                    return Ok(None);
                };
                Ok(db::secret_of(c, &hub)?.map(|secret| (hub, secret)))
            })
            .await;
        match route {
            Ok(Some((hub, secret))) => self.forward(&hub, &secret, body).await,
            Ok(None) => {
                let text = telegram::open_the_link(&update.language);
                let _ = telegram::send_text(
                    &self.inner.http,
                    &self.inner.api,
                    &self.inner.token,
                    &update.chat_id,
                    text,
                )
                .await;
                Forwarded::Done
            }
            Err(e) => {
                tracing::error!(error = %e, "The gateway cannot read its routes.");
                Forwarded::Later
            }
        }
    }

    /// Carries the update to the hub as a request over its link, as a browser's would be,
    /// marked as the relay's own by the signature only the hub and the relay know.
    async fn forward(&self, hub: &HubId, secret: &str, body: &[u8]) -> Forwarded {
        // A hub away cannot answer: Telegram is told at once to try again later.
        let linked = match self.inner.registry.get(hub).await {
            Ok(Some(r)) => r.online_since.is_some() || self.inner.registry.linked_here(hub),
            _ => false,
        };
        if !linked {
            return Forwarded::Later;
        }
        let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
            return Forwarded::Later;
        };
        mac.update(body);
        let signature = hex::encode(mac.finalize().into_bytes());
        let host = format!("{hub}.{}", self.inner.public.authority);
        let mut request = format!(
            "POST /hooks/gateway/telegram HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nX-Relay-Signature: {signature}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let (mut ours, theirs) = tokio::io::duplex(64 * 1024);
        let streams = self.inner.streams.clone();
        let hub_id = hub.clone();
        let carrying = tokio::spawn(async move {
            let peer = SocketAddr::from(([127, 0, 0, 1], 0));
            let silent = "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 0\r\n\r\n".to_owned();
            streams
                .carry(hub_id, theirs, request, peer, true, silent)
                .await
        });
        let mut answer = Vec::new();
        let read = tokio::time::timeout(FORWARD_TIMEOUT, async {
            let mut buffer = [0u8; 4096];
            loop {
                match ours.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buffer[..n]),
                }
                if answer.len() > 64 * 1024 {
                    break;
                }
            }
        })
        .await;
        let _ = ours.shutdown().await;
        carrying.abort();
        let status = status_of(&answer);
        match (read, status) {
            (_, Some(s)) if (200..300).contains(&s) => Forwarded::Done,
            // The hub refused what it was sent (a secret it no longer holds, a platform it
            // disconnected): sending it again would not help.
            (_, Some(s)) if (400..500).contains(&s) && s != 408 && s != 429 => {
                tracing::warn!(hub = %hub, status = s, "A hub refused a gateway update.");
                Forwarded::Done
            }
            _ => Forwarded::Later,
        }
    }

    /// Sends a hub's message to a chat that writes to that hub.
    pub async fn send(&self, hub: &HubId, request: SendRequest) -> Sent {
        let chat = request.chat_id.clone();
        let routed = self.inner.store.run(move |c| db::hub_of(c, &chat)).await;
        match routed {
            Ok(Some(h)) if &h == hub => {}
            Ok(_) => return Sent::Refused("this chat does not write to this hotel".into()),
            Err(e) => return Sent::Unreachable(e.to_string()),
        }
        telegram::send(
            &self.inner.http,
            &self.inner.api,
            &self.inner.token,
            request,
        )
        .await
    }
}

/// Two secrets equal, compared in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// The status code of an HTTP/1.1 answer's first line.
fn status_of(answer: &[u8]) -> Option<u16> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(answer).ok()?;
    response.code
}
