//! Runs: a fire admitted by its scenario's mode (`admission.rs`), started as a task with
//! its row on disk, stopped, finished (the next queued fire starts), resumed after a
//! delay, a hold that held, and skipped runs recorded with their reason.

use std::cmp::Reverse;

use super::super::db::{self, PendingKind, RunStatus, Step, StepKind};
use super::super::model::Trigger;
use super::super::run::{self, Context, Job, Outcome};
use super::admission::{admit, Admission};
use super::{Done, Due, Engine, Fire};
use crate::store::StoreError;

impl Engine {
    pub(super) fn add_pending(&mut self, p: db::Pending) {
        let Some(due) = crate::clock::parse(&p.due_at) else {
            return;
        };
        if let (Some(run), PendingKind::Resume) = (p.run_id, p.kind) {
            self.active
                .entry(p.scenario_id)
                .or_default()
                .waiting
                .insert(p.id, run);
        }
        self.heap.push(Reverse((due, Due::Pending(p.id))));
        self.pending.insert(p.id, p);
    }

    pub(super) async fn pending_due(&mut self, id: i64) {
        let Some(p) = self.pending.remove(&id) else {
            return;
        };
        let context: Context = serde_json::from_str(&p.context).unwrap_or_default();
        match (p.kind, p.run_id) {
            (PendingKind::Resume, Some(run)) => {
                if let Some(a) = self.active.get_mut(&p.scenario_id) {
                    a.waiting.remove(&id);
                }
                let Some(loaded) = self.scenarios.get(&p.scenario_id) else {
                    // Disabled or deleted meanwhile: the run ends here.
                    let ended = self
                        .ctx
                        .store
                        .write(move |c| {
                            db::take_pending(c, id)?;
                            db::set_run(c, run, RunStatus::Stopped, &[], None)?;
                            Ok::<_, StoreError>(())
                        })
                        .await;
                    if let Err(e) = ended {
                        tracing::error!(run, error = %e, "A run of a removed scenario could not be ended.");
                    }
                    return;
                };
                let def = loaded.def.clone();
                let ctx = self.ctx.clone();
                let (done, scenario, path) = (self.done_tx.clone(), p.scenario_id, p.path.clone());
                let names = self.names.clone();
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
                                kind: StepKind::Note,
                                path: String::new(),
                                what: "delay over".into(),
                                result: "resumed".into(),
                                ok: true,
                                ms: 0,
                            });
                            db::set_run(c, run, RunStatus::Running, &trace, None)?;
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
                                    names,
                                },
                            )
                            .await
                        }
                        Ok(None) => Outcome::Finished {
                            status: RunStatus::Stopped,
                        },
                        Err(e) => {
                            tracing::error!(run, error = %e, "A delayed run could not resume.");
                            Outcome::Finished {
                                status: RunStatus::Stopped,
                            }
                        }
                    };
                    // The engine is gone only when the hub stops.
                    // The engine is gone only when the hub stops.
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
            (PendingKind::Hold, _) => {
                let taken = self
                    .ctx
                    .store
                    .write(move |c| Ok::<_, StoreError>(db::take_pending(c, id)?))
                    .await;
                if let Err(e) = taken {
                    tracing::error!(error = %e, "A hold that came due stays stored.");
                }
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

    pub(super) async fn record_skip(
        &mut self,
        scenario: i64,
        reason: String,
        cursor: Option<(usize, String)>,
    ) {
        let store = self.ctx.store.clone();
        let now = self.ctx.clock.now_text();
        let run_cursor = cursor.is_some();
        let run = db::NewRun {
            id: self.next_run,
            scenario_id: scenario,
            reason,
            status: RunStatus::Skipped,
            context: "{}".into(),
            trace: Vec::new(),
        };
        self.next_run += 1;
        let record = move |c: &rusqlite::Connection| {
            if let Some((i, at)) = &cursor {
                db::set_cursor(c, scenario, *i, at)?;
            }
            db::insert_run(c, &run, &now)?;
            Ok::<_, StoreError>(())
        };
        // A schedule's cursor moves durably; an event's skip is only history.
        if run_cursor {
            if let Err(e) = store.write(record).await {
                tracing::error!(scenario, error = %e, "A skipped run could not be recorded.");
            }
        } else {
            store.write_soon("a skipped run", record).await;
        }
    }

    /// A trigger fired: the mode decides whether it runs now, waits or is dropped.
    /// Returns the run's id when one started.
    pub(super) async fn fire(&mut self, fire: Fire) -> Option<i64> {
        let def = self.scenarios.get(&fire.scenario)?.def.clone();
        let active = self.active.entry(fire.scenario).or_default();
        match admit(def.mode, def.max, active.count(), active.queue.len()) {
            Admission::Start => self.start(fire).await,
            Admission::Restart => {
                self.stop_all(fire.scenario).await;
                self.start(fire).await
            }
            Admission::Queue => {
                active.queue.push_back(fire);
                None
            }
            Admission::Drop(why) => {
                self.fires_dropped += 1;
                let reason = format!("{}; {why}", fire.reason);
                self.record_skip(fire.scenario, reason, fire.cursor).await;
                None
            }
        }
    }

    pub(super) async fn stop_all(&mut self, scenario: i64) {
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
        let stopped = self
            .ctx
            .store
            .write(move |c| {
                for p in pendings {
                    db::take_pending(c, p)?;
                }
                for r in runs {
                    let (trace, _) = db::run_trace(c, r)?.unwrap_or_default();
                    db::set_run(c, r, RunStatus::Stopped, &trace, Some(&now))?;
                }
                Ok::<_, StoreError>(())
            })
            .await;
        if let Err(e) = stopped {
            tracing::error!(scenario, error = %e, "Stopped runs could not be recorded as stopped.");
        }
    }

    pub(super) async fn start(&mut self, fire: Fire) -> Option<i64> {
        let loaded = self.scenarios.get(&fire.scenario)?;
        let (def, name) = (loaded.def.clone(), loaded.name.clone());
        let run = self.next_run;
        self.next_run += 1;
        let ctx = self.ctx.clone();
        let done = self.done_tx.clone();
        let scenario = fire.scenario;
        let first = Step {
            at: ctx.clock.now_text(),
            kind: StepKind::Trigger,
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
            status: RunStatus::Running,
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
        // run it twice. An event's run is only history (the event is not replayed after a
        // crash): it is written soon, without holding up the device's reaction.
        if fire.cursor.is_some() {
            if let Err(e) = ctx.store.write(record).await {
                tracing::error!(error = %e, "A scheduled run could not be recorded; it does not run.");
                return None;
            }
        } else {
            ctx.store.write_soon("a run's start", record).await;
        }
        let job = Job {
            scenario_id: scenario,
            run_id: run,
            definition: def,
            context: fire.context,
            resume: None,
            check_conditions: fire.check_conditions,
            skipped: false,
            trace: vec![first],
            names: self.names.clone(),
        };
        let handle = tokio::spawn(async move {
            let outcome = run::execute(ctx, job).await;
            // The engine is gone only when the hub stops.
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

    pub(super) async fn finished(&mut self, done: Done) {
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
}
