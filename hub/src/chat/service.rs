//! The dialogue lifecycle (CHAT-5, -7, -11, -14, -15, -21): every change to a dialogue goes
//! through here as one store transaction, then its events go on the bus. Who may do what is
//! decided here too; sockets and routes only translate.

use std::sync::{Arc, RwLock};

use rusqlite::Connection;

use super::attachments::{self, NewAttachment};
use super::bus::{Audience, ChatBus, GuestEvent, TeamEvent};
use super::db::{self, DialogueRow, NewMessage};
use super::settings::{self, ChatSettings, Distribution};
use super::visitors::{self, PageInfo, Visitor};
use super::{clean_body, AuthorKind, ChatError, DialogueState, Message};
use crate::clock::Clock;
use crate::config::ChatConfig;
use crate::ratelimit::FailureLimiter;
use crate::secret;
use crate::store::Store;
use crate::team::{Member, Role, Team};

pub struct Chat {
    pub store: Store,
    pub clock: Clock,
    pub bus: Arc<ChatBus>,
    settings: RwLock<(Arc<ChatSettings>, String)>,
    mailer: Option<crate::notify::Mailer>,
    geoip: super::geoip::GeoIp,
    pub(super) team: Team,
    pub(super) config: ChatConfig,
    /// Where attachments live (`<data>/attachments/`).
    pub(super) data_dir: std::path::PathBuf,
    /// Outgoing HTTP (CRM webhook, customer identification): bounded time, no redirects.
    pub(super) http: reqwest::Client,
    pub(super) limits: GuestLimits,
}

/// What a stranger with the widget may do how often.
pub(super) struct GuestLimits {
    pub messages: FailureLimiter,
    pub connects: FailureLimiter,
    /// Open guest sockets per client address.
    pub sockets: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
}

/// What the chat is started with.
pub struct ChatParts {
    pub store: Store,
    pub clock: Clock,
    pub mailer: Option<crate::notify::Mailer>,
    pub geoip: super::geoip::GeoIp,
    pub team: Team,
    pub config: ChatConfig,
    pub data_dir: std::path::PathBuf,
    pub http: reqwest::Client,
}

/// What one transaction changed, to publish after its commit.
#[derive(Default)]
struct Changes {
    messages: Vec<Message>,
    dialogue: Option<(DialogueRow, Audience)>,
}

/// The answer to a posted message.
#[derive(Debug, Clone)]
pub struct Posted {
    pub message: Message,
    /// The client id was seen before: this is the stored message, nothing new was added.
    pub duplicate: bool,
}

/// A guest's socket after its hello.
pub struct GuestHello {
    pub visitor: Visitor,
    /// Only for a new visitor: the token the browser must keep.
    pub new_token: Option<String>,
    pub dialogue: Option<DialogueRow>,
}

pub(super) fn display_name(m: &Member) -> String {
    if m.nickname.is_empty() {
        m.name.clone()
    } else {
        m.nickname.clone()
    }
}

/// Whether a member of staff may see a dialogue with this audience.
pub(super) fn visible(
    role: Role,
    user_id: i64,
    audience: &Audience,
    agents_see_others: bool,
) -> bool {
    if audience.members.contains(&user_id) {
        return true;
    }
    if audience.kind_direct {
        return false;
    }
    match role {
        Role::Owner | Role::Admin | Role::ChatAdmin => true,
        Role::Agent => {
            agents_see_others
                || audience.assignee_id.is_none()
                || audience.assignee_id == Some(user_id)
        }
    }
}

pub(super) fn audience_of(conn: &Connection, d: &DialogueRow) -> Result<Audience, ChatError> {
    Ok(Audience {
        kind_direct: d.kind == "direct",
        assignee_id: d.assignee_id,
        members: db::member_ids(conn, d.id)?,
    })
}

/// A dialogue and its audience, if this member of staff may see it; one they may not see
/// answers exactly like a missing one.
pub(super) fn dialogue_for(
    conn: &Connection,
    role: Role,
    user_id: i64,
    dialogue_id: i64,
    agents_see_others: bool,
) -> Result<(DialogueRow, Audience), ChatError> {
    let d = db::dialogue(conn, dialogue_id)?;
    let audience = audience_of(conn, &d)?;
    if !visible(role, user_id, &audience, agents_see_others) {
        return Err(ChatError::NoSuchDialogue);
    }
    Ok((d, audience))
}

