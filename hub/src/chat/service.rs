//! The dialogue lifecycle (CHAT-5, -7, -11, -14, -15, -21): every change to a dialogue goes
//! through here as one store transaction, then its events go on the bus. Who may do what is
//! decided here too; sockets and routes only translate.

use std::sync::{Arc, RwLock};

use rusqlite::Connection;

use super::bus::{Audience, ChatBus, GuestEvent, TeamEvent};
use super::db::{self, DialogueRow, NewMessage};
use super::settings::{self, ChatSettings};
use super::visitors::Visitor;
use super::DialogueKind;
use super::{AuthorKind, ChatError, Message};
use crate::clock::Clock;
use crate::config::ChatConfig;
use crate::ratelimit::FailureLimiter;
use crate::store::Store;
use crate::team::{Member, Role, Team};

pub struct Chat {
    pub store: Store,
    pub clock: Clock,
    pub bus: Arc<ChatBus>,
    pub(super) settings: RwLock<(Arc<ChatSettings>, String)>,
    pub(super) mailer: Option<crate::notify::Mailer>,
    pub(super) geoip: super::geoip::GeoIp,
    pub(super) team: Team,
    pub(super) config: ChatConfig,
    /// Where attachments live (`<data>/attachments/`).
    pub(super) data_dir: std::path::PathBuf,
    /// Outgoing HTTP (CRM webhook, customer identification): bounded time, no redirects.
    pub(super) http: reqwest::Client,
    pub(super) limits: GuestLimits,
    /// Who of the staff has the Team Messenger open (routing, hand-back, alerts).
    pub(super) presence: Arc<super::presence::Presence>,
    /// Guest messages for staff who do not have the Team Messenger open.
    pub(super) alerts: tokio::sync::broadcast::Sender<Alert>,
    /// Whether anyone could use an alert for a conversation with this assignee (set by
    /// the listener): a guest message costs nothing when nobody could be reached.
    pub(super) alert_wanted: RwLock<Option<AlertWanted>>,
    /// Which members get the e-mail of a guest left waiting besides their "notify me while
    /// offline" (set by whoever delivers notices; all of them when unset).
    pub(super) waiting_mail: RwLock<Option<MemberFilter>>,
    /// The hotel's messengers as guest surfaces offer them (set once they run).
    pub(super) channel_links: std::sync::OnceLock<super::ChannelLinks>,
    /// Visitors the team or the bot just wrote to (for messenger outboxes).
    pub(super) replies: tokio::sync::broadcast::Sender<i64>,
    /// The typical first-answer time the widget promises, and when it was worked out.
    pub(super) reply_estimate: std::sync::Mutex<Option<(std::time::Instant, Option<u32>)>>,
}

type AlertWanted = Arc<dyn Fn(Option<i64>) -> bool + Send + Sync>;
type MemberFilter = Arc<dyn Fn(i64) -> bool + Send + Sync>;

