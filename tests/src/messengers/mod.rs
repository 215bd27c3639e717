//! Local stand-ins for the four messenger platforms, on one loopback server: Telegram's Bot
//! API (`/bot<token>/<method>`, files at `/file/bot<token>/<path>`), Viber's REST bot API
//! (`/pa/<method>`), and Meta's Graph API for WhatsApp Cloud API and Messenger
//! (`/graph/<id>/…`). Each takes calls on the documented paths with the documented bodies
//! and credentials, keeps what it was sent, and posts webhooks to the hub signed as the
//! platform signs them (with a made-up signature when a test forges one). Telegram's
//! per-chat limit is enforced as the platform does: a second message to one chat within a
//! second is answered 429 with `retry_after`, and a test can plan 429s of its own.

mod hotel;
mod routes;

pub use hotel::*;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::Mac;
use serde_json::Value;

pub const TELEGRAM_TOKEN: &str = "7001234567:AAH-test-token_for-the-stand-in";
pub const TELEGRAM_BOT: &str = "AuroraHotelBot";
pub const VIBER_TOKEN: &str = "4453b6ac12345678-e02c5f12174805f9-daec9cbb5448c51f";
pub const VIBER_URI: &str = "aurorahotel";
pub const WHATSAPP_PHONE_ID: &str = "109876543210";
pub const WHATSAPP_NUMBER: &str = "+351 912 345 678";
pub const WHATSAPP_TOKEN: &str = "EAAwhatsapp-test-token";
pub const WHATSAPP_SECRET: &str = "whatsapp-app-secret";
pub const PAGE_ID: &str = "223344556677";
pub const PAGE_TOKEN: &str = "EAApage-test-token";
pub const PAGE_SECRET: &str = "messenger-app-secret";

/// One message a platform took from the hub.
#[derive(Debug, Clone)]
pub struct Sent {
    /// "telegram", "viber", "whatsapp" or "messenger".
    pub platform: &'static str,
    /// The chat or user it went to.
    pub to: String,
    /// "text", "photo", "document", "picture", "image", "file".
    pub kind: String,
    pub text: String,
    pub file: Option<Vec<u8>>,
    pub at: Instant,
}

#[derive(Default)]
struct Inner {
    telegram_webhook: Option<(String, String)>,
    viber_webhook: Option<String>,
    sent: Vec<Sent>,
    /// Every Telegram send asked, accepted or not: (when, chat, status).
    telegram_calls: Vec<(Instant, String, u16)>,
    planned_429: VecDeque<u64>,
    last_accepted: HashMap<String, Instant>,
    /// Files guests send, by Telegram file id or WhatsApp media id.
    files: HashMap<String, Vec<u8>>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    /// Where the hub's public names resolve (the relay's listener).
    relay: Arc<Mutex<Option<SocketAddr>>>,
    base: Arc<Mutex<String>>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A client that reaches `url`'s host at the relay, as the internet would.
    fn client_for(&self, url: &str) -> reqwest::Client {
        let mut b = reqwest::Client::builder().timeout(Duration::from_secs(15));
        let relay = *self.relay.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(relay), Ok(u)) = (relay, reqwest::Url::parse(url)) {
            if let Some(host) = u.host_str() {
                b = b.resolve(host, relay);
            }
        }
        b.build().unwrap_or_default()
    }
}

pub struct Platforms {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    shared: Shared,
    _task: tokio::task::JoinHandle<()>,
}

impl Platforms {
    /// Serves the four APIs; webhooks to a hub's public address go to `relay`.
    pub async fn start(relay: Option<SocketAddr>) -> anyhow::Result<Platforms> {
        let shared = Shared {
            inner: Arc::default(),
            relay: Arc::new(Mutex::new(relay)),
            base: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/{bot}/{method}", axum::routing::post(routes::telegram))
            .route(
                "/file/{bot}/{*path}",
                axum::routing::get(routes::telegram_file),
            )
            .route("/pa/{method}", axum::routing::post(routes::viber))
            .route("/graph/{id}", axum::routing::get(routes::graph_get))
            .route(
                "/graph/{id}/messages",
                axum::routing::post(routes::graph_messages),
            )
            .route(
                "/graph/{id}/media",
                axum::routing::post(routes::graph_media),
            )
            .route(
                "/graph/download/{id}",
                axum::routing::get(routes::graph_download),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", listener.local_addr()?);
        *shared.base.lock().unwrap_or_else(|p| p.into_inner()) = url.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Platforms {
            url,
            shared,
            _task: task,
        })
    }

    /// From now on, public names resolve to the relay at `relay` (one started after these).
    pub fn set_relay(&self, relay: SocketAddr) {
        *self.shared.relay.lock().unwrap_or_else(|p| p.into_inner()) = Some(relay);
    }

    /// What a hub's environment needs to use these stand-ins.
    pub fn hub_env(&self) -> Vec<(String, String)> {
        vec![
            ("HUB_MESSENGERS__TELEGRAM_API".into(), self.url.clone()),
            ("HUB_MESSENGERS__VIBER_API".into(), self.url.clone()),
            (
                "HUB_MESSENGERS__GRAPH_API".into(),
                format!("{}/graph", self.url),
            ),
        ]
    }

    /// Everything the platforms took, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.shared.lock().sent.clone()
    }

