//! The uniform handle every driver's client hands out: send a model command and get the
//! confirmed state back, and watch availability and state changes. Each protocol's client
//! task owns its socket; this module owns only the channels between it and its users.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use crate::model::{Command, State};

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum DriverError {
    #[error("the device is offline: {0}")]
    Offline(String),
    #[error("bad key: {0}")]
    BadKey(String),
    #[error("the device did not confirm the change within {0:?}")]
    NotConfirmed(Duration),
    #[error("the device cannot do that: {0}")]
    Unsupported(String),
    #[error("the device refused: {0}")]
    Refused(String),
    #[error("the device's link was closed")]
    Closed,
}

/// What watchers see: whether the device answers, and its last known state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub online: bool,
    /// Why it is offline, when it is.
    pub reason: Option<String>,
    pub state: State,
}

pub(crate) type Reply = oneshot::Sender<Result<State, DriverError>>;

/// Changes a link keeps for its one follower before it must count them as dropped: at a
/// device's fastest (hundreds of changes a second) a follower that falls this far behind
/// is overloaded, and the count says so.
pub const CHANGES_KEPT: usize = 4096;

/// Cheap to clone; dropping every clone stops the client task.
#[derive(Clone)]
pub struct LinkHandle {
    commands: mpsc::Sender<(Command, Reply)>,
    snapshot: watch::Receiver<Snapshot>,
    changes: Arc<Mutex<Option<mpsc::Receiver<Snapshot>>>>,
    dropped: Arc<AtomicU64>,
}

/// The client task's side of a link.
pub(crate) struct LinkTask {
    pub commands: mpsc::Receiver<(Command, Reply)>,
    pub snapshot: watch::Sender<Snapshot>,
    /// Every change, in order (the watch above keeps only the latest).
    changes: mpsc::Sender<Snapshot>,
    dropped: Arc<AtomicU64>,
}

pub(crate) fn pair() -> (LinkHandle, LinkTask) {
    let (ctx, crx) = mpsc::channel(16);
    let (stx, srx) = watch::channel(Snapshot::default());
    let (chtx, chrx) = mpsc::channel(CHANGES_KEPT);
    let dropped = Arc::new(AtomicU64::new(0));
    (
        LinkHandle {
            commands: ctx,
            snapshot: srx,
            changes: Arc::new(Mutex::new(Some(chrx))),
            dropped: dropped.clone(),
        },
        LinkTask {
            commands: crx,
            snapshot: stx,
            changes: chtx,
            dropped,
        },
    )
}

