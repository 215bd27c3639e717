//! Chat's SQL: visitors, dialogues, members, messages and the Team Messenger's lists.
//! Runs inside `Store::write` / `Store::read` closures; decides nothing about who may do
//! what (that is `service`).

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use utoipa::ToSchema;

use super::DialogueKind;
use super::{AttachmentRef, AuthorKind, ChatError, DialogueState, Message};

const MESSAGE_COLUMNS: &str = "m.id, m.dialogue_id, m.seq, m.author_kind, m.author_id, \
     m.author_name, m.body, m.private, m.client_id, m.created_at, \
     a.id, a.file_name, a.content_type, a.size";

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let attachment = match r.get::<_, Option<i64>>(10)? {
        Some(id) => Some(AttachmentRef {
            id,
            file_name: r.get(11)?,
            content_type: r.get(12)?,
            size: r.get(13)?,
        }),
        None => None,
    };
    Ok(Message {
        id: r.get(0)?,
        dialogue_id: r.get(1)?,
        seq: r.get(2)?,
        author_kind: AuthorKind::parse(&r.get::<_, String>(3)?),
        author_id: r.get(4)?,
        author_name: r.get(5)?,
        body: r.get(6)?,
        private: r.get(7)?,
        client_id: r.get(8)?,
        at: r.get(9)?,
        attachment,
    })
}

