//! The owner's side of the platforms: each platform's state, a test of credentials, and
//! connecting (credentials checked with the platform, sealed at rest, the webhook set) or
//! disconnecting one.

use std::sync::atomic::Ordering;

use super::platform::{Credentials, SendError};
use super::{
    db, meta, telegram, viber, Bot, BotInfo, MessengerError, Messengers, NewBot, Platform,
    PlatformStatus,
};
use crate::sealing::Sealer;

impl Messengers {
    /// Every platform and its state, for the admin app.
    pub fn status(&self) -> Vec<PlatformStatus> {
        Platform::ALL
            .into_iter()
            .map(|p| {
                let bot = self.bot(p);
                let meta = matches!(p, Platform::Whatsapp | Platform::Messenger);
                PlatformStatus {
                    platform: p,
                    label: p.label(),
                    connected: bot.is_some(),
                    shared: bot.as_ref().is_some_and(|b| b.creds.shared),
                    name: bot.as_ref().map(|b| b.row.name.clone()).unwrap_or_default(),
                    offered: bot.as_ref().is_some_and(|b| b.row.offered),
                    webhook_url: bot
                        .as_ref()
                        .map(|b| b.row.webhook_url.clone())
                        .unwrap_or_default(),
                    webhook_error: bot
                        .as_ref()
                        .map(|b| b.row.webhook_error.clone())
                        .unwrap_or_default(),
                    verify_token: bot
                        .as_ref()
                        .filter(|_| meta)
                        .map(|b| b.creds.webhook_secret.clone()),
                    refused: self.inner.refused[&p].load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    /// Asks the platform who the bot is, without saving anything (the admin app's test).
    pub async fn test(&self, platform: Platform, new: NewBot) -> Result<BotInfo, MessengerError> {
        let new = self.filled(platform, new);
        let creds = checked_credentials(platform, &new, String::new())?;
        self.me(platform, &creds)
            .await
            .map_err(|e| MessengerError::Platform(e.to_string()))
    }

    async fn me(&self, platform: Platform, creds: &Credentials) -> Result<BotInfo, SendError> {
        let (http, c) = (&self.inner.http, &self.inner.config);
        match platform {
            Platform::Telegram => telegram::me(http, &c.telegram_api, creds).await,
            Platform::Viber => viber::me(http, &c.viber_api, creds).await,
            Platform::Whatsapp => meta::me(http, &c.graph_api, creds, true).await,
            Platform::Messenger => meta::me(http, &c.graph_api, creds, false).await,
        }
    }

    /// Connects a platform: checks the credentials with it, stores them sealed, and sets
    /// its webhook to the hub's public address (Telegram and Viber; Meta's is entered in
    /// the app's dashboard with the verify token shown).
    pub async fn connect(
        &self,
        platform: Platform,
        new: NewBot,
    ) -> Result<PlatformStatus, MessengerError> {
        if new.shared {
            return self.connect_shared(platform, new.offered).await;
        }
        let held = self.bot(platform).map(|b| b.creds).filter(|c| !c.shared);
        let secret = held
            .as_ref()
            .map(|c| c.webhook_secret.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| crate::secret::new_token().replace(['+', '/', '='], ""));
        let new = self.filled(platform, new);
        let creds = checked_credentials(platform, &new, secret)?;
        let info = self
            .me(platform, &creds)
            .await
            .map_err(|e| MessengerError::Platform(e.to_string()))?;
        let public = self.public_base();
        let mut row = db::BotRow {
            platform,
            credentials: seal_credentials(&self.inner.sealer, platform, &creds)?,
            name: info.name,
            link_name: info.link_name,
            offered: new.offered,
            webhook_url: public
                .as_ref()
                .map(|base| format!("{base}/hooks/{}", platform.as_str()))
                .unwrap_or_default(),
            webhook_error: String::new(),
        };
        self.keep(row.clone(), creds.clone()).await?;
        // Viber checks the address with a signed callback before it answers, so the
        // credentials are in force before the webhook is set.
        row.webhook_error = match (&public, platform) {
            (None, _) => MessengerError::NoPublicAddress.to_string(),
            (Some(_), Platform::Telegram | Platform::Viber) => {
                match self.set_webhook(platform, &creds, &row.webhook_url).await {
                    Ok(()) => String::new(),
                    Err(e) => e.to_string(),
                }
            }
            (Some(_), _) => String::new(),
        };
        if !row.webhook_error.is_empty() {
            self.keep(row, creds).await?;
        }
        tracing::info!(platform = platform.as_str(), "A messenger was connected.");
        self.status()
            .into_iter()
            .find(|s| s.platform == platform)
            .ok_or(MessengerError::NotFound)
    }

    /// Takes the cloud relay's shared bot for `platform` (Telegram's only): the relay is
    /// given a new secret to sign the updates it forwards with, and names its bot.
    async fn connect_shared(
        &self,
        platform: Platform,
        offered: bool,
    ) -> Result<PlatformStatus, MessengerError> {
        if platform != Platform::Telegram {
            return Err(MessengerError::Invalid(
                "the cloud relay's shared bot is on Telegram only".into(),
            ));
        }
        let secret = crate::secret::new_token();
        let username = self
            .inner
            .cloud
            .gateway_enrol(&secret)
            .await
            .map_err(|e| match e {
                crate::cloud::CloudError::Off => MessengerError::NoPublicAddress,
                other => {
                    tracing::warn!(error = %other, "The relay's shared bot could not be taken.");
                    MessengerError::Platform(
                        "the cloud relay has no shared bot, or cannot be reached now".into(),
                    )
                }
            })?;
        let creds = Credentials {
            webhook_secret: secret,
            shared: true,
            ..Credentials::default()
        };
        let row = db::BotRow {
            platform,
            credentials: seal_credentials(&self.inner.sealer, platform, &creds)?,
            name: format!("@{username}"),
            link_name: username,
            offered,
            webhook_url: String::new(),
            webhook_error: String::new(),
        };
        self.keep(row, creds).await?;
        tracing::info!("Telegram goes through the cloud relay's shared bot.");
        self.status()
            .into_iter()
            .find(|s| s.platform == platform)
            .ok_or(MessengerError::NotFound)
    }

    /// `new` with each field left empty taken from what is held for `platform` (the owner
    /// changes only what they type).
    fn filled(&self, platform: Platform, mut new: NewBot) -> NewBot {
        if let Some(bot) = self.bot(platform).filter(|b| !b.creds.shared) {
            let c = bot.creds;
            for (field, kept) in [
                (&mut new.token, c.token),
                (&mut new.app_secret, c.app_secret),
                (&mut new.account_id, c.account_id),
            ] {
                if field.trim().is_empty() {
                    *field = kept;
                }
            }
        }
        new
    }

    /// Stores a platform's row and puts it in force.
    async fn keep(&self, row: db::BotRow, creds: Credentials) -> Result<(), MessengerError> {
        let stored = row.clone();
        let now = self.inner.clock.now_text();
        self.inner
            .store
            .write(move |c| db::put_bot(c, &stored, &now))
            .await?;
        let platform = row.platform;
        self.inner
            .bots
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(platform, Bot { row, creds });
        Ok(())
    }

    async fn set_webhook(
        &self,
        platform: Platform,
        creds: &Credentials,
        url: &str,
    ) -> Result<(), SendError> {
        let (http, c) = (&self.inner.http, &self.inner.config);
        match platform {
            Platform::Telegram => telegram::set_webhook(http, &c.telegram_api, creds, url).await,
            Platform::Viber => viber::set_webhook(http, &c.viber_api, creds, url).await,
            Platform::Whatsapp | Platform::Messenger => Ok(()),
        }
    }

    /// Disconnects a platform: its credentials are forgotten; its guests' conversations
    /// stay, and what is still unsent waits for it to be connected again.
    pub async fn disconnect(&self, platform: Platform) -> Result<(), MessengerError> {
        let removed = self
            .inner
            .store
            .write(move |c| db::delete_bot(c, platform))
            .await?;
        self.inner
            .bots
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&platform);
        if !removed {
            return Err(MessengerError::NotFound);
        }
        Ok(())
    }
}

/// What a platform needs, checked before anything is asked of it.
fn checked_credentials(
    platform: Platform,
    new: &NewBot,
    webhook_secret: String,
) -> Result<Credentials, MessengerError> {
    let token = new.token.trim();
    if token.is_empty() || token.len() > 1024 || token.chars().any(char::is_whitespace) {
        return Err(MessengerError::Invalid(
            "the token: as the platform gave it".into(),
        ));
    }
    let meta = matches!(platform, Platform::Whatsapp | Platform::Messenger);
    if meta && (new.app_secret.trim().is_empty() || new.account_id.trim().is_empty()) {
        return Err(MessengerError::Invalid(
            "Meta's platforms also need the app secret and the phone-number or page id".into(),
        ));
    }
    if new.account_id.len() > 64 || new.app_secret.len() > 256 {
        return Err(MessengerError::Invalid(
            "the id or app secret is too long".into(),
        ));
    }
    Ok(Credentials {
        token: token.to_owned(),
        app_secret: new.app_secret.trim().to_owned(),
        account_id: new.account_id.trim().to_owned(),
        webhook_secret,
        shared: false,
    })
}

fn seal_credentials(
    sealer: &Sealer,
    platform: Platform,
    creds: &Credentials,
) -> Result<Vec<u8>, MessengerError> {
    let plain = serde_json::to_vec(creds).map_err(|e| MessengerError::Seal(e.to_string()))?;
    Ok(sealer.seal(&plain, platform.as_str().as_bytes()))
}

pub(super) fn open_credentials(
    sealer: &Sealer,
    row: &db::BotRow,
) -> Result<Credentials, MessengerError> {
    let plain = sealer
        .open_sealed(&row.credentials, row.platform.as_str().as_bytes())
        .map_err(|e| MessengerError::Seal(e.to_string()))?;
    serde_json::from_slice(&plain).map_err(|e| MessengerError::Seal(e.to_string()))
}
