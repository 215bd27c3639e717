//! One run of a scenario: conditions checked and actions carried out, every step written
//! into the trace with what it said or did and how long it took. A delay ends the task
//! with a stored deadline; the engine resumes the run from its path when it is due.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::conditions::Facts;
use super::db::{self, PendingKind, RunStatus, Step, StepKind};
use super::model::{Action, GuestTarget, Target};
use crate::bookings::Bookings;
use crate::chat::Chat;
use crate::clock::{stamp, Clock};
use crate::devices::Devices;
use crate::store::{Store, StoreError};
use crate::team::Property;
use crate::weather::Weather;

/// What a run needs from the rest of the hub: each capability's front door.
pub struct Deps {
    pub store: Store,
    pub clock: Clock,
    pub devices: Devices,
    pub weather: Weather,
    pub chat: Arc<Chat>,
    pub bookings: Bookings,
    pub property: Property,
}

/// What fired a run; actions may refer to its unit or reservation.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Context {
    #[serde(default)]
    pub trigger: Option<usize>,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub reservation_id: Option<i64>,
    #[serde(default)]
    pub device_id: Option<String>,
}

pub enum Outcome {
    Finished {
        status: RunStatus,
    },
    /// Waiting on a delay: the stored deadline.
    Waiting(db::Pending),
}

pub struct Job {
    pub scenario_id: i64,
    pub run_id: i64,
    pub definition: Arc<super::model::Definition>,
    pub context: Context,
    /// Where to go on after a delay; `None` for a fresh run.
    pub resume: Option<Vec<usize>>,
    pub check_conditions: bool,
    /// Conditions said no.
    pub skipped: bool,
    pub trace: Vec<Step>,
    /// Unit and device names for the trace, as the engine knows them.
    pub names: Arc<super::model::Names>,
}

enum Flow {
    Go,
    Pause(DateTime<Utc>, Vec<usize>),
}

fn path_text(path: &[usize], root: &str) -> String {
    let mut s = root.to_owned();
    let mut branch = false;
    for p in path {
        if branch {
            s.push_str(if *p == 0 { ".then" } else { ".else" });
        } else {
            s.push_str(&format!("[{p}]"));
        }
        branch = !branch;
    }
    s
}

