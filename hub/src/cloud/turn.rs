//! TURN credentials from the relay for the hub's calls (`POST /api/v1/hubs/turn`, signed
//! with the hub's key): asked for when a call needs them and kept until half their life is
//! over, so every credential handed on to a browser still has hours to run.

use std::time::Duration;

use serde::Deserialize;

use super::{Cloud, LinkState};

/// The longest a call's set-up waits for the relay's TURN credentials.
const TURN_ASK: Duration = Duration::from_secs(3);

/// A TURN server and its credential (W3C webrtc-pc §4.2.1 RTCIceServer).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TurnServer {
    pub urls: Vec<String>,
    pub username: String,
    pub credential: String,
}

#[derive(Debug, Deserialize)]
struct Answer {
    ice_servers: Vec<TurnServer>,
    /// Unix seconds.
    expires_at: i64,
}

/// What the relay last gave, and when (unix seconds).
#[derive(Debug)]
pub(super) struct Held {
    servers: Vec<TurnServer>,
    fetched_at: i64,
    expires_at: i64,
}

impl Cloud {
    /// The relay's TURN servers with a credential for this hub; none without a relay, or
    /// while the relay cannot be asked and the last credential has expired. Every call leg
    /// waits on this, so the relay is asked only while the link is up, for at most
    /// [`TURN_ASK`].
    pub async fn turn_servers(&self) -> Vec<TurnServer> {
        if self.key().is_none() {
            return Vec::new();
        }
        let mut held = self.turn.lock().await;
        // Credentials are checked against real time by the TURN server, not the hub's clock.
        let now = chrono::Utc::now().timestamp();
        let still_valid = |h: &Held| now < h.expires_at;
        if let Some(h) = held.as_ref() {
            if now < h.fetched_at + (h.expires_at - h.fetched_at) / 2 {
                return h.servers.clone();
            }
        }
        if self.status().state != LinkState::Online {
            return held
                .as_ref()
                .filter(|h| still_valid(h))
                .map(|h| h.servers.clone())
                .unwrap_or_default();
        }
        let asked = tokio::time::timeout(TURN_ASK, self.ask_for_turn())
            .await
            .unwrap_or_else(|_| Err(super::CloudError::Relay("no answer in time".into())));
        match asked {
            Ok(answer) => {
                let servers = answer.ice_servers.clone();
                *held = Some(Held {
                    servers: answer.ice_servers,
                    fetched_at: now,
                    expires_at: answer.expires_at,
                });
                servers
            }
            Err(e) => {
                tracing::warn!(error = %e, "The relay gave no TURN credentials.");
                held.as_ref()
                    .filter(|h| still_valid(h))
                    .map(|h| h.servers.clone())
                    .unwrap_or_default()
            }
        }
    }

    async fn ask_for_turn(&self) -> Result<Answer, super::CloudError> {
        self.ask_relay(reqwest::Method::POST, "/api/v1/hubs/turn", None)
            .await?
            .json()
            .await
            .map_err(|e| super::CloudError::Relay(e.to_string()))
    }
}