fn system_message(
    conn: &Connection,
    dialogue_id: i64,
    body: &str,
    private: bool,
    now: &str,
) -> Result<Message, ChatError> {
    let (m, _) = db::insert_message(
        conn,
        &NewMessage {
            dialogue_id,
            author_kind: AuthorKind::System,
            author_id: 0,
            author_name: "",
            body,
            private,
            client_id: None,
            attachment_id: None,
        },
        now,
    )?;
    Ok(m)
}

fn bot_message(
    conn: &Connection,
    dialogue_id: i64,
    body: &str,
    now: &str,
) -> Result<Message, ChatError> {
    let (m, _) = db::insert_message(
        conn,
        &NewMessage {
            dialogue_id,
            author_kind: AuthorKind::Bot,
            author_id: 0,
            author_name: "Assistant",
            body,
            private: false,
            client_id: None,
            attachment_id: None,
        },
        now,
    )?;
    Ok(m)
}

/// A member of staff named in a request (assign, invite, direct message).
fn colleague(conn: &Connection, id: i64) -> Result<Member, ChatError> {
    crate::team::read_member(conn, id).map_err(|_| ChatError::Invalid("no such colleague".into()))
}

fn finish(conn: &Connection, dialogue_id: i64, changes: &mut Changes) -> Result<(), ChatError> {
    let d = db::dialogue(conn, dialogue_id)?;
    let audience = audience_of(conn, &d)?;
    changes.dialogue = Some((d, audience));
    Ok(())
}

impl Chat {
    pub async fn start(parts: ChatParts) -> Result<Arc<Chat>, ChatError> {
        let ChatParts {
            store,
            clock,
            mailer,
            geoip,
            team,
            config,
            data_dir,
            http,
        } = parts;
        let now = clock.now_text();
        store.write(move |c| settings::ensure(c, &now)).await?;
        let loaded = store.read(settings::load).await?;
        let minute = std::time::Duration::from_secs(60);
        Ok(Arc::new(Chat {
            store,
            clock,
            bus: ChatBus::new(),
            settings: RwLock::new((Arc::new(loaded.0), loaded.1)),
            mailer,
            geoip,
            team,
            limits: GuestLimits {
                messages: FailureLimiter::new(minute, config.guest_messages_per_minute),
                connects: FailureLimiter::new(minute, config.guest_connects_per_minute),
                sockets: Default::default(),
            },
            config,
            data_dir,
            http,
        }))
    }

    /// A chat on `store` with the default settings, no mail and a property row, for tests.
    #[cfg(test)]
    pub(crate) async fn for_test(store: Store, clock: Clock) -> Arc<Chat> {
        let property = crate::team::Property::start(store.clone(), clock.clone())
            .await
            .expect("the property row");
        let team = Team::new(
            store.clone(),
            clock.clone(),
            None,
            property,
            30,
            "hub".into(),
        );
        Chat::start(ChatParts {
            store,
            clock,
            mailer: None,
            geoip: super::geoip::GeoIp::none(),
            team,
            config: ChatConfig::default(),
            data_dir: std::env::temp_dir(),
            http: reqwest::Client::new(),
        })
        .await
        .expect("the chat starts")
    }

    pub fn mailer(&self) -> Option<&crate::notify::Mailer> {
        self.mailer.as_ref()
    }

    pub fn settings(&self) -> Arc<ChatSettings> {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .clone()
    }

    pub fn widget_key(&self) -> String {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .clone()
    }

    pub async fn save_settings(&self, new: ChatSettings) -> Result<(), ChatError> {
        new.validate()?;
        let now = self.clock.now_text();
        let stored = new.clone();
        self.store
            .write(move |c| settings::save(c, &stored, &now))
            .await?;
        let public = Arc::new(new.public());
        self.settings.write().unwrap_or_else(|p| p.into_inner()).0 = Arc::new(new);
        self.bus.guest_broadcast(GuestEvent::Settings(public));
        Ok(())
    }

