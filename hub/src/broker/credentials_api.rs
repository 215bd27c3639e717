//! The admin API for device credentials: list, create (the password shown once), delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::credentials::{BrokerEndpoint, CredentialError, Credentials, DeviceCredential};
use super::refusals::Refusal;
use crate::web::{ApiJson, AppError};

impl From<CredentialError> for AppError {
    fn from(e: CredentialError) -> AppError {
        match e {
            CredentialError::Invalid(m) => AppError::bad("invalid_field", m),
            CredentialError::Taken => AppError::Conflict(e.to_string()),
            CredentialError::NotFound => AppError::NotFound,
            CredentialError::Store(e) => e.into(),
        }
    }
}

pub fn admin_routes() -> OpenApiRouter<Credentials> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials, create_credential))
        .routes(routes!(delete_credential))
        .routes(routes!(endpoint))
}

/// The broker as the MQTT page shows it: where devices reach it, and the clients it
/// refused or dropped lately, with why.
#[derive(Serialize, ToSchema)]
struct BrokerStatus {
    #[serde(flatten)]
    endpoint: BrokerEndpoint,
    /// Newest first, at most 50.
    refused: Vec<Refusal>,
}

/// Where devices reach the broker (its port, whether the network can reach it) and which
/// clients it refused lately.
#[utoipa::path(get, path = "/broker", tag = "devices", security(("session" = ["admin"])),
    responses((status = 200, body = BrokerStatus), (status = 403, body = crate::web::ErrorBody)))]
async fn endpoint(State(credentials): State<Credentials>) -> ApiJson<BrokerStatus> {
    ApiJson(BrokerStatus {
        endpoint: credentials.endpoint(),
        refused: super::refusals::recent(),
    })
}

/// Every device credential (without secrets).
#[utoipa::path(get, path = "/device-credentials", tag = "devices", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<DeviceCredential>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_credentials(
    State(credentials): State<Credentials>,
) -> Result<ApiJson<Vec<DeviceCredential>>, AppError> {
    Ok(ApiJson(credentials.list().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewCredential {
    /// 3 to 32 letters, digits, '-' or '_'.
    username: String,
    #[serde(default)]
    label: String,
}

#[derive(Serialize, ToSchema)]
struct CreatedCredential {
    credential: DeviceCredential,
    /// Shown this once; the hub keeps only a hash.
    password: String,
}

/// Creates a device credential; the password is in the answer and nowhere else.
#[utoipa::path(post, path = "/device-credentials", tag = "devices", security(("session" = ["admin"])),
    request_body = NewCredential,
    responses((status = 201, body = CreatedCredential), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn create_credential(
    State(credentials): State<Credentials>,
    ApiJson(req): ApiJson<NewCredential>,
) -> Result<(StatusCode, ApiJson<CreatedCredential>), AppError> {
    let (credential, password) = credentials.create(&req.username, &req.label).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(CreatedCredential {
            credential,
            password,
        }),
    ))
}

/// Deletes a credential; the device can no longer sign in.
#[utoipa::path(delete, path = "/device-credentials/{id}", tag = "devices", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn delete_credential(
    State(credentials): State<Credentials>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    credentials.delete(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
