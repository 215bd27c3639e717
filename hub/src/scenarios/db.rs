//! Scenario rows, their cursors, runs with traces, pending deadlines and the engine's
//! remembered state, in the store. Queries only; the engine decides.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::Definition;

/// Runs kept per scenario; older ones are dropped as new ones finish.
pub const KEPT_RUNS: i64 = 50;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scenario {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub definition: Definition,
    pub created_at: String,
    pub updated_at: String,
}

pub fn all(c: &Connection) -> rusqlite::Result<Vec<Scenario>> {
    read(c, None)
}

pub fn get(c: &Connection, id: i64) -> rusqlite::Result<Option<Scenario>> {
    Ok(read(c, Some(id))?.pop())
}

/// Every scenario, or the one with `id`; a definition that cannot be read is left out
/// (and logged) rather than failing the list.
fn read(c: &Connection, id: Option<i64>) -> rusqlite::Result<Vec<Scenario>> {
    let mut s = c.prepare(
        "SELECT id, name, enabled, definition, created_at, updated_at FROM scenarios
         WHERE ?1 IS NULL OR id = ?1 ORDER BY name COLLATE NOCASE",
    )?;
    let rows = s.query_map([id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, bool>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, name, enabled, text, created_at, updated_at) = row?;
        match serde_json::from_str(&text) {
            Ok(definition) => out.push(Scenario {
                id,
                name,
                enabled,
                definition,
                created_at,
                updated_at,
            }),
            Err(e) => {
                tracing::error!(scenario = id, error = %e, "A stored scenario cannot be read; it is left out.")
            }
        }
    }
    Ok(out)
}

/// `None` when the name is taken.
pub fn insert(
    c: &Connection,
    name: &str,
    enabled: bool,
    d: &Definition,
    now: &str,
) -> rusqlite::Result<Option<i64>> {
    let n = c.execute(
        "INSERT OR IGNORE INTO scenarios (name, enabled, definition, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![
            name,
            enabled,
            serde_json::to_string(d).unwrap_or_default(),
            now
        ],
    )?;
    Ok((n == 1).then(|| c.last_insert_rowid()))
}

/// Replaces name, switch and definition; the triggers start afresh from `now`.
/// Whether another scenario than `id` has this name.
pub fn name_taken(c: &Connection, name: &str, id: i64) -> rusqlite::Result<bool> {
    let taken: Option<i64> = rusqlite::OptionalExtension::optional(c.query_row(
        "SELECT id FROM scenarios WHERE name = ?1 AND id != ?2",
        rusqlite::params![name, id],
        |r| r.get(0),
    ))?;
    Ok(taken.is_some())
}

/// Removes a scenario with its history; the rows removed (0 or 1).
pub fn delete(c: &Connection, id: i64) -> rusqlite::Result<usize> {
    c.execute("DELETE FROM scenarios WHERE id = ?1", [id])
}

pub fn update(
    c: &Connection,
    id: i64,
    name: &str,
    enabled: bool,
    d: &Definition,
    now: &str,
) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE scenarios SET name = ?2, enabled = ?3, definition = ?4, updated_at = ?5 WHERE id = ?1",
        params![id, name, enabled, serde_json::to_string(d).unwrap_or_default(), now],
    )?;
    c.execute("DELETE FROM scenario_cursors WHERE scenario_id = ?1", [id])?;
    Ok(n == 1)
}

pub fn cursor(c: &Connection, scenario: i64, trigger: usize) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT handled_until FROM scenario_cursors WHERE scenario_id = ?1 AND trigger_index = ?2",
        params![scenario, trigger as i64],
        |r| r.get(0),
    )
    .optional()
}

pub fn set_cursor(c: &Connection, scenario: i64, trigger: usize, at: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO scenario_cursors (scenario_id, trigger_index, handled_until) VALUES (?1, ?2, ?3)
         ON CONFLICT (scenario_id, trigger_index) DO UPDATE SET handled_until = ?3",
        params![scenario, trigger as i64, at],
    )?;
    Ok(())
}

/// What a trace step records.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Trigger,
    Condition,
    Action,
    Note,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Step {
    /// When it happened, UTC.
    pub at: String,
    pub kind: StepKind,
    /// Where in the scenario: "actions[2].then[0]".
    pub path: String,
    pub what: String,
    pub result: String,
    pub ok: bool,
    pub ms: u64,
}

