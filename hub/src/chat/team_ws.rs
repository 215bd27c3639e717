//! `/ws/team`: the Team Messenger's socket (a signed-in member of staff). The hello may
//! carry the `baseline` the first welcome gave (the highest message id when the session
//! began) and a cursor (last sequence) per dialogue; the hub then sends every message after
//! those cursors in dialogues the member may see, once, in sequence, and live events after.
//! Sends are acked with their sequence after the commit, like the guest socket.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::bus::{Audience, TeamEvent};
use super::guest_ws::send_json;
use super::service::{audience_of, visible};
use super::{db, Chat, ChatError};
use crate::team::{Member, Staff};

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
const BATCH: i64 = 500;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    Hello {
        #[serde(default)]
        baseline: Option<i64>,
        #[serde(default)]
        cursors: HashMap<String, i64>,
    },
    Send {
        #[serde(default)]
        client_id: Option<String>,
        dialogue_id: i64,
        body: String,
        #[serde(default)]
        private: bool,
    },
    Typing {
        dialogue_id: i64,
        on: bool,
    },
    Read {
        dialogue_id: i64,
        seq: i64,
    },
    Ping,
}

pub async fn upgrade(
    State(chat): State<Arc<Chat>>,
    staff: Staff,
    ws: WebSocketUpgrade,
) -> Response {
    ws.max_frame_size(super::guest_ws::MAX_FRAME)
        .max_message_size(super::guest_ws::MAX_FRAME)
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * 1024 * 1024)
        .on_upgrade(move |socket| run(chat, socket, staff))
}

struct Session {
    chat: Arc<Chat>,
    member: Member,
    baseline: i64,
    /// Last sequence sent per dialogue (private notes included: staff see them).
    cursors: HashMap<i64, i64>,
}

impl Session {
    fn sees(&self, audience: &Audience) -> bool {
        visible(
            self.member.role,
            self.member.id,
            audience,
            self.chat.settings().agents_see_others,
        )
    }

    async fn cursor(&mut self, dialogue_id: i64) -> Result<i64, ChatError> {
        if let Some(c) = self.cursors.get(&dialogue_id) {
            return Ok(*c);
        }
        let baseline = self.baseline;
        let c = self
            .chat
            .store
            .read(move |c| db::seq_at(c, dialogue_id, baseline))
            .await?;
        self.cursors.insert(dialogue_id, c);
        Ok(c)
    }

    async fn fill(&mut self, socket: &mut WebSocket, dialogue_id: i64) -> Result<bool, ChatError> {
        loop {
            let after = self.cursor(dialogue_id).await?;
            let batch = self
                .chat
                .store
                .read(move |c| db::messages_after(c, dialogue_id, after, true, BATCH))
                .await?;
            let n = batch.len() as i64;
            for m in batch {
                self.cursors.insert(dialogue_id, m.seq);
                if !send_json(socket, json!({"type":"message","message":m})).await {
                    return Ok(false);
                }
            }
            if n < BATCH {
                return Ok(true);
            }
        }
    }

