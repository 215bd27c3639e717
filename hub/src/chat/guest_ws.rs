//! `/ws/guest`: the widget's socket. The first frame is a hello with the widget key, the
//! browser's token (absent on a first visit: the hub makes one) and where the client left
//! off (dialogue and last sequence); the hub answers with a welcome and exactly the
//! messages the client missed. Every `send` carries a client id and is acked with its
//! sequence after the commit; a resent client id is acked again, not stored twice.
//! Frames are JSON text; anything else gets an error frame and the socket stays up.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::bus::{GuestEvent, OnlineVisitor};
use super::frames::{self, send, Frame, GuestDialogue, GuestWelcome, Reader};
use super::visitors::PageInfo;
use super::ws_close::{close, close_on};
use super::{hours, Chat, ChatError};
use crate::language;
use crate::web::AppError;

/// Largest frame a guest may send; past it the socket closes with 1009 (RFC 6455 §7.4.1).
pub const MAX_FRAME: usize = 64 * 1024;
/// Largest frame the socket library reads whole, so that one a little over `MAX_FRAME`
/// still gets its close code and a clean close; past this the library refuses it unread.
const LIBRARY_MAX_FRAME: usize = 4 * MAX_FRAME;
/// Largest frame the hub handles; past it an error frame, and the socket stays up.
pub const MAX_HANDLED: usize = 16 * 1024;
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// A client that sends nothing (not even a ping) for this long is gone.
const IDLE_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    Hello {
        key: String,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        dialogue_id: Option<i64>,
        #[serde(default)]
        last_seq: i64,
        #[serde(default)]
        page: PageInfo,
        #[serde(default)]
        channel: Option<String>,
    },
    Send {
        #[serde(default)]
        client_id: Option<String>,
        body: String,
        #[serde(default)]
        consent: bool,
    },
    Typing {
        on: bool,
    },
    Read {
        seq: i64,
    },
    Page {
        url: String,
        #[serde(default)]
        title: String,
    },
    Rate {
        dialogue_id: i64,
        rating: i64,
        #[serde(default)]
        comment: String,
    },
    /// The host page's `setUser`: contacts the guest states (shown as given, not verified).
    SetUser {
        #[serde(default)]
        name: String,
        #[serde(default)]
        email: String,
        #[serde(default)]
        phone: String,
    },
    /// The owner's backend's answer about who is signed in, relayed by the widget.
    Identify {
        answer: super::identify::Answer,
    },
    Ping,
}

pub async fn upgrade(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // The widget frame, reception pages and kiosk are the hub's own pages; the hotel's
    // sites may be listed too. Any site while the owner lists none.
    if let Some(origin) = crate::web::foreign_origin(&headers) {
        let sites = chat.widget_sites();
        if !sites.is_empty() && !sites.contains(&origin) {
            tracing::debug!(%origin, "A guest socket from another site was refused.");
            return AppError::ForeignOrigin.into_response();
        }
    }
    ws.max_frame_size(LIBRARY_MAX_FRAME)
        .max_message_size(LIBRARY_MAX_FRAME)
        .read_buffer_size(2 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(256 * 1024)
        .on_upgrade(move |socket| run(chat, socket, peer.ip()))
}

/// Frames one guest socket may send per window (`[chat] guest_frames_per_10s`; messages
/// have their own per-address limit on top). Past it a frame is refused, not handled.
const FRAME_WINDOW: Duration = Duration::from_secs(10);

struct FrameBudget {
    window_start: Option<Instant>,
    used: u32,
    limit: u32,
}

impl FrameBudget {
    fn allow(&mut self, now: Instant) -> bool {
        match self.window_start {
            Some(start) if now.duration_since(start) < FRAME_WINDOW => {}
            _ => {
                self.window_start = Some(now);
                self.used = 0;
            }
        }
        self.used += 1;
        self.used <= self.limit
    }
}

/// Just the `client_id` of a frame too large to handle.
#[derive(Deserialize)]
struct Named {
    client_id: Option<String>,
}

async fn refuse(socket: &mut WebSocket, code: &'static str, message: &str) {
    let _ = send(socket, &Frame::error(code, message)).await;
    let _ = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code: 4000,
            reason: Utf8Bytes::from(code.to_owned()),
        })))
        .await;
}

/// Where this socket is in the visitor's current dialogue.
struct Cursor {
    dialogue_id: Option<i64>,
    /// Highest sequence accounted for, private notes included (they are skipped, not sent).
    seq: i64,
}