    /// Every Telegram send asked: when, to which chat, and the status answered.
    pub fn telegram_calls(&self) -> Vec<(Instant, String, u16)> {
        self.shared.lock().telegram_calls.clone()
    }

    /// The next Telegram sends are answered 429 with these `retry_after`s, one each.
    pub fn plan_429(&self, retry_after: &[u64]) {
        self.shared.lock().planned_429.extend(retry_after);
    }

    /// A file a guest sends (Telegram file id or WhatsApp media id).
    pub fn add_file(&self, id: &str, bytes: Vec<u8>) {
        self.shared.lock().files.insert(id.into(), bytes);
    }

    /// The webhook and secret the hub gave Telegram.
    pub fn telegram_webhook(&self) -> Option<(String, String)> {
        self.shared.lock().telegram_webhook.clone()
    }

    pub fn viber_webhook(&self) -> Option<String> {
        self.shared.lock().viber_webhook.clone()
    }

    /// Waits until the platforms took a message `matches` accepts; returns it.
    pub async fn wait_sent(
        &self,
        within: Duration,
        matches: impl Fn(&Sent) -> bool,
    ) -> anyhow::Result<Sent> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(s) = self.sent().into_iter().find(|s| matches(s)) {
                return Ok(s);
            }
            if Instant::now() > deadline {
                anyhow::bail!(
                    "not sent within {within:?}; sent so far: {:#?}",
                    self.sent()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Posts a Telegram update as Telegram does: its secret in
    /// `X-Telegram-Bot-Api-Secret-Token` (`forged`: a made-up one). The status answered.
    pub async fn telegram_update(&self, update: &Value, forged: bool) -> anyhow::Result<u16> {
        let (url, secret) = self
            .telegram_webhook()
            .ok_or_else(|| anyhow::anyhow!("the hub set no Telegram webhook"))?;
        let secret = if forged {
            "made-up-secret".into()
        } else {
            secret
        };
        let r = self
            .shared
            .client_for(&url)
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", secret)
            .json(update)
            .send()
            .await?;
        Ok(r.status().as_u16())
    }

    /// Posts an update until it is taken, as Telegram retries a webhook that did not
    /// answer 2xx (every 500 ms here, for at most `within`); the number of tries.
    pub async fn telegram_update_until_taken(
        &self,
        update: &Value,
        within: Duration,
    ) -> anyhow::Result<u32> {
        let deadline = Instant::now() + within;
        let mut tries = 0;
        loop {
            tries += 1;
            if let Ok(200) = self.telegram_update(update, false).await {
                return Ok(tries);
            }
            if Instant::now() > deadline {
                anyhow::bail!("the update was not taken in {tries} tries");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Posts `body` to `url` signed as `platform` signs: Viber's hex HMAC-SHA256 under the
    /// auth token in `X-Viber-Content-Signature`, or Meta's `sha256=` under the app secret
    /// in `X-Hub-Signature-256`. `forged` signs with the wrong key.
    pub async fn post_signed(
        &self,
        platform: &str,
        url: &str,
        body: &[u8],
        forged: bool,
    ) -> anyhow::Result<u16> {
        let (header, key, prefix) = match platform {
            "viber" => ("X-Viber-Content-Signature", VIBER_TOKEN, ""),
            "whatsapp" => ("X-Hub-Signature-256", WHATSAPP_SECRET, "sha256="),
            _ => ("X-Hub-Signature-256", PAGE_SECRET, "sha256="),
        };
        let key = if forged { "not-the-key" } else { key };
        let r = self
            .shared
            .client_for(url)
            .post(url)
            .header(header, format!("{prefix}{}", hmac_hex(key, body)))
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await?;
        Ok(r.status().as_u16())
    }

    /// Meta's subscription check against `url`: status and body.
    pub async fn meta_subscribe(
        &self,
        url: &str,
        verify_token: &str,
    ) -> anyhow::Result<(u16, String)> {
        let r = self
            .shared
            .client_for(url)
            .get(url)
            .query(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", verify_token),
                ("hub.challenge", "1158201444"),
            ])
            .send()
            .await?;
        Ok((r.status().as_u16(), r.text().await?))
    }
}

/// Hex HMAC-SHA256 of `body` under `key`.
pub fn hmac_hex(key: &str, body: &[u8]) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}