fn messages_where(
    conn: &Connection,
    condition: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<Message>, ChatError> {
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m LEFT JOIN attachments a \
         ON a.id = m.attachment_id WHERE {condition}"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params, message_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The dialogue's messages after `after_seq`, in sequence, private notes included: what
/// staff read.
pub(super) fn messages_after(
    conn: &Connection,
    dialogue_id: i64,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Message>, ChatError> {
    messages_where(
        conn,
        "m.dialogue_id = ?1 AND m.seq > ?2 ORDER BY m.seq LIMIT ?3",
        params![dialogue_id, after_seq, limit],
    )
}

/// The staff's and the bot's public messages to a visitor after message id `after`, in
/// every dialogue of theirs, oldest first: what a messenger's outbox carries.
pub(super) fn replies_to_visitor(
    conn: &Connection,
    visitor_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<Message>, ChatError> {
    messages_where(
        conn,
        "m.id > ?2 AND m.private = 0 AND m.author_kind IN ('staff', 'bot') AND m.dialogue_id IN \
         (SELECT id FROM dialogues WHERE visitor_id = ?1) ORDER BY m.id LIMIT ?3",
        params![visitor_id, after, limit],
    )
}

/// One place in a dialogue's sequence as the guest side may read it.
#[derive(Debug, Clone)]
pub(super) enum Item {
    Shown(Message),
    /// A private note: the guest learns only that this sequence number was taken.
    Taken(i64),
}

/// The dialogue after `after_seq` as the guest side may read it: messages, and for each
/// private note only its sequence number (its body and author are never read).
pub(super) fn guest_messages_after(
    conn: &Connection,
    dialogue_id: i64,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Item>, ChatError> {
    let mut places = conn.prepare_cached(
        "SELECT seq, private FROM messages WHERE dialogue_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let places: Vec<(i64, bool)> = places
        .query_map(params![dialogue_id, after_seq, limit], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let Some(&(last, _)) = places.last() else {
        return Ok(Vec::new());
    };
    let mut shown = messages_where(
        conn,
        "m.dialogue_id = ?1 AND m.seq > ?2 AND m.seq <= ?3 AND m.private = 0 ORDER BY m.seq",
        params![dialogue_id, after_seq, last],
    )?
    .into_iter()
    .peekable();
    Ok(places
        .into_iter()
        .filter_map(|(seq, private)| {
            if private {
                return Some(Item::Taken(seq));
            }
            shown.next_if(|m| m.seq == seq).map(Item::Shown)
        })
        .collect())
}

/// The last `limit` messages of a dialogue before sequence `before` (all of it with
/// `i64::MAX`), oldest first, private notes included: what staff see on open, and "load
/// older".
pub(super) fn messages_before(
    conn: &Connection,
    dialogue_id: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<Message>, ChatError> {
    let mut v = messages_where(
        conn,
        "m.dialogue_id = ?1 AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3",
        params![dialogue_id, before, limit],
    )?;
    v.reverse();
    Ok(v)
}

pub(super) fn message_by_client_id(
    conn: &Connection,
    author_kind: AuthorKind,
    author_id: i64,
    client_id: &str,
) -> Result<Option<Message>, ChatError> {
    Ok(messages_where(
        conn,
        "m.author_kind = ?1 AND m.author_id = ?2 AND m.client_id = ?3",
        params![author_kind.as_str(), author_id, client_id],
    )?
    .pop())
}

pub(super) struct NewMessage<'a> {
    pub dialogue_id: i64,
    pub author_kind: AuthorKind,
    pub author_id: i64,
    pub author_name: &'a str,
    pub body: &'a str,
    pub private: bool,
    pub client_id: Option<&'a str>,
    pub attachment_id: Option<i64>,
}

/// Stores a message under the dialogue's next sequence number. A client id seen before
/// from the same author returns the stored message and `true` (a resend, not stored twice).
pub(super) fn insert_message(
    conn: &Connection,
    m: &NewMessage<'_>,
    now: &str,
) -> Result<(Message, bool), ChatError> {
    if let Some(client_id) = m.client_id {
        if let Some(existing) = message_by_client_id(conn, m.author_kind, m.author_id, client_id)? {
            return Ok((existing, true));
        }
    }
    let seq: i64 = conn.query_row(
        "UPDATE dialogues SET last_seq = last_seq + 1, last_activity_at = ?2 WHERE id = ?1 \
         RETURNING last_seq",
        params![m.dialogue_id, now],
        |r| r.get(0),
    )?;
    conn.execute(
        "INSERT INTO messages (dialogue_id, seq, author_kind, author_id, author_name, body, \
         private, client_id, attachment_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            m.dialogue_id,
            seq,
            m.author_kind.as_str(),
            m.author_id,
            m.author_name,
            m.body,
            m.private,
            m.client_id,
            m.attachment_id,
            now
        ],
    )?;
    let id = conn.last_insert_rowid();
    let stored = messages_where(conn, "m.id = ?1", params![id])?
        .pop()
        .ok_or(ChatError::NoSuchDialogue)?;
    Ok((stored, false))
}

/// The facts about a dialogue that decide access and routing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DialogueRow {
    pub id: i64,
    pub kind: DialogueKind,
    pub visitor_id: Option<i64>,
    pub state: DialogueState,
    pub assignee_id: Option<i64>,
    pub channel: String,
    pub last_seq: i64,
    pub created_at: String,
    pub last_activity_at: String,
    pub waiting_since: Option<String>,
    pub first_response_at: Option<String>,
    pub ended_at: Option<String>,
    pub missed: bool,
    pub rating: Option<i64>,
    pub guest_read_seq: i64,
}

const DIALOGUE_COLUMNS: &str = "d.id, d.kind, d.visitor_id, d.state, d.assignee_id, d.channel, \
     d.last_seq, d.created_at, d.last_activity_at, d.waiting_since, d.first_response_at, \
     d.ended_at, d.missed, d.rating, d.guest_read_seq";

/// Reads the first 15 columns, in `DIALOGUE_COLUMNS` order.
pub(super) fn dialogue_from_row(r: &Row<'_>) -> rusqlite::Result<DialogueRow> {
    Ok(DialogueRow {
        id: r.get(0)?,
        kind: DialogueKind::parse(&r.get::<_, String>(1)?),
        visitor_id: r.get(2)?,
        state: DialogueState::parse(&r.get::<_, String>(3)?),
        assignee_id: r.get(4)?,
        channel: r.get(5)?,
        last_seq: r.get(6)?,
        created_at: r.get(7)?,
        last_activity_at: r.get(8)?,
        waiting_since: r.get(9)?,
        first_response_at: r.get(10)?,
        ended_at: r.get(11)?,
        missed: r.get(12)?,
        rating: r.get(13)?,
        guest_read_seq: r.get(14)?,
    })
}

pub(super) fn dialogue(conn: &Connection, id: i64) -> Result<DialogueRow, ChatError> {
    conn.query_row(
        &format!("SELECT {DIALOGUE_COLUMNS} FROM dialogues d WHERE d.id = ?1"),
        [id],
        dialogue_from_row,
    )
    .optional()?
    .ok_or(ChatError::NoSuchDialogue)
}

/// The visitor's most recent dialogue, open or ended.
pub(super) fn latest_dialogue_of(
    conn: &Connection,
    visitor_id: i64,
) -> Result<Option<DialogueRow>, ChatError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {DIALOGUE_COLUMNS} FROM dialogues d WHERE d.visitor_id = ?1 \
                 ORDER BY d.id DESC LIMIT 1"
            ),
            [visitor_id],
            dialogue_from_row,
        )
        .optional()?)
}

pub(super) fn create_dialogue(
    conn: &Connection,
    kind: DialogueKind,
    visitor_id: Option<i64>,
    channel: &str,
    now: &str,
) -> Result<i64, ChatError> {
    conn.execute(
        "INSERT INTO dialogues (kind, visitor_id, state, channel, created_at, last_activity_at) \
         VALUES (?1, ?2, 'new', ?3, ?4, ?4)",
        params![kind.as_str(), visitor_id, channel, now],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn set_state(
    conn: &Connection,
    id: i64,
    state: DialogueState,
    assignee: Option<i64>,
) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE dialogues SET state = ?2, assignee_id = ?3 WHERE id = ?1",
        params![id, state.as_str(), assignee],
    )?;
    Ok(())
}

pub(super) fn end_dialogue(
    conn: &Connection,
    id: i64,
    by: &str,
    now: &str,
) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE dialogues SET state = 'ended', ended_at = ?2, ended_by = ?3, waiting_since = NULL, \
         missed = (first_response_at IS NULL AND kind = 'guest') WHERE id = ?1",
        params![id, now, by],
    )?;
    conn.execute(
        "UPDATE dialogue_members SET active = 0 WHERE dialogue_id = ?1",
        [id],
    )?;
    Ok(())
}