/// Where a run is: running, waiting (a delay), done, failed (an action failed), skipped
/// (conditions or mode), stopped (restart mode, or cut off by a stop).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Waiting,
    Done,
    Failed,
    Skipped,
    Stopped,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
            RunStatus::Skipped => "skipped",
            RunStatus::Stopped => "stopped",
        }
    }

    /// The column's CHECK keeps it to these; anything else reads as stopped.
    fn parse(s: &str) -> RunStatus {
        match s {
            "running" => RunStatus::Running,
            "waiting" => RunStatus::Waiting,
            "done" => RunStatus::Done,
            "failed" => RunStatus::Failed,
            "skipped" => RunStatus::Skipped,
            _ => RunStatus::Stopped,
        }
    }
}

/// What a stored deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingKind {
    /// A run waits on a delay; it resumes at `path`.
    Resume,
    /// A device trigger's condition must hold for N minutes first.
    Hold,
}

impl PendingKind {
    fn as_str(self) -> &'static str {
        match self {
            PendingKind::Resume => "resume",
            PendingKind::Hold => "hold",
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Run {
    pub id: i64,
    pub scenario_id: i64,
    pub reason: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: RunStatus,
    pub trace: Vec<Step>,
}

/// Records a run under the id the engine gave it (the engine numbers runs itself, so
/// it can act before the row is on disk).
pub fn insert_run(c: &Connection, run: &NewRun, now: &str) -> rusqlite::Result<()> {
    let finished = (run.status == RunStatus::Skipped).then_some(now);
    c.execute(
        "INSERT INTO scenario_runs (id, scenario_id, reason, started_at, finished_at, status, trace, context)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            run.id,
            run.scenario_id,
            run.reason,
            now,
            finished,
            run.status.as_str(),
            serde_json::to_string(&run.trace).unwrap_or_default(),
            run.context
        ],
    )?;
    if finished.is_some() {
        prune(c, run.scenario_id)?;
    }
    Ok(())
}

pub struct NewRun {
    pub id: i64,
    pub scenario_id: i64,
    pub reason: String,
    pub status: RunStatus,
    pub context: String,
    pub trace: Vec<Step>,
}

pub fn set_run(
    c: &Connection,
    run: i64,
    status: RunStatus,
    trace: &[Step],
    finished_at: Option<&str>,
) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE scenario_runs SET status = ?2, trace = ?3, finished_at = ?4 WHERE id = ?1",
        params![
            run,
            status.as_str(),
            serde_json::to_string(trace).unwrap_or_default(),
            finished_at
        ],
    )?;
    if finished_at.is_some() {
        let scenario: Option<i64> = c
            .query_row(
                "SELECT scenario_id FROM scenario_runs WHERE id = ?1",
                [run],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(s) = scenario {
            prune(c, s)?;
        }
    }
    Ok(())
}

fn prune(c: &Connection, scenario: i64) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM scenario_runs WHERE scenario_id = ?1 AND finished_at IS NOT NULL AND id NOT IN
         (SELECT id FROM scenario_runs WHERE scenario_id = ?1 ORDER BY id DESC LIMIT ?2)",
        params![scenario, KEPT_RUNS],
    )?;
    Ok(())
}

pub fn run_trace(c: &Connection, run: i64) -> rusqlite::Result<Option<(Vec<Step>, String)>> {
    c.query_row(
        "SELECT trace, context FROM scenario_runs WHERE id = ?1",
        [run],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
    )
    .optional()
    .map(|o| o.map(|(t, ctx)| (serde_json::from_str(&t).unwrap_or_default(), ctx)))
}

pub fn runs(c: &Connection, scenario: i64, limit: i64) -> rusqlite::Result<Vec<Run>> {
    let mut s = c.prepare(
        "SELECT id, scenario_id, reason, started_at, finished_at, status, trace FROM scenario_runs
         WHERE scenario_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = s.query_map(params![scenario, limit], |r| {
        Ok(Run {
            id: r.get(0)?,
            scenario_id: r.get(1)?,
            reason: r.get(2)?,
            started_at: r.get(3)?,
            finished_at: r.get(4)?,
            status: RunStatus::parse(&r.get::<_, String>(5)?),
            trace: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or_default(),
        })
    })?;
    rows.collect()
}

/// Runs left `running` by a hub that stopped mid-run (not waiting on a delay).
pub fn close_interrupted(c: &Connection, now: &str) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE scenario_runs SET status = 'stopped', finished_at = ?1 WHERE status = 'running'",
        [now],
    )
}

