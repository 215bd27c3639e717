//! The engine: one task that owns every enabled scenario's triggers. It sleeps until the
//! next deadline by the hub's clock (no polling), and wakes for device changes, booking
//! changes, new forecasts and commands from the API. Each fire becomes a run (`run.rs`)
//! according to the scenario's mode.
//!
//! Across restarts (SCN-5):
//! - a time or sun trigger's cursor (every instant up to it handled) is committed with
//!   the run it starts, before any action; on start, instants missed while the hub was
//!   off run once if within the scenario's `catch_up_minutes`, else are recorded skipped;
//! - a delay is a stored deadline; a run waiting on it resumes once, late if need be;
//! - the occupied units are remembered, so a check-in that happened while the hub was
//!   off still fires "becomes occupied" on start;
//! - a run cut off mid-action (not waiting on a delay) is marked stopped, not re-run.

mod admission;
mod events;
mod runs;
mod timers;
mod triggers;

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::db;
use super::model::WeatherMetric;
use super::run::{Context, Deps, Outcome};
use crate::bookings::BookingChange;
use crate::clock::stamp;
use crate::devices::DeviceEvent;
use crate::store::StoreError;
use crate::team::PropertyChanged;
use admission::Active;
use triggers::Loaded;

/// A scheduled time this close to now counts as on time.
pub(super) const GRACE: i64 = 60;

pub(super) enum Cmd {
    Stop,
    /// The next scheduled instant of each scenario with time or sun triggers.
    Upcoming(oneshot::Sender<HashMap<i64, DateTime<Utc>>>),
    Reload,
    RunNow {
        id: i64,
        check_conditions: bool,
        reason: String,
        reply: oneshot::Sender<Option<i64>>,
    },
}

/// How far the engine has caught up: the clock instant it last handled and runs in flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub seen: DateTime<Utc>,
    pub busy: usize,
    /// The last forecast handled (its fetch time).
    pub forecast: Option<DateTime<Utc>>,
    /// Booking changes handled.
    pub bookings: u64,
    /// Device events handled.
    pub devices: u64,
    /// Fires a scenario's mode dropped since start (a full queue, a run under way): each is
    /// also a skipped run in the history, which keeps only the latest runs.
    pub dropped: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Trigger {
        scenario: i64,
        index: usize,
        gen: u64,
    },
    Pending(i64),
    Occupancy,
}

/// A trigger that fired, on its way to admission.
pub(super) struct Fire {
    scenario: i64,
    reason: String,
    context: Context,
    check_conditions: bool,
    /// A time trigger's cursor, committed with the run.
    cursor: Option<(usize, String)>,
}

impl Fire {
    /// A fire from an event (device, booking, occupancy, forecast): conditions checked,
    /// no cursor to commit.
    fn event(scenario: i64, reason: String, context: Context) -> Fire {
        Fire {
            scenario,
            reason,
            context,
            check_conditions: true,
            cursor: None,
        }
    }
}

struct Done {
    scenario: i64,
    run: i64,
    outcome: Outcome,
}

#[derive(Clone, Copy)]
struct Place {
    zone: Tz,
    location: Option<(f64, f64)>,
}

pub(super) struct Engine {
    ctx: Arc<Deps>,
    place: Place,
    /// Unit and device names for the reasons runs give.
    names: Arc<super::model::Names>,
    scenarios: HashMap<i64, Loaded>,
    gen: u64,
    heap: BinaryHeap<Reverse<(DateTime<Utc>, Due)>>,
    pending: HashMap<i64, db::Pending>,
    occupancy_at: Option<DateTime<Utc>>,
    occupied: BTreeSet<i64>,
    devices: HashMap<String, (bool, serde_json::Value)>,
    weather: HashMap<WeatherMetric, f64>,
    active: HashMap<i64, Active>,
    next_run: i64,
    forecast_seen: Option<DateTime<Utc>>,
    bookings_seen: u64,
    fires_dropped: u64,
    devices_seen: u64,
    done_tx: mpsc::UnboundedSender<Done>,
    done_rx: mpsc::UnboundedReceiver<Done>,
    progress: watch::Sender<Progress>,
    /// Subscribed before anything is read, so no change falls in between.
    inputs: Option<Inputs>,
}

