//! Webhooks in: Meta's subscription check, a webhook verified as its platform signs it and
//! read, and each message taken: a member linking their account, a member's own chat, or a
//! guest writing (with the unit a deep link carried and the file they sent).

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::http::HeaderMap;

use super::platform::{self, Inbound, SendError};
use super::{
    chat_error, db, download, meta, tag_safe, telegram, viber, words, Bot, MessengerError,
    Messengers, Platform, MAX_GUEST_FILE,
};
use crate::chat::ChannelGuest;

impl Messengers {
    /// Meta's subscription check (GET with `hub.*`): the challenge to echo.
    pub fn subscribe_check(
        &self,
        platform: Platform,
        mode: Option<&str>,
        token: Option<&str>,
        challenge: Option<&str>,
        from: IpAddr,
    ) -> Result<String, MessengerError> {
        let bot = self
            .bot(platform)
            .ok_or(MessengerError::NotConnected(platform.label()))?;
        match meta::challenge(mode, token, challenge, &bot.creds) {
            Some(c) => Ok(c),
            None => Err(self.refuse(platform, from)),
        }
    }

    /// Counts an unverified webhook and says how to answer it.
    fn refuse(&self, platform: Platform, from: IpAddr) -> MessengerError {
        self.inner.refused[&platform].fetch_add(1, Ordering::Relaxed);
        tracing::warn!(platform = platform.as_str(), %from, "A webhook that is not the platform's was refused.");
        match self.inner.refusals.hit(&from.to_string(), Instant::now()) {
            Err(wait) => MessengerError::TooMany(wait),
            Ok(()) => MessengerError::Unverified,
        }
    }