/// A guest wrote: for notifications to staff who are not in the Team Messenger to see it
/// (the chat's event; whoever delivers it listens with [`Chat::alerts`] and leaves out
/// [`Chat::connected_staff`]).
#[derive(Debug, Clone)]
pub struct Alert {
    /// The conversation's assignee; with none, it is everyone's.
    pub assignee: Option<i64>,
    pub dialogue_id: i64,
    /// The guest's first message of this conversation.
    pub new_dialogue: bool,
    /// Not a new message: the guest has waited past the owner's unanswered-alert time.
    pub unanswered: bool,
    /// The conversation's channel ("web", "reception", "telegram", …).
    pub channel: String,
    /// The guest's card (`Chat::visitor_card`), for the unit they wrote from.
    pub visitor_id: Option<i64>,
    /// Who wrote (the guest's name or nickname).
    pub from: String,
    /// The message, cut to 140 characters.
    pub text: String,
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
pub(super) struct Changes {
    pub messages: Vec<Message>,
    pub dialogue: Option<(DialogueRow, Audience)>,
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
        kind_direct: d.kind == DialogueKind::Direct,
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

pub(super) fn system_message(
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

pub(super) fn bot_message(
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
pub(super) fn colleague(conn: &Connection, id: i64) -> Result<Member, ChatError> {
    crate::team::read_member(conn, id).map_err(|_| ChatError::Invalid("no such colleague".into()))
}

/// Stores a message with its file (if any) linked in the same transaction.
pub(super) fn insert_with_file(
    conn: &Connection,
    mut message: NewMessage<'_>,
    file: Option<&super::attachments::NewAttachment>,
    now: &str,
) -> Result<Message, ChatError> {
    message.attachment_id = match file {
        Some(a) => Some(super::attachments::insert(
            conn,
            message.dialogue_id,
            a,
            now,
        )?),
        None => None,
    };
    Ok(db::insert_message(conn, &message, now)?.0)
}

pub(super) fn finish(
    conn: &Connection,
    dialogue_id: i64,
    changes: &mut Changes,
) -> Result<(), ChatError> {
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
        let presence = super::presence::Presence::new(clock.now());
        let (alerts, _) = tokio::sync::broadcast::channel(256);
        let (replies, _) = tokio::sync::broadcast::channel(256);
        Ok(Arc::new(Chat {
            presence,
            alerts,
            alert_wanted: RwLock::new(None),
            waiting_mail: RwLock::new(None),
            channel_links: std::sync::OnceLock::new(),
            replies,
            reply_estimate: std::sync::Mutex::new(None),
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

    /// The hotel's own sites (origins) that may frame the widget; empty: any.
    pub fn widget_sites(&self) -> Vec<String> {
        self.settings().widget.sites.clone()
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
        let new = Arc::new(new);
        self.settings.write().unwrap_or_else(|p| p.into_inner()).0 = new.clone();
        self.bus.guest_broadcast(GuestEvent::Settings(new));
        Ok(())
    }

    /// Guest messages for staff without the Team Messenger open.
    /// Guest messages for staff; `wanted(assignee)` says whether an alert could reach
    /// anyone (checked per message before anything is sent, so it must be cheap).
    pub fn alerts(
        &self,
        wanted: impl Fn(Option<i64>) -> bool + Send + Sync + 'static,
    ) -> tokio::sync::broadcast::Receiver<Alert> {
        *self.alert_wanted.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(wanted));
        self.alerts.subscribe()
    }

    /// Lets only the members `wanted` says have the e-mail of a guest left waiting (the
    /// notices' choices decide for those who made them).
    pub fn filter_waiting_mail(&self, wanted: impl Fn(i64) -> bool + Send + Sync + 'static) {
        *self.waiting_mail.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(wanted));
    }

    /// Tells every open Team Messenger `{"type": kind, ...body}` (another capability's live
    /// news); nothing is stored, and a messenger that was closed reads the state anew.
    pub fn signal_team(
        &self,
        kind: &'static str,
        body: serde_json::Map<String, serde_json::Value>,
    ) {
        self.bus.team_send(TeamEvent::Signal {
            kind,
            body: Arc::new(body),
        });
    }

    /// A line every open Team Messenger shows for a moment (`kind` names it).
    pub fn notice_team(&self, kind: &'static str, text: String) {
        self.bus.team_send(TeamEvent::Notice { kind, text });
    }

    /// Members with the Team Messenger open now.
    pub fn connected_staff(&self) -> std::collections::HashSet<i64> {
        self.presence.connected()
    }

    /// Tells whoever listens that a guest wrote `m`; costs nothing when nobody listens.
    fn alert(&self, m: &Message, dialogue: &DialogueRow, assignee: Option<i64>) {
        let wanted = self
            .alert_wanted
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if self.alerts.receiver_count() == 0 || !wanted.is_some_and(|w| w(assignee)) {
            return;
        }
        let _ = self.alerts.send(Alert {
            assignee,
            dialogue_id: m.dialogue_id,
            new_dialogue: m.seq == 1,
            unanswered: false,
            channel: dialogue.channel.clone(),
            visitor_id: dialogue.visitor_id,
            from: m.author_name.clone(),
            text: m.body.chars().take(140).collect(),
        });
    }

    /// Tells whoever listens that the guest of `d` (called `from`) waits for an answer.
    pub(super) fn alert_unanswered(&self, d: &DialogueRow, from: String) {
        let wanted = self
            .alert_wanted
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if self.alerts.receiver_count() == 0 || !wanted.is_some_and(|w| w(d.assignee_id)) {
            return;
        }
        let _ = self.alerts.send(Alert {
            assignee: d.assignee_id,
            dialogue_id: d.id,
            new_dialogue: false,
            unanswered: true,
            channel: d.channel.clone(),
            visitor_id: d.visitor_id,
            from,
            text: "is waiting for an answer".into(),
        });
    }

    pub(super) fn publish(&self, changes: Changes) {
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
            if m.author_kind == AuthorKind::Guest && !m.private {
                self.alert(&m, &dialogue, audience.assignee_id);
            }
            if matches!(m.author_kind, AuthorKind::Staff | AuthorKind::Bot) && !m.private {
                if let Some(visitor_id) = dialogue.visitor_id {
                    let _ = self.replies.send(visitor_id);
                }
            }
            self.bus.team_send(TeamEvent::Message(m, audience.clone()));
        }
        if let Some(visitor_id) = dialogue.visitor_id {
            self.bus
                .guest_send(visitor_id, GuestEvent::Dialogue(dialogue.clone()));
        }
        self.bus.team_send(TeamEvent::Dialogue(dialogue, audience));
    }
}