impl Cursor {
    /// Sends what the store has after the cursor; the fallback for every gap.
    async fn fill(&mut self, chat: &Chat, socket: &mut WebSocket) -> Result<(), ()> {
        let Some(dialogue_id) = self.dialogue_id else {
            return Ok(());
        };
        match frames::fill(chat, socket, Reader::Guest, dialogue_id, self.seq).await {
            Ok(Some(seq)) => {
                self.seq = seq;
                Ok(())
            }
            Ok(None) | Err(_) => Err(()),
        }
    }

    /// Moves to another dialogue (the guest started a new one) from its start.
    async fn switch(
        &mut self,
        chat: &Chat,
        socket: &mut WebSocket,
        dialogue_id: i64,
    ) -> Result<(), ()> {
        if self.dialogue_id.is_some_and(|d| d >= dialogue_id) {
            return Ok(());
        }
        self.dialogue_id = Some(dialogue_id);
        self.seq = 0;
        Box::pin(self.fill(chat, socket)).await
    }
}

async fn run(chat: Arc<Chat>, mut socket: WebSocket, ip: IpAddr) {
    if chat.count_guest_connect(ip).is_err() {
        return refuse(
            &mut socket,
            "rate_limited",
            "too many connections; try again in a minute",
        )
        .await;
    }
    let Some(_slot) = chat.take_socket_slot(ip) else {
        return refuse(
            &mut socket,
            "too_many_sockets",
            "too many open chats from this address",
        )
        .await;
    };
    if let Some(session) = greet(chat, &mut socket, ip).await {
        session.serve(socket).await;
    }
}

/// The hello, the welcome and the backlog: a session, or `None` when the socket was
/// refused or went away.
async fn greet(chat: Arc<Chat>, socket: &mut WebSocket, ip: IpAddr) -> Option<Session> {
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(WsMessage::Text(text)))) if text.len() <= MAX_HANDLED => {
            serde_json::from_str::<Incoming>(&text).ok()
        }
        _ => None,
    };
    let Some(Incoming::Hello {
        key,
        token,
        dialogue_id,
        last_seq,
        page,
        channel,
    }) = hello
    else {
        refuse(socket, "hello_expected", "the first frame must be a hello").await;
        return None;
    };
    if key != chat.widget_key() {
        refuse(
            socket,
            "unknown_key",
            "this widget key belongs to no property",
        )
        .await;
        return None;
    }
    let channel = match channel.as_deref() {
        Some(c @ ("web" | "reception" | "kiosk")) => c.to_owned(),
        _ => "web".to_owned(),
    };
    let hello = match chat.guest_hello(token, page.clone(), ip.to_string()).await {
        Ok(h) => h,
        Err(ChatError::NotAllowed(_)) => {
            refuse(
                socket,
                "blocked",
                "this chat is not available from your address",
            )
            .await;
            return None;
        }
        Err(e) => {
            tracing::warn!(error = %e, "A guest hello failed.");
            refuse(
                socket,
                "internal",
                "the chat is unavailable; try again later",
            )
            .await;
            return None;
        }
    };
    let visitor = hello.visitor;
    let subscription = chat.bus.subscribe_guest(
        visitor.id,
        OnlineVisitor {
            visitor_id: visitor.id,
            display_name: visitor.display_name.clone(),
            page_url: visitor.page_url.clone(),
            page_title: visitor.page_title.clone(),
            channel: channel.clone(),
            since: chat.clock.now_text(),
        },
    );
    let settings = chat.settings();
    let property = chat.property();
    let open = hours::is_open(&property, chat.clock.now());
    let lang = settings.guest_language(&visitor.language);
    let welcome = Frame::GuestWelcome(GuestWelcome {
        token: hello.new_token,
        visitor: json!({"id": visitor.id, "name": visitor.name, "display_name": visitor.display_name,
                    "email": visitor.email}),
        dialogue: hello.dialogue.as_ref().map(GuestDialogue::of),
        settings: chat.public_settings(&settings, lang),
        property: json!({"name": property.name, "logo_url": property.logo_url}),
        open,
        out_of_hours_text: language::pick(
            &property.out_of_hours_text,
            &property.out_of_hours_texts,
            lang,
        ),
        typical_reply_minutes: chat.typical_reply_minutes().await,
    });
    if !send(socket, &welcome).await {
        return None;
    }
    let mut cursor = Cursor {
        dialogue_id: None,
        seq: 0,
    };
    if let Some(d) = &hello.dialogue {
        cursor.dialogue_id = Some(d.id);
        cursor.seq = if dialogue_id == Some(d.id) {
            last_seq.max(0)
        } else {
            0
        };
        if cursor.fill(&chat, socket).await.is_err() {
            return None;
        }
    }
    Some(Session {
        guest: Guest {
            chat,
            visitor,
            channel,
            ip,
        },
        cursor,
        subscription,
    })
}

