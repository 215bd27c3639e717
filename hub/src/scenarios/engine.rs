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

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::db::{self, Step};
use super::model::{Crossing, Definition, OccupancyChange, RunMode, Trigger, WeatherMetric};
use super::run::{self, Context, Ctx, Job, Outcome};
use super::schedule;
use crate::bookings::BookingChange;
use crate::clock::stamp;
use crate::devices::DeviceEvent;
use crate::store::StoreError;
use crate::team::PropertyChanged;

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

struct Loaded {
    name: String,
    def: Arc<Definition>,
    gen: u64,
}

#[derive(Default)]
struct Active {
    running: HashMap<i64, tokio::task::JoinHandle<()>>,
    /// pending id → run id.
    waiting: HashMap<i64, i64>,
    queue: VecDeque<Fire>,
}

impl Active {
    fn count(&self) -> usize {
        self.running.len() + self.waiting.len()
    }
}

struct Fire {
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
    ctx: Arc<Ctx>,
    place: Place,
    /// Unit and device names for the reasons runs give.
    names: super::model::Names,
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

fn place(ctx: &Ctx) -> Place {
    let p = ctx.property.current();
    Place {
        zone: ctx.property.zone(),
        location: p.latitude.zip(p.longitude),
    }
}

impl Engine {
    pub(super) async fn new(
        ctx: Arc<Ctx>,
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
            names: super::model::Names::default(),
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
                    let _ = self.reload_one(id).await;
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

    async fn reload_one(&mut self, id: i64) -> Result<(), StoreError> {
        let s = self
            .ctx
            .store
            .read(move |c| Ok::<_, StoreError>(db::get(c, id)?))
            .await?;
        if let Some(s) = s {
            self.gen += 1;
            self.scenarios.insert(
                id,
                Loaded {
                    name: s.name,
                    def: Arc::new(s.definition),
                    gen: self.gen,
                },
            );
        }
        Ok(())
    }

    /// Loads every enabled scenario afresh and schedules its time and sun triggers from
    /// their cursors (a trigger without one starts from now).
    async fn reload(&mut self) -> Result<(), StoreError> {
        let (all, names) = self
            .ctx
            .store
            .read(|c| Ok::<_, StoreError>((db::all(c)?, super::model::Names::load(c)?)))
            .await?;
        self.names = names;
        let now = self.ctx.clock.now();
        self.gen += 1;
        let gen = self.gen;
        self.scenarios.clear();
        self.heap
            .retain(|Reverse((_, d))| !matches!(d, Due::Trigger { .. }));
        let mut missing = Vec::new();
        let mut cursors = Vec::new();
        for s in all.into_iter().filter(|s| s.enabled) {
            for (index, _) in s.definition.scheduled() {
                cursors.push((s.id, index));
            }
            self.scenarios.insert(
                s.id,
                Loaded {
                    name: s.name,
                    def: Arc::new(s.definition),
                    gen,
                },
            );
        }
        let wanted = cursors.clone();
        let stored = self
            .ctx
            .store
            .read(move |c| {
                let mut out = Vec::new();
                for (s, i) in wanted {
                    out.push(((s, i), db::cursor(c, s, i)?));
                }
                Ok::<_, StoreError>(out)
            })
            .await?;
        for ((scenario, index), cursor) in stored {
            let from = match cursor.as_deref().and_then(crate::clock::parse) {
                Some(t) => t,
                None => {
                    missing.push((scenario, index));
                    now
                }
            };
            let trigger = self.scenarios[&scenario].def.triggers[index].clone();
            if let Some(at) = self.next_of(&trigger, from) {
                self.heap.push(Reverse((
                    at,
                    Due::Trigger {
                        scenario,
                        index,
                        gen,
                    },
                )));
            }
        }
        if !missing.is_empty() {
            let at = stamp(now);
            self.ctx
                .store
                .write(move |c| {
                    for (s, i) in missing {
                        db::set_cursor(c, s, i, &at)?;
                    }
                    Ok::<_, StoreError>(())
                })
                .await?;
        }
        Ok(())
    }

    fn next_of(&self, trigger: &Trigger, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match trigger {
            Trigger::Time { at } => {
                schedule::next_cron(&schedule::daily(at).ok()?, self.place.zone, after)
            }
            Trigger::Cron { expression } => {
                schedule::next_cron(&schedule::cron(expression).ok()?, self.place.zone, after)
            }
            Trigger::Sun {
                event,
                offset_minutes,
            } => {
                let (lat, lon) = self.place.location?;
                schedule::next_sun(lat, lon, self.place.zone, *event, *offset_minutes, after)
            }
            _ => None,
        }
    }

    fn add_pending(&mut self, p: db::Pending) {
        let Some(due) = crate::clock::parse(&p.due_at) else {
            return;
        };
        if let (Some(run), "resume") = (p.run_id, p.kind.as_str()) {
            self.active
                .entry(p.scenario_id)
                .or_default()
                .waiting
                .insert(p.id, run);
        }
        self.heap.push(Reverse((due, Due::Pending(p.id))));
        self.pending.insert(p.id, p);
    }

    async fn process_due(&mut self) {
        loop {
            let now = self.ctx.clock.now();
            let Some(Reverse((at, due))) = self.heap.peek().copied() else {
                return;
            };
            if at > now {
                return;
            }
            self.heap.pop();
            match due {
                Due::Trigger {
                    scenario,
                    index,
                    gen,
                } => self.time_trigger(scenario, index, gen, at, now).await,
                Due::Pending(id) => self.pending_due(id).await,
                Due::Occupancy if self.occupancy_at == Some(at) => {
                    self.occupancy_at = None;
                    self.occupancy("").await;
                }
                Due::Occupancy => {}
            }
        }
    }

    async fn time_trigger(
        &mut self,
        scenario: i64,
        index: usize,
        gen: u64,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let Some(loaded) = self.scenarios.get(&scenario).filter(|l| l.gen == gen) else {
            return;
        };
        let def = loaded.def.clone();
        let trigger = def.triggers[index].clone();
        // Coalesce every instant that has passed into the latest one.
        let (mut last, mut passed) = (at, 1u32);
        while let Some(n) = self.next_of(&trigger, last).filter(|n| *n <= now) {
            last = n;
            passed += 1;
            if passed > 100_000 {
                break;
            }
        }
        if let Some(next) = self.next_of(&trigger, last) {
            self.heap.push(Reverse((
                next,
                Due::Trigger {
                    scenario,
                    index,
                    gen,
                },
            )));
        }
        let local = last
            .with_timezone(&self.place.zone)
            .format("%a %d %b %H:%M %Z");
        let late = now - last;
        let mut reason = format!("{} (due {local})", trigger.describe_with(&self.names));
        if passed > 1 {
            reason.push_str(&format!("; {} earlier times passed unrun", passed - 1));
        }
        let cursor = Some((index, stamp(last)));
        if late <= Duration::seconds(GRACE) {
        } else if late <= Duration::minutes(def.catch_up_minutes.into()) {
            reason.push_str(&format!(
                "; caught up {} min late (the hub was off or asleep)",
                late.num_minutes()
            ));
        } else {
            reason.push_str(&format!(
                "; missed by {} min, more than the {} min catch-up window: not run",
                late.num_minutes(),
                def.catch_up_minutes
            ));
            self.record_skip(scenario, reason, cursor).await;
            return;
        }
        self.fire(Fire {
            scenario,
            reason,
            context: Context {
                trigger: Some(index),
                ..Context::default()
            },
            check_conditions: true,
            cursor,
        })
        .await;
    }

    async fn pending_due(&mut self, id: i64) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        let context: Context = serde_json::from_str(&p.context).unwrap_or_default();
        match (p.kind.as_str(), p.run_id) {
            ("resume", Some(run)) => {
                if let Some(a) = self.active.get_mut(&p.scenario_id) {
                    a.waiting.remove(&id);
                }
                let Some(loaded) = self.scenarios.get(&p.scenario_id) else {
                    // Disabled or deleted meanwhile: the run ends here.
                    let _ = self
                        .ctx
                        .store
                        .write(move |c| {
                            db::take_pending(c, id)?;
                            db::set_run(c, run, "stopped", &[], None)?;
                            Ok::<_, StoreError>(())
                        })
                        .await;
                    return;
                };
                let def = loaded.def.clone();
                let ctx = self.ctx.clone();
                let (done, scenario, path) = (self.done_tx.clone(), p.scenario_id, p.path.clone());
                let handle = tokio::spawn(async move {
                    let now = ctx.clock.now_text();
                    let taken = ctx
                        .store
                        .write(move |c| {
                            if !db::take_pending(c, id)? {
                                return Ok::<_, StoreError>(None);
                            }
                            let (mut trace, _) = db::run_trace(c, run)?.unwrap_or_default();
                            trace.push(Step {
                                at: now.clone(),
                                kind: "note".into(),
                                path: String::new(),
                                what: "delay over".into(),
                                result: "resumed".into(),
                                ok: true,
                                ms: 0,
                            });
                            db::set_run(c, run, "running", &trace, None)?;
                            Ok(Some(trace))
                        })
                        .await;
                    let outcome = match taken {
                        Ok(Some(trace)) => {
                            run::execute(
                                ctx,
                                Job {
                                    scenario_id: scenario,
                                    run_id: run,
                                    definition: def,
                                    context,
                                    resume: Some(path),
                                    check_conditions: false,
                                    skipped: false,
                                    trace,
                                    recorded: None,
                                },
                            )
                            .await
                        }
                        _ => Outcome::Finished { status: "stopped" },
                    };
                    let _ = done.send(Done {
                        scenario,
                        run,
                        outcome,
                    });
                });
                self.active
                    .entry(p.scenario_id)
                    .or_default()
                    .running
                    .insert(run, handle);
            }
            ("hold", _) => {
                let _ = self
                    .ctx
                    .store
                    .write(move |c| Ok::<_, StoreError>(db::take_pending(c, id)?))
                    .await;
                let Some(loaded) = self.scenarios.get(&p.scenario_id) else {
                    return;
                };
                let Some(Trigger::Device {
                    device_id, test, ..
                }) = p
                    .trigger_index
                    .and_then(|i| loaded.def.triggers.get(i))
                    .cloned()
                else {
                    return;
                };
                let holds = self
                    .devices
                    .get(&device_id)
                    .and_then(|(on, s)| test.check(*on, s))
                    == Some(true);
                if holds {
                    let reason = loaded.def.triggers[p.trigger_index.unwrap_or(0)]
                        .describe_with(&self.names);
                    self.fire(Fire::event(p.scenario_id, reason, context)).await;
                }
            }
            _ => {}
        }
    }

