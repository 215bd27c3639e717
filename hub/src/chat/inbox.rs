//! The Team Messenger's read side and small lists: dialogue lists per view, one dialogue
//! with its visitor card and staff, older pages, attachments staff may open, the visitor
//! card, blocked addresses, shortcuts and colleagues. Methods of [`Chat`]; the SQL is here.

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::attachments::{self, Stored};
use super::bus::Audience;
use super::db::{self, DialogueRow};
use super::service::{dialogue_for, display_name};
use super::visitors::{self, CardEdit, Visitor};
use super::{clean_body, Chat, ChatError, Message};
use crate::team::{Availability, Member, Role};

/// Messages per page in the Team Messenger.
pub(super) const PAGE: i64 = 200;

/// Whether the member may see colleagues' dialogues.
pub(super) fn sees_others(role: Role, settings: &super::settings::ChatSettings) -> bool {
    role != Role::Agent || settings.agents_see_others
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum View {
    Mine,
    Others,
    Unassigned,
    Missed,
    History,
    Direct,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DialogueSummary {
    #[serde(flatten)]
    pub dialogue: DialogueRow,
    pub visitor_name: Option<String>,
    /// Where the guest wrote from, as the page tagged them ("room-102", "kiosk-Lobby").
    pub visitor_tags: Vec<String>,
    pub assignee_name: Option<String>,
    pub title: String,
    pub last_body: Option<String>,
    pub unread: i64,
    pub marked_unread: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DialogueList {
    pub dialogues: Vec<DialogueSummary>,
    pub totals: Totals,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Totals {
    pub count: i64,
    pub missed: i64,
    pub rated: i64,
    pub average_rating: Option<f64>,
}

fn day_bounds(
    from: Option<&str>,
    to: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(String, String), ChatError> {
    let parse = |s: &str| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| ChatError::Invalid("dates are YYYY-MM-DD".into()))
    };
    let to = match to {
        Some(t) => parse(t)?,
        None => now.date_naive(),
    };
    let from = match from {
        Some(f) => parse(f)?,
        None => to - chrono::Duration::days(7),
    };
    let start = format!("{from}T00:00:00.000Z");
    let end = format!("{}T00:00:00.000Z", to + chrono::Duration::days(1));
    Ok((start, end))
}

fn list(
    c: &Connection,
    me: i64,
    view: View,
    others: bool,
    range: &(String, String),
) -> Result<DialogueList, ChatError> {
    let condition = match view {
        View::Mine => "d.kind = 'guest' AND d.state != 'ended' AND (d.assignee_id = p.me OR dm.active = 1)",
        View::Others => "d.kind = 'guest' AND d.state = 'assigned' AND d.assignee_id != p.me AND COALESCE(dm.active, 0) = 0 AND p.others",
        View::Unassigned => "d.kind = 'guest' AND d.state IN ('new', 'unassigned')",
        View::Missed => "d.kind = 'guest' AND d.state = 'ended' AND d.missed = 1 AND d.ended_at >= p.start AND d.ended_at < p.stop",
        View::History => "d.kind = 'guest' AND d.state = 'ended' AND d.ended_at >= p.start AND d.ended_at < p.stop \
             AND (p.others OR d.assignee_id = p.me OR dm.user_id IS NOT NULL OR d.assignee_id IS NULL)",
        View::Direct => "d.kind = 'direct' AND dm.active = 1",
    };
    let sql = format!(
        "WITH p (me, others, start, stop) AS (SELECT ?1, ?2, ?3, ?4) \
         SELECT d.id, d.kind, d.visitor_id, d.state, d.assignee_id, d.channel, d.last_seq, \
         d.created_at, d.last_activity_at, d.waiting_since, d.first_response_at, d.ended_at, \
         d.missed, d.rating, d.guest_read_seq, \
         CASE WHEN v.name = '' THEN v.nickname ELSE v.name END, u.name, \
         (SELECT m.body FROM messages m WHERE m.dialogue_id = d.id AND m.private = 0 \
            AND m.author_kind != 'system' ORDER BY m.seq DESC LIMIT 1), \
         COALESCE(dm.read_seq, 0), COALESCE(dm.marked_unread, 0), \
         (SELECT group_concat(CASE WHEN x.nickname = '' THEN x.name ELSE x.nickname END, ', ') \
            FROM dialogue_members o JOIN users x ON x.id = o.user_id \
            WHERE o.dialogue_id = d.id AND o.user_id != p.me), \
         v.tags \
         FROM p, dialogues d LEFT JOIN visitors v ON v.id = d.visitor_id \
         LEFT JOIN users u ON u.id = d.assignee_id \
         LEFT JOIN dialogue_members dm ON dm.dialogue_id = d.id AND dm.user_id = p.me \
         WHERE {condition} ORDER BY d.last_activity_at DESC LIMIT 500"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![me, others, range.0, range.1], |r| {
        let dialogue = db::dialogue_from_row(r)?;
        let visitor_name: Option<String> = r.get(15)?;
        let others_names: Option<String> = r.get(20)?;
        let read_seq: i64 = r.get(18)?;
        Ok(DialogueSummary {
            title: visitor_name
                .clone()
                .or(others_names)
                .unwrap_or_else(|| "Direct".into()),
            unread: (dialogue.last_seq - read_seq).max(0),
            dialogue,
            visitor_name,
            visitor_tags: r
                .get::<_, Option<String>>(21)?
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
            assignee_name: r.get(16)?,
            last_body: r.get(17)?,
            marked_unread: r.get(19)?,
        })
    })?;
    let dialogues: Vec<DialogueSummary> = rows.collect::<Result<_, _>>()?;
    let rated: Vec<i64> = dialogues.iter().filter_map(|d| d.dialogue.rating).collect();
    let totals = Totals {
        count: dialogues.len() as i64,
        missed: dialogues.iter().filter(|d| d.dialogue.missed).count() as i64,
        rated: rated.len() as i64,
        average_rating: (!rated.is_empty())
            .then(|| rated.iter().sum::<i64>() as f64 / rated.len() as f64),
    };
    Ok(DialogueList { dialogues, totals })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DialogueDetail {
    pub dialogue: DialogueRow,
    pub visitor: Option<Visitor>,
    pub online: bool,
    /// Staff in the dialogue, by id and name.
    #[schema(value_type = Vec<Object>)]
    pub members: Vec<serde_json::Value>,
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Block {
    pub ip: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub created_at: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Shortcut {
    #[serde(default)]
    pub id: i64,
    /// Typed after `/`, e.g. "wifi".
    pub code: String,
    pub body: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMate {
    pub id: i64,
    pub name: String,
    pub nickname: String,
    pub role: Role,
    pub status: Availability,
}

impl Chat {
    /// A view of the Team Messenger; history and missed within `from`..=`to` (days,
    /// YYYY-MM-DD; the last week by default). Others' dialogues only where allowed.
    pub async fn dialogues(
        &self,
        staff: &Member,
        view: View,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<DialogueList, ChatError> {
        let others = sees_others(staff.role, &self.settings());
        if view == View::Others && !others {
            return Err(ChatError::NotAllowed("only where agents see others"));
        }
        let range = day_bounds(from, to, self.clock.now())?;
        let me = staff.id;
        self.store
            .read(move |c| list(c, me, view, others, &range))
            .await
    }

    /// Guest dialogues still open whose guest waits for a staff answer (the owners'
    /// dashboard on the relay shows the number).
    pub async fn unanswered(&self) -> Result<i64, ChatError> {
        self.store
            .read(|c| {
                c.query_row(
                    "SELECT count(*) FROM dialogues WHERE kind = 'guest' AND state != 'ended'
                     AND waiting_since IS NOT NULL",
                    [],
                    |r| r.get(0),
                )
                .map_err(ChatError::from)
            })
            .await
    }

    /// Loads a dialogue the member may see, with its audience.
    async fn visible_dialogue(
        &self,
        staff: &Member,
        id: i64,
    ) -> Result<(DialogueRow, Audience), ChatError> {
        let (role, me) = (staff.role, staff.id);
        let see_others = self.settings().agents_see_others;
        self.store
            .read(move |c| dialogue_for(c, role, me, id, see_others))
            .await
    }

    /// One dialogue: its state, the visitor card, the staff in it and its last page of
    /// messages (private notes included).
    pub async fn dialogue_detail(
        &self,
        staff: &Member,
        id: i64,
    ) -> Result<DialogueDetail, ChatError> {
        let (dialogue, audience) = self.visible_dialogue(staff, id).await?;
        let visitor_id = dialogue.visitor_id;
        let (visitor, messages, members) = self
            .store
            .read(move |c| {
                let visitor = match visitor_id {
                    Some(v) => Some(visitors::by_id(c, v)?),
                    None => None,
                };
                let messages = db::messages_before(c, id, i64::MAX, PAGE)?;
                let mut members = Vec::new();
                for uid in &audience.members {
                    if let Ok(m) = crate::team::read_member(c, *uid) {
                        members.push(serde_json::json!({"id": m.id, "name": display_name(&m)}));
                    }
                }
                Ok::<_, ChatError>((visitor, messages, members))
            })
            .await?;
        Ok(DialogueDetail {
            online: visitor_id.is_some_and(|v| self.bus.is_online(v)),
            dialogue,
            visitor,
            members,
            messages,
        })
    }

    /// The page of messages before `before_seq`, oldest first.
    pub async fn older_messages(
        &self,
        staff: &Member,
        id: i64,
        before_seq: i64,
    ) -> Result<Vec<Message>, ChatError> {
        self.visible_dialogue(staff, id).await?;
        self.store
            .read(move |c| db::messages_before(c, id, before_seq, PAGE))
            .await
    }

    /// A stored file from a dialogue the member may see.
    pub async fn attachment_for_staff(&self, staff: &Member, id: i64) -> Result<Stored, ChatError> {
        let a = self.store.read(move |c| attachments::lookup(c, id)).await?;
        self.visible_dialogue(staff, a.dialogue_id).await?;
        Ok(a)
    }

    /// Edits the visitor card (name, contacts, notes, tags).
    pub async fn edit_visitor(&self, id: i64, edit: CardEdit) -> Result<Visitor, ChatError> {
        self.store
            .write(move |c| visitors::edit_card(c, id, &edit))
            .await
    }

    /// Blocked client addresses, newest first.
    pub async fn blocks(&self) -> Result<Vec<Block>, ChatError> {
        self.store
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT ip, reason, created_at FROM blocked_addresses ORDER BY created_at DESC",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok(Block {
                        ip: r.get(0)?,
                        reason: r.get(1)?,
                        created_at: r.get(2)?,
                    })
                })?;
                Ok::<_, ChatError>(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// Blocks an address: its widget is refused politely from then on.
    pub async fn block(&self, by: &Member, ip: &str, reason: &str) -> Result<(), ChatError> {
        let ip: std::net::IpAddr = ip
            .trim()
            .parse()
            .map_err(|_| ChatError::Invalid("ip: not an address".into()))?;
        let reason: String = reason
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let (by, now) = (by.id, self.clock.now_text());
        self.store
            .write(move |c| {
                c.execute(
                    "INSERT OR REPLACE INTO blocked_addresses (ip, reason, blocked_by, created_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![ip.to_string(), reason, by, now],
                )?;
                Ok::<_, ChatError>(())
            })
            .await
    }

    /// Lifts a block; [`ChatError::NotFound`] when there was none.
    pub async fn unblock(&self, ip: String) -> Result<(), ChatError> {
        let n = self
            .store
            .write(move |c| {
                Ok::<_, ChatError>(c.execute("DELETE FROM blocked_addresses WHERE ip = ?1", [ip])?)
            })
            .await?;
        if n == 0 {
            return Err(ChatError::NotFound);
        }
        Ok(())
    }

    pub async fn shortcuts(&self) -> Result<Vec<Shortcut>, ChatError> {
        self.store
            .read(|c| {
                let mut stmt = c.prepare("SELECT id, code, body FROM shortcuts ORDER BY code")?;
                let rows = stmt.query_map([], |r| {
                    Ok(Shortcut {
                        id: r.get(0)?,
                        code: r.get(1)?,
                        body: r.get(2)?,
                    })
                })?;
                Ok::<_, ChatError>(rows.collect::<Result<_, _>>()?)
            })
            .await
    }

    /// Adds a canned answer typed as `/code`: 1 to 30 letters, digits, - or _.
    pub async fn create_shortcut(&self, code: &str, body: &str) -> Result<Shortcut, ChatError> {
        let code = code.trim().trim_start_matches('/').to_lowercase();
        if code.is_empty()
            || code.len() > 30
            || !code
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ChatError::Invalid(
                "code: 1 to 30 letters, digits, - or _".into(),
            ));
        }
        let body = clean_body(body)?;
        let now = self.clock.now_text();
        let (c2, b2) = (code.clone(), body.clone());
        let id = self
            .store
            .write(move |c| {
                match c.execute(
                    "INSERT INTO shortcuts (code, body, created_at) VALUES (?1, ?2, ?3)",
                    params![c2, b2, now],
                ) {
                    Ok(_) => Ok(c.last_insert_rowid()),
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        Err(ChatError::Conflict("a shortcut with this code exists"))
                    }
                    Err(e) => Err(e.into()),
                }
            })
            .await?;
        Ok(Shortcut { id, code, body })
    }

    pub async fn delete_shortcut(&self, id: i64) -> Result<(), ChatError> {
        let n = self
            .store
            .write(move |c| {
                Ok::<_, ChatError>(c.execute("DELETE FROM shortcuts WHERE id = ?1", [id])?)
            })
            .await?;
        if n == 0 {
            return Err(ChatError::NotFound);
        }
        Ok(())
    }

    /// The team as the Team Messenger needs it: names, roles and availability, no addresses.
    pub async fn colleagues(&self) -> Result<Vec<TeamMate>, ChatError> {
        let members = self
            .team
            .members()
            .await
            .map_err(|e| ChatError::Team(e.to_string()))?;
        Ok(members
            .into_iter()
            .map(|m| TeamMate {
                id: m.id,
                name: m.name,
                nickname: m.nickname,
                role: m.role,
                status: m.status,
            })
            .collect())
    }
}

impl Chat {
    /// Checks and saves an upload under the data directory, lets `post` store its message,
    /// and removes the file again if the message was refused or was a resend.
    pub async fn post_file<F, Fut>(
        &self,
        bytes: &[u8],
        file_name: &str,
        post: F,
    ) -> Result<super::service::Posted, ChatError>
    where
        F: FnOnce(String, attachments::NewAttachment) -> Fut,
        Fut: std::future::Future<Output = Result<super::service::Posted, ChatError>>,
    {
        attachments::post_with_file(
            &self.data_dir,
            self.config.max_attachment_bytes,
            bytes,
            file_name,
            post,
        )
        .await
    }

    /// A stored attachment's bytes.
    pub async fn attachment_bytes(&self, a: &Stored) -> Result<Vec<u8>, ChatError> {
        attachments::read(&self.data_dir, a).await
    }
}

/// What a team socket reads to resume: its baseline and where each dialogue stood then.
impl Chat {
    /// The highest message id now: a new team socket's baseline.
    pub(super) async fn newest_message_id(&self) -> Result<i64, ChatError> {
        self.store.read(db::max_message_id).await
    }

    /// The dialogue's last sequence as of message id `baseline`.
    pub(super) async fn seq_at(&self, dialogue_id: i64, baseline: i64) -> Result<i64, ChatError> {
        self.store
            .read(move |c| db::seq_at(c, dialogue_id, baseline))
            .await
    }

    /// Dialogues with messages after `baseline`: each with its sequence then and its
    /// audience.
    pub(super) async fn touched_since(
        &self,
        baseline: i64,
    ) -> Result<Vec<(i64, i64, Audience)>, ChatError> {
        self.store
            .read(move |c| {
                let mut out = Vec::new();
                for (id, seq) in db::dialogues_since(c, baseline)? {
                    let d = db::dialogue(c, id)?;
                    out.push((id, seq, super::service::audience_of(c, &d)?));
                }
                Ok::<_, ChatError>(out)
            })
            .await
    }
}
