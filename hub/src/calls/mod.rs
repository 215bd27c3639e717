//! Calls from a guest to the team through the hub (DESK-3, and the audio/video channel of
//! CHAT-3): a kiosk places a call, every open Team Messenger rings, the first member to
//! answer takes it and the others stop ringing, either side hangs up, and a call nobody
//! answers within the ring time is missed. The hub terminates both legs and forwards the
//! media between them (`media.rs`), so the two browsers need only reach the hub. The call
//! log (`db.rs`) says who called from where, who answered, when and for how long. The
//! service [`Calls`] is the front door; ringing and missed calls are also published as
//! [`CallEvent`]s (Web Push is the wiring's).

pub mod api;
mod caller_ws;
mod db;
pub mod guest_ws;
mod log;
mod media;
mod scanning;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, watch};
use utoipa::ToSchema;

use crate::chat::Chat;
use crate::clock::Clock;
use crate::store::{Store, StoreError};
use crate::team::{Member, Property};
pub use caller_ws::{serve_caller, MAX_FRAME as CALLER_MAX_FRAME};
pub use log::CallLog;
pub use media::{IceServer, IceServers, MediaError, MediaSettings};
use media::{Leg, LegState, Route};
pub use scanning::{ScanAsk, ScanAsker};

/// The ring time when the owner has not set one, and its bounds, in seconds.
pub const DEFAULT_RING_SECS: u32 = 45;
pub const RING_SECS: std::ops::RangeInclusive<u32> = 10..=300;
/// Calls a guest's address may place through the widget per window.
const GUEST_CALLS: u32 = 6;
const GUEST_CALL_WINDOW: Duration = Duration::from_secs(10 * 60);
/// A call that cannot connect its media within this long is given up.
const CONNECT_WAIT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    /// Someone else answered first, or the call is over.
    #[error("{0}")]
    Gone(String),
    #[error("only the member who answered a call can hang it up")]
    NotYours,
    #[error("too many calls from here; try again in {0} s")]
    TooMany(u64),
    #[error("the hub is already carrying {0} calls; try again in a moment")]
    Busy(usize),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for CallError {
    fn from(e: rusqlite::Error) -> Self {
        CallError::Store(e.into())
    }
}

/// One call in the log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallRecord {
    pub id: i64,
    /// Where the call came from, e.g. the kiosk's name "Lobby".
    pub from: String,
    pub kiosk_id: Option<i64>,
    /// False for an audio-only call.
    pub video: bool,
    pub started_at: String,
    pub answered_by: Option<i64>,
    pub answered_by_name: Option<String>,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
    /// `ringing`, `connected` (under way), `answered` (over), `missed` (nobody answered
    /// in the ring time), `abandoned` (the guest gave up while it rang), `failed` (the media
    /// never connected), `interrupted` (the hub stopped during it).
    pub outcome: String,
    /// Seconds from the first ring to the answer, or to the end when nobody answered.
    pub wait_secs: Option<i64>,
    /// Seconds from the answer to the end.
    pub duration_secs: Option<i64>,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub struct Caller {
    /// "Lobby": how staff see where the call comes from.
    pub name: String,
    pub kiosk_id: Option<i64>,
}

/// What the caller's side is told as the call goes on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CallerView {
    Ringing,
    Connected { agent: String },
    Ended { outcome: String },
}

/// News for the wiring (Web Push to members without the messenger open).
#[derive(Debug, Clone)]
pub enum CallEvent {
    Ringing(CallRecord),
    Missed(CallRecord),
}

/// A placed call: its id, the hub's answer to the caller's offer, the caller's view, and
/// what the member on the call asks of the caller's device.
pub struct Placed {
    pub id: i64,
    pub answer: String,
    pub view: watch::Receiver<CallerView>,
    pub asks: watch::Receiver<ScanAsk>,
}

enum Phase {
    Ringing,
    /// Member `.0`'s answer is being set up; a second answer is refused already.
    Answering(i64),
    /// Member `.0` took the call.
    Connected(i64),
    Ended,
}

struct Call {
    id: i64,
    caller_info: Caller,
    phase: Mutex<Phase>,
    view: watch::Sender<CallerView>,
    asks: watch::Sender<ScanAsk>,
    /// Who asked for a scan, and how many arrived.
    scanning: Mutex<Option<(ScanAsker, u32)>>,
    caller: Leg,
    agent: tokio::sync::Mutex<Option<Leg>>,
    /// Media from the caller, to the agent's leg once it exists.
    to_agent: Arc<Route>,
    /// Media from the agent, to the caller's leg.
    to_caller: Arc<Route>,
}

