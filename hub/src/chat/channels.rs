//! Chat's side of the messenger channels (CLOUD-2): a guest known by their account on a
//! platform rather than by a browser token, what they write, and what the team says to them
//! that the platform must carry back. The platforms themselves are `messengers/`.

use std::sync::Arc;

use super::service::Posted;
use super::visitors::{self, PageInfo, Visitor};
use super::{db, ChatError, Message};

/// A guest writing from a messenger.
#[derive(Debug, Clone)]
pub struct ChannelGuest {
    /// The dialogue's channel: "telegram", "viber", "whatsapp" or "messenger".
    pub channel: String,
    /// The platform's id of the chat or user (Telegram chat id, Viber user id, WhatsApp
    /// number, Messenger page-scoped id).
    pub address: String,
    /// The name the platform gives, if any.
    pub name: String,
    /// The language the platform reports (`en`, `ru-RU`), if any.
    pub language: String,
    /// The guest's phone number when the platform gives it (WhatsApp), else empty.
    pub phone: String,
    /// Tags the visitor card gets, e.g. the unit the guest came from (`room-102`).
    pub tags: Vec<String>,
}

/// One messenger the hotel answers on, as guest surfaces offer it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChannelLink {
    /// "telegram", "viber", "whatsapp" or "messenger".
    pub platform: String,
    /// The platform, as people write it ("Telegram").
    pub label: String,
    /// The deep link.
    pub url: String,
    /// What to look for there: the bot's @username, the number, the page's name.
    pub name: String,
}

/// Deep links to the hotel's messengers for the unit `(page slug, name)` (or none) in a
/// language; the messenger channels provide them.
pub type ChannelLinks = Arc<dyn Fn(Option<(&str, &str)>, &str) -> Vec<ChannelLink> + Send + Sync>;

/// The key a messenger guest is stored under, in the column that holds a browser token's
/// SHA-256 in hex: the colon cannot occur in a hex digest, so no browser token can ever name
/// a messenger guest.
fn channel_key(channel: &str, address: &str) -> String {
    format!("{channel}:{address}")
}

impl super::Chat {
    /// Offers guests the hotel's messengers: in the widget's channels panel, on the unit
    /// pages and the QR plates (once; later calls change nothing).
    pub fn offer_channels(&self, links: ChannelLinks) {
        let _ = self.channel_links.set(links);
    }

    /// The hotel's messengers for the unit `(page slug, name)` (or none), in `lang`.
    pub fn channel_links(&self, unit: Option<(&str, &str)>, lang: &str) -> Vec<ChannelLink> {
        self.channel_links
            .get()
            .map(|links| links(unit, lang))
            .unwrap_or_default()
    }

    /// What the widget may know (`ChatSettings::public`), its channels panel with the
    /// hotel's messengers before the owner's own links.
    pub(super) fn public_settings(
        &self,
        settings: &super::settings::ChatSettings,
        lang: &str,
    ) -> serde_json::Value {
        let mut public = settings.public(lang);
        let own = public["widget"]["messenger_links"].take();
        let own = own.as_array().cloned().unwrap_or_default();
        let mut links: Vec<serde_json::Value> = self
            .channel_links(None, lang)
            .into_iter()
            .filter(|l| !own.iter().any(|o| o["url"] == l.url.as_str()))
            .filter_map(|l| serde_json::to_value(l).ok())
            .collect();
        links.extend(own);
        public["widget"]["messenger_links"] = serde_json::Value::Array(links);
        public
    }

