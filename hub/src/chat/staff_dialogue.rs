//! Staff's side of a dialogue (CHAT-7, -21): replies and private notes, join, assign,
//! invite, leave, end, unread marks, read receipts, direct dialogues between colleagues,
//! typing. Who may do what is decided here; one store transaction each, then the bus.

use std::sync::Arc;

use rusqlite::Connection;

use super::attachments::NewAttachment;
use super::bus::{Audience, GuestEvent, TeamEvent};
use super::db::{self, DialogueRow, NewMessage};
use super::service::{
    colleague, dialogue_for, display_name, finish, insert_with_file, system_message, Changes,
    Posted,
};
use super::visitors;
use super::DialogueKind;
use super::{clean_body, AuthorKind, Chat, ChatError, DialogueState};
use crate::team::{Member, Role};

impl Chat {
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
                if d.state == DialogueState::Ended && d.kind == DialogueKind::Guest {
                    return Err(ChatError::Conflict("the dialogue has ended"));
                }
                if !private && !audience.members.contains(&member.id) {
                    return Err(ChatError::Conflict("join the dialogue before replying"));
                }
                let message = insert_with_file(
                    c,
                    NewMessage {
                        dialogue_id,
                        author_kind: AuthorKind::Staff,
                        author_id: member.id,
                        author_name: &display_name(&member),
                        body: &body,
                        private,
                        client_id: client_id.as_deref(),
                        attachment_id: None,
                    },
                    attachment.as_ref(),
                    &now,
                )?;
                let mut email = None;
                if !private && d.kind == DialogueKind::Guest {
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
            if d.state == DialogueState::Ended || d.kind != DialogueKind::Guest {
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
                let text = if rating && d.kind == DialogueKind::Guest {
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
                        let id = db::create_dialogue(c, DialogueKind::Direct, None, "team", &now)?;
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
