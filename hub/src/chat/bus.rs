//! Chat's in-process events, published only after the change they describe has committed.
//! Guest sockets subscribe per visitor (so a message wakes its own guest, not all of
//! them); team sockets share one broadcast. Delivery here may drop (a full queue, a lagging
//! receiver): each socket then re-reads the store from its last sequence, so nothing an
//! event described is ever lost to a client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::{broadcast, mpsc, Notify};

use super::db::DialogueRow;
use super::Message;

/// Who may see a team event.
#[derive(Debug, Clone)]
pub struct Audience {
    pub kind_direct: bool,
    pub assignee_id: Option<i64>,
    /// Staff in the dialogue (the two people of a direct dialogue).
    pub members: Vec<i64>,
}

#[derive(Debug, Clone)]
pub enum TeamEvent {
    Message(Arc<Message>, Arc<Audience>),
    /// A dialogue's state, assignee or members changed, or it was created.
    Dialogue(Arc<DialogueRow>, Arc<Audience>),
    Typing {
        dialogue_id: i64,
        who: String,
        user_id: Option<i64>,
        on: bool,
        audience: Arc<Audience>,
    },
    /// The guest has read up to `seq`.
    GuestRead {
        dialogue_id: i64,
        seq: i64,
        audience: Arc<Audience>,
    },
    /// The list of visitors with an open widget changed.
    Visitors,
    /// An out-of-hours contact form came in, or an unanswered alert fired.
    Notice {
        kind: &'static str,
        text: String,
    },
    /// Another capability's live news for every member's messenger (a call ringing, taken,
    /// ended): sent as `{"type": kind, ...body}`; chat does not read it.
    Signal {
        kind: &'static str,
        body: Arc<serde_json::Map<String, serde_json::Value>>,
    },
}

/// What a guest socket is told; it fills gaps from the store by sequence.
#[derive(Debug, Clone)]
pub enum GuestEvent {
    /// `message` is None for a private note: the guest learns only that `seq` is taken.
    Message {
        dialogue_id: i64,
        seq: i64,
        message: Option<Arc<Message>>,
    },
    Dialogue(Arc<DialogueRow>),
    Typing {
        who: String,
        on: bool,
    },
    /// Staff have read up to `seq`.
    Read {
        dialogue_id: i64,
        seq: i64,
    },
    /// The chat settings changed (design applies live); each socket shows them in its
    /// guest's language.
    Settings(Arc<super::settings::ChatSettings>),
}

struct GuestConn {
    id: u64,
    tx: mpsc::Sender<GuestEvent>,
    resync: Arc<Notify>,
}

/// One connected widget, for the online-visitors list (CHAT-18).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OnlineVisitor {
    pub visitor_id: i64,
    pub display_name: String,
    pub page_url: String,
    pub page_title: String,
    pub channel: String,
    pub since: String,
}

pub struct ChatBus {
    team: broadcast::Sender<TeamEvent>,
    guests: Mutex<HashMap<i64, Vec<GuestConn>>>,
    online: Mutex<HashMap<u64, OnlineVisitor>>,
    next_id: AtomicU64,
}

/// How many events a guest socket may have queued before it falls back to the store.
const GUEST_QUEUE: usize = 16;

/// A guest socket's subscription; dropping it unsubscribes.
pub struct GuestSubscription {
    pub rx: mpsc::Receiver<GuestEvent>,
    pub resync: Arc<Notify>,
    bus: Arc<ChatBus>,
    visitor_id: i64,
    id: u64,
}

impl Drop for GuestSubscription {
    fn drop(&mut self) {
        self.bus.unsubscribe(self.visitor_id, self.id);
    }
}

impl ChatBus {
    pub fn new() -> Arc<ChatBus> {
        let (team, _) = broadcast::channel(8192);
        Arc::new(ChatBus {
            team,
            guests: Mutex::new(HashMap::new()),
            online: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
        })
    }

    pub fn subscribe_team(&self) -> broadcast::Receiver<TeamEvent> {
        self.team.subscribe()
    }

    pub fn subscribe_guest(
        self: &Arc<Self>,
        visitor_id: i64,
        online: OnlineVisitor,
    ) -> GuestSubscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(GUEST_QUEUE);
        let resync = Arc::new(Notify::new());
        lock(&self.guests)
            .entry(visitor_id)
            .or_default()
            .push(GuestConn {
                id,
                tx,
                resync: resync.clone(),
            });
        lock(&self.online).insert(id, online);
        self.team_send(TeamEvent::Visitors);
        GuestSubscription {
            rx,
            resync,
            bus: self.clone(),
            visitor_id,
            id,
        }
    }

    fn unsubscribe(&self, visitor_id: i64, id: u64) {
        let mut guests = lock(&self.guests);
        if let Some(conns) = guests.get_mut(&visitor_id) {
            conns.retain(|c| c.id != id);
            if conns.is_empty() {
                guests.remove(&visitor_id);
            }
        }
        drop(guests);
        lock(&self.online).remove(&id);
        self.team_send(TeamEvent::Visitors);
    }

    /// The guest moved to another page.
    pub fn visitor_page(&self, subscription: &GuestSubscription, url: &str, title: &str) {
        if let Some(v) = lock(&self.online).get_mut(&subscription.id) {
            v.page_url = url.to_owned();
            v.page_title = title.to_owned();
        }
        self.team_send(TeamEvent::Visitors);
    }

    pub fn online_visitors(&self) -> Vec<OnlineVisitor> {
        let mut v: Vec<OnlineVisitor> = lock(&self.online).values().cloned().collect();
        v.sort_by(|a, b| a.since.cmp(&b.since));
        v
    }

    pub fn is_online(&self, visitor_id: i64) -> bool {
        lock(&self.guests).contains_key(&visitor_id)
    }

    pub fn team_send(&self, event: TeamEvent) {
        // No team socket listening is fine: they read the store when they connect.
        let _ = self.team.send(event);
    }

    pub fn guest_send(&self, visitor_id: i64, event: GuestEvent) {
        if let Some(conns) = lock(&self.guests).get(&visitor_id) {
            for c in conns {
                if c.tx.try_send(event.clone()).is_err() {
                    // Full (or closing): the socket re-reads the store instead.
                    c.resync.notify_one();
                }
            }
        }
    }

    /// To every open widget.
    pub fn guest_broadcast(&self, event: GuestEvent) {
        for conns in lock(&self.guests).values() {
            for c in conns {
                // A full queue misses a design change; the next connect brings it.
                let _ = c.tx.try_send(event.clone());
            }
        }
    }

    pub fn guest_sockets(&self) -> usize {
        lock(&self.online).len()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