    fn publish(&self, changes: Changes) {
        let Some((dialogue, audience)) = changes.dialogue else {
            return;
        };
        let audience = Arc::new(audience);
        let dialogue = Arc::new(dialogue);
        for m in changes.messages {
            let m = Arc::new(m);
            if let Some(visitor_id) = dialogue.visitor_id {
                self.bus.guest_send(
                    visitor_id,
                    GuestEvent::Message {
                        dialogue_id: m.dialogue_id,
                        seq: m.seq,
                        message: (!m.private).then(|| m.clone()),
                    },
                );
            }
            self.bus.team_send(TeamEvent::Message(m, audience.clone()));
        }
        if let Some(visitor_id) = dialogue.visitor_id {
            self.bus
                .guest_send(visitor_id, GuestEvent::Dialogue(dialogue.clone()));
        }
        self.bus.team_send(TeamEvent::Dialogue(dialogue, audience));
    }

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
                let open = db::latest_dialogue_of(c, visitor_id)?
                    .filter(|d| d.state != DialogueState::Ended);
                let (dialogue_id, created) = match open {
                    Some(d) => (d.id, false),
                    None if settings.consent_needed(&channel) && !consented => {
                        return Err(ChatError::ConsentRequired);
                    }
                    None => (
                        db::create_dialogue(c, "guest", Some(visitor_id), &channel, &now)?,
                        true,
                    ),
                };
                let attachment_id = match &attachment {
                    Some(a) => Some(attachments::insert(c, dialogue_id, a, &now)?),
                    None => None,
                };
                let (message, _) = db::insert_message(
                    c,
                    &NewMessage {
                        dialogue_id,
                        author_kind: AuthorKind::Guest,
                        author_id: visitor_id,
                        author_name: &visitor.display_name,
                        body: &body,
                        private: false,
                        client_id: client_id.as_deref(),
                        attachment_id,
                    },
                    &now,
                )?;
                db::mark_waiting(c, dialogue_id, &now)?;
                changes.messages.push(message.clone());
                if created {
                    let welcome = settings.automation.welcome_message.trim();
                    if !welcome.is_empty() {
                        changes
                            .messages
                            .push(bot_message(c, dialogue_id, welcome, &now)?);
                    }
                    route(c, dialogue_id, &settings, &now, &mut changes)?;
                }
                if let Some(answer) = keyword_answer(&settings, &body) {
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

    /// Staff write in a dialogue: a reply (members only) or a private note (anyone who
    /// sees it). Replies answer the guest's waiting message.
    pub async fn staff_post(
        &self,
        member: &Member,
        dialogue_id: i64,
        client_id: Option<String>,
        body: &str,
        private: bool,
        attachment: Option<NewAttachment>,
    ) -> Result<Posted, ChatError> {
        let body = clean_body(body)?;
        let member = member.clone();
        let see_others = self.settings().agents_see_others;
        let now = self.clock.now_text();
        let property_name = self.team.property().current().name;
        let (posted, changes, email) = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let mut changes = Changes::default();
                if let Some(id) = client_id.as_deref() {
                    if let Some(m) = db::message_by_client_id(c, AuthorKind::Staff, member.id, id)?
                    {
                        return Ok((
                            Posted {
                                message: m,
                                duplicate: true,
                            },
                            changes,
                            None,
                        ));
                    }
                }
                let (d, audience) =
                    dialogue_for(c, member.role, member.id, dialogue_id, see_others)?;
                if d.state == DialogueState::Ended && d.kind == "guest" {
                    return Err(ChatError::Conflict("the dialogue has ended"));
                }
                if !private && !audience.members.contains(&member.id) {
                    return Err(ChatError::Conflict("join the dialogue before replying"));
                }
                let attachment_id = match &attachment {
                    Some(a) => Some(attachments::insert(c, dialogue_id, a, &now)?),
                    None => None,
                };
                let (message, _) = db::insert_message(
                    c,
                    &NewMessage {
                        dialogue_id,
                        author_kind: AuthorKind::Staff,
                        author_id: member.id,
                        author_name: &display_name(&member),
                        body: &body,
                        private,
                        client_id: client_id.as_deref(),
                        attachment_id,
                    },
                    &now,
                )?;
                let mut email = None;
                if !private && d.kind == "guest" {
                    db::mark_answered(c, dialogue_id, &now)?;
                    if let Some(v) = d.visitor_id {
                        let visitor = visitors::by_id(c, v)?;
                        if !visitor.email.is_empty() {
                            email = Some((v, visitor.email, property_name.clone()));
                        }
                    }
                }
                db::set_read(c, dialogue_id, member.id, message.seq)?;
                changes.messages.push(message.clone());
                finish(c, dialogue_id, &mut changes)?;
                Ok((
                    Posted {
                        message,
                        duplicate: false,
                    },
                    changes,
                    email,
                ))
            })
            .await?;
        self.publish(changes);
        if let (Some((visitor, to, property)), Some(mailer)) = (email, self.mailer.clone()) {
            // Reply by e-mail (CHAT-19): only to a guest who left an address and is gone.
            if !self.bus.is_online(visitor) {
                let body = format!(
                    "{} from {property} replied:\n\n{}\n\nOpen the chat on our website to answer.",
                    posted.message.author_name, posted.message.body
                );
                tokio::spawn(async move {
                    if let Err(e) = mailer
                        .send(&to, &format!("A reply from {property}"), &body)
                        .await
                    {
                        tracing::warn!(error = %e, "The reply e-mail to a guest failed.");
                    }
                });
            }
        }
        Ok(posted)
    }

    /// Runs a change on a dialogue the member can see, then publishes it.
    async fn change<F>(&self, member: &Member, dialogue_id: i64, f: F) -> Result<(), ChatError>
    where
        F: FnOnce(
                &Connection,
                &Member,
                &DialogueRow,
                &Audience,
                &str,
                &mut Changes,
            ) -> Result<(), ChatError>
            + Send
            + 'static,
    {
        let member = member.clone();
        let see_others = self.settings().agents_see_others;
        let now = self.clock.now_text();
        let changes = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let (d, audience) =
                    dialogue_for(c, member.role, member.id, dialogue_id, see_others)?;
                let mut changes = Changes::default();
                f(c, &member, &d, &audience, &now, &mut changes)?;
                finish(c, dialogue_id, &mut changes)?;
                Ok(changes)
            })
            .await?;
        self.publish(changes);
        Ok(())
    }

    /// Join a dialogue; an unassigned one becomes the member's.
    pub async fn join(&self, member: &Member, dialogue_id: i64) -> Result<(), ChatError> {
        self.change(member, dialogue_id, |c, m, d, audience, now, changes| {
            if d.state == DialogueState::Ended {
                return Err(ChatError::Conflict("the dialogue has ended"));
            }
            if audience.members.contains(&m.id) {
                return Ok(());
            }
            db::add_member(c, d.id, m.id, now)?;
            if d.assignee_id.is_none() {
                db::set_state(c, d.id, DialogueState::Assigned, Some(m.id))?;
            }
            let text = format!("{} joined the chat", display_name(m));
            changes
                .messages
                .push(system_message(c, d.id, &text, false, now)?);
            Ok(())
        })
        .await
    }

    /// Hand a dialogue to a colleague (the assignee, chat administrators and admins may).
    pub async fn assign(
        &self,
        member: &Member,
        dialogue_id: i64,
        to: i64,
    ) -> Result<(), ChatError> {
        self.change(member, dialogue_id, move |c, m, d, _, now, changes| {
            if d.state == DialogueState::Ended || d.kind != "guest" {
                return Err(ChatError::Conflict(
                    "only open guest dialogues can be assigned",
                ));
            }
            let manages = matches!(m.role, Role::Owner | Role::Admin | Role::ChatAdmin);
            if !manages && d.assignee_id.is_some() && d.assignee_id != Some(m.id) {
                return Err(ChatError::NotAllowed(
                    "only the assignee or a chat administrator",
                ));
            }
            let colleague = colleague(c, to)?;
            db::add_member(c, d.id, to, now)?;
            db::set_state(c, d.id, DialogueState::Assigned, Some(to))?;
            let text = format!("{} took over the chat", display_name(&colleague));
            changes
                .messages
                .push(system_message(c, d.id, &text, false, now)?);
            Ok(())
        })
        .await
    }

    /// Bring a colleague into the dialogue alongside oneself.
    pub async fn invite(
        &self,
        member: &Member,
        dialogue_id: i64,
        who: i64,
    ) -> Result<(), ChatError> {
        self.change(
            member,
            dialogue_id,
            move |c, m, d, audience, now, changes| {
                if d.state == DialogueState::Ended {
                    return Err(ChatError::Conflict("the dialogue has ended"));
                }
                if !audience.members.contains(&m.id) {
                    return Err(ChatError::Conflict("join the dialogue first"));
                }
                let colleague = colleague(c, who)?;
                db::add_member(c, d.id, who, now)?;
                let text = format!("{} invited {}", display_name(m), display_name(&colleague));
                changes
                    .messages
                    .push(system_message(c, d.id, &text, true, now)?);
                Ok(())
            },
        )
        .await
    }

    /// Leave a dialogue; if its assignee leaves, it goes back to the unassigned list.
    pub async fn leave(&self, member: &Member, dialogue_id: i64) -> Result<(), ChatError> {
        self.change(member, dialogue_id, |c, m, d, audience, now, changes| {
            if !audience.members.contains(&m.id) {
                return Err(ChatError::Conflict("you are not in this dialogue"));
            }
            db::remove_member(c, d.id, m.id)?;
            if d.assignee_id == Some(m.id) && d.state == DialogueState::Assigned {
                let rest: Vec<i64> = audience
                    .members
                    .iter()
                    .copied()
                    .filter(|id| *id != m.id)
                    .collect();
                match rest.first() {
                    Some(next) => db::set_state(c, d.id, DialogueState::Assigned, Some(*next))?,
                    None => db::set_state(c, d.id, DialogueState::Unassigned, None)?,
                }
            }
            let text = format!("{} left the chat", display_name(m));
            changes
                .messages
                .push(system_message(c, d.id, &text, false, now)?);
            Ok(())
        })
        .await
    }

    pub async fn end(&self, member: &Member, dialogue_id: i64) -> Result<(), ChatError> {
        let rating = self.settings().rating_enabled;
        self.change(
            member,
            dialogue_id,
            move |c, m, d, audience, now, changes| {
                if d.state == DialogueState::Ended {
                    return Ok(());
                }
                let manages = matches!(m.role, Role::Owner | Role::Admin | Role::ChatAdmin);
                if !manages && !audience.members.contains(&m.id) {
                    return Err(ChatError::Conflict("join the dialogue before ending it"));
                }
                let text = if rating && d.kind == "guest" {
                    format!(
                        "{} ended the chat. How did we do? Please rate us.",
                        display_name(m)
                    )
                } else {
                    format!("{} ended the chat", display_name(m))
                };
                changes
                    .messages
                    .push(system_message(c, d.id, &text, false, now)?);
                db::end_dialogue(c, d.id, &format!("staff:{}", m.id), now)?;
                Ok(())
            },
        )
        .await
    }

    pub async fn mark_unread(&self, member: &Member, dialogue_id: i64) -> Result<(), ChatError> {
        self.change(member, dialogue_id, |c, m, d, _, _, _| {
            db::mark_unread(c, d.id, m.id)
        })
        .await
    }

    /// Staff have read up to `seq`: the guest sees a read receipt.
    pub async fn staff_read(
        &self,
        member: &Member,
        dialogue_id: i64,
        seq: i64,
    ) -> Result<(), ChatError> {
        let member_id = member.id;
        let see_others = self.settings().agents_see_others;
        let role = member.role;
        let visitor = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let (d, _) = dialogue_for(c, role, member_id, dialogue_id, see_others)?;
                db::set_read(c, dialogue_id, member_id, seq.min(d.last_seq))?;
                Ok(d.visitor_id)
            })
            .await?;
        if let Some(v) = visitor {
            self.bus
                .guest_send(v, GuestEvent::Read { dialogue_id, seq });
        }
        Ok(())
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

    /// The direct dialogue between two members of staff, made on first use (CHAT-21).
    pub async fn direct(&self, member: &Member, other: i64) -> Result<i64, ChatError> {
        if other == member.id {
            return Err(ChatError::Invalid(
                "a direct dialogue needs a colleague".into(),
            ));
        }
        let me = member.id;
        let now = self.clock.now_text();
        let (id, changes) = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                colleague(c, other)?;
                let existing: Option<i64> = rusqlite::OptionalExtension::optional(c.query_row(
                    "SELECT d.id FROM dialogues d WHERE d.kind = 'direct' \
                     AND EXISTS (SELECT 1 FROM dialogue_members a WHERE a.dialogue_id = d.id AND a.user_id = ?1) \
                     AND EXISTS (SELECT 1 FROM dialogue_members b WHERE b.dialogue_id = d.id AND b.user_id = ?2)",
                    rusqlite::params![me, other],
                    |r| r.get(0),
                ))?;
                let mut changes = Changes::default();
                let id = match existing {
                    Some(id) => id,
                    None => {
                        let id = db::create_dialogue(c, "direct", None, "team", &now)?;
                        db::set_state(c, id, DialogueState::Assigned, None)?;
                        db::add_member(c, id, me, &now)?;
                        db::add_member(c, id, other, &now)?;
                        finish(c, id, &mut changes)?;
                        id
                    }
                };
                Ok((id, changes))
            })
            .await?;
        self.publish(changes);
        Ok(id)
    }

    /// Ends dialogues and raises alerts whose time has come (see `timers`).
    pub async fn sweep(&self) -> Result<super::timers::Swept, ChatError> {
        let settings = self.settings();
        let now = self.clock.now();
        let alert_minutes = self.team.property().current().unanswered_alert_minutes;
        let (swept, all_changes) = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let plan = super::timers::due(c, &settings, alert_minutes, now)?;
                let now_text = crate::clock::stamp(now);
                let mut all = Vec::new();
                for id in plan.to_end.iter().map(|(id, _)| *id) {
                    let mut changes = Changes::default();
                    changes.messages.push(system_message(
                        c,
                        id,
                        "The chat was closed after a period of inactivity",
                        false,
                        &now_text,
                    )?);
                    db::end_dialogue(c, id, "timer", &now_text)?;
                    finish(c, id, &mut changes)?;
                    all.push(changes);
                }
                for id in &plan.to_alert {
                    c.execute("UPDATE dialogues SET alerted = 1 WHERE id = ?1", [id])?;
                }
                Ok((plan, all))
            })
            .await?;
        for changes in all_changes {
            self.publish(changes);
        }
        for id in &swept.to_alert {
            let text = format!("Dialogue {id} has a guest message waiting for an answer");
            self.bus.team_send(TeamEvent::Notice {
                kind: "unanswered",
                text: text.clone(),
            });
            if let Some(mailer) = self.mailer.clone() {
                let team = self.team.clone();
                tokio::spawn(async move {
                    super::notify_team(&team, &mailer, "A guest is waiting for an answer", &text)
                        .await;
                });
            }
        }
        Ok(swept)
    }
}

