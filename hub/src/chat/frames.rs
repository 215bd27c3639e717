//! What the hub sends on the chat sockets, typed: one `Frame` for both the guest's and
//! the team's socket (`{"type": …, …}`), and the one backlog fill both use for every gap.
//! The guest side reads the store through [`db::guest_messages_after`], which never returns
//! a private note's body or author: that rule lives in the query, not in a flag here.

use axum::extract::ws::{Message as WsMessage, WebSocket};
use serde::Serialize;

use super::bus::OnlineVisitor;
use super::db::{self, DialogueRow, Item};
use super::{Chat, ChatError, DialogueState, Message};
use crate::team::Role;

/// Messages read from the store per batch when a socket fills a gap.
const BATCH: i64 = 500;

/// A dialogue as the guest sees it: no staff, no visitor card.
#[derive(Debug, Serialize)]
pub(super) struct GuestDialogue {
    pub id: i64,
    pub state: DialogueState,
    pub rating: Option<i64>,
    pub last_seq: i64,
    /// Present (always 0) in updates, absent in the welcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_seq: Option<i64>,
}

impl GuestDialogue {
    pub(super) fn of(d: &DialogueRow) -> GuestDialogue {
        GuestDialogue {
            id: d.id,
            state: d.state,
            rating: d.rating,
            last_seq: d.last_seq,
            read_seq: None,
        }
    }
}

/// Who a team socket belongs to.
#[derive(Debug, Serialize)]
pub(super) struct Me<'a> {
    pub id: i64,
    pub name: &'a str,
    pub role: Role,
}

/// The guest's welcome: the visitor, the dialogue to resume, the widget's settings and
/// the property as the guest sees it.
#[derive(Debug, Serialize)]
pub(super) struct GuestWelcome<'a> {
    pub token: Option<String>,
    pub visitor: serde_json::Value,
    pub dialogue: Option<GuestDialogue>,
    pub settings: serde_json::Value,
    pub property: serde_json::Value,
    pub open: bool,
    pub out_of_hours_text: &'a str,
    /// The median minutes to a first answer lately, for "we usually answer within".
    pub typical_reply_minutes: Option<u32>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Frame<'a> {
    #[serde(rename = "welcome")]
    GuestWelcome(GuestWelcome<'a>),
    #[serde(rename = "welcome")]
    TeamWelcome {
        baseline: i64,
        me: Me<'a>,
        visitors: Vec<OnlineVisitor>,
    },
    Message {
        message: &'a Message,
    },
    #[serde(rename = "dialogue")]
    GuestDialogue {
        dialogue: GuestDialogue,
    },
    /// A dialogue staff may see, with its members; one they may not see says only that
    /// it left their lists.
    #[serde(rename = "dialogue")]
    TeamDialogue {
        dialogue: serde_json::Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        members: Option<&'a [i64]>,
        visible: bool,
    },
    Ack {
        client_id: Option<String>,
        dialogue_id: i64,
        seq: i64,
        id: i64,
        duplicate: bool,
    },
    Error {
        code: &'static str,
        message: String,
        client_id: Option<String>,
    },
    Pong,
    Typing {
        #[serde(skip_serializing_if = "Option::is_none")]
        dialogue_id: Option<i64>,
        who: &'a str,
        on: bool,
    },
    Read {
        dialogue_id: i64,
        seq: i64,
    },
    GuestRead {
        dialogue_id: i64,
        seq: i64,
    },
    Settings {
        settings: &'a serde_json::Value,
    },
    UserSaved,
    Identified {
        name: String,
    },
    Rated {
        dialogue_id: i64,
        rating: i64,
    },
    Visitors {
        visitors: Vec<OnlineVisitor>,
    },
    Notice {
        kind: &'a str,
        text: &'a str,
    },
}

impl<'a> Frame<'a> {
    /// An error the socket answers with.
    pub(super) fn error(code: &'static str, message: impl Into<String>) -> Frame<'a> {
        Frame::error_for(code, message, None)
    }

    /// An error about the send `client_id` names.
    pub(super) fn error_for(
        code: &'static str,
        message: impl Into<String>,
        client_id: Option<String>,
    ) -> Frame<'a> {
        Frame::Error {
            code,
            message: message.into(),
            client_id,
        }
    }

    /// A refusal; `client_id` names the send it refuses.
    pub(super) fn refused(e: &ChatError, client_id: Option<String>) -> Frame<'a> {
        Frame::Error {
            code: e.code(),
            message: e.to_string(),
            client_id,
        }
    }
}

/// Sends one frame as JSON text; false when the socket is gone.
pub(super) async fn send(socket: &mut WebSocket, frame: &Frame<'_>) -> bool {
    match serde_json::to_string(frame) {
        Ok(text) => socket.send(WsMessage::Text(text.into())).await.is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "A socket frame could not be written.");
            false
        }
    }
}

/// Whose backlog a socket reads: the guest's (private notes are only sequence numbers
/// taken) or staff's (everything).
#[derive(Debug, Clone, Copy)]
pub(super) enum Reader {
    Guest,
    Staff,
}

/// Sends what the store holds after `after` in a dialogue, in sequence, batch by batch.
/// The sequence accounted for afterwards, or `None` when the socket is gone.
pub(super) async fn fill(
    chat: &Chat,
    socket: &mut WebSocket,
    reader: Reader,
    dialogue_id: i64,
    mut after: i64,
) -> Result<Option<i64>, ChatError> {
    loop {
        let from = after;
        let batch = chat
            .store
            .read(move |c| match reader {
                Reader::Guest => db::guest_messages_after(c, dialogue_id, from, BATCH),
                Reader::Staff => Ok(db::messages_after(c, dialogue_id, from, BATCH)?
                    .into_iter()
                    .map(Item::Shown)
                    .collect()),
            })
            .await?;
        let n = batch.len() as i64;
        for item in batch {
            match item {
                Item::Taken(seq) => after = seq,
                Item::Shown(m) => {
                    after = m.seq;
                    if !send(socket, &Frame::Message { message: &m }).await {
                        return Ok(None);
                    }
                }
            }
        }
        if n < BATCH {
            return Ok(Some(after));
        }
    }
}
