//! SCN-1…5: scenarios (triggers → conditions → actions) stored in the database and run by
//! one engine task. `model.rs` is what a scenario is, `schedule.rs` the time arithmetic
//! (DST policy), `engine.rs` the triggers and modes, `run.rs` one run with its trace,
//! `db.rs` the rows, `api.rs` the admin REST API. This handle is what the rest of the
//! hub holds.

pub mod api;
mod catalog;
mod checks;
mod conditions;
pub mod db;
mod engine;
pub mod model;
pub mod run;
mod schedule;
mod vocabulary;
mod words;

pub use catalog::Listed;
pub use vocabulary::{vocabulary, Choice, FieldChoice, Vocabulary};

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};

use crate::store::StoreError;
use engine::{Cmd, Engine, Progress};

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bookings(#[from] crate::bookings::BookingError),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(&'static str),
    #[error("not found")]
    NotFound,
}

impl From<rusqlite::Error> for ScenarioError {
    fn from(e: rusqlite::Error) -> Self {
        ScenarioError::Store(StoreError::from(e))
    }
}

#[derive(Clone)]
pub struct Scenarios {
    deps: Arc<run::Deps>,
    cmds: mpsc::Sender<Cmd>,
    progress: watch::Receiver<Progress>,
    task: Arc<std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl Scenarios {
    pub async fn start(ctx: run::Deps) -> Result<Scenarios, ScenarioError> {
        let ctx = Arc::new(ctx);
        let deps = ctx.clone();
        let (tx, progress) = watch::channel(Progress {
            seen: ctx.clock.now(),
            busy: 0,
            forecast: None,
            bookings: 0,
            devices: 0,
            dropped: 0,
        });
        let engine = Engine::new(ctx, tx).await?;
        let (cmds, rx) = mpsc::channel(64);
        let task = tokio::spawn(engine.run(rx));
        Ok(Scenarios {
            deps,
            cmds,
            progress,
            task: Arc::new(std::sync::Mutex::new(Some(task))),
        })
    }

    /// Stops the engine and the runs under way (runs waiting on a delay stay stored).
    pub async fn stop(&self) {
        let _ = self.cmds.send(Cmd::Stop).await;
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = task {
            let _ = t.await;
        }
    }

    /// Scenarios were added, changed or removed.
    pub fn reload(&self) {
        let _ = self.cmds.try_send(Cmd::Reload);
    }

    /// Runs a scenario now; the run's id, or `None` when its mode dropped it.
    pub async fn run_now(&self, id: i64, check_conditions: bool, who: &str) -> Option<i64> {
        let (reply, rx) = oneshot::channel();
        self.cmds
            .send(Cmd::RunNow {
                id,
                check_conditions,
                reason: format!("run by hand by {who}"),
                reply,
            })
            .await
            .ok()?;
        rx.await.ok().flatten()
    }

    /// When each scenario with time or sun triggers runs next.
    pub async fn upcoming(&self) -> std::collections::HashMap<i64, chrono::DateTime<chrono::Utc>> {
        let (reply, rx) = oneshot::channel();
        if self.cmds.send(Cmd::Upcoming(reply)).await.is_err() {
            return Default::default();
        }
        rx.await.unwrap_or_default()
    }

    /// Where the engine is (for diagnostics).
    pub fn progress(&self) -> Progress {
        *self.progress.borrow()
    }

    /// Waits until the engine has handled the clock up to `at`, every booking change,
    /// device event and forecast so far, and no run is under way (a run waiting on a delay is not under
    /// way). For tests and benchmarks.
    pub async fn settled(&self, at: chrono::DateTime<chrono::Utc>) {
        let mut rx = self.progress.clone();
        let bookings = self.deps.bookings.published();
        let forecast = self.deps.weather.latest().map(|s| s.fetched_at);
        let devices = self.deps.devices.events_sent();
        let _ = rx
            .wait_for(|p| {
                p.seen >= at
                    && p.busy == 0
                    && p.bookings >= bookings
                    && p.devices >= devices
                    && p.forecast >= forecast
            })
            .await;
    }
}
