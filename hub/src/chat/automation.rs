//! What happens to dialogues without anyone asking: the timers' sweep (auto-close,
//! unanswered alerts, CHAT-15) and what scenarios do in the chat (team notices, a message
//! from the assistant into a guest's dialogue).

use super::bus::TeamEvent;
use super::db;
use super::service::{bot_message, finish, system_message, Changes};
use super::{clean_body, Chat, ChatError, DialogueState};

impl Chat {
    /// Ends dialogues and raises alerts whose time has come (see `timers`), and hands the
    /// unanswered dialogues of staff gone past their grace back to the queue (to someone
    /// here, else they wait there for the unanswered alert).
    pub async fn sweep(&self) -> Result<super::timers::Swept, ChatError> {
        let settings = self.settings();
        let now = self.clock.now();
        let alert_minutes = self.team.property().current().unanswered_alert_minutes;
        let presence = self.presence.clone();
        let connected = presence.connected();
        let (swept, all_changes) = self
            .store
            .write(move |c| -> Result<_, ChatError> {
                let now_text = crate::clock::stamp(now);
                let mut all = Vec::new();
                for (id, assignee) in db::waiting_assigned(c)? {
                    if presence.here(assignee, now) {
                        continue;
                    }
                    let mut changes = Changes::default();
                    db::set_state(c, id, DialogueState::Unassigned, None)?;
                    changes.messages.push(system_message(
                        c,
                        id,
                        "Back in the queue: the assignee left the Team Messenger",
                        true,
                        &now_text,
                    )?);
                    super::guest_dialogue::route(
                        c,
                        id,
                        &settings,
                        &connected,
                        &now_text,
                        &mut changes,
                    )?;
                    finish(c, id, &mut changes)?;
                    all.push(changes);
                }
                let plan = super::timers::due(c, &settings, alert_minutes, now)?;
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
            let id_now = *id;
            let waiting = self
                .store
                .read(move |c| -> Result<_, ChatError> {
                    let d = db::dialogue(c, id_now)?;
                    let from = match d.visitor_id {
                        Some(v) => super::visitors::by_id(c, v)?.display_name,
                        None => "A guest".into(),
                    };
                    Ok((d, from))
                })
                .await;
            if let Ok((d, from)) = waiting {
                self.alert_unanswered(&d, from);
            }
            let text = format!("Dialogue {id} has a guest message waiting for an answer");
            self.bus.team_send(TeamEvent::Notice {
                kind: "unanswered",
                text: text.clone(),
            });
            if let Some(mailer) = self.mailer.clone() {
                let team = self.team.clone();
                let mut connected_now = self.presence.connected();
                let wanted = self
                    .waiting_mail
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                tokio::spawn(async move {
                    // Members the filter leaves out are treated as here: not mailed.
                    if let (Some(wanted), Ok(members)) = (wanted, team.members().await) {
                        connected_now
                            .extend(members.iter().map(|m| m.id).filter(|id| !wanted(*id)));
                    }
                    super::notify_team(
                        &team,
                        &mailer,
                        &connected_now,
                        "A guest is waiting for an answer",
                        &text,
                    )
                    .await;
                });
            }
        }
        Ok(swept)
    }

    /// A scenario tells the team: a notice on the team socket, and e-mail when set up.
    pub async fn notify_staff(&self, kind: &'static str, text: &str) {
        self.bus.team_send(TeamEvent::Notice {
            kind,
            text: text.to_owned(),
        });
        if let Some(mailer) = self.mailer.clone() {
            let connected = self.presence.connected();
            super::notify_team(&self.team, &mailer, &connected, "Hotel Hub scenario", text).await;
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