    async fn record_skip(
        &mut self,
        scenario: i64,
        reason: String,
        cursor: Option<(usize, String)>,
    ) {
        let store = self.ctx.store.clone();
        let now = self.ctx.clock.now_text();
        let run = db::NewRun {
            id: self.next_run,
            scenario_id: scenario,
            reason,
            status: "skipped",
            context: "{}".into(),
            trace: Vec::new(),
        };
        self.next_run += 1;
        let stored = store
            .write(move |c| {
                if let Some((i, at)) = &cursor {
                    db::set_cursor(c, scenario, *i, at)?;
                }
                db::insert_run(c, &run, &now)?;
                Ok::<_, StoreError>(())
            })
            .await;
        if let Err(e) = stored {
            tracing::error!(scenario, error = %e, "A skipped run could not be recorded.");
        }
    }

    /// A trigger fired: the mode decides whether it runs now, waits or is dropped.
    /// Returns the run's id when one started.
    async fn fire(&mut self, fire: Fire) -> Option<i64> {
        let def = self.scenarios.get(&fire.scenario)?.def.clone();
        let active = self.active.entry(fire.scenario).or_default();
        let n = active.count();
        let max = def.max as usize;
        match def.mode {
            RunMode::Single if n > 0 => {
                let reason = format!("{}; dropped: a run is under way (single mode)", fire.reason);
                self.record_skip(fire.scenario, reason, fire.cursor).await;
                None
            }
            RunMode::Restart if n > 0 => {
                self.stop_all(fire.scenario).await;
                self.start(fire).await
            }
            RunMode::Queued if n > 0 => {
                if active.queue.len() < max {
                    active.queue.push_back(fire);
                } else {
                    let reason = format!(
                        "{}; dropped: {max} runs already wait (queued mode)",
                        fire.reason
                    );
                    self.record_skip(fire.scenario, reason, fire.cursor).await;
                }
                None
            }
            RunMode::Parallel if n >= max => {
                let reason = format!(
                    "{}; dropped: {max} runs under way (parallel mode)",
                    fire.reason
                );
                self.record_skip(fire.scenario, reason, fire.cursor).await;
                None
            }
            _ => self.start(fire).await,
        }
    }