impl Chat {
    /// A scenario tells the team: a notice on the team socket, and e-mail when set up.
    pub async fn notify_staff(&self, kind: &'static str, text: &str) {
        self.bus.team_send(TeamEvent::Notice {
            kind,
            text: text.to_owned(),
        });
        if let Some(mailer) = self.mailer.clone() {
            super::notify_team(&self.team, &mailer, "Hotel Hub scenario", text).await;
        }
    }

    /// A scenario writes to a guest: a message from the assistant in their dialogue.
    pub async fn scenario_message(&self, dialogue_id: i64, text: &str) -> Result<(), ChatError> {
        let body = clean_body(text)?;
        let now = self.clock.now_text();
        let changes = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let mut changes = Changes::default();
                changes
                    .messages
                    .push(bot_message(c, dialogue_id, &body, &now)?);
                finish(c, dialogue_id, &mut changes)?;
                Ok(changes)
            })
            .await?;
        self.publish(changes);
        Ok(())
    }
}

/// Automatic distribution on a new dialogue (CHAT-11).
fn route(
    conn: &Connection,
    dialogue_id: i64,
    settings: &ChatSettings,
    now: &str,
    changes: &mut Changes,
) -> Result<(), ChatError> {
    let agent = match settings.distribution {
        Distribution::Auto => db::next_agent(conn, settings.max_dialogues_per_agent)?,
        Distribution::Manual => None,
    };
    match agent {
        Some(user_id) => {
            db::set_state(conn, dialogue_id, DialogueState::Assigned, Some(user_id))?;
            db::add_member(conn, dialogue_id, user_id, now)?;
            let member = crate::team::read_member(conn, user_id)
                .map_err(|e| ChatError::Invalid(e.to_string()))?;
            let text = format!("{} joined the chat", display_name(&member));
            changes
                .messages
                .push(system_message(conn, dialogue_id, &text, false, now)?);
        }
        None => db::set_state(conn, dialogue_id, DialogueState::Unassigned, None)?,
    }
    Ok(())
}