struct Inputs {
    devices: broadcast::Receiver<DeviceEvent>,
    bookings: broadcast::Receiver<BookingChange>,
    retimes: watch::Receiver<u64>,
    weather: broadcast::Receiver<crate::weather::Snapshot>,
    property: broadcast::Receiver<PropertyChanged>,
}

fn place(ctx: &Deps) -> Place {
    let p = ctx.property.current();
    Place {
        zone: ctx.property.zone(),
        location: p.latitude.zip(p.longitude),
    }
}

impl Engine {
    pub(super) async fn new(
        ctx: Arc<Deps>,
        progress: watch::Sender<Progress>,
    ) -> Result<Engine, super::ScenarioError> {
        let inputs = Inputs {
            devices: ctx.devices.subscribe(),
            bookings: ctx.bookings.subscribe(),
            retimes: ctx.bookings.follow_retimes(),
            weather: ctx.weather.subscribe(),
            property: ctx.property.subscribe(),
        };
        // What was sent before subscribing counts as seen (it is in the state read below).
        let (devices_seen, bookings_seen) = (ctx.devices.events_sent(), ctx.bookings.published());
        let now = ctx.clock.now();
        let place = place(&ctx);
        let now_text = stamp(now);
        let (next_run, pending) = ctx
            .store
            .write(move |c| {
                db::close_interrupted(c, &now_text)?;
                let max: i64 =
                    c.query_row("SELECT COALESCE(MAX(id), 0) FROM scenario_runs", [], |r| {
                        r.get(0)
                    })?;
                Ok::<_, StoreError>((max + 1, db::pending(c)?))
            })
            .await?;
        let devices = ctx
            .devices
            .list()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|d| (d.row.id.clone(), (d.online, d.row.state.clone())))
            .collect();
        let weather = ctx
            .weather
            .latest()
            .map(|s| {
                [WeatherMetric::CloudCover, WeatherMetric::Temperature]
                    .into_iter()
                    .filter_map(|m| s.reading(m, now).map(|v| (m, v)))
                    .collect()
            })
            .unwrap_or_default();
        let engine_forecast = ctx.weather.latest().map(|s| s.fetched_at);
        let (done_tx, done_rx) = mpsc::unbounded_channel();
        let mut engine = Engine {
            ctx,
            place,
            names: Arc::default(),
            scenarios: HashMap::new(),
            gen: 0,
            heap: BinaryHeap::new(),
            pending: HashMap::new(),
            occupancy_at: None,
            occupied: BTreeSet::new(),
            devices,
            weather,
            active: HashMap::new(),
            next_run,
            forecast_seen: engine_forecast,
            bookings_seen,
            fires_dropped: 0,
            devices_seen,
            done_tx,
            done_rx,
            progress,
            inputs: Some(inputs),
        };
        engine.reload().await?;
        for p in pending {
            engine.add_pending(p);
        }
        // Occupancy as it was when the hub stopped, to see what changed meanwhile.
        let remembered = engine
            .ctx
            .store
            .read(|c| Ok::<_, StoreError>(db::state(c, "occupied")?))
            .await?
            .and_then(|t| serde_json::from_str::<BTreeSet<i64>>(&t).ok());
        match remembered {
            Some(before) => {
                engine.occupied = before;
                engine.occupancy(" (while the hub was off)").await;
            }
            None => {
                let now = engine.ctx.clock.now();
                engine.occupied = engine.ctx.bookings.occupied(now).await?;
                engine.remember_occupancy();
                engine.schedule_occupancy().await;
            }
        }
        Ok(engine)
    }

    pub(super) async fn run(mut self, mut cmds: mpsc::Receiver<Cmd>) {
        let Some(Inputs {
            devices: mut device_rx,
            bookings: mut booking_rx,
            mut retimes,
            weather: mut weather_rx,
            property: mut property_rx,
        }) = self.inputs.take()
        else {
            return;
        };
        let mut moves = self.ctx.clock.moves();
        // What is overdue at start (delays, catch-up) acts on devices: let their links
        // come up first.
        self.ctx
            .devices
            .links_settled(StdDuration::from_secs(10))
            .await;
        loop {
            moves.borrow_and_update();
            self.process_due().await;
            let now = self.ctx.clock.now();
            let busy = self.active.values().map(|a| a.running.len()).sum();
            self.progress.send_replace(Progress {
                seen: now,
                busy,
                forecast: self.forecast_seen,
                bookings: self.bookings_seen,
                devices: self.devices_seen,
                dropped: self.fires_dropped,
            });
            let next = self
                .heap
                .peek()
                .map_or(now + Duration::days(1), |Reverse((t, _))| *t);
            tokio::select! {
                _ = self.ctx.clock.sleep_until(&mut moves, next, StdDuration::from_secs(300)) => {}
                cmd = cmds.recv() => match cmd {
                    Some(Cmd::Stop) | None => {
                        for a in self.active.values() {
                            for t in a.running.values() {
                                t.abort();
                            }
                        }
                        return;
                    }
                    Some(cmd) => self.command(cmd).await,
                },
                e = device_rx.recv() => match e {
                    Ok(e) => {
                        self.devices_seen += 1;
                        self.device(e).await
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        self.devices_seen += n;
                        self.resync_devices().await
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                b = booking_rx.recv() => match b {
                    Ok(b) => {
                        self.bookings_seen += 1;
                        self.booking(b).await
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        self.bookings_seen += n;
                        self.occupancy("").await
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                // Lagging behind several changes still means "read the place again".
                p = property_rx.recv() => match p {
                    Err(broadcast::error::RecvError::Closed) => return,
                    _ => self.property_changed().await,
                },
                r = retimes.changed() => match r {
                    Ok(()) => self.occupancy("").await,
                    Err(_) => return,
                },
                w = weather_rx.recv() => if let Ok(w) = w {
                    self.forecast_seen = Some(w.fetched_at);
                    self.forecast(&w).await
                },
                Some(done) = self.done_rx.recv() => self.finished(done).await,
            }
        }
    }

    /// The property's zone or location changed: every schedule afresh.
    /// How a trigger reads in a run's reason.
    fn describe(&self, scenario: i64, index: usize) -> String {
        self.scenarios
            .get(&scenario)
            .and_then(|l| l.def.triggers.get(index))
            .map(|t| t.describe_with(&self.names))
            .unwrap_or_default()
    }

    async fn property_changed(&mut self) {
        self.place = place(&self.ctx);
        if let Err(e) = self.reload().await {
            tracing::error!(error = %e, "Scenarios could not be reloaded.");
        }
        self.occupancy("").await;
    }

    async fn command(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Stop => {}
            Cmd::Upcoming(reply) => {
                let mut next: HashMap<i64, DateTime<Utc>> = HashMap::new();
                for Reverse((at, due)) in &self.heap {
                    if let Due::Trigger { scenario, gen, .. } = due {
                        if self.scenarios.get(scenario).is_some_and(|l| l.gen == *gen) {
                            let e = next.entry(*scenario).or_insert(*at);
                            *e = (*e).min(*at);
                        }
                    }
                }
                let _ = reply.send(next);
            }
            Cmd::Reload => {
                if let Err(e) = self.reload().await {
                    tracing::error!(error = %e, "Scenarios could not be reloaded.");
                }
            }
            Cmd::RunNow {
                id,
                check_conditions,
                reason,
                reply,
            } => {
                if !self.scenarios.contains_key(&id) {
                    // Disabled scenarios run by hand too.
                    if let Err(e) = self.reload_one(id).await {
                        tracing::error!(scenario = id, error = %e, "A scenario could not be read to run it.");
                    }
                }
                let fire = Fire {
                    scenario: id,
                    reason,
                    context: Context::default(),
                    check_conditions,
                    cursor: None,
                };
                let run = if self.scenarios.contains_key(&id) {
                    self.fire(fire).await
                } else {
                    None
                };
                let _ = reply.send(run);
            }
        }
    }
}