    async fn stop_all(&mut self, scenario: i64) {
        let Some(active) = self.active.get_mut(&scenario) else {
            return;
        };
        let mut runs: Vec<i64> = Vec::new();
        for (run, handle) in active.running.drain() {
            handle.abort();
            runs.push(run);
        }
        let pendings: Vec<i64> = active.waiting.keys().copied().collect();
        runs.extend(active.waiting.drain().map(|(_, r)| r));
        for p in &pendings {
            self.pending.remove(p);
        }
        let now = self.ctx.clock.now_text();
        let _ = self
            .ctx
            .store
            .write(move |c| {
                for p in pendings {
                    db::take_pending(c, p)?;
                }
                for r in runs {
                    let (trace, _) = db::run_trace(c, r)?.unwrap_or_default();
                    db::set_run(c, r, "stopped", &trace, Some(&now))?;
                }
                Ok::<_, StoreError>(())
            })
            .await;
    }

    async fn start(&mut self, fire: Fire) -> Option<i64> {
        let loaded = self.scenarios.get(&fire.scenario)?;
        let (def, name) = (loaded.def.clone(), loaded.name.clone());
        let run = self.next_run;
        self.next_run += 1;
        let ctx = self.ctx.clone();
        let done = self.done_tx.clone();
        let scenario = fire.scenario;
        let first = Step {
            at: ctx.clock.now_text(),
            kind: "trigger".into(),
            path: fire
                .context
                .trigger
                .map(|i| format!("triggers[{i}]"))
                .unwrap_or_default(),
            what: fire.reason.clone(),
            result: "fired".into(),
            ok: true,
            ms: 0,
        };
        tracing::info!(scenario = %name, run, reason = %fire.reason, "Scenario fired.");
        let context_text = serde_json::to_string(&fire.context).unwrap_or_default();
        let now = ctx.clock.now_text();
        let cursor = fire.cursor.clone();
        let row = db::NewRun {
            id: run,
            scenario_id: scenario,
            reason: fire.reason.clone(),
            status: "running",
            context: context_text,
            trace: vec![first.clone()],
        };
        let record = move |c: &rusqlite::Connection| {
            if let Some((i, at)) = &cursor {
                db::set_cursor(c, scenario, *i, at)?;
            }
            db::insert_run(c, &row, &now)?;
            Ok::<_, StoreError>(())
        };
        // A scheduled run is on disk (with its cursor) before it acts, so a crash cannot
        // run it twice. An event's run is written while it acts and awaited before its
        // next write, which keeps a device's reaction within milliseconds.
        let recorded = if fire.cursor.is_some() {
            if let Err(e) = ctx.store.write(record).await {
                tracing::error!(error = %e, "A scheduled run could not be recorded; it does not run.");
                return None;
            }
            None
        } else {
            let store = ctx.store.clone();
            Some(tokio::spawn(async move { store.write(record).await }))
        };
        let job = Job {
            scenario_id: scenario,
            run_id: run,
            definition: def,
            context: fire.context,
            resume: None,
            check_conditions: fire.check_conditions,
            skipped: false,
            trace: vec![first],
            recorded,
        };
        let handle = tokio::spawn(async move {
            let outcome = run::execute(ctx, job).await;
            let _ = done.send(Done {
                scenario,
                run,
                outcome,
            });
        });
        self.active
            .entry(scenario)
            .or_default()
            .running
            .insert(run, handle);
        Some(run)
    }