    /// Everything after the baseline in dialogues this member may see.
    async fn fill_all(&mut self, socket: &mut WebSocket) -> Result<bool, ChatError> {
        let baseline = self.baseline;
        let chat = self.chat.clone();
        let touched = chat
            .store
            .read(move |c| {
                let mut out = Vec::new();
                for (id, seq) in db::dialogues_since(c, baseline)? {
                    let d = db::dialogue(c, id)?;
                    let audience = audience_of(c, &d)?;
                    out.push((id, seq, audience));
                }
                Ok::<_, ChatError>(out)
            })
            .await?;
        for (id, seq_at_baseline, audience) in touched {
            if !self.sees(&audience) {
                continue;
            }
            self.cursors.entry(id).or_insert(seq_at_baseline);
            if !self.fill(socket, id).await? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

async fn run(chat: Arc<Chat>, mut socket: WebSocket, staff: Staff) {
    // Subscribe first: nothing committed after the backlog query can slip between.
    let mut events = chat.bus.subscribe_team();
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(WsMessage::Text(text)))) => serde_json::from_str::<Incoming>(&text).ok(),
        _ => None,
    };
    let Some(Incoming::Hello { baseline, cursors }) = hello else {
        let _ = send_json(&mut socket, json!({"type":"error","code":"hello_expected","message":"the first frame must be a hello"})).await;
        return;
    };
    let baseline = match baseline {
        Some(b) if b >= 0 => b,
        _ => match chat.store.read(db::max_message_id).await {
            Ok(b) => b,
            Err(_) => return,
        },
    };
    let mut session = Session {
        chat: chat.clone(),
        member: staff.member.clone(),
        baseline,
        cursors: cursors
            .into_iter()
            .filter_map(|(k, v)| k.parse::<i64>().ok().map(|k| (k, v.max(0))))
            .collect(),
    };
    let welcome = json!({"type":"welcome","baseline":baseline,"me":{"id":staff.member.id,"name":staff.member.name,"role":staff.member.role},
        "visitors": chat.bus.online_visitors()});
    if !send_json(&mut socket, welcome).await
        || !matches!(session.fill_all(&mut socket).await, Ok(true))
    {
        return;
    }
    let mut session_check = tokio::time::interval(Duration::from_secs(30));
    loop {
        tokio::select! {
            frame = socket.recv() => {
                let text = match frame {
                    Some(Ok(WsMessage::Text(text))) => text,
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                let reply = if text.len() > super::guest_ws::MAX_HANDLED {
                    Some(json!({"type":"error","code":"too_large","message":"a frame has at most 16 KiB"}))
                } else {
                    handle(&chat, &staff.member, &text).await
                };
                if let Some(v) = reply {
                    if !send_json(&mut socket, v).await { return; }
                }
            }
            event = events.recv() => {
                let ok = match event {
                    Ok(e) => deliver(&mut session, &mut socket, e).await,
                    Err(RecvError::Lagged(_)) => matches!(session.fill_all(&mut socket).await, Ok(true)),
                    Err(RecvError::Closed) => false,
                };
                if !ok { return; }
            }
            _ = session_check.tick() => {
                // A removed member or an ended session loses the socket too.
                let alive = chat.team.session_live(staff.token_hash.clone()).await;
                if !matches!(alive, Ok(true)) { return; }
            }
        }
    }
}

async fn deliver(session: &mut Session, socket: &mut WebSocket, event: TeamEvent) -> bool {
    match event {
        TeamEvent::Message(m, audience) => {
            if !session.sees(&audience) {
                return true;
            }
            let Ok(cursor) = session.cursor(m.dialogue_id).await else {
                return false;
            };
            if m.seq <= cursor {
                true
            } else if m.seq == cursor + 1 {
                session.cursors.insert(m.dialogue_id, m.seq);
                send_json(socket, json!({"type":"message","message":&*m})).await
            } else {
                matches!(session.fill(socket, m.dialogue_id).await, Ok(true))
            }
        }
        TeamEvent::Dialogue(d, audience) => {
            // Someone who cannot see it learns only that it left their lists.
            let frame = if session.sees(&audience) {
                json!({"type":"dialogue","dialogue":&*d,"members":audience.members,"visible":true})
            } else {
                json!({"type":"dialogue","dialogue":{"id": d.id},"visible":false})
            };
            send_json(socket, frame).await
        }
        TeamEvent::Typing {
            dialogue_id,
            who,
            user_id,
            on,
            audience,
        } => {
            if !session.sees(&audience) || user_id == Some(session.member.id) {
                return true;
            }
            send_json(
                socket,
                json!({"type":"typing","dialogue_id":dialogue_id,"who":who,"on":on}),
            )
            .await
        }
        TeamEvent::GuestRead {
            dialogue_id,
            seq,
            audience,
        } => {
            if !session.sees(&audience) {
                return true;
            }
            send_json(
                socket,
                json!({"type":"guest_read","dialogue_id":dialogue_id,"seq":seq}),
            )
            .await
        }
        TeamEvent::Visitors => {
            send_json(
                socket,
                json!({"type":"visitors","visitors":session.chat.bus.online_visitors()}),
            )
            .await
        }
        TeamEvent::Notice { kind, text } => {
            send_json(socket, json!({"type":"notice","kind":kind,"text":text})).await
        }
    }
}

async fn handle(chat: &Arc<Chat>, member: &Member, text: &str) -> Option<serde_json::Value> {
    let incoming = match serde_json::from_str::<Incoming>(text) {
        Ok(i) => i,
        Err(e) => {
            return Some(
                json!({"type":"error","code":"bad_frame","message":format!("not a frame this socket knows: {e}")}),
            )
        }
    };
    let error = |e: ChatError, client_id: Option<&str>| json!({"type":"error","code":e.code(),"message":e.to_string(),"client_id":client_id});
    match incoming {
        Incoming::Hello { .. } => {
            Some(json!({"type":"error","code":"bad_frame","message":"hello only once"}))
        }
        Incoming::Ping => Some(json!({"type":"pong"})),
        Incoming::Send {
            client_id,
            dialogue_id,
            body,
            private,
        } => {
            let client_id = match super::clean_client_id(client_id.as_deref()) {
                Ok(c) => c,
                Err(e) => return Some(error(e, None)),
            };
            match chat
                .staff_post(member, dialogue_id, client_id.clone(), &body, private, None)
                .await
            {
                Ok(p) => Some(
                    json!({"type":"ack","client_id":client_id,"dialogue_id":dialogue_id,
                    "seq":p.message.seq,"id":p.message.id,"duplicate":p.duplicate}),
                ),
                Err(e) => Some(error(e, client_id.as_deref())),
            }
        }
        Incoming::Typing { dialogue_id, on } => {
            chat.staff_typing(member, dialogue_id, on).await;
            None
        }
        Incoming::Read { dialogue_id, seq } => {
            match chat.staff_read(member, dialogue_id, seq).await {
                Ok(()) => None,
                Err(e) => Some(error(e, None)),
            }
        }
    }
}
