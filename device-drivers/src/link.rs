//! The uniform handle every driver's client hands out: send a model command and get the
//! confirmed state back, and watch availability and state changes. Each protocol's client
//! task owns its socket; this module owns only the channels between it and its users.

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

/// Cheap to clone; dropping every clone stops the client task.
#[derive(Clone)]
pub struct LinkHandle {
    commands: mpsc::Sender<(Command, Reply)>,
    snapshot: watch::Receiver<Snapshot>,
}

/// The client task's side of a link.
pub(crate) struct LinkTask {
    pub commands: mpsc::Receiver<(Command, Reply)>,
    pub snapshot: watch::Sender<Snapshot>,
}

pub(crate) fn pair() -> (LinkHandle, LinkTask) {
    let (ctx, crx) = mpsc::channel(16);
    let (stx, srx) = watch::channel(Snapshot::default());
    (
        LinkHandle {
            commands: ctx,
            snapshot: srx,
        },
        LinkTask {
            commands: crx,
            snapshot: stx,
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

    /// A receiver that wakes on every availability or state change.
    pub fn watch(&self) -> watch::Receiver<Snapshot> {
        self.snapshot.clone()
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
            changed
        });
    }

    pub(crate) fn offline(&self, reason: &str) {
        self.snapshot.send_if_modified(|snap| {
            let changed = snap.online || snap.reason.as_deref() != Some(reason);
            snap.online = false;
            snap.reason = Some(reason.to_owned());
            changed
        });
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
