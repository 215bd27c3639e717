//! The hub's link to the cloud relay (CLOUD-1, CLOUD-4): the hub's identity, the link out to
//! `hub-relay` (MQTT 3.1.1 over TLS, persistent session, client id = hub id) and the browser
//! connections the relay carries over it to the hub's own web routes. The hub works the same
//! with the link down; the admin app shows its state and last error.

pub mod api;
mod gateway;
mod identity;
mod link;
mod tunnel;
mod turn;

use std::sync::{Arc, Mutex};

use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::Clock;
use crate::config::CloudConfig;

pub use gateway::GatewaySent;
pub use identity::IdentityError;
pub use turn::TurnServer;

/// Why a request to the relay did not go through.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error("this hub is not linked to a cloud relay ([cloud] relay in its configuration)")]
    Off,
    #[error("the relay: {0}")]
    Relay(String),
}

/// What the owners' dashboard on the relay shows of this property (CLOUD-5).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Open guest dialogues waiting for a staff answer.
    pub unanswered: i64,
    /// Stays starting and ending today (the property's day).
    pub arrivals: i64,
    pub departures: i64,
    /// Devices in the registry, and those not answering.
    pub devices: i64,
    pub devices_offline: i64,
}

/// Makes the summary from the capabilities that know it; the wiring provides it. `None`
/// when one of them could not answer (nothing is sent then).
pub type SummarySource =
    Arc<dyn Fn() -> futures_util::future::BoxFuture<'static, Option<Summary>> + Send + Sync>;

/// A one-time code that lets an owner claim this hub on the relay.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimCode {
    /// Eight letters and digits, grouped `XXXX-XXXX`.
    pub code: String,
    /// Seconds it stays valid.
    pub expires_in_secs: i64,
}

/// An account on the relay that holds this hub.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq, Eq)]
pub struct RelayMember {
    pub email: String,
    /// `owner` or `manager`.
    pub role: String,
}

/// What the admin app shows about the link.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CloudStatus {
    /// Whether a relay is configured (`[cloud] relay`).
    pub enabled: bool,
    /// The relay's web address, as configured.
    pub relay: String,
    /// `off` (no relay configured), `connecting`, `online` or `offline`.
    pub state: LinkState,
    /// When the link reached its state (RFC 3339, UTC).
    pub since: Option<String>,
    /// The last failure, in words; kept after the link recovers.
    pub last_error: Option<String>,
    /// The hub's id on the relay.
    pub hub_id: Option<String>,
    /// Where browsers outside the hotel reach this hub (its widget, guest pages, apps).
    pub public_url: Option<String>,
    /// Where owners sign in on the relay (its public address, as the relay gives it).
    pub relay_public: Option<String>,
    /// How the link last came up: `tls` (the relay's link port) or `websocket` (its HTTPS
    /// port).
    pub transport: Option<crate::config::LinkTransport>,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Off,
    Connecting,
    Online,
    Offline,
}

/// Serves one browser connection the relay carries on the hub's own routes: the stream,
/// the browser's address, whether it spoke TLS to the relay. `false` when the hub's
/// connection limits refuse it. The wiring provides it (the web listener's).
pub type ServeCarried =
    Arc<dyn Fn(tokio::io::DuplexStream, std::net::SocketAddr, bool) -> bool + Send + Sync>;

#[derive(Clone)]
pub struct Cloud {
    config: CloudConfig,
    data_dir: std::path::PathBuf,
    status: Arc<Mutex<CloudStatus>>,
    clock: Clock,
    key: Arc<Mutex<Option<Arc<cloud_link::HubKey>>>>,
    /// The relay's TURN credentials, one request at a time.
    turn: Arc<tokio::sync::Mutex<Option<turn::Held>>>,
}

impl Cloud {
    pub fn new(config: &CloudConfig, data_dir: &std::path::Path, clock: Clock) -> Cloud {
        let enabled = !config.relay.is_empty();
        Cloud {
            config: config.clone(),
            data_dir: data_dir.to_owned(),
            status: Arc::new(Mutex::new(CloudStatus {
                enabled,
                relay: config.relay.clone(),
                state: if enabled {
                    LinkState::Connecting
                } else {
                    LinkState::Off
                },
                since: None,
                last_error: None,
                hub_id: None,
                public_url: None,
                relay_public: None,
                transport: None,
            })),
            clock,
            key: Arc::default(),
            turn: Arc::default(),
        }
    }