/// Who is on a guest socket.
struct Guest {
    chat: Arc<Chat>,
    visitor: super::visitors::Visitor,
    channel: String,
    ip: IpAddr,
}

/// A guest's socket after its hello.
struct Session {
    guest: Guest,
    cursor: Cursor,
    subscription: super::bus::GuestSubscription,
}

impl Session {
    /// Frames in and events out until the socket closes or falls idle.
    async fn serve(self, mut socket: WebSocket) {
        let Session {
            guest,
            mut cursor,
            mut subscription,
        } = self;
        let chat = guest.chat.clone();
        let mut last_heard = Instant::now();
        let mut frames = FrameBudget {
            window_start: None,
            used: 0,
            limit: chat.guest_frames_per_10s(),
        };
        let mut idle = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                frame = socket.recv() => {
                    let text = match frame {
                        Some(Ok(WsMessage::Text(text))) if text.len() > MAX_FRAME => {
                            return close(&mut socket, 1009, "a frame has at most 64 KB").await;
                        }
                        Some(Ok(WsMessage::Binary(b))) if b.len() > MAX_FRAME => {
                            return close(&mut socket, 1009, "a frame has at most 64 KB").await;
                        }
                        Some(Ok(WsMessage::Text(text))) => text,
                        Some(Ok(WsMessage::Close(_))) | None => return,
                        Some(Err(e)) => return close_on(&mut socket, e).await,
                        Some(Ok(WsMessage::Binary(_))) => {
                            if !send(&mut socket, &Frame::error("text_only", "frames are JSON text")).await { return; }
                            continue;
                        }
                        Some(Ok(_)) => { last_heard = Instant::now(); continue; }
                    };
                    last_heard = Instant::now();
                    if !frames.allow(last_heard) {
                        if !send(&mut socket, &Frame::error("rate_limited", "too many frames; slow down")).await { return; }
                        continue;
                    }
                    if text.len() > MAX_HANDLED {
                        // The client clears the pending message this names.
                        let client_id = serde_json::from_str::<Named>(&text).ok().and_then(|n| n.client_id);
                        let e = Frame::error_for("too_large", format!("a frame has at most {MAX_HANDLED} bytes"), client_id);
                        if !send(&mut socket, &e).await { return; }
                        continue;
                    }
                    // Boxed: the handler's future is large and lives only while a frame is handled, so
                    // an idle socket does not carry its size.
                    let reply = Box::pin(handle(&guest, &mut cursor, &mut socket, &subscription, &text)).await;
                    match reply {
                        Ok(Some(frame)) => if !send(&mut socket, &frame).await { return; },
                        Ok(None) => {}
                        Err(()) => return,
                    }
                }
                event = subscription.rx.recv() => {
                    let Some(event) = event else { return };
                    let ok = match event {
                        GuestEvent::Message { dialogue_id, seq, message } => {
                            if cursor.dialogue_id.is_none_or(|d| d < dialogue_id) {
                                Box::pin(cursor.switch(&chat, &mut socket, dialogue_id)).await.is_ok()
                            } else if Some(dialogue_id) != cursor.dialogue_id || seq <= cursor.seq {
                                true
                            } else if seq == cursor.seq + 1 {
                                cursor.seq = seq;
                                match message {
                                    Some(m) => send(&mut socket, &Frame::Message { message: &m }).await,
                                    None => true,
                                }
                            } else {
                                Box::pin(cursor.fill(&chat, &mut socket)).await.is_ok()
                            }
                        }
                        GuestEvent::Dialogue(d) => {
                            let moved = cursor.dialogue_id.is_none_or(|c| c < d.id);
                            let ok = !moved || Box::pin(cursor.switch(&chat, &mut socket, d.id)).await.is_ok();
                            let dialogue = GuestDialogue { read_seq: Some(0), ..GuestDialogue::of(&d) };
                            ok && (Some(d.id) != cursor.dialogue_id
                                || send(&mut socket, &Frame::GuestDialogue { dialogue }).await)
                        }
                        GuestEvent::Typing { who, on } => send(&mut socket, &Frame::Typing { dialogue_id: None, who: &who, on }).await,
                        GuestEvent::Settings(settings) => {
                            let public = chat.public_settings(&settings, settings.guest_language(&guest.visitor.language));
                            send(&mut socket, &Frame::Settings { settings: &public }).await
                        }
                        GuestEvent::Read { dialogue_id, seq } => send(&mut socket, &Frame::Read { dialogue_id, seq }).await,
                    };
                    if !ok { return; }
                }
                _ = subscription.resync.notified() => {
                    if Box::pin(cursor.fill(&chat, &mut socket)).await.is_err() { return; }
                }
                _ = idle.tick() => {
                    if last_heard.elapsed() > IDLE_TIMEOUT { return; }
                }
            }
        }
    }
}