#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub scenario_id: i64,
    pub kind: PendingKind,
    pub due_at: String,
    pub run_id: Option<i64>,
    pub path: Vec<usize>,
    pub trigger_index: Option<usize>,
    pub context: String,
}

pub fn pending(c: &Connection) -> rusqlite::Result<Vec<Pending>> {
    let mut s = c.prepare(
        "SELECT id, scenario_id, kind, due_at, run_id, path, trigger_index, context FROM scenario_pending",
    )?;
    let rows = s.query_map([], |r| {
        // The column's CHECK keeps kinds to these two.
        let kind = match r.get::<_, String>(2)?.as_str() {
            "resume" => PendingKind::Resume,
            _ => PendingKind::Hold,
        };
        Ok(Pending {
            id: r.get(0)?,
            scenario_id: r.get(1)?,
            kind,
            due_at: r.get(3)?,
            run_id: r.get(4)?,
            path: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or_default(),
            trigger_index: r.get::<_, Option<i64>>(6)?.map(|i| i as usize),
            context: r.get(7)?,
        })
    })?;
    rows.collect()
}

pub fn insert_pending(c: &Connection, p: &Pending) -> rusqlite::Result<i64> {
    c.execute(
        "INSERT INTO scenario_pending (scenario_id, kind, due_at, run_id, path, trigger_index, context)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            p.scenario_id,
            p.kind.as_str(),
            p.due_at,
            p.run_id,
            serde_json::to_string(&p.path).unwrap_or_default(),
            p.trigger_index.map(|i| i as i64),
            p.context
        ],
    )?;
    Ok(c.last_insert_rowid())
}

/// `true` when it was there (so only one taker acts on it).
pub fn take_pending(c: &Connection, id: i64) -> rusqlite::Result<bool> {
    Ok(c.execute("DELETE FROM scenario_pending WHERE id = ?1", [id])? == 1)
}

pub fn state(c: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT value FROM scenario_state WHERE key = ?1",
        [key],
        |r| r.get(0),
    )
    .optional()
}

pub fn set_state(c: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO scenario_state (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![key, value],
    )?;
    Ok(())
}

pub fn group_members(c: &Connection, name: &str) -> rusqlite::Result<Vec<String>> {
    let mut s =
        c.prepare("SELECT device_id FROM device_groups WHERE name = ?1 ORDER BY device_id")?;
    let rows = s.query_map([name], |r| r.get(0))?;
    rows.collect()
}

pub fn unit_devices(c: &Connection, unit: i64) -> rusqlite::Result<Vec<String>> {
    let mut s = c.prepare("SELECT id FROM devices WHERE room_id = ?1 ORDER BY id")?;
    let rows = s.query_map([unit], |r| r.get(0))?;
    rows.collect()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Group {
    pub name: String,
    pub device_ids: Vec<String>,
}

pub fn groups(c: &Connection) -> rusqlite::Result<Vec<Group>> {
    let mut s = c.prepare("SELECT name, device_id FROM device_groups ORDER BY name, device_id")?;
    let rows: Vec<(String, String)> = s
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut out: Vec<Group> = Vec::new();
    for (name, device) in rows {
        match out.last_mut() {
            Some(g) if g.name == name => g.device_ids.push(device),
            _ => out.push(Group {
                name,
                device_ids: vec![device],
            }),
        }
    }
    Ok(out)
}

pub fn set_group(c: &Connection, name: &str, devices: &[String]) -> rusqlite::Result<()> {
    c.execute("DELETE FROM device_groups WHERE name = ?1", [name])?;
    for d in devices {
        c.execute(
            "INSERT OR IGNORE INTO device_groups (name, device_id) SELECT ?1, id FROM devices WHERE id = ?2",
            params![name, d],
        )?;
    }
    Ok(())
}