    async fn finished(&mut self, done: Done) {
        let active = self.active.entry(done.scenario).or_default();
        active.running.remove(&done.run);
        if let Outcome::Waiting(pending) = done.outcome {
            self.add_pending(pending);
        }
        let active = self.active.entry(done.scenario).or_default();
        if active.count() == 0 {
            if let Some(next) = active.queue.pop_front() {
                self.start(next).await;
            }
        }
    }

    async fn device(&mut self, e: DeviceEvent) {
        let (id, now_state) = match e {
            DeviceEvent::Changed(v) => (v.row.id.clone(), Some((v.online, v.row.state.clone()))),
            DeviceEvent::Removed(id) => (id, None),
        };
        let before = match &now_state {
            Some(s) => self.devices.insert(id.clone(), s.clone()),
            None => self.devices.remove(&id),
        };
        let Some((online, state)) = now_state else {
            return;
        };
        let mut fires = Vec::new();
        let mut holds = Vec::new();
        let mut cancels = Vec::new();
        for (sid, l) in &self.scenarios {
            for (index, t) in l.def.triggers.iter().enumerate() {
                let Trigger::Device {
                    device_id,
                    test,
                    for_minutes,
                } = t
                else {
                    continue;
                };
                if *device_id != id {
                    continue;
                }
                let was = before.as_ref().and_then(|(o, s)| test.check(*o, s));
                let is = test.check(online, &state);
                // A change from "unknown" (never reported) is not a change.
                if is == Some(true) && was == Some(false) {
                    if *for_minutes == 0 {
                        fires.push((*sid, index, t.describe_with(&self.names)));
                    } else {
                        holds.push((*sid, index, *for_minutes));
                    }
                } else if is != Some(true) {
                    cancels.push((*sid, index));
                }
            }
        }
        for (scenario, index, reason) in fires {
            self.fire(Fire::event(
                scenario,
                reason,
                Context {
                    trigger: Some(index),
                    device_id: Some(id.clone()),
                    ..Context::default()
                },
            ))
            .await;
        }
        let now = self.ctx.clock.now();
        for (scenario, index) in cancels {
            let gone: Vec<i64> = self
                .pending
                .values()
                .filter(|p| {
                    p.kind == "hold" && p.scenario_id == scenario && p.trigger_index == Some(index)
                })
                .map(|p| p.id)
                .collect();
            for p in gone {
                self.pending.remove(&p);
                let _ = self
                    .ctx
                    .store
                    .write(move |c| Ok::<_, StoreError>(db::take_pending(c, p)?))
                    .await;
            }
        }
        for (scenario, index, minutes) in holds {
            let p = db::Pending {
                id: 0,
                scenario_id: scenario,
                kind: "hold".into(),
                due_at: stamp(now + Duration::minutes(minutes.into())),
                run_id: None,
                path: Vec::new(),
                trigger_index: Some(index),
                context: serde_json::to_string(&Context {
                    trigger: Some(index),
                    device_id: Some(id.clone()),
                    ..Context::default()
                })
                .unwrap_or_default(),
            };
            let row = p.clone();
            if let Ok(pid) = self
                .ctx
                .store
                .write(move |c| Ok::<_, StoreError>(db::insert_pending(c, &row)?))
                .await
            {
                self.add_pending(db::Pending { id: pid, ..p });
            }
        }
    }

