//! The guest's side of a dialogue (CHAT-5, -11, -14, -15): the widget's hello, a guest's
//! message (opening and routing a dialogue, the bot's welcome and keyword answers), read
//! receipts, the rating, typing. One store transaction each, then the bus.

use std::collections::HashSet;
use std::sync::Arc;

use rusqlite::Connection;

use super::attachments::NewAttachment;
use super::bus::TeamEvent;
use super::db::{self, NewMessage};
use super::service::{
    audience_of, bot_message, display_name, finish, insert_with_file, system_message, Changes,
    GuestHello, Posted,
};
use super::settings::{ChatSettings, Distribution};
use super::visitors::{self, PageInfo, Visitor};
use super::DialogueKind;
use super::{clean_body, AuthorKind, Chat, ChatError, DialogueState};
use crate::language;
use crate::secret;

impl Chat {
    /// A widget connects: finds or makes the visitor and records the visit.
    pub async fn guest_hello(
        &self,
        token: Option<String>,
        page: PageInfo,
        ip: String,
    ) -> Result<GuestHello, ChatError> {
        let now = self.clock.now();
        let now_text = crate::clock::stamp(now);
        let location = ip.parse().map(|a| self.geoip.locate(a)).unwrap_or_default();
        let visit_gap = crate::clock::stamp(now - chrono::Duration::minutes(30));
        self.store
            .write(move |c| -> Result<_, ChatError> {
                if db::is_blocked(c, &ip)? {
                    return Err(ChatError::NotAllowed("blocked"));
                }
                let known = match token.as_deref() {
                    Some(t) if !t.is_empty() && t.len() <= 128 => {
                        visitors::by_token_hash(c, &secret::token_hash(t))?
                    }
                    _ => None,
                };
                let (visitor, new_token, new_visit) = match known {
                    Some(v) => {
                        let new_visit = v.last_seen < visit_gap;
                        (v, None, new_visit)
                    }
                    None => {
                        let t = secret::new_token();
                        (
                            visitors::create(c, &secret::token_hash(&t), &now_text)?,
                            Some(t),
                            true,
                        )
                    }
                };
                visitors::record_visit(c, visitor.id, &page, &ip, &location, new_visit, &now_text)?;
                Ok(GuestHello {
                    visitor: visitors::by_id(c, visitor.id)?,
                    new_token,
                    dialogue: db::latest_dialogue_of(c, visitor.id)?,
                })
            })
            .await
    }

