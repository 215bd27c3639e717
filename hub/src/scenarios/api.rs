//! The scenario REST API (admins): list, create, edit, enable, delete, run by hand, the
//! run history with traces; and device groups, which actions can target by name. Each
//! handler is one call of [`Scenarios`].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::db::{Group, Run, Scenario};
use super::model::Definition;
use super::{Listed, ScenarioError, Scenarios, Vocabulary};
use crate::team::Staff;
use crate::web::{ApiJson, AppError};

impl From<ScenarioError> for AppError {
    fn from(e: ScenarioError) -> AppError {
        match e {
            ScenarioError::Store(e) => e.into(),
            ScenarioError::Bookings(e) => AppError::Internal(e.to_string()),
            ScenarioError::Invalid(m) => AppError::bad("invalid", m),
            ScenarioError::Conflict(why) => AppError::Conflict(why.into()),
            ScenarioError::NotFound => AppError::NotFound,
        }
    }
}

/// Schemas the definitions name but do not expand (they are recursive): registered here
/// so every `$ref` in the document resolves.
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    super::model::Target,
    super::model::GuestTarget,
    super::model::OccupancyScope
)))]
struct Nested;

pub fn admin_routes() -> OpenApiRouter<Scenarios> {
    OpenApiRouter::with_openapi(<Nested as utoipa::OpenApi>::openapi())
        .routes(routes!(list_scenarios, create_scenario))
        .routes(routes!(vocabulary))
        .routes(routes!(get_scenario, put_scenario, delete_scenario))
        .routes(routes!(run_scenario))
        .routes(routes!(list_runs))
        .routes(routes!(list_groups))
        .routes(routes!(put_group))
}

/// The choices the scenario forms offer (modes, events, metrics, comparisons, device
/// fields), as the model reads them.
#[utoipa::path(get, path = "/scenarios/vocabulary", tag = "scenarios", security(("session" = ["admin"])),
    responses((status = 200, body = Vocabulary), (status = 403, body = crate::web::ErrorBody)))]
async fn vocabulary() -> ApiJson<Vocabulary> {
    ApiJson(super::vocabulary())
}

/// Every scenario with its last run.
#[utoipa::path(get, path = "/scenarios", tag = "scenarios", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Listed>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_scenarios(
    State(scenarios): State<Scenarios>,
) -> Result<ApiJson<Vec<Listed>>, AppError> {
    Ok(ApiJson(scenarios.list().await?))
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

/// Adds a scenario.
#[utoipa::path(post, path = "/scenarios", tag = "scenarios", security(("session" = ["admin"])),
    request_body = ScenarioForm,
    responses((status = 201, body = Scenario), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn create_scenario(
    State(scenarios): State<Scenarios>,
    ApiJson(form): ApiJson<ScenarioForm>,
) -> Result<(StatusCode, ApiJson<Scenario>), AppError> {
    let s = scenarios
        .save(None, &form.name, form.enabled, form.definition)
        .await?;
    Ok((StatusCode::CREATED, ApiJson(s)))
}

/// One scenario.
#[utoipa::path(get, path = "/scenarios/{id}", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Scenario), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn get_scenario(
    State(scenarios): State<Scenarios>,
    Path(id): Path<i64>,
) -> Result<ApiJson<Scenario>, AppError> {
    Ok(ApiJson(scenarios.get(id).await?))
}

/// Replaces a scenario (its time triggers count from now).
#[utoipa::path(put, path = "/scenarios/{id}", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = ScenarioForm,
    responses((status = 200, body = Scenario), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn put_scenario(
    State(scenarios): State<Scenarios>,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<ScenarioForm>,
) -> Result<ApiJson<Scenario>, AppError> {
    let s = scenarios
        .save(Some(id), &form.name, form.enabled, form.definition)
        .await?;
    Ok(ApiJson(s))
}

/// Removes a scenario with its history.
#[utoipa::path(delete, path = "/scenarios/{id}", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn delete_scenario(
    State(scenarios): State<Scenarios>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    scenarios.delete(id).await?;
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
    State(scenarios): State<Scenarios>,
    staff: Staff,
    Path(id): Path<i64>,
    ApiJson(form): ApiJson<RunForm>,
) -> Result<(StatusCode, ApiJson<Started>), AppError> {
    let run_id = scenarios
        .run_by_hand(id, !form.skip_conditions, &staff.member.name)
        .await?;
    Ok((StatusCode::ACCEPTED, ApiJson(Started { run_id })))
}

/// The last runs (newest first), each with its step-by-step trace.
#[utoipa::path(get, path = "/scenarios/{id}/runs", tag = "scenarios", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Run>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_runs(
    State(scenarios): State<Scenarios>,
    Path(id): Path<i64>,
) -> Result<ApiJson<Vec<Run>>, AppError> {
    Ok(ApiJson(scenarios.runs(id).await?))
}

/// Device groups by name.
#[utoipa::path(get, path = "/device-groups", tag = "scenarios", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Group>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_groups(State(scenarios): State<Scenarios>) -> Result<ApiJson<Vec<Group>>, AppError> {
    Ok(ApiJson(scenarios.groups().await?))
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
    State(scenarios): State<Scenarios>,
    Path(name): Path<String>,
    ApiJson(form): ApiJson<GroupForm>,
) -> Result<ApiJson<Vec<Group>>, AppError> {
    Ok(ApiJson(scenarios.set_group(&name, form.device_ids).await?))
}