/// A guest wrote: the dialogue now waits for staff (unless it already did).
pub(super) fn mark_waiting(conn: &Connection, id: i64, now: &str) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE dialogues SET waiting_since = COALESCE(waiting_since, ?2) WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// Staff answered the guest.
pub(super) fn mark_answered(conn: &Connection, id: i64, now: &str) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE dialogues SET waiting_since = NULL, alerted = 0, \
         first_response_at = COALESCE(first_response_at, ?2) WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

pub(super) fn add_member(
    conn: &Connection,
    dialogue_id: i64,
    user_id: i64,
    now: &str,
) -> Result<(), ChatError> {
    conn.execute(
        "INSERT INTO dialogue_members (dialogue_id, user_id, joined_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (dialogue_id, user_id) DO UPDATE SET active = 1",
        params![dialogue_id, user_id, now],
    )?;
    Ok(())
}

pub(super) fn remove_member(
    conn: &Connection,
    dialogue_id: i64,
    user_id: i64,
) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE dialogue_members SET active = 0 WHERE dialogue_id = ?1 AND user_id = ?2",
        params![dialogue_id, user_id],
    )?;
    Ok(())
}

/// Everyone from staff currently in the dialogue.
pub(super) fn member_ids(conn: &Connection, dialogue_id: i64) -> Result<Vec<i64>, ChatError> {
    let mut stmt = conn.prepare_cached(
        "SELECT user_id FROM dialogue_members WHERE dialogue_id = ?1 AND active = 1",
    )?;
    let ids = stmt.query_map([dialogue_id], |r| r.get(0))?;
    Ok(ids.collect::<Result<_, _>>()?)
}

pub(super) fn set_read(
    conn: &Connection,
    dialogue_id: i64,
    user_id: i64,
    seq: i64,
) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE dialogue_members SET read_seq = MAX(read_seq, ?3), marked_unread = 0 \
         WHERE dialogue_id = ?1 AND user_id = ?2",
        params![dialogue_id, user_id, seq],
    )?;
    Ok(())
}

pub(super) fn set_guest_read(
    conn: &Connection,
    dialogue_id: i64,
    seq: i64,
) -> Result<(), ChatError> {
    conn.execute(
        "UPDATE dialogues SET guest_read_seq = MAX(guest_read_seq, MIN(?2, last_seq)) WHERE id = ?1",
        params![dialogue_id, seq],
    )?;
    Ok(())
}

pub(super) fn mark_unread(
    conn: &Connection,
    dialogue_id: i64,
    user_id: i64,
) -> Result<(), ChatError> {
    let changed = conn.execute(
        "UPDATE dialogue_members SET marked_unread = 1 WHERE dialogue_id = ?1 AND user_id = ?2",
        params![dialogue_id, user_id],
    )?;
    if changed == 0 {
        return Err(ChatError::Conflict("join the dialogue first"));
    }
    Ok(())
}