    /// A guest writes. Opens a dialogue (and routes it) when there is no open one; a new
    /// dialogue needs the guest's consent when the settings ask for it on this channel.
    pub async fn guest_post(
        &self,
        visitor_id: i64,
        client_id: Option<String>,
        body: &str,
        channel: &str,
        consented: bool,
        attachment: Option<NewAttachment>,
    ) -> Result<Posted, ChatError> {
        let body = clean_body(body)?;
        let settings = self.settings();
        let channel = channel.to_owned();
        let now = self.clock.now_text();
        let connected = self.presence.connected();
        let (posted, changes) = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let mut changes = Changes::default();
                if let Some(id) = client_id.as_deref() {
                    if let Some(m) = db::message_by_client_id(c, AuthorKind::Guest, visitor_id, id)?
                    {
                        return Ok((
                            Posted {
                                message: m,
                                duplicate: true,
                            },
                            changes,
                        ));
                    }
                }
                let visitor = visitors::by_id(c, visitor_id)?;
                let lang = settings.guest_language(&visitor.language);
                let open = db::latest_dialogue_of(c, visitor_id)?
                    .filter(|d| d.state != DialogueState::Ended);
                let (dialogue_id, created) = match open {
                    Some(d) => (d.id, false),
                    None if settings.consent_needed(&channel) && !consented => {
                        return Err(ChatError::ConsentRequired);
                    }
                    None => (
                        db::create_dialogue(
                            c,
                            DialogueKind::Guest,
                            Some(visitor_id),
                            &channel,
                            &now,
                        )?,
                        true,
                    ),
                };
                let message = insert_with_file(
                    c,
                    NewMessage {
                        dialogue_id,
                        author_kind: AuthorKind::Guest,
                        author_id: visitor_id,
                        author_name: &visitor.display_name,
                        body: &body,
                        private: false,
                        client_id: client_id.as_deref(),
                        attachment_id: None,
                    },
                    attachment.as_ref(),
                    &now,
                )?;
                db::mark_waiting(c, dialogue_id, &now)?;
                changes.messages.push(message.clone());
                if created {
                    let welcome = settings.welcome_message(lang);
                    if !welcome.is_empty() {
                        changes
                            .messages
                            .push(bot_message(c, dialogue_id, welcome, &now)?);
                    }
                    route(c, dialogue_id, &settings, &connected, &now, &mut changes)?;
                }
                if let Some(answer) = keyword_answer(&settings, &body, lang) {
                    changes
                        .messages
                        .push(bot_message(c, dialogue_id, &answer, &now)?);
                }
                finish(c, dialogue_id, &mut changes)?;
                Ok((
                    Posted {
                        message,
                        duplicate: false,
                    },
                    changes,
                ))
            })
            .await?;
        self.publish(changes);
        Ok(posted)
    }

    /// The guest has read up to `seq` of their current dialogue.
    pub async fn guest_read(
        &self,
        visitor_id: i64,
        dialogue_id: i64,
        seq: i64,
    ) -> Result<(), ChatError> {
        let (d, audience) = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let d = db::dialogue(c, dialogue_id)?;
                if d.visitor_id != Some(visitor_id) {
                    return Err(ChatError::NoSuchDialogue);
                }
                db::set_guest_read(c, dialogue_id, seq)?;
                let audience = audience_of(c, &d)?;
                Ok((d, audience))
            })
            .await?;
        self.bus.team_send(TeamEvent::GuestRead {
            dialogue_id: d.id,
            seq,
            audience: Arc::new(audience),
        });
        Ok(())
    }

    /// The guest rates their last ended dialogue (CHAT-15), once.
    pub async fn rate(
        &self,
        visitor_id: i64,
        dialogue_id: i64,
        rating: i64,
        comment: &str,
    ) -> Result<(), ChatError> {
        if !(1..=5).contains(&rating) {
            return Err(ChatError::Invalid("rating: 1 to 5".into()));
        }
        let comment: String = comment
            .chars()
            .filter(|c| !c.is_control())
            .take(1000)
            .collect();
        let now = self.clock.now_text();
        let changes = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let d = db::dialogue(c, dialogue_id)?;
                if d.visitor_id != Some(visitor_id) {
                    return Err(ChatError::NoSuchDialogue);
                }
                if d.state != DialogueState::Ended {
                    return Err(ChatError::Conflict("a dialogue is rated after it ends"));
                }
                if d.rating.is_some() {
                    return Err(ChatError::Conflict("this dialogue is already rated"));
                }
                c.execute(
                    "UPDATE dialogues SET rating = ?2, rating_comment = ?3 WHERE id = ?1",
                    rusqlite::params![dialogue_id, rating, comment],
                )?;
                let mut changes = Changes::default();
                let text = format!("The guest rated the chat {rating}/5");
                changes
                    .messages
                    .push(system_message(c, dialogue_id, &text, true, &now)?);
                finish(c, dialogue_id, &mut changes)?;
                Ok(changes)
            })
            .await?;
        self.publish(changes);
        Ok(())
    }

    /// The guest is typing: staff who see the dialogue are told.
    pub async fn guest_typing(&self, visitor: &Visitor, dialogue_id: i64, on: bool) {
        let visitor_id = visitor.id;
        let audience = self
            .store
            .read(move |c| -> Result<_, ChatError> {
                let d = db::dialogue(c, dialogue_id)?;
                if d.visitor_id != Some(visitor_id) {
                    return Err(ChatError::NoSuchDialogue);
                }
                audience_of(c, &d)
            })
            .await;
        if let Ok(audience) = audience {
            self.bus.team_send(TeamEvent::Typing {
                dialogue_id,
                who: visitor.display_name.clone(),
                user_id: None,
                on,
                audience: Arc::new(audience),
            });
        }
    }
}

/// Automatic distribution of a dialogue (CHAT-11): to an available member with the Team
/// Messenger open (`connected`), else to the queue. The guest is told nothing: a person has
/// not joined until they answer or join by hand; the staff see a private note.
pub(super) fn route(
    conn: &Connection,
    dialogue_id: i64,
    settings: &ChatSettings,
    connected: &HashSet<i64>,
    now: &str,
    changes: &mut Changes,
) -> Result<(), ChatError> {
    let agent = match settings.distribution {
        Distribution::Auto => db::next_agents(conn, settings.max_dialogues_per_agent)?
            .into_iter()
            .find(|id| connected.contains(id)),
        Distribution::Manual => None,
    };
    match agent {
        Some(user_id) => {
            db::set_state(conn, dialogue_id, DialogueState::Assigned, Some(user_id))?;
            db::add_member(conn, dialogue_id, user_id, now)?;
            let member = crate::team::read_member(conn, user_id)
                .map_err(|e| ChatError::Invalid(e.to_string()))?;
            let text = format!("Given to {} automatically", display_name(&member));
            changes
                .messages
                .push(system_message(conn, dialogue_id, &text, true, now)?);
        }
        None => db::set_state(conn, dialogue_id, DialogueState::Unassigned, None)?,
    }
    Ok(())
}

/// The bot's answer to a guest message in `lang`, if a keyword (or a hand-off word) matches.
fn keyword_answer(settings: &ChatSettings, body: &str, lang: &str) -> Option<String> {
    let lower = body.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |k: &str| {
        let k = k.trim().to_lowercase();
        if k.contains(' ') {
            lower.contains(&k)
        } else {
            words.contains(&k.as_str())
        }
    };
    let a = &settings.automation;
    if a.handoff_words.iter().any(|w| has(w)) {
        return Some(
            "I am passing you to a member of our team; they will answer here shortly.".into(),
        );
    }
    a.keyword_answers
        .iter()
        .find(|k| k.keywords.iter().any(|w| has(w)))
        .map(|k| language::pick(&k.answer, &k.answers, lang).to_owned())
}