impl LinkHandle {
    /// Carries out `command` and returns the state the device reported afterwards.
    pub async fn command(&self, command: Command) -> Result<State, DriverError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send((command, tx))
            .await
            .map_err(|_| DriverError::Closed)?;
        rx.await.map_err(|_| DriverError::Closed)?
    }

    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }

    /// A receiver that wakes on availability or state changes; several changes between
    /// two looks show as the latest. For every change, in order, see [`Self::take_changes`].
    pub fn watch(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.clone()
    }

    /// Every availability or state change, in order, for the link's one follower (the
    /// first caller; `None` after). A change the follower was too far behind to be kept
    /// ([`CHANGES_KEPT`]) is counted in [`Self::dropped`], never lost silently.
    pub fn take_changes(&self) -> Option<mpsc::Receiver<Snapshot>> {
        self.changes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Changes dropped because the follower was too far behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl LinkTask {
    pub(crate) fn online(&self, state: &State) {
        self.snapshot.send_if_modified(|snap| {
            let mut next = snap.state.clone();
            next.merge(state);
            let changed = !snap.online || next != snap.state;
            snap.online = true;
            snap.reason = None;
            snap.state = next;
            if changed {
                self.keep(snap);
            }
            changed
        });
    }

    pub(crate) fn offline(&self, reason: &str) {
        self.snapshot.send_if_modified(|snap| {
            let changed = snap.online || snap.reason.as_deref() != Some(reason);
            snap.online = false;
            snap.reason = Some(reason.to_owned());
            if changed {
                self.keep(snap);
            }
            changed
        });
    }

    /// Queues a change for the follower; one it cannot take now is counted.
    fn keep(&self, snap: &Snapshot) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.changes.try_send(snap.clone()) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn is_online(&self) -> bool {
        self.snapshot.borrow().online
    }

    pub(crate) fn state(&self) -> State {
        self.snapshot.borrow().state.clone()
    }

    /// True when every handle is gone: the client task should end.
    pub(crate) fn abandoned(&self) -> bool {
        self.snapshot.is_closed()
    }
}

/// Reconnect delays: 0.5 s doubling to `max`, with ±20 % jitter so a power cut does not
/// make every device reconnect in the same instant.
pub(crate) struct Backoff {
    next: Duration,
    max: Duration,
}

impl Backoff {
    pub(crate) fn new(max: Duration) -> Backoff {
        Backoff {
            next: Duration::from_millis(500),
            max,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.next = Duration::from_millis(500);
    }

    pub(crate) fn next_delay(&mut self) -> Duration {
        use rand::Rng;
        let base = self.next;
        self.next = (self.next * 2).min(self.max);
        let jitter = rand::thread_rng().gen_range(0.8..1.2);
        base.mul_f64(jitter)
    }
}

/// Why a request to a polled device (miIO, eWeLink, SmartThings) failed.
pub(crate) enum Failure {
    Offline(String),
    BadKey(String),
    Refused(String),
    Unsupported(String),
    NotConfirmed(Duration),
}

impl Failure {
    fn into_error(self, task: &LinkTask) -> DriverError {
        match self {
            Failure::Offline(reason) => {
                task.offline(&reason);
                DriverError::Offline(reason)
            }
            Failure::BadKey(why) => {
                task.offline("bad key");
                DriverError::BadKey(why)
            }
            Failure::Refused(why) => DriverError::Refused(why),
            Failure::Unsupported(what) => DriverError::Unsupported(what),
            Failure::NotConfirmed(after) => DriverError::NotConfirmed(after),
        }
    }
}

/// A device that does not report changes by itself: read its state, apply a command.
pub(crate) trait Polled {
    async fn read(&mut self) -> Result<State, Failure>;
    async fn apply(&mut self, command: &Command) -> Result<(), Failure>;
}

/// The loop every polled client runs: a read every `poll` (availability from its
/// success), and commands applied one at a time, then read back until the state shows
/// them or `confirm` passes.
pub(crate) async fn run_polled(
    mut device: impl Polled,
    mut task: LinkTask,
    poll: Duration,
    confirm: Duration,
) {
    let mut tick = tokio::time::interval(poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if task.abandoned() {
                    return;
                }
                match device.read().await {
                    Ok(state) => task.online(&state),
                    Err(f) => drop(f.into_error(&task)),
                }
            }
            next = task.commands.recv() => {
                let Some((command, reply)) = next else { return };
                let outcome = async {
                    device.apply(&command).await?;
                    let deadline = tokio::time::Instant::now() + confirm;
                    loop {
                        let state = device.read().await?;
                        task.online(&state);
                        if task.state().confirms(&command) {
                            return Ok(task.state());
                        }
                        if tokio::time::Instant::now() >= deadline {
                            return Err(Failure::NotConfirmed(confirm));
                        }
                        tokio::time::sleep(Duration::from_millis(300)).await;
                    }
                }
                .await;
                let _ = reply.send(outcome.map_err(|f| f.into_error(&task)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A switch flipped faster than anyone looks: the watch shows the last state, the
    /// changes every one of them, in order.
    #[tokio::test]
    async fn every_change_is_kept_in_order() {
        let (handle, task) = pair();
        let mut changes = handle.take_changes().expect("the first follower gets them");
        assert!(handle.take_changes().is_none(), "there is one follower");
        for i in 0..1000 {
            task.online(&State {
                on: Some(i % 2 == 0),
                ..State::default()
            });
        }
        assert_eq!(handle.snapshot().state.on, Some(false));
        for i in 0..1000 {
            let s = changes.recv().await.expect("a change");
            assert_eq!(s.state.on, Some(i % 2 == 0), "change {i}");
        }
        assert_eq!(handle.dropped(), 0);
    }

    #[tokio::test]
    async fn a_follower_too_far_behind_is_counted() {
        let (handle, task) = pair();
        let _changes = handle.take_changes();
        for i in 0..(CHANGES_KEPT + 10) {
            task.online(&State {
                on: Some(i % 2 == 0),
                ..State::default()
            });
        }
        assert_eq!(handle.dropped(), 10);
    }
}