impl Deps {
    /// Units and devices by name, from their front doors; ids stand in for what cannot be
    /// read.
    pub(super) async fn names(&self) -> super::model::Names {
        let units = self.bookings.rooms().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "Unit names are not at hand; runs name units by id.");
            Vec::new()
        });
        let devices = self.devices.list().await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "Device names are not at hand; runs name devices by id.");
            Vec::new()
        });
        super::model::Names::new(
            units.into_iter().map(|r| (r.id, r.name)),
            devices.into_iter().map(|d| (d.row.id, d.row.name)),
        )
    }

    pub(super) fn step(
        &self,
        kind: StepKind,
        path: String,
        what: String,
        result: String,
        ok: bool,
        since: Instant,
    ) -> Step {
        Step {
            at: self.clock.now_text(),
            kind,
            path,
            what,
            result,
            ok,
            ms: since.elapsed().as_millis().min(u128::from(u64::MAX)) as u64,
        }
    }

    pub(super) fn zone(&self) -> chrono_tz::Tz {
        self.property.zone()
    }

    async fn targets(&self, target: &Target, context: &Context) -> Result<Vec<String>, String> {
        let target = target.clone();
        let unit = context.unit_id;
        self.store
            .read(move |c| {
                Ok::<_, StoreError>(match &target {
                    Target::Device { device_id } => Ok(vec![device_id.clone()]),
                    Target::Unit { unit_id } => Ok(db::unit_devices(c, *unit_id)?),
                    Target::TriggerUnit => match unit {
                        Some(u) => Ok(db::unit_devices(c, u)?),
                        None => Err("nothing fired this run from a unit".to_owned()),
                    },
                    Target::Group { name } => Ok(db::group_members(c, name)?),
                })
            })
            .await
            .map_err(|e| e.to_string())?
    }

    async fn device_action(
        &self,
        target: &Target,
        set: &serde_json::Value,
        context: &Context,
    ) -> (bool, String) {
        let commands = match device_drivers::Command::parse_set(set.to_string().as_bytes()) {
            Ok(c) => c,
            Err(e) => return (false, format!("bad command: {e}")),
        };
        let ids = match self.targets(target, context).await {
            Ok(ids) if ids.is_empty() => return (false, "no devices in the target".into()),
            Ok(ids) => ids,
            Err(e) => return (false, e),
        };
        let results = futures_util::future::join_all(ids.iter().map(|id| {
            let commands = commands.clone();
            async move {
                let view = match self.devices.get(id).await {
                    Ok(v) => v,
                    Err(_) => return (false, format!("{id}: gone")),
                };
                let kind = view.row.kind;
                if !commands
                    .iter()
                    .all(|c| kind.capabilities().contains(&c.capability()))
                {
                    return (
                        true,
                        format!("{}: skipped (a {} cannot)", view.row.name, kind.as_str()),
                    );
                }
                match self.devices.command(id, &commands).await {
                    Ok(_) => (true, format!("{}: done", view.row.name)),
                    Err(e) => (false, format!("{}: {e}", view.row.name)),
                }
            }
        }))
        .await;
        let ok = results.iter().all(|r| r.0);
        (
            ok,
            results
                .into_iter()
                .map(|r| r.1)
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    async fn message_guest(
        &self,
        to: &GuestTarget,
        text: &str,
        context: &Context,
    ) -> (bool, String) {
        let now = self.clock.now();
        let found = match to {
            GuestTarget::TriggerReservation => match context.reservation_id {
                Some(id) => self.bookings.reservation(id).await,
                None => Ok(None),
            },
            GuestTarget::Unit { unit_id } => self.bookings.occupying(*unit_id, now).await,
        };
        let r = match found {
            Ok(Some(r)) => r,
            Ok(None) => return (false, "no reservation to write to".to_owned()),
            Err(e) => return (false, e.to_string()),
        };
        let dialogue = match self.chat.guest_dialogue(&r.email, &r.phone).await {
            Ok(Some(d)) => d,
            Ok(None) => {
                return (
                    false,
                    format!(
                        "{} has no chat with the hotel yet (matched by e-mail or phone)",
                        if r.guest_name.is_empty() {
                            "the guest"
                        } else {
                            &r.guest_name
                        }
                    ),
                )
            }
            Err(e) => return (false, e.to_string()),
        };
        match self.chat.scenario_message(dialogue, text).await {
            Ok(()) => (true, format!("written into dialogue {dialogue}")),
            Err(e) => (false, e.to_string()),
        }
    }

    fn actions<'a>(
        &'a self,
        list: &'a [Action],
        prefix: Vec<usize>,
        resume: &'a [usize],
        job: &'a mut Job,
        facts: &'a mut Facts,
    ) -> Pin<Box<dyn Future<Output = Flow> + Send + 'a>> {
        Box::pin(async move {
            let (start, inner) = match resume.split_first() {
                Some((i, rest)) => (*i, rest),
                None => (0, &[][..]),
            };
            for (idx, action) in list.iter().enumerate().skip(start) {
                let mut path = prefix.clone();
                path.push(idx);
                let since = Instant::now();
                let here = path_text(&path, "actions");
                match action {
                    Action::If {
                        then, otherwise, ..
                    } if idx == start && !inner.is_empty() => {
                        let (branch, rest) = (inner[0], &inner[1..]);
                        let mut p = path.clone();
                        p.push(branch);
                        let list = if branch == 0 { then } else { otherwise };
                        if let Flow::Pause(due, at) = self.actions(list, p, rest, job, facts).await
                        {
                            return Flow::Pause(due, at);
                        }
                    }
                    Action::If {
                        conditions,
                        then,
                        otherwise,
                    } => {
                        let mut trace = Vec::new();
                        let ok = self
                            .check(conditions, &format!("{here}.if"), &mut trace, facts)
                            .await;
                        job.trace.append(&mut trace);
                        let mut p = path.clone();
                        p.push(if ok { 0 } else { 1 });
                        let list = if ok { then } else { otherwise };
                        job.trace.push(self.step(
                            StepKind::Action,
                            here,
                            "if".into(),
                            if ok { "then".into() } else { "else".into() },
                            true,
                            since,
                        ));
                        if let Flow::Pause(due, at) = self.actions(list, p, &[], job, facts).await {
                            return Flow::Pause(due, at);
                        }
                    }
                    Action::Delay { seconds } => {
                        let due = self.clock.now() + Duration::seconds((*seconds).into());
                        job.trace.push(self.step(
                            StepKind::Action,
                            here,
                            format!("wait {seconds} s"),
                            format!("until {}", stamp(due)),
                            true,
                            since,
                        ));
                        let mut next = prefix.clone();
                        next.push(idx + 1);
                        return Flow::Pause(due, next);
                    }
                    Action::Device { target, set } => {
                        let (ok, result) = self.device_action(target, set, &job.context).await;
                        job.trace.push(self.step(
                            StepKind::Action,
                            here,
                            format!(
                                "{}: {}",
                                describe_target(target, &job.names),
                                describe_set(set)
                            ),
                            result,
                            ok,
                            since,
                        ));
                    }
                    Action::Notify { text } => {
                        self.chat.notify_staff("scenario", text).await;
                        job.trace.push(self.step(
                            StepKind::Action,
                            here,
                            "notify staff".into(),
                            text.clone(),
                            true,
                            since,
                        ));
                    }
                    Action::MessageGuest { to, text } => {
                        let (ok, result) = self.message_guest(to, text, &job.context).await;
                        job.trace.push(self.step(
                            StepKind::Action,
                            here,
                            "message the guest".into(),
                            result,
                            ok,
                            since,
                        ));
                    }
                }
            }
            Flow::Go
        })
    }
}

