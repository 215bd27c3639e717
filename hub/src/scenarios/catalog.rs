//! The stored scenarios as the admin app edits them: list with next and last run, add,
//! replace, delete (each reloads the engine), run history, and device groups. Methods of
//! [`Scenarios`]; the SQL is `db.rs`.

use serde::Serialize;
use utoipa::ToSchema;

use super::db::{self, Group, Run, Scenario};
use super::model::Definition;
use super::{ScenarioError, Scenarios};

/// A scenario with what the list shows beside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listed {
    #[serde(flatten)]
    pub scenario: Scenario,
    /// Trigger, condition and action counts, and the last run.
    pub summary: Vec<String>,
    pub last_run: Option<Run>,
    /// When a time or sun trigger fires next (enabled scenarios).
    pub next_at: Option<String>,
}

/// A name of 1 to 80 characters, and a definition that passes its checks.
fn checked(name: &str, definition: &Definition) -> Result<String, ScenarioError> {
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(ScenarioError::Invalid("name: 1 to 80 characters".into()));
    }
    definition
        .validate()
        .map_err(|e| ScenarioError::Invalid(e.0))?;
    Ok(name)
}

impl Scenarios {
    /// Every scenario with its last run and next scheduled time.
    pub async fn list(&self) -> Result<Vec<Listed>, ScenarioError> {
        // Runs are written soon; whoever looks sees the latest.
        self.deps.store.settle().await?;
        let upcoming = self.upcoming().await;
        let names = self.deps.names().await;
        self.deps
            .store
            .read(move |c| {
                let mut out = Vec::new();
                for s in db::all(c)? {
                    let last_run = db::runs(c, s.id, 1)?.pop();
                    let summary = s
                        .definition
                        .triggers
                        .iter()
                        .map(|t| t.describe_with(&names))
                        .collect();
                    out.push(Listed {
                        next_at: upcoming.get(&s.id).map(|t| crate::clock::stamp(*t)),
                        scenario: s,
                        summary,
                        last_run,
                    });
                }
                Ok::<_, ScenarioError>(out)
            })
            .await
    }

    pub async fn get(&self, id: i64) -> Result<Scenario, ScenarioError> {
        self.deps
            .store
            .read(move |c| Ok::<_, ScenarioError>(db::get(c, id)?))
            .await?
            .ok_or(ScenarioError::NotFound)
    }

    /// Adds a scenario (`id` none) or replaces one (its time triggers count from now); its
    /// name is unique.
    pub async fn save(
        &self,
        id: Option<i64>,
        name: &str,
        enabled: bool,
        definition: Definition,
    ) -> Result<Scenario, ScenarioError> {
        let name = checked(name, &definition)?;
        let now = self.deps.clock.now_text();
        let taken = ScenarioError::Conflict("a scenario with this name exists");
        let s = self
            .deps
            .store
            .write(move |c| {
                let id = match id {
                    None => db::insert(c, &name, enabled, &definition, &now)?.ok_or(taken)?,
                    Some(id) if db::name_taken(c, &name, id)? => return Err(taken),
                    Some(id) if db::update(c, id, &name, enabled, &definition, &now)? => id,
                    Some(_) => return Err(ScenarioError::NotFound),
                };
                db::get(c, id)?.ok_or(ScenarioError::NotFound)
            })
            .await?;
        self.reload();
        Ok(s)
    }

    /// Removes a scenario with its history.
    pub async fn delete(&self, id: i64) -> Result<(), ScenarioError> {
        let n = self
            .deps
            .store
            .write(move |c| Ok::<_, ScenarioError>(db::delete(c, id)?))
            .await?;
        if n == 0 {
            return Err(ScenarioError::NotFound);
        }
        self.reload();
        Ok(())
    }

    /// Runs a scenario now (disabled ones too) for `who`; the run's id, or `None` when its
    /// mode dropped it.
    pub async fn run_by_hand(
        &self,
        id: i64,
        check_conditions: bool,
        who: &str,
    ) -> Result<Option<i64>, ScenarioError> {
        self.get(id).await?;
        Ok(self.run_now(id, check_conditions, who).await)
    }

    /// The last runs (newest first), each with its step-by-step trace.
    pub async fn runs(&self, id: i64) -> Result<Vec<Run>, ScenarioError> {
        self.deps.store.settle().await?;
        self.deps
            .store
            .read(move |c| Ok::<_, ScenarioError>(db::runs(c, id, db::KEPT_RUNS)?))
            .await
    }

    pub async fn groups(&self) -> Result<Vec<Group>, ScenarioError> {
        self.deps
            .store
            .read(|c| Ok::<_, ScenarioError>(db::groups(c)?))
            .await
    }

    /// Sets a group's devices (none removes it); every group afterwards.
    pub async fn set_group(
        &self,
        name: &str,
        device_ids: Vec<String>,
    ) -> Result<Vec<Group>, ScenarioError> {
        let name = name.trim().to_owned();
        if name.is_empty()
            || name.chars().count() > 60
            || device_ids.len() > crate::devices::MAX_DEVICES
        {
            return Err(ScenarioError::Invalid(
                "a group name of 1 to 60 characters".into(),
            ));
        }
        self.deps
            .store
            .write(move |c| {
                db::set_group(c, &name, &device_ids)?;
                Ok::<_, ScenarioError>(db::groups(c)?)
            })
            .await
    }
}