impl Call {
    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Inner {
    store: Store,
    clock: Clock,
    property: Property,
    chat: Arc<Chat>,
    media: MediaSettings,
    max_calls: usize,
    ring_secs: std::sync::atomic::AtomicU32,
    active: Mutex<HashMap<i64, Arc<Call>>>,
    events: broadcast::Sender<CallEvent>,
    /// Calls being set up (not yet in `active`).
    placing: std::sync::atomic::AtomicUsize,
    /// Guests' calls per client address (strangers may ring the whole team).
    guest_calls: crate::ratelimit::FailureLimiter,
}

/// What the calls are built from.
pub struct Parts {
    pub store: Store,
    pub clock: Clock,
    pub property: Property,
    pub chat: Arc<Chat>,
    pub media: MediaSettings,
    /// Calls carried at once (each is two legs through the hub).
    pub max_calls: usize,
}

/// The front door.
#[derive(Clone)]
pub struct Calls {
    inner: Arc<Inner>,
}

impl Calls {
    /// Closes the calls a previous run left open and reads the ring time.
    pub async fn start(parts: Parts) -> Result<Calls, CallError> {
        let Parts {
            store,
            clock,
            property,
            chat,
            media,
            max_calls,
        } = parts;
        let now = clock.now_text();
        let (closed, ring) = store
            .write(move |c| {
                Ok::<_, CallError>((db::close_interrupted(c, &now)?, db::ring_secs(c)?))
            })
            .await?;
        if closed > 0 {
            tracing::info!(
                calls = closed,
                "Calls left open by the last run were closed."
            );
        }
        Ok(Calls {
            inner: Arc::new(Inner {
                store,
                clock,
                property,
                chat,
                media,
                max_calls,
                ring_secs: ring.unwrap_or(DEFAULT_RING_SECS).into(),
                active: Mutex::new(HashMap::new()),
                placing: std::sync::atomic::AtomicUsize::new(0),
                events: broadcast::channel(64).0,
                guest_calls: crate::ratelimit::FailureLimiter::new(GUEST_CALL_WINDOW, GUEST_CALLS),
            }),
        })
    }

    /// Calls ringing and missed, for the wiring's Web Push.
    pub fn subscribe(&self) -> broadcast::Receiver<CallEvent> {
        self.inner.events.subscribe()
    }

    /// The TURN servers a browser's end of a call uses beside the hub's own (none while the
    /// hub has no cloud relay offering them).
    pub async fn ice_servers(&self) -> Vec<IceServer> {
        (self.inner.media.ice_servers)().await
    }