    pub fn status(&self) -> CloudStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Starts the link when a relay is configured: `serve` serves each browser connection
    /// it carries, `summary` says what the owners' dashboard shows, until `stop`.
    pub fn connect(
        &self,
        property_name: String,
        serve: ServeCarried,
        summary: SummarySource,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, IdentityError> {
        if self.config.relay.is_empty() {
            return Ok(None);
        }
        let key = Arc::new(identity::load_or_create(&self.data_dir)?);
        self.update(|s| s.hub_id = Some(key.id().to_string()));
        *self.key.lock().unwrap_or_else(|p| p.into_inner()) = Some(key.clone());
        let tunnel = tunnel::Tunnel::new(key.id(), serve);
        let link = link::Link {
            cloud: self.clone(),
            key,
            property_name,
            tunnel,
            summary,
        };
        Ok(Some(tokio::spawn(link.run(stop))))
    }

    /// Makes a claim code, registers it with the relay (signed with the hub's key) and
    /// returns it to show the owner.
    pub async fn claim_code(&self) -> Result<ClaimCode, CloudError> {
        // No 0/O or 1/I: the code is read off a screen and typed.
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let letters: String = (0..8)
            .map(|_| ALPHABET[rand::random::<usize>() % ALPHABET.len()] as char)
            .collect();
        let code = format!("{}-{}", &letters[..4], &letters[4..]);
        let answer = self
            .ask_relay(
                reqwest::Method::POST,
                "/api/v1/hubs/claim-code",
                Some(serde_json::json!({ "code": code })),
            )
            .await?;
        let said: serde_json::Value = answer.json().await.unwrap_or_default();
        Ok(ClaimCode {
            code,
            expires_in_secs: said["expires_in_secs"].as_i64().unwrap_or(3600),
        })
    }

    /// Sends a request to the relay's API at `path`, signed with the hub's key as its link
    /// is (`Authorization: Hub <id> <token>`); the relay's answer, whatever it said.
    async fn signed_request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<reqwest::Response, CloudError> {
        let key = self.key().ok_or(CloudError::Off)?;
        let relay = |e: &dyn std::fmt::Display| CloudError::Relay(e.to_string());
        let client = link::relay_client(&self.config).map_err(|e| relay(&e))?;
        let url = format!("{}{path}", self.config.relay.trim_end_matches('/'));
        // The relay checks the token against real time, not the hub's clock.
        let token = key.token(chrono::Utc::now().timestamp());
        let mut request = client.request(method, url).header(
            reqwest::header::AUTHORIZATION,
            format!("Hub {} {token}", key.id()),
        );
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.map_err(|e| relay(&e))
    }

    /// [`Self::signed_request`], and the answer only when the relay said yes.
    async fn ask_relay(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<reqwest::Response, CloudError> {
        let answer = self.signed_request(method, path, body).await?;
        if !answer.status().is_success() {
            let status = answer.status();
            let text: String = answer
                .text()
                .await
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect();
            return Err(CloudError::Relay(format!("{status}: {text}")));
        }
        Ok(answer)
    }

    /// Whose accounts on the relay hold this hub: e-mail and role (`owner`, `manager`),
    /// owners first; none before an owner has claimed it.
    pub async fn relay_access(&self) -> Result<Vec<RelayMember>, CloudError> {
        #[derive(serde::Deserialize)]
        struct Answer {
            members: Vec<RelayMember>,
        }
        let answer = self
            .ask_relay(reqwest::Method::GET, "/api/v1/hubs/access", None)
            .await?;
        let said: Answer = answer
            .json()
            .await
            .map_err(|e| CloudError::Relay(e.to_string()))?;
        Ok(said.members)
    }

    /// The hub's key, once the link has started.
    fn key(&self) -> Option<Arc<cloud_link::HubKey>> {
        self.key.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn update(&self, f: impl FnOnce(&mut CloudStatus)) {
        f(&mut self.status.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Records a change of the link's state, now.
    fn set_state(&self, state: LinkState, error: Option<String>) {
        let now = self.clock.now().to_rfc3339();
        self.update(|s| {
            if s.state != state {
                s.state = state;
                s.since = Some(now);
            }
            if error.is_some() {
                s.last_error = error;
            }
        });
    }
}