/// What an action acts on, in words, units and devices by name.
pub fn describe_target(t: &Target, names: &super::model::Names) -> String {
    match t {
        Target::Device { device_id } => names.device(device_id),
        Target::Unit { unit_id } => format!("devices of {}", names.unit(*unit_id)),
        Target::TriggerUnit => "devices of the unit that fired".into(),
        Target::Group { name } => format!("group \"{name}\""),
    }
}

/// A device action's `set` body in words ("turn on, brightness 40 %"); one the drivers
/// would refuse shows as written.
pub fn describe_set(set: &serde_json::Value) -> String {
    use device_drivers::Command;
    match Command::parse_set(set.to_string().as_bytes()) {
        Ok(commands) => commands
            .iter()
            .map(|c| match c {
                Command::Power(true) => "turn on".to_owned(),
                Command::Power(false) => "turn off".to_owned(),
                Command::Brightness(b) => format!("brightness {b} %"),
                Command::TargetTemperature(t) => format!("heat to {t} °C"),
                Command::Lock(true) => "lock".to_owned(),
                Command::Lock(false) => "unlock".to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Err(_) => set.to_string(),
    }
}

/// Carries out a run (or its rest after a delay) and records how it went.
pub async fn execute(ctx: Arc<Deps>, mut job: Job) -> Outcome {
    let outcome = steps(&ctx, &mut job).await;
    match outcome {
        Flow::Go => {
            let status = match job
                .trace
                .iter()
                .any(|s| s.kind == StepKind::Action && !s.ok)
            {
                _ if job.skipped => RunStatus::Skipped,
                true => RunStatus::Failed,
                false => RunStatus::Done,
            };
            finish(&ctx, &job, status).await
        }
        Flow::Pause(due, path) => pause(&ctx, &job, due, path).await,
    }
}

async fn steps(ctx: &Deps, job: &mut Job) -> Flow {
    let mut facts = Facts::default();
    let definition = job.definition.clone();
    if job.resume.is_none() && job.check_conditions && !definition.conditions.is_empty() {
        let mut trace = Vec::new();
        let ok = ctx
            .check(&definition.conditions, "conditions", &mut trace, &mut facts)
            .await;
        job.trace.append(&mut trace);
        if !ok {
            job.skipped = true;
            return Flow::Go;
        }
    }
    let resume = job.resume.clone().unwrap_or_default();
    ctx.actions(&definition.actions, Vec::new(), &resume, job, &mut facts)
        .await
}

async fn pause(ctx: &Deps, job: &Job, due: DateTime<Utc>, path: Vec<usize>) -> Outcome {
    let pending = db::Pending {
        id: 0,
        scenario_id: job.scenario_id,
        kind: PendingKind::Resume,
        due_at: stamp(due),
        run_id: Some(job.run_id),
        path,
        trigger_index: None,
        context: serde_json::to_string(&job.context).unwrap_or_default(),
    };
    let pending_copy = pending.clone();
    let (run, trace) = (job.run_id, job.trace.clone());
    let stored = ctx
        .store
        .write(move |c| {
            db::set_run(c, run, RunStatus::Waiting, &trace, None)?;
            Ok::<_, StoreError>(db::insert_pending(c, &pending)?)
        })
        .await;
    match stored {
        Ok(id) => Outcome::Waiting(db::Pending { id, ..pending_copy }),
        Err(e) => {
            tracing::error!(run, error = %e, "A delay could not be stored; the run stops here.");
            finish(ctx, job, RunStatus::Failed).await
        }
    }
}

/// A finished run's trace is history, not a promise: it is written soon, batched with the
/// device states around it.
async fn finish(ctx: &Deps, job: &Job, status: RunStatus) -> Outcome {
    let (run, trace, now) = (job.run_id, job.trace.clone(), ctx.clock.now_text());
    ctx.store
        .write_soon("a run's trace", move |c| {
            db::set_run(c, run, status, &trace, Some(&now))
        })
        .await;
    Outcome::Finished { status }
}