/// Round robin with a cap: staff available by their own choice and under the cap, in turn
/// order (the one given a dialogue longest ago first, never-given first of all, lowest id
/// on a tie). Whether they are here is the caller's to check (`presence`).
pub(super) fn next_agents(conn: &Connection, cap: u32) -> Result<Vec<i64>, ChatError> {
    let mut stmt = conn.prepare_cached(
        "SELECT u.id FROM users u \
         WHERE u.status = 'online' \
         AND (SELECT count(*) FROM dialogues d WHERE d.assignee_id = u.id \
              AND d.state = 'assigned' AND d.kind = 'guest') < ?1 \
         ORDER BY (SELECT max(d.id) FROM dialogues d WHERE d.assignee_id = u.id \
              AND d.kind = 'guest') IS NOT NULL, \
             (SELECT max(d.id) FROM dialogues d WHERE d.assignee_id = u.id \
              AND d.kind = 'guest'), u.id",
    )?;
    let rows = stmt.query_map([cap], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Assigned guest dialogues waiting for a staff answer, with their assignee.
pub(super) fn waiting_assigned(conn: &Connection) -> Result<Vec<(i64, i64)>, ChatError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, assignee_id FROM dialogues WHERE kind = 'guest' AND state = 'assigned' \
         AND waiting_since IS NOT NULL AND assignee_id IS NOT NULL ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The highest message id: the Team Messenger's resume baseline.
pub(super) fn max_message_id(conn: &Connection) -> Result<i64, ChatError> {
    Ok(
        conn.query_row("SELECT COALESCE(max(id), 0) FROM messages", [], |r| {
            r.get(0)
        })?,
    )
}

/// Dialogues with messages after `baseline`, with the sequence each had at `baseline`.
pub(super) fn dialogues_since(
    conn: &Connection,
    baseline: i64,
) -> Result<Vec<(i64, i64)>, ChatError> {
    let mut stmt = conn.prepare_cached(
        "SELECT m.dialogue_id, \
           (SELECT COALESCE(max(o.seq), 0) FROM messages o \
            WHERE o.dialogue_id = m.dialogue_id AND o.id <= ?1) \
         FROM messages m WHERE m.id > ?1 GROUP BY m.dialogue_id",
    )?;
    let rows = stmt.query_map([baseline], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The sequence a dialogue had reached at message id `baseline`.
pub(super) fn seq_at(conn: &Connection, dialogue_id: i64, baseline: i64) -> Result<i64, ChatError> {
    Ok(conn.query_row(
        "SELECT COALESCE(max(seq), 0) FROM messages WHERE dialogue_id = ?1 AND id <= ?2",
        params![dialogue_id, baseline],
        |r| r.get(0),
    )?)
}

pub(super) fn is_blocked(conn: &Connection, ip: &str) -> Result<bool, ChatError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM blocked_addresses WHERE ip = ?1",
            [ip],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The latest dialogue of the guest with this e-mail (any case) or phone (digits
/// compared), preferring one still open; for scenarios writing to a booked guest.
pub(super) fn guest_dialogue(
    conn: &Connection,
    email: &str,
    phone: &str,
) -> rusqlite::Result<Option<i64>> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if email.trim().is_empty() && digits.len() < 6 {
        return Ok(None);
    }
    let mut stmt = conn.prepare(
        "SELECT d.id, d.state, v.email, v.phone FROM dialogues d JOIN visitors v ON v.id = d.visitor_id
         WHERE d.kind = 'guest' AND (v.email != '' OR v.phone != '') ORDER BY d.id DESC LIMIT 5000",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    let mut ended = None;
    for row in rows {
        let (id, state, e, p) = row?;
        let p: String = p.chars().filter(char::is_ascii_digit).collect();
        let same = (!email.trim().is_empty() && e.trim().eq_ignore_ascii_case(email.trim()))
            || (digits.len() >= 6
                && !p.is_empty()
                && (p.ends_with(&digits) || digits.ends_with(&p)));
        if same {
            if state != "ended" {
                return Ok(Some(id));
            }
            ended = ended.or(Some(id));
        }
    }
    Ok(ended)
}