    /// Seconds a call rings before it is missed.
    pub fn ring_secs(&self) -> u32 {
        self.inner
            .ring_secs
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn set_ring_secs(&self, secs: u32) -> Result<(), CallError> {
        if !RING_SECS.contains(&secs) {
            return Err(CallError::Invalid(format!(
                "the ring time is {} to {} seconds",
                RING_SECS.start(),
                RING_SECS.end()
            )));
        }
        self.inner
            .store
            .write(move |c| Ok::<_, CallError>(db::set_ring_secs(c, secs)?))
            .await?;
        self.inner
            .ring_secs
            .store(secs, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// Calls open now (ringing or connected).
    pub fn active_count(&self) -> usize {
        self.active().len()
    }

    fn active(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Call>>> {
        self.inner.active.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `caller` calls the team with its browser's SDP `offer`: the hub answers it at once
    /// (the caller's media reaches the hub while it rings) and rings every open messenger.
    pub async fn place(&self, caller: Caller, offer: &str) -> Result<Placed, CallError> {
        // A place is held from here, so calls placed at the same moment cannot pass the
        // limit while their legs are being set up.
        let _slot = Slot::take(
            &self.inner.placing,
            self.active_count(),
            self.inner.max_calls,
        )
        .ok_or(CallError::Busy(self.inner.max_calls))?;
        let video = media::sends_video(offer);
        let (to_agent, to_caller) = (Arc::new(Route::default()), Arc::new(Route::default()));
        let (leg, answer) = Leg::answer(&self.inner.media, offer, to_agent.clone()).await?;
        let (name, kiosk, now) = (
            caller.name.clone(),
            caller.kiosk_id,
            self.inner.clock.now_text(),
        );
        let started = self
            .inner
            .store
            .write(move |c| Ok::<_, CallError>(db::start(c, &name, kiosk, video, &now)?))
            .await;
        let record = match started {
            Ok(r) => r,
            Err(e) => {
                leg.close().await;
                return Err(e);
            }
        };
        leg.join(to_caller.clone());
        let (view_tx, view) = watch::channel(CallerView::Ringing);
        let (asks_tx, asks) = watch::channel(ScanAsk::default());
        let call = Arc::new(Call {
            id: record.id,
            caller_info: caller.clone(),
            phase: Mutex::new(Phase::Ringing),
            view: view_tx,
            asks: asks_tx,
            scanning: Mutex::new(None),
            caller: leg,
            agent: tokio::sync::Mutex::new(None),
            to_agent,
            to_caller,
        });
        self.active().insert(call.id, call.clone());
        tracing::info!(call = call.id, from = %caller.name, video, "A call rings.");
        self.announce(&record);
        let _ = self.inner.events.send(CallEvent::Ringing(record));
        tokio::spawn(self.clone().watch(call.clone()));
        Ok(Placed {
            id: call.id,
            answer,
            view,
            asks,
        })
    }

    /// `member` answers call `id` with their browser's SDP `offer`; the hub's answer comes
    /// back. Only the first answer takes the call; later ones get [`CallError::Gone`].
    pub async fn answer(&self, id: i64, member: &Member, offer: &str) -> Result<String, CallError> {
        let call = self.active().get(&id).cloned().ok_or(CallError::NotFound)?;
        {
            let mut phase = call.phase();
            if !matches!(*phase, Phase::Ringing) {
                return Err(CallError::Gone(
                    "someone else has answered this call".into(),
                ));
            }
            *phase = Phase::Answering(member.id);
        }
        let (leg, answer) =
            match Leg::answer(&self.inner.media, offer, call.to_caller.clone()).await {
                Ok(l) => l,
                Err(e) => {
                    // The call goes on ringing for the others, unless it ended meanwhile.
                    let mut phase = call.phase();
                    if matches!(*phase, Phase::Answering(_)) {
                        *phase = Phase::Ringing;
                    }
                    return Err(e.into());
                }
            };
        leg.join(call.to_agent.clone());
        tokio::spawn(self.clone().watch_agent(call.clone(), leg.state.clone()));
        *call.agent.lock().await = Some(leg);
        let ended = {
            let mut phase = call.phase();
            let ended = matches!(*phase, Phase::Ended);
            if !ended {
                *phase = Phase::Connected(member.id);
            }
            ended
        };
        if ended {
            // The guest hung up while the answer was being set up.
            if let Some(leg) = call.agent.lock().await.take() {
                leg.close().await;
            }
            return Err(CallError::Gone("the guest has hung up".into()));
        }
        let (member_id, name, now) = (member.id, member.name.clone(), self.inner.clock.now_text());
        let agent = name.clone();
        let record = self
            .inner
            .store
            .write(move |c| Ok::<_, CallError>(db::answered(c, id, member_id, &name, &now)?))
            .await?;
        call.view.send_replace(CallerView::Connected { agent });
        tracing::info!(call = id, member = member.id, "A call was answered.");
        if let Some(record) = record {
            self.announce(&record);
        }
        Ok(answer)
    }

    /// A guest in the chat widget (its key, the guest's browser token) at address `from`
    /// may call when the owner offers calls in the widget, six times in ten minutes.
    pub async fn admit_guest(
        &self,
        key: &str,
        token: &str,
        from: &str,
    ) -> Result<Caller, CallError> {
        let settings = self.inner.chat.settings();
        if !settings.widget.calls || key != self.inner.chat.widget_key() {
            return Err(CallError::NotFound);
        }
        let now = std::time::Instant::now();
        self.inner
            .guest_calls
            .check(from, now)
            .map_err(CallError::TooMany)?;
        let visitor = self
            .inner
            .chat
            .guest_by_token(token)
            .await
            .map_err(|e| CallError::Invalid(e.to_string()))?
            .ok_or(CallError::NotFound)?;
        self.inner.guest_calls.record_failure(from, now);
        Ok(Caller {
            name: visitor.display_name,
            kiosk_id: None,
        })
    }

    /// The caller hangs up call `id`; ending an ended call does nothing.
    pub async fn caller_hangs_up(&self, id: i64) {
        let call = self.active().get(&id).cloned();
        if let Some(call) = call {
            self.end(&call, None).await;
        }
    }

    /// `member` hangs up call `id`, which they answered.
    pub async fn hang_up(&self, id: i64, member: &Member) -> Result<(), CallError> {
        let call = self.active().get(&id).cloned().ok_or(CallError::NotFound)?;
        let theirs =
            matches!(*call.phase(), Phase::Connected(m) | Phase::Answering(m) if m == member.id);
        if !theirs {
            return Err(CallError::NotYours);
        }
        self.end(&call, None).await;
        Ok(())
    }

    /// Ends `call`: `outcome` overrides the one its phase gives (missed, failed).
    async fn end(&self, call: &Arc<Call>, outcome: Option<&'static str>) {
        let outcome = {
            let mut phase = call.phase();
            let by_phase = match *phase {
                Phase::Ended => return,
                Phase::Ringing | Phase::Answering(_) => "abandoned",
                Phase::Connected(_) => "answered",
            };
            *phase = Phase::Ended;
            outcome.unwrap_or(by_phase)
        };
        self.active().remove(&call.id);
        call.to_agent.clear();
        call.to_caller.clear();
        // The caller hears how the call ended before its media stops: a browser that sees
        // the leg close first takes it for a failed call.
        call.view.send_replace(CallerView::Ended {
            outcome: outcome.to_owned(),
        });
        call.caller.close().await;
        if let Some(leg) = call.agent.lock().await.take() {
            leg.close().await;
        }
        let (id, now) = (call.id, self.inner.clock.now_text());
        match self
            .inner
            .store
            .write(move |c| Ok::<_, CallError>(db::ended(c, id, outcome, &now)?))
            .await
        {
            Ok(Some(record)) => {
                tracing::info!(call = id, outcome, "A call ended.");
                self.announce(&record);
                if outcome == "missed" {
                    self.inner
                        .chat
                        .notice_team("missed_call", format!("Missed call from {}", record.from));
                    let _ = self.inner.events.send(CallEvent::Missed(record));
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(call = id, error = %e, "A call's end was not logged."),
        }
    }

    /// Rings until answered or missed; ends the call when the caller's leg fails or never
    /// connects.
    async fn watch(self, call: Arc<Call>) {
        let ring = Duration::from_secs(u64::from(self.ring_secs()));
        let mut caller = call.caller.state.clone();
        let connect = tokio::time::sleep(CONNECT_WAIT);
        let ringing = tokio::time::sleep(ring);
        tokio::pin!(connect, ringing);
        let (mut connecting, mut rings) = (true, true);
        // A closed leg does not always report it: the call's end is what ends this watch
        // (it holds the call, and so both legs, until then).
        let mut view = call.view.subscribe();
        loop {
            tokio::select! {
                _ = ended(&mut view) => return,
                changed = caller.changed() => {
                    let state = *caller.borrow_and_update();
                    if changed.is_err() || state == LegState::Gone {
                        return self.end(&call, None).await;
                    }
                    connecting = state != LegState::Connected;
                }
                _ = &mut connect, if connecting => {
                    connecting = false;
                    if *caller.borrow() != LegState::Connected {
                        return self.end(&call, Some("failed")).await;
                    }
                }
                _ = &mut ringing, if rings => {
                    rings = false;
                    if matches!(*call.phase(), Phase::Ringing) {
                        return self.end(&call, Some("missed")).await;
                    }
                }
            }
        }
    }

    /// Ends the call when the answering member's leg does not connect, or fails or closes.
    async fn watch_agent(self, call: Arc<Call>, mut agent: watch::Receiver<LegState>) {
        let mut view = call.view.subscribe();
        let leg = async {
            let up =
                tokio::time::timeout(CONNECT_WAIT, agent.wait_for(|s| *s != LegState::Connecting))
                    .await
                    .is_ok_and(|r| r.is_ok_and(|s| *s == LegState::Connected));
            if up {
                let _ = agent.wait_for(|s| *s == LegState::Gone).await;
            }
        };
        tokio::select! {
            _ = ended(&mut view) => {}
            _ = leg => self.end(&call, None).await,
        }
    }

    /// Tells every open messenger the call's state: ringing, taken, over.
    fn announce(&self, record: &CallRecord) {
        let mut body = serde_json::Map::new();
        if let Ok(value) = serde_json::to_value(record) {
            body.insert("call".into(), value);
        }
        self.inner.chat.signal_team("call", body);
    }
}

/// One call being set up, counted in `placing` until dropped.
struct Slot<'a>(&'a std::sync::atomic::AtomicUsize);

impl<'a> Slot<'a> {
    fn take(
        placing: &'a std::sync::atomic::AtomicUsize,
        active: usize,
        max: usize,
    ) -> Option<Slot<'a>> {
        use std::sync::atomic::Ordering;
        let mut now = placing.load(Ordering::Acquire);
        loop {
            if active + now >= max {
                return None;
            }
            match placing.compare_exchange(now, now + 1, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(Slot(placing)),
                Err(seen) => now = seen,
            }
        }
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Resolves once the call is over.
async fn ended(view: &mut watch::Receiver<CallerView>) {
    let _ = view
        .wait_for(|v| matches!(v, CallerView::Ended { .. }))
        .await
        .map(|_| ());
}