/// The bot's answer to a guest message, if a keyword (or a hand-off word) matches.
fn keyword_answer(settings: &ChatSettings, body: &str) -> Option<String> {
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
        .map(|k| k.answer.clone())
}

impl Chat {
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

    /// A member of staff is typing: the guest and colleagues are told (not for notes).
    pub async fn staff_typing(&self, member: &Member, dialogue_id: i64, on: bool) {
        let see_others = self.settings().agents_see_others;
        let (role, id) = (member.role, member.id);
        let found = self
            .store
            .read(move |c| -> Result<_, ChatError> {
                let (d, audience) = dialogue_for(c, role, id, dialogue_id, see_others)?;
                Ok((d.visitor_id, audience))
            })
            .await;
        if let Ok((visitor, audience)) = found {
            let who = display_name(member);
            if let Some(v) = visitor {
                self.bus.guest_send(
                    v,
                    GuestEvent::Typing {
                        who: who.clone(),
                        on,
                    },
                );
            }
            self.bus.team_send(TeamEvent::Typing {
                dialogue_id,
                who,
                user_id: Some(member.id),
                on,
                audience: Arc::new(audience),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::chat::settings::{ChatSettings, KeywordAnswer};
    use crate::chat::visitors::PageInfo;
    use crate::store::StoreOptions;
    use crate::team::Availability;

    async fn chat(dir: &std::path::Path) -> Arc<Chat> {
        let store = Store::open(&dir.join("hub.db"), StoreOptions::default()).unwrap();
        Chat::for_test(store, Clock::system()).await
    }

    async fn staff(chat: &Chat, email: &'static str, online: bool) -> Member {
        let status = if online {
            Availability::Online
        } else {
            Availability::Offline
        };
        crate::team::test_member(&chat.store, email, email, status).await
    }

    async fn new_guest_writes(chat: &Chat, body: &str) -> Posted {
        let hello = chat
            .guest_hello(None, PageInfo::default(), "192.0.2.7".into())
            .await
            .unwrap();
        chat.guest_post(
            hello.visitor.id,
            Some("c1".into()),
            body,
            "web",
            false,
            None,
        )
        .await
        .unwrap()
    }

    async fn dialogue(chat: &Chat, id: i64) -> DialogueRow {
        chat.store.read(move |c| db::dialogue(c, id)).await.unwrap()
    }

    #[tokio::test]
    async fn round_robin_gives_online_staff_turns_up_to_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let chat = chat(dir.path()).await;
        let s = ChatSettings {
            max_dialogues_per_agent: 2,
            ..ChatSettings::default()
        };
        chat.save_settings(s).await.unwrap();
        let ana = staff(&chat, "ana@example.org", true).await;
        let bo = staff(&chat, "bo@example.org", true).await;
        staff(&chat, "offline@example.org", false).await;
        let mut assignees = Vec::new();
        for _ in 0..5 {
            let p = new_guest_writes(&chat, "hello").await;
            assignees.push(dialogue(&chat, p.message.dialogue_id).await.assignee_id);
        }
        assert_eq!(
            assignees,
            vec![Some(ana.id), Some(bo.id), Some(ana.id), Some(bo.id), None],
            "turns, the cap of 2 each, never the offline member; the fifth waits unassigned"
        );
    }

    #[tokio::test]
    async fn manual_distribution_leaves_dialogues_unassigned() {
        let dir = tempfile::tempdir().unwrap();
        let chat = chat(dir.path()).await;
        let s = ChatSettings {
            distribution: Distribution::Manual,
            ..ChatSettings::default()
        };
        chat.save_settings(s).await.unwrap();
        staff(&chat, "ana@example.org", true).await;
        let p = new_guest_writes(&chat, "hello").await;
        assert_eq!(
            dialogue(&chat, p.message.dialogue_id).await.state,
            DialogueState::Unassigned
        );
    }

    #[tokio::test]
    async fn the_bot_welcomes_answers_keywords_and_hands_off() {
        let dir = tempfile::tempdir().unwrap();
        let chat = chat(dir.path()).await;
        let mut s = ChatSettings::default();
        s.automation.welcome_message = "Welcome to Seaview!".into();
        s.automation.keyword_answers = vec![KeywordAnswer {
            keywords: vec!["wifi".into(), "wi-fi".into()],
            answer: "The Wi-Fi is Seaview.".into(),
        }];
        s.automation.handoff_words = vec!["human".into()];
        chat.save_settings(s).await.unwrap();
        let hello = chat
            .guest_hello(None, PageInfo::default(), "192.0.2.8".into())
            .await
            .unwrap();
        let v = hello.visitor.id;
        let first = chat
            .guest_post(v, None, "What is the WiFi password?", "web", false, None)
            .await
            .unwrap();
        let d = first.message.dialogue_id;
        chat.guest_post(v, None, "I want a human please", "web", false, None)
            .await
            .unwrap();
        chat.guest_post(v, None, "thanks", "web", false, None)
            .await
            .unwrap();
        let bot: Vec<String> = chat
            .store
            .read(move |c| db::messages_after(c, d, 0, true, 100))
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.author_kind == AuthorKind::Bot)
            .map(|m| m.body)
            .collect();
        assert_eq!(bot.len(), 3, "{bot:?}");
        assert_eq!(bot[0], "Welcome to Seaview!");
        assert_eq!(bot[1], "The Wi-Fi is Seaview.");
        assert!(bot[2].contains("member of our team"), "{bot:?}");
    }

    #[tokio::test]
    async fn private_notes_and_replies_follow_the_rules() {
        let dir = tempfile::tempdir().unwrap();
        let chat = chat(dir.path()).await;
        let ana = staff(&chat, "ana@example.org", false).await;
        let p = new_guest_writes(&chat, "hello").await;
        let d = p.message.dialogue_id;
        let refused = chat.staff_post(&ana, d, None, "hi", false, None).await;
        assert!(
            matches!(refused, Err(ChatError::Conflict(_))),
            "reply before joining"
        );
        chat.staff_post(&ana, d, None, "note to self", true, None)
            .await
            .unwrap();
        chat.join(&ana, d).await.unwrap();
        chat.staff_post(&ana, d, Some("a1".into()), "Hello!", false, None)
            .await
            .unwrap();
        let again = chat
            .staff_post(&ana, d, Some("a1".into()), "Hello!", false, None)
            .await
            .unwrap();
        assert!(again.duplicate);
        let guest_view = chat
            .store
            .read(move |c| db::messages_after(c, d, 0, false, 100))
            .await
            .unwrap();
        assert!(guest_view
            .iter()
            .all(|m| !m.private && m.body != "note to self"));
        assert_eq!(guest_view.iter().filter(|m| m.body == "Hello!").count(), 1);
        let row = dialogue(&chat, d).await;
        assert!(
            row.first_response_at.is_some() && row.waiting_since.is_none(),
            "the reply answered the guest"
        );
        chat.end(&ana, d).await.unwrap();
        let next = chat
            .guest_post(
                p.message.author_id,
                Some("c2".into()),
                "one more thing",
                "web",
                false,
                None,
            )
            .await
            .unwrap();
        assert_ne!(next.message.dialogue_id, d, "after the end, a new dialogue");
    }
}