/// One frame from the guest; the answer to send, if any (`Err` when the socket is gone).
async fn handle(
    guest: &Guest,
    cursor: &mut Cursor,
    socket: &mut WebSocket,
    subscription: &super::bus::GuestSubscription,
    text: &str,
) -> Result<Option<Frame<'static>>, ()> {
    let Guest {
        chat,
        visitor,
        channel,
        ip,
    } = guest;
    let incoming = match serde_json::from_str::<Incoming>(text) {
        Ok(i) => i,
        Err(e) => {
            return Ok(Some(Frame::error(
                "bad_frame",
                format!("not a frame this socket knows: {e}"),
            )));
        }
    };
    let error = |e: ChatError, client_id: Option<String>| Frame::refused(&e, client_id);
    Ok(match incoming {
        Incoming::Hello { .. } => Some(Frame::error("bad_frame", "hello only once")),
        Incoming::Ping => Some(Frame::Pong),
        Incoming::SetUser { name, email, phone } => {
            let edit = super::visitors::CardEdit {
                name: (!name.is_empty()).then_some(name),
                email: (!email.is_empty()).then_some(email),
                phone: (!phone.is_empty()).then_some(phone),
                ..Default::default()
            };
            match chat.edit_visitor(visitor.id, edit).await {
                Ok(_) => Some(Frame::UserSaved),
                Err(e) => Some(error(e, None)),
            }
        }
        Incoming::Identify { answer } => match chat.identify_guest(visitor.id, &answer).await {
            Ok(name) => Some(Frame::Identified { name }),
            Err(e) => Some(error(e, None)),
        },
        Incoming::Send {
            client_id,
            body,
            consent,
        } => {
            if let Err(secs) = chat.count_guest_message(*ip) {
                return Ok(Some(Frame::Error {
                    code: "rate_limited",
                    message: format!("too many messages; try again in {secs} s"),
                    client_id,
                }));
            }
            let client_id = match super::clean_client_id(client_id.as_deref()) {
                Ok(c) => c,
                Err(e) => return Ok(Some(error(e, None))),
            };
            match chat
                .guest_post(visitor.id, client_id.clone(), &body, channel, consent, None)
                .await
            {
                Ok(posted) => {
                    let m = &posted.message;
                    if cursor.dialogue_id.is_none_or(|d| d < m.dialogue_id) {
                        cursor.switch(chat, socket, m.dialogue_id).await?;
                    }
                    Some(Frame::Ack {
                        client_id,
                        dialogue_id: m.dialogue_id,
                        seq: m.seq,
                        id: m.id,
                        duplicate: posted.duplicate,
                    })
                }
                Err(e) => Some(error(e, client_id)),
            }
        }
        Incoming::Typing { on } => {
            if let Some(d) = cursor.dialogue_id {
                chat.guest_typing(visitor, d, on).await;
            }
            None
        }
        Incoming::Read { seq } => {
            if let Some(d) = cursor.dialogue_id {
                if let Err(e) = chat.guest_read(visitor.id, d, seq).await {
                    return Ok(Some(error(e, None)));
                }
            }
            None
        }
        Incoming::Page { url, title } => {
            chat.bus.visitor_page(subscription, &url, &title);
            if let Err(e) = chat.record_page(visitor.id, url, title).await {
                tracing::debug!(error = %e, "The visitor's page was not recorded.");
            }
            None
        }
        Incoming::Rate {
            dialogue_id,
            rating,
            comment,
        } => match chat.rate(visitor.id, dialogue_id, rating, &comment).await {
            Ok(()) => Some(Frame::Rated {
                dialogue_id,
                rating,
            }),
            Err(e) => Some(error(e, None)),
        },
    })
}
