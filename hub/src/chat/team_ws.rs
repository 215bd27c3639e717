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
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::bus::{Audience, TeamEvent};
use super::frames::{self, send, Frame, Me, Reader};
use super::service::visible;
use super::{Chat, ChatError};
use crate::team::{Member, Staff};
use crate::web::AppError;

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

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
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // Only the hub's own pages: a page elsewhere must not ride a member's cookie.
    if let Some(origin) = crate::web::foreign_origin(&headers) {
        tracing::warn!(%origin, member = staff.member.id, "A team socket from another site was refused.");
        return AppError::ForeignOrigin.into_response();
    }
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
        let c = self.chat.seq_at(dialogue_id, self.baseline).await?;
        self.cursors.insert(dialogue_id, c);
        Ok(c)
    }

    async fn fill(&mut self, socket: &mut WebSocket, dialogue_id: i64) -> Result<bool, ChatError> {
        let after = self.cursor(dialogue_id).await?;
        let chat = self.chat.clone();
        match frames::fill(&chat, socket, Reader::Staff, dialogue_id, after).await? {
            Some(seq) => {
                self.cursors.insert(dialogue_id, seq);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Everything after the baseline in dialogues this member may see.
    async fn fill_all(&mut self, socket: &mut WebSocket) -> Result<bool, ChatError> {
        let touched = self.chat.touched_since(self.baseline).await?;
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
    // Here for as long as this socket is open (the guard leaves when it ends, however).
    let clock = chat.clock.clone();
    let _here = chat.presence.connect(staff.member.id, move || clock.now());
    // Subscribe first: nothing committed after the backlog query can slip between.
    let mut events = chat.bus.subscribe_team();
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(WsMessage::Text(text)))) => serde_json::from_str::<Incoming>(&text).ok(),
        _ => None,
    };
    let Some(Incoming::Hello { baseline, cursors }) = hello else {
        let _ = send(
            &mut socket,
            &Frame::error("hello_expected", "the first frame must be a hello"),
        )
        .await;
        return;
    };
    let baseline = match baseline {
        Some(b) if b >= 0 => b,
        _ => match chat.newest_message_id().await {
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
    let welcome = Frame::TeamWelcome {
        baseline,
        me: Me {
            id: staff.member.id,
            name: &staff.member.name,
            role: staff.member.role,
        },
        visitors: chat.bus.online_visitors(),
    };
    if !send(&mut socket, &welcome).await
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
                    Some(Frame::error("too_large", "a frame has at most 16 KiB"))
                } else {
                    handle(&chat, &staff.member, &text).await
                };
                if let Some(frame) = reply {
                    if !send(&mut socket, &frame).await { return; }
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
                send(socket, &Frame::Message { message: &m }).await
            } else {
                matches!(session.fill(socket, m.dialogue_id).await, Ok(true))
            }
        }
        TeamEvent::Dialogue(d, audience) => {
            // Someone who cannot see it learns only that it left their lists.
            let frame = if session.sees(&audience) {
                Frame::TeamDialogue {
                    dialogue: serde_json::to_value(&*d).unwrap_or_default(),
                    members: Some(&audience.members),
                    visible: true,
                }
            } else {
                Frame::TeamDialogue {
                    dialogue: json!({"id": d.id}),
                    members: None,
                    visible: false,
                }
            };
            send(socket, &frame).await
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
            let frame = Frame::Typing {
                dialogue_id: Some(dialogue_id),
                who: &who,
                on,
            };
            send(socket, &frame).await
        }
        TeamEvent::GuestRead {
            dialogue_id,
            seq,
            audience,
        } => {
            if !session.sees(&audience) {
                return true;
            }
            send(socket, &Frame::GuestRead { dialogue_id, seq }).await
        }
        TeamEvent::Visitors => {
            let visitors = session.chat.bus.online_visitors();
            send(socket, &Frame::Visitors { visitors }).await
        }
        TeamEvent::Notice { kind, text } => {
            send(socket, &Frame::Notice { kind, text: &text }).await
        }
        TeamEvent::Signal { kind, body } => {
            let mut frame = (*body).clone();
            frame.insert("type".into(), kind.into());
            let text = serde_json::Value::Object(frame).to_string();
            socket.send(WsMessage::Text(text.into())).await.is_ok()
        }
    }
}

async fn handle(chat: &Arc<Chat>, member: &Member, text: &str) -> Option<Frame<'static>> {
    let incoming = match serde_json::from_str::<Incoming>(text) {
        Ok(i) => i,
        Err(e) => {
            return Some(Frame::error(
                "bad_frame",
                format!("not a frame this socket knows: {e}"),
            ))
        }
    };
    let error = |e: ChatError, client_id: Option<String>| Frame::refused(&e, client_id);
    match incoming {
        Incoming::Hello { .. } => Some(Frame::error("bad_frame", "hello only once")),
        Incoming::Ping => Some(Frame::Pong),
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
                Ok(p) => Some(Frame::Ack {
                    client_id,
                    dialogue_id,
                    seq: p.message.seq,
                    id: p.message.id,
                    duplicate: p.duplicate,
                }),
                Err(e) => Some(error(e, client_id)),
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