    /// A webhook: verified over `body` as the platform signs it, read, and each guest's
    /// message stored before the answer (a store failure answers 500, so the platform
    /// sends it again; repeats are stored once). One message the hub cannot take is
    /// logged and skipped; the rest stand. `via_relay`: an update of the relay's shared bot,
    /// forwarded over the link and signed by the relay with this hub's secret
    /// (`X-Relay-Signature`, hex HMAC-SHA256 of the body) instead.
    pub async fn webhook(
        &self,
        platform: Platform,
        via_relay: bool,
        (headers, body): (&HeaderMap, &[u8]),
        from: IpAddr,
    ) -> Result<(), MessengerError> {
        let bot = self
            .bot(platform)
            .filter(|b| b.creds.shared == via_relay)
            .ok_or(MessengerError::NotConnected(platform.label()))?;
        let verified = match platform {
            _ if via_relay => headers
                .get("x-relay-signature")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|sig| {
                    platform::hmac_sha256_matches(bot.creds.webhook_secret.as_bytes(), body, sig)
                }),
            Platform::Telegram => telegram::verified(headers, &bot.creds),
            Platform::Viber => viber::verified(headers, body, &bot.creds),
            Platform::Whatsapp | Platform::Messenger => meta::verified(headers, body, &bot.creds),
        };
        if !verified {
            return Err(self.refuse(platform, from));
        }
        let messages = match platform {
            Platform::Telegram => telegram::read(body)?,
            Platform::Viber => viber::read(body)?,
            Platform::Whatsapp => meta::read_whatsapp(body)?,
            Platform::Messenger => meta::read_messenger(body)?,
        };
        self.take_all(&bot, messages).await
    }

    /// Takes each message; a store failure stops (the platform sends them again), another
    /// failure skips that one.
    async fn take_all(&self, bot: &Bot, messages: Vec<Inbound>) -> Result<(), MessengerError> {
        let platform = bot.row.platform;
        for inbound in messages {
            match self.take(bot, inbound).await {
                Ok(()) => {}
                Err(e @ MessengerError::Store(_)) => return Err(e),
                Err(e) => {
                    tracing::warn!(platform = platform.as_str(), error = %e,
                        "A messenger message was skipped.");
                }
            }
        }
        Ok(())
    }

    /// One message from a platform: a member linking their account, a member's chat (not
    /// a guest's), or a guest writing.
    async fn take(&self, bot: &Bot, mut inbound: Inbound) -> Result<(), MessengerError> {
        let platform = bot.row.platform;
        // The shared bot's links start with the hub's id, for the relay: `h-<id>-<payload>`.
        if let Some(rest) = inbound.start.as_deref().and_then(|s| s.strip_prefix("h-")) {
            inbound.start = Some(rest.get(21..).unwrap_or_default().to_owned());
        }
        if let Some(code) = inbound.start.as_deref().and_then(|s| s.strip_prefix("s-")) {
            return self.link_from_platform(bot, &inbound, code).await;
        }
        let address = inbound.address.clone();
        if self
            .inner
            .store
            .read(move |c| db::is_staff_address(c, platform, &address))
            .await?
        {
            let link = self.team_link("/messenger/");
            let text = format!("This chat brings you the hotel's notifications. Answer guests in the Team Messenger: {link}");
            self.send_now(bot, &inbound.address, text);
            return Ok(());
        }
        let unit = self.unit_of(&inbound).await;
        let visitor = self
            .inner
            .chat
            .channel_guest(ChannelGuest {
                channel: platform.as_str().into(),
                address: inbound.address.clone(),
                name: inbound.name.clone(),
                language: if inbound.language.is_empty() && platform == Platform::Whatsapp {
                    words::language_of_number(&inbound.address).to_owned()
                } else {
                    inbound.language.clone()
                },
                // A WhatsApp address is the guest's number (E.164 digits).
                phone: if platform == Platform::Whatsapp {
                    format!("+{}", inbound.address)
                } else {
                    String::new()
                },
                tags: unit
                    .as_ref()
                    .map(|u| vec![format!("room-{}", tag_safe(u))])
                    .unwrap_or_default(),
            })
            .await
            .map_err(chat_error)?;
        let now = self.inner.clock.now_text();
        let address = inbound.address.clone();
        let visitor_id = visitor.id;
        self.inner
            .store
            .write(move |c| db::guest_wrote(c, platform, &address, visitor_id, &now))
            .await?;
        if inbound.text.trim().is_empty() && inbound.file.is_none() {
            let hotel = self.inner.chat.property().name;
            let text = words::greeting(&self.language_of(&visitor), &hotel, unit.as_deref());
            self.send_now(bot, &inbound.address, text);
            return Ok(());
        }
        let file = match &inbound.file {
            Some(f) => match self.fetch(bot, f).await {
                Ok(file) => Some(file),
                Err(e) => {
                    tracing::warn!(platform = platform.as_str(), error = %e,
                        "A guest's file could not be fetched; the message is kept without it.");
                    None
                }
            },
            None => None,
        };
        let text = if inbound.text.trim().is_empty() && file.is_none() {
            "[a file that could not be fetched]".to_owned()
        } else {
            inbound.text.clone()
        };
        let posted = self
            .inner
            .chat
            .channel_post(
                &visitor,
                platform.as_str(),
                &inbound.message_id,
                &text,
                file,
            )
            .await
            .map_err(chat_error)?;
        let has_room = visitor.tags.iter().any(|t| t.starts_with("room-"));
        if platform == Platform::Whatsapp
            && !has_room
            && !posted.duplicate
            && posted.message.seq == 1
        {
            self.inner
                .chat
                .scenario_message(
                    posted.message.dialogue_id,
                    words::which_room(&self.language_of(&visitor)),
                )
                .await
                .map_err(chat_error)?;
        }
        Ok(())
    }

    /// The language the hub speaks to a guest in: what the platform said of the guest,
    /// else the widget's fixed one, else the property's first.
    fn language_of(&self, visitor: &crate::chat::Visitor) -> String {
        if !visitor.language.is_empty() {
            return visitor.language.clone();
        }
        let settings = self.inner.chat.settings();
        let lang = settings.guest_language("");
        if !lang.is_empty() {
            return lang.to_owned();
        }
        self.inner
            .chat
            .property()
            .languages
            .first()
            .cloned()
            .unwrap_or_else(|| "en".into())
    }

    /// The unit a guest came from: a deep link's `r-<page slug>`, or on WhatsApp the code in
    /// brackets the link filled in.
    async fn unit_of(&self, inbound: &Inbound) -> Option<String> {
        let code = match inbound.start.as_deref() {
            Some(s) => s.to_owned(),
            None => {
                let open = inbound.text.find("[r-")?;
                let rest = &inbound.text[open + 1..];
                rest[..rest.find(']')?].to_owned()
            }
        };
        let slug = code.strip_prefix("r-")?;
        match self.inner.reception.unit_now(slug).await {
            Ok(unit) => Some(unit.page.room),
            Err(_) => None,
        }
    }

    async fn fetch(
        &self,
        bot: &Bot,
        file: &platform::FileRef,
    ) -> Result<(Vec<u8>, String), SendError> {
        let (http, c) = (&self.inner.http, &self.inner.config);
        match file {
            platform::FileRef::Telegram(_) => {
                telegram::fetch(http, &c.telegram_api, &bot.creds, file, MAX_GUEST_FILE).await
            }
            platform::FileRef::WhatsappMedia(id) => {
                meta::fetch_whatsapp(http, &c.graph_api, &bot.creds, id, MAX_GUEST_FILE).await
            }
            platform::FileRef::Url(url) => {
                let bytes = download(http.get(url), MAX_GUEST_FILE).await?;
                let name = url
                    .rsplit('/')
                    .next()
                    .and_then(|n| n.split('?').next())
                    .filter(|n| !n.is_empty())
                    .unwrap_or("file")
                    .to_owned();
                Ok((bytes, name))
            }
        }
    }
}