    async fn resync_devices(&mut self) {
        for d in self.ctx.devices.list().await.unwrap_or_default() {
            self.devices
                .insert(d.row.id.clone(), (d.online, d.row.state.clone()));
        }
    }

    async fn booking(&mut self, b: BookingChange) {
        if let Some(event) = b.event {
            let mut fires = Vec::new();
            for (sid, l) in &self.scenarios {
                for (index, t) in l.def.triggers.iter().enumerate() {
                    if let Trigger::Booking { event: e, unit_id } = t {
                        if *e == event && unit_id.is_none_or(|u| u == b.unit_id) {
                            fires.push((*sid, index, t.describe_with(&self.names)));
                        }
                    }
                }
            }
            for (scenario, index, reason) in fires {
                let context = Context {
                    trigger: Some(index),
                    unit_id: Some(b.unit_id),
                    reservation_id: Some(b.reservation_id),
                    device_id: None,
                };
                let reason = format!(
                    "{reason}: reservation {} in {}",
                    b.reservation_id,
                    self.names.unit(b.unit_id)
                );
                self.fire(Fire::event(scenario, reason, context)).await;
            }
        }
        self.occupancy("").await;
    }

    /// Recomputes who is in; fires occupancy triggers for what changed and schedules the
    /// next check-in or check-out instant.
    async fn occupancy(&mut self, note: &str) {
        let now = self.ctx.clock.now();
        let Ok(current) = self.ctx.bookings.occupied(now).await else {
            return;
        };
        let before = std::mem::replace(&mut self.occupied, current.clone());
        if before != current {
            self.remember_occupancy();
            let changed: Vec<(i64, bool)> = before
                .symmetric_difference(&current)
                .map(|u| (*u, current.contains(u)))
                .collect();
            let property = (!before.is_empty(), !current.is_empty());
            let mut fires = Vec::new();
            for (sid, l) in &self.scenarios {
                for (index, t) in l.def.triggers.iter().enumerate() {
                    let Trigger::Occupancy { unit_id, to } = t else {
                        continue;
                    };
                    let wanted = |occupied: bool| match to {
                        OccupancyChange::Occupied => occupied,
                        OccupancyChange::Vacant => !occupied,
                        OccupancyChange::Either => true,
                    };
                    match unit_id {
                        Some(u) => {
                            if let Some((_, occ)) = changed.iter().find(|(c, _)| c == u) {
                                if wanted(*occ) {
                                    fires.push((*sid, index, Some(*u), *occ));
                                }
                            }
                        }
                        None if property.0 != property.1 && wanted(property.1) => {
                            fires.push((*sid, index, None, property.1));
                        }
                        None => {}
                    }
                }
            }
            for (scenario, index, unit, occ) in fires {
                let reservation = match unit.filter(|_| occ) {
                    Some(u) => self
                        .ctx
                        .bookings
                        .occupying(u, now)
                        .await
                        .ok()
                        .flatten()
                        .map(|r| r.id),
                    None => None,
                };
                let what = unit.map_or("the property".to_owned(), |u| self.names.unit(u));
                let reason = format!(
                    "{what} became {}{note}",
                    if occ { "occupied" } else { "vacant" }
                );
                let context = Context {
                    trigger: Some(index),
                    unit_id: unit,
                    reservation_id: reservation,
                    device_id: None,
                };
                self.fire(Fire::event(scenario, reason, context)).await;
            }
        }
        self.schedule_occupancy().await;
    }

