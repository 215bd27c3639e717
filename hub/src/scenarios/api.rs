//! The scenario REST API (admins): list, create, edit, enable, delete, run by hand, the
//! run history with traces; and device groups, which actions can target by name.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::db::{self, Group, Run, Scenario};
use super::model::Definition;
use crate::web::auth::Staff;
use crate::web::{ApiJson, AppError, AppState};

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_scenarios, create_scenario))
        .routes(routes!(get_scenario, put_scenario, delete_scenario))
        .routes(routes!(run_scenario))
        .routes(routes!(list_runs))
        .routes(routes!(list_groups))
        .routes(routes!(put_group))
}

#[derive(Serialize, ToSchema)]
struct Listed {
    #[serde(flatten)]
    scenario: Scenario,
    /// Trigger, condition and action counts, and the last run.
    summary: Vec<String>,
    last_run: Option<Run>,
    /// When a time or sun trigger fires next (enabled scenarios).
    next_at: Option<String>,
}

/// Every scenario with its last run.
#[utoipa::path(get, path = "/scenarios", tag = "scenarios", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Listed>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_scenarios(State(state): State<AppState>) -> Result<ApiJson<Vec<Listed>>, AppError> {
    let upcoming = state.scenarios.upcoming().await;
    Ok(ApiJson(
        state
            .store
            .read(move |c| {
                let mut out = Vec::new();
                let names = super::model::Names::load(c)?;
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
                Ok::<_, AppError>(out)
            })
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ScenarioForm {
    name: String,
    #[serde(default = "yes")]
    enabled: bool,
    definition: Definition,
}

fn yes() -> bool {
    true
}

fn checked(form: &ScenarioForm) -> Result<String, AppError> {
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(AppError::bad("invalid", "name: 1 to 80 characters"));
    }
    form.definition
        .validate()
        .map_err(|e| AppError::bad("invalid", e.0))?;
    Ok(name)
}

/// Adds a scenario.
#[utoipa::path(post, path = "/scenarios", tag = "scenarios", security(("session" = ["admin"])),
    request_body = ScenarioForm,
    responses((status = 201, body = Scenario), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn create_scenario(
    State(state): State<AppState>,
    ApiJson(form): ApiJson<ScenarioForm>,
) -> Result<(StatusCode, ApiJson<Scenario>), AppError> {
    let name = checked(&form)?;
    let now = state.clock.now_text();
    let s = state
        .store
        .write(move |c| {
            let id = db::insert(c, &name, form.enabled, &form.definition, &now)?
                .ok_or_else(|| AppError::Conflict("a scenario with this name exists".into()))?;
            db::get(c, id)?.ok_or(AppError::NotFound)
        })
        .await?;
    state.scenarios.reload();
    Ok((StatusCode::CREATED, ApiJson(s)))
}

/// One scenario.
#[utoipa::path(get, path = "/scenarios/{id}", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Scenario), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn get_scenario(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<ApiJson<Scenario>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(move |c| Ok::<_, AppError>(db::get(c, id)?))
            .await?
            .ok_or(AppError::NotFound)?,
    ))
}

/// Replaces a scenario (its time triggers count from now).
#[utoipa::path(put, path = "/scenarios/{id}", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = ScenarioForm,
    responses((status = 200, body = Scenario), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn put_scenario(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<ScenarioForm>,
) -> Result<ApiJson<Scenario>, AppError> {
    let name = checked(&form)?;
    let now = state.clock.now_text();
    let s = state
        .store
        .write(move |c| {
            let taken: Option<i64> = rusqlite::OptionalExtension::optional(c.query_row(
                "SELECT id FROM scenarios WHERE name = ?1 AND id != ?2",
                rusqlite::params![name, id],
                |r| r.get(0),
            ))?;
            if taken.is_some() {
                return Err(AppError::Conflict(
                    "a scenario with this name exists".into(),
                ));
            }
            if !db::update(c, id, &name, form.enabled, &form.definition, &now)? {
                return Err(AppError::NotFound);
            }
            db::get(c, id)?.ok_or(AppError::NotFound)
        })
        .await?;
    state.scenarios.reload();
    Ok(ApiJson(s))
}

/// Removes a scenario with its history.
#[utoipa::path(delete, path = "/scenarios/{id}", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn delete_scenario(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let n = state
        .store
        .write(move |c| Ok::<_, AppError>(c.execute("DELETE FROM scenarios WHERE id = ?1", [id])?))
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    state.scenarios.reload();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
struct RunForm {
    /// Run the actions even if the conditions do not hold.
    #[serde(default)]
    skip_conditions: bool,
}

#[derive(Serialize, ToSchema)]
struct Started {
    /// The run's id; null when the scenario's mode dropped it (see its history).
    run_id: Option<i64>,
}

/// Runs a scenario now (disabled ones too).
#[utoipa::path(post, path = "/scenarios/{id}/run", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = RunForm,
    responses((status = 202, body = Started), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn run_scenario(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<RunForm>,
) -> Result<(StatusCode, ApiJson<Started>), AppError> {
    let exists = state
        .store
        .read(move |c| Ok::<_, AppError>(db::get(c, id)?))
        .await?
        .is_some();
    if !exists {
        return Err(AppError::NotFound);
    }
    let run_id = state
        .scenarios
        .run_now(id, !form.skip_conditions, &staff.member.name)
        .await;
    Ok((StatusCode::ACCEPTED, ApiJson(Started { run_id })))
}

/// The last runs (newest first), each with its step-by-step trace.
#[utoipa::path(get, path = "/scenarios/{id}/runs", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Run>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_runs(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<ApiJson<Vec<Run>>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(move |c| Ok::<_, AppError>(db::runs(c, id, db::KEPT_RUNS)?))
            .await?,
    ))
}

/// Device groups by name.
#[utoipa::path(get, path = "/device-groups", tag = "scenarios", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Group>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_groups(State(state): State<AppState>) -> Result<ApiJson<Vec<Group>>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(|c| Ok::<_, AppError>(db::groups(c)?))
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GroupForm {
    /// Empty removes the group.
    device_ids: Vec<String>,
}

/// Sets a group's devices.
#[utoipa::path(put, path = "/device-groups/{name}", tag = "scenarios", security(("session" = ["admin"])),
    params(("name" = String, Path)), request_body = GroupForm,
    responses((status = 200, body = Vec<Group>), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn put_group(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(form): ApiJson<GroupForm>,
) -> Result<ApiJson<Vec<Group>>, AppError> {
    let name = name.trim().to_owned();
    if name.is_empty()
        || name.chars().count() > 60
        || form.device_ids.len() > crate::devices::MAX_DEVICES
    {
        return Err(AppError::bad(
            "invalid",
            "a group name of 1 to 60 characters",
        ));
    }
    state
        .store
        .write(move |c| {
            db::set_group(c, &name, &form.device_ids)?;
            Ok::<_, AppError>(db::groups(c)?)
        })
        .await
        .map(ApiJson)
}
