//! Web Push to the staff's browsers and installed Team Messenger (TEAM-3, NOTIFY-3): the
//! hub's VAPID key (RFC 8292), the subscriptions browsers hand over, and sending a notice
//! to a member's every subscription, encrypted for each (RFC 8291, aes128gcm) and posted to
//! its push service (RFC 8030). A subscription the push service says is gone (404, 410) is
//! dropped.

pub mod api;
mod db;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};
use web_push_native::{p256, Auth, WebPushBuilder};

use crate::clock::Clock;
use crate::store::{Store, StoreError};

pub use db::Subscription;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("the hub's push key is damaged: {0}")]
    Key(String),
}

impl From<rusqlite::Error> for PushError {
    fn from(e: rusqlite::Error) -> Self {
        PushError::Store(StoreError::from(e))
    }
}

/// What a notification says, as the service worker reads it (JSON).
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub title: String,
    pub body: String,
    /// The page to open when the notification is tapped, e.g. `/messenger/#d/12`.
    pub url: String,
    /// Notices with one tag replace each other (one per conversation).
    pub tag: String,
}

/// A subscription as the browser's `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewSubscription {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
}

/// The front door.
#[derive(Clone)]
pub struct Push {
    inner: Arc<Inner>,
}

struct Inner {
    /// Members with at least one subscription, kept with the table: an alert for nobody
    /// reachable costs no store read.
    subscribed: std::sync::RwLock<HashSet<i64>>,
    store: Store,
    clock: Clock,
    key: ES256KeyPair,
    http: reqwest::Client,
    /// The VAPID `sub` claim: how a push service can reach whoever runs this hub.
    contact: String,
}

impl Push {
    /// Loads the hub's VAPID key, making it on first start.
    pub async fn start(
        store: Store,
        clock: Clock,
        http: reqwest::Client,
        host_name: &str,
    ) -> Result<Push, PushError> {
        let now = clock.now_text();
        let fresh = ES256KeyPair::generate().to_bytes();
        let bytes = store.write(move |c| db::key(c, &fresh, &now)).await?;
        let key = ES256KeyPair::from_bytes(&bytes).map_err(|e| PushError::Key(e.to_string()))?;
        let subscribed = store.read(db::subscribed_members).await?;
        Ok(Push {
            inner: Arc::new(Inner {
                subscribed: std::sync::RwLock::new(subscribed.into_iter().collect()),
                store,
                clock,
                key,
                http,
                contact: format!("https://{host_name}.local/"),
            }),
        })
    }