    async fn schedule_occupancy(&mut self) {
        let now = self.ctx.clock.now();
        let next = self.ctx.bookings.next_boundary(now).await.ok().flatten();
        if next != self.occupancy_at {
            self.occupancy_at = next;
            if let Some(at) = next {
                self.heap.push(Reverse((at, Due::Occupancy)));
            }
        }
    }

    fn remember_occupancy(&self) {
        let text = serde_json::to_string(&self.occupied).unwrap_or_default();
        let store = self.ctx.store.clone();
        tokio::spawn(async move {
            let _ = store
                .write(move |c| Ok::<_, StoreError>(db::set_state(c, "occupied", &text)?))
                .await;
        });
    }

    async fn forecast(&mut self, s: &crate::weather::Snapshot) {
        let now = self.ctx.clock.now();
        let mut fires = Vec::new();
        for metric in [WeatherMetric::CloudCover, WeatherMetric::Temperature] {
            let Some(new) = s.reading(metric, now) else {
                continue;
            };
            let old = self.weather.insert(metric, new);
            let Some(old) = old else {
                continue;
            };
            for (sid, l) in &self.scenarios {
                for (index, t) in l.def.triggers.iter().enumerate() {
                    let Trigger::Weather {
                        metric: m,
                        direction,
                        threshold,
                    } = t
                    else {
                        continue;
                    };
                    if *m != metric {
                        continue;
                    }
                    let up = old <= *threshold && new > *threshold;
                    let down = old >= *threshold && new < *threshold;
                    let hit = match direction {
                        Crossing::RisesAbove => up,
                        Crossing::FallsBelow => down,
                        Crossing::Crosses => up || down,
                    };
                    if hit {
                        fires.push((
                            *sid,
                            index,
                            format!("{}: {old} → {new}", t.describe_with(&self.names)),
                        ));
                    }
                }
            }
        }
        for (scenario, index, reason) in fires {
            self.fire(Fire::event(
                scenario,
                reason,
                Context {
                    trigger: Some(index),
                    ..Context::default()
                },
            ))
            .await;
        }
    }
}
