//! The relay's shared Telegram bot (CLOUD-2), for a property without its own: enrolling
//! with the secret the relay signs forwarded updates with, and sending through it. Both are
//! requests to the relay's API signed with the hub's key.

use super::{Cloud, CloudError};

/// What the relay said to a message sent through its bot.
#[derive(Debug)]
pub enum GatewaySent {
    Sent,
    /// Telegram asked to wait this many seconds.
    Wait(u64),
    /// Refused for good, with the reason.
    Refused(String),
}

impl Cloud {
    /// Takes the relay's shared bot for this hub: forwarded updates come signed with
    /// `secret` (HMAC-SHA256). The bot's username.
    pub async fn gateway_enrol(&self, secret: &str) -> Result<String, CloudError> {
        let answer = self
            .ask_relay(
                reqwest::Method::POST,
                "/api/v1/hubs/gateway",
                Some(serde_json::json!({ "secret": secret })),
            )
            .await?;
        let said: serde_json::Value = answer
            .json()
            .await
            .map_err(|e| CloudError::Relay(e.to_string()))?;
        said["telegram"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| CloudError::Relay("the relay named no bot".into()))
    }

    /// Sends `message` (`{"chat_id", "text", "file": {"name", "content_type", "data"}}`)
    /// through the relay's bot. `Err` when the relay could not be asked or could not reach
    /// Telegram: worth trying again.
    pub async fn gateway_send(
        &self,
        message: serde_json::Value,
    ) -> Result<GatewaySent, CloudError> {
        let answer = self
            .signed_request(
                reqwest::Method::POST,
                "/api/v1/hubs/gateway/send",
                Some(message),
            )
            .await?;
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.unwrap_or_default();
        let why = || body["error"].as_str().unwrap_or("refused").to_owned();
        match status.as_u16() {
            200..=299 => Ok(GatewaySent::Sent),
            429 => Ok(GatewaySent::Wait(body["retry_after"].as_u64().unwrap_or(5))),
            400..=499 => Ok(GatewaySent::Refused(why())),
            _ => Err(CloudError::Relay(format!("{status}: {}", why()))),
        }
    }
}