    /// The VAPID public key, base64url of the uncompressed point: the browser's
    /// `applicationServerKey`.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(
            self.inner
                .key
                .public_key()
                .public_key()
                .to_bytes_uncompressed(),
        )
    }

    /// Keeps `new` for `user_id` (the same endpoint again replaces the old one). The
    /// endpoint must be HTTPS, as every push service is; plain HTTP only on loopback.
    pub async fn subscribe(&self, user_id: i64, new: NewSubscription) -> Result<(), PushError> {
        let url = url::Url::parse(&new.endpoint)
            .map_err(|_| PushError::Invalid("the endpoint is not a URL".into()))?;
        let local = url.host_str().is_some_and(|h| {
            h == "localhost"
                || h.parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
        if !(url.scheme() == "https" || (url.scheme() == "http" && local))
            || new.endpoint.len() > 1000
        {
            return Err(PushError::Invalid(
                "the endpoint must be an HTTPS push service".into(),
            ));
        }
        builder(&new.endpoint, &new.keys.p256dh, &new.keys.auth)?;
        let now = self.inner.clock.now_text();
        self.inner
            .store
            .write(move |c| db::subscribe(c, user_id, &new, &now))
            .await?;
        self.reload().await
    }

    /// Whether a notice about a conversation with this assignee (none: everyone's) could
    /// reach anyone by push; from memory, cheap enough to ask per message.
    pub fn could_reach(&self, assignee: Option<i64>) -> bool {
        let subscribed = self
            .inner
            .subscribed
            .read()
            .unwrap_or_else(|p| p.into_inner());
        match assignee {
            Some(id) => subscribed.contains(&id),
            None => !subscribed.is_empty(),
        }
    }

    /// Members with at least one subscription (from memory).
    pub fn subscribed(&self) -> HashSet<i64> {
        self.inner
            .subscribed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn reload(&self) -> Result<(), PushError> {
        let now: HashSet<i64> = self
            .inner
            .store
            .read(db::subscribed_members)
            .await?
            .into_iter()
            .collect();
        *self
            .inner
            .subscribed
            .write()
            .unwrap_or_else(|p| p.into_inner()) = now;
        Ok(())
    }

    /// Forgets `endpoint` of `user_id` (the browser unsubscribed).
    pub async fn unsubscribe(&self, user_id: i64, endpoint: String) -> Result<(), PushError> {
        self.inner
            .store
            .write(move |c| db::unsubscribe(c, user_id, &endpoint))
            .await?;
        self.reload().await
    }

    /// Members with at least one subscription, in id order.
    pub fn reachable(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.subscribed().into_iter().collect();
        ids.sort_unstable();
        ids
    }

    /// Sends `notice` to every subscription of `user_ids`, at most 8 requests at once; a
    /// push service's refusal is logged per subscription, not returned.
    pub async fn send(&self, user_ids: Vec<i64>, notice: &Notice) -> Result<(), PushError> {
        let subscriptions = self
            .inner
            .store
            .read(move |c| db::subscriptions_of(c, &user_ids))
            .await?;
        let payload = serde_json::to_vec(notice).map_err(|e| PushError::Invalid(e.to_string()))?;
        let gate = Arc::new(tokio::sync::Semaphore::new(8));
        let mut tasks = tokio::task::JoinSet::new();
        for s in subscriptions {
            let (push, payload, gate) = (self.clone(), payload.clone(), gate.clone());
            tasks.spawn(async move {
                let _turn = gate.acquire_owned().await;
                push.deliver(&s, payload).await
            });
        }
        let mut gone = false;
        while let Some(outcome) = tasks.join_next().await {
            gone |= matches!(outcome, Ok(Outcome::Gone));
        }
        if gone {
            self.reload().await?;
        }
        Ok(())
    }

    async fn deliver(&self, s: &Subscription, payload: Vec<u8>) -> Outcome {
        let request = builder(&s.endpoint, &s.p256dh, &s.auth).and_then(|b| {
            b.with_valid_duration(Duration::from_secs(12 * 60 * 60))
                .with_vapid(&self.inner.key, &self.inner.contact)
                .build(payload)
                .map_err(|e| PushError::Invalid(e.to_string()))
        });
        let request = match request.and_then(|r| {
            reqwest::Request::try_from(r).map_err(|e| PushError::Invalid(e.to_string()))
        }) {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "A push could not be made.");
                return Outcome::Failed;
            }
        };
        match self.inner.http.execute(request).await {
            Ok(r) if r.status().is_success() => Outcome::Delivered,
            Ok(r) if matches!(r.status().as_u16(), 404 | 410) => {
                let (store, id) = (self.inner.store.clone(), s.id);
                if let Err(e) = store.write(move |c| db::drop_subscription(c, id)).await {
                    tracing::warn!(error = %e, "A gone push subscription stays.");
                }
                Outcome::Gone
            }
            Ok(r) => {
                tracing::warn!(status = %r.status(), "A push service refused a notice.");
                Outcome::Failed
            }
            Err(e) => {
                tracing::warn!(error = %e, "A push service did not answer.");
                Outcome::Failed
            }
        }
    }
}

enum Outcome {
    Delivered,
    Gone,
    Failed,
}

/// The request builder for one subscription, its keys checked (RFC 8291 §3.2: a P-256
/// point and a 16-byte secret).
fn builder(endpoint: &str, p256dh: &str, auth: &str) -> Result<WebPushBuilder, PushError> {
    let bad = |what: &str| PushError::Invalid(format!("the subscription's {what} is not usable"));
    let endpoint = endpoint.parse().map_err(|_| bad("endpoint"))?;
    let public = URL_SAFE_NO_PAD
        .decode(p256dh.trim_end_matches('='))
        .ok()
        .and_then(|b| p256::PublicKey::from_sec1_bytes(&b).ok())
        .ok_or_else(|| bad("p256dh key"))?;
    let secret = URL_SAFE_NO_PAD
        .decode(auth.trim_end_matches('='))
        .ok()
        .filter(|b| b.len() == 16)
        .ok_or_else(|| bad("auth secret"))?;
    Ok(WebPushBuilder::new(
        endpoint,
        public,
        Auth::clone_from_slice(&secret),
    ))
}