    /// Finds or makes the visitor for a messenger account; the name, language and tags
    /// given replace the card's when not empty.
    pub async fn channel_guest(&self, guest: ChannelGuest) -> Result<Visitor, ChatError> {
        if guest.address.is_empty() || guest.address.len() > 128 {
            return Err(ChatError::Invalid(
                "a messenger address of 1 to 128 bytes".into(),
            ));
        }
        let now = self.clock.now_text();
        self.store
            .write(move |c| -> Result<_, ChatError> {
                let key = channel_key(&guest.channel, &guest.address);
                let visitor = match visitors::by_token_hash(c, &key)? {
                    Some(v) => v,
                    None => visitors::create(c, &key, &now)?,
                };
                let page = PageInfo {
                    title: guest.channel.clone(),
                    language: guest.language.clone(),
                    tags: guest.tags.clone(),
                    ..PageInfo::default()
                };
                let new_visit = visitor.visits == 0;
                visitors::record_visit(c, visitor.id, &page, "", "", new_visit, &now)?;
                if !guest.name.trim().is_empty() {
                    visitors::set_name_if_empty(c, visitor.id, &guest.name)?;
                }
                if !guest.phone.is_empty() {
                    visitors::set_phone_if_empty(c, visitor.id, &guest.phone)?;
                }
                visitors::by_id(c, visitor.id)
            })
            .await
    }

    /// What a messenger guest wrote, with the platform's message id as the client id (a
    /// platform's repeated delivery is stored once) and a file if they sent one. Writing on
    /// a messenger is the guest's own choice of channel, so no consent step is asked for.
    pub async fn channel_post(
        &self,
        visitor: &Visitor,
        channel: &str,
        message_id: &str,
        body: &str,
        file: Option<(Vec<u8>, String)>,
    ) -> Result<Posted, ChatError> {
        let client_id = Some(format!("{channel}:{message_id}").chars().take(64).collect());
        match file {
            None => {
                self.guest_post(visitor.id, client_id, body, channel, true, None)
                    .await
            }
            Some((bytes, name)) => {
                let visitor_id = visitor.id;
                let caption = body.to_owned();
                self.post_file(&bytes, &name, |file_body, file| async move {
                    let text = if caption.trim().is_empty() {
                        file_body
                    } else {
                        caption
                    };
                    self.guest_post(visitor_id, client_id, &text, channel, true, Some(file))
                        .await
                })
                .await
            }
        }
    }

    /// What the guest should receive after message id `after`: the team's and the bot's
    /// messages that are not private, in every dialogue of the visitor, oldest first, at
    /// most `limit`. A messenger's outbox reads this with its own cursor.
    pub async fn for_channel_guest(
        &self,
        visitor_id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Message>, ChatError> {
        self.store
            .read(move |c| db::replies_to_visitor(c, visitor_id, after, limit))
            .await
    }

    /// The file of a message the guest received, for a messenger to carry.
    pub async fn channel_attachment(
        &self,
        visitor_id: i64,
        attachment_id: i64,
    ) -> Result<(Vec<u8>, String, String), ChatError> {
        let stored = self.guest_attachment(visitor_id, attachment_id).await?;
        let bytes = self.attachment_bytes(&stored).await?;
        Ok((bytes, stored.file_name, stored.content_type))
    }

    /// A note only the team sees in a messenger guest's dialogue (a message the platform
    /// refused, the window closed).
    pub async fn channel_note(&self, dialogue_id: i64, text: &str) -> Result<(), ChatError> {
        let body = super::clean_body(text)?;
        let now = self.clock.now_text();
        let changes = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let mut changes = super::service::Changes::default();
                changes.messages.push(super::service::system_message(
                    c,
                    dialogue_id,
                    &body,
                    true,
                    &now,
                )?);
                super::service::finish(c, dialogue_id, &mut changes)?;
                Ok(changes)
            })
            .await?;
        self.publish(changes);
        Ok(())
    }

    /// A visitor's card.
    pub async fn visitor_card(&self, visitor_id: i64) -> Result<Visitor, ChatError> {
        self.store
            .read(move |c| visitors::by_id(c, visitor_id))
            .await
    }

    /// Dialogues with something the guest should receive: tells a messenger's outbox which
    /// visitor to look at (sent after the commit; a missed one is found by the cursor).
    pub fn replies(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.replies.subscribe()
    }
}
