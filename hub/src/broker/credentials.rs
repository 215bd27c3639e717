//! Device credentials for the embedded broker: made in the admin app (the secret is shown
//! once), kept as hashes, loaded into the broker's sign-in check whenever they change.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{secret_hash, valid_username};
use crate::team::secret::new_password;
use crate::web::{ApiJson, AppError, AppState};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceCredential {
    pub id: i64,
    pub username: String,
    pub label: String,
    pub created_at: String,
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<DeviceCredential>> {
    let mut stmt = conn.prepare(
        "SELECT id, username, label, created_at FROM device_credentials ORDER BY username",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(DeviceCredential {
            id: r.get(0)?,
            username: r.get(1)?,
            label: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// username → secret hash, for the broker's sign-in check.
pub fn all_hashes(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare("SELECT username, secret_hash FROM device_credentials")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Creates a credential and returns it with its secret; `None` if the name is taken.
pub fn create(
    conn: &Connection,
    username: &str,
    label: &str,
    now: &str,
) -> rusqlite::Result<Option<(DeviceCredential, String)>> {
    let secret = new_password();
    let n = conn.execute(
        "INSERT OR IGNORE INTO device_credentials (username, secret_hash, label, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![username, secret_hash(&secret), label, now],
    )?;
    Ok((n == 1).then(|| {
        let credential = DeviceCredential {
            id: conn.last_insert_rowid(),
            username: username.to_owned(),
            label: label.to_owned(),
            created_at: now.to_owned(),
        };
        (credential, secret)
    }))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_credentials, create_credential))
        .routes(routes!(delete_credential))
}

/// Every device credential (without secrets).
#[utoipa::path(get, path = "/device-credentials", tag = "devices", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<DeviceCredential>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_credentials(
    State(state): State<AppState>,
) -> Result<ApiJson<Vec<DeviceCredential>>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(|c| list(c).map_err(AppError::from))
            .await?,
    ))
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
    State(state): State<AppState>,
    ApiJson(req): ApiJson<NewCredential>,
) -> Result<(StatusCode, ApiJson<CreatedCredential>), AppError> {
    let username = req.username.trim().to_owned();
    if !valid_username(&username) {
        return Err(AppError::bad(
            "invalid_field",
            "username: 3 to 32 letters, digits, '-' or '_' (not \"hub\")",
        ));
    }
    let label = req.label.trim().to_owned();
    if label.chars().count() > 80 || label.chars().any(char::is_control) {
        return Err(AppError::bad(
            "invalid_field",
            "label: at most 80 characters",
        ));
    }
    let now = state.clock.now_text();
    let (created, hashes) = state
        .store
        .write(move |c| {
            let created = create(c, &username, &label, &now)?;
            Ok::<_, AppError>((created, all_hashes(c)?))
        })
        .await?;
    let (credential, password) =
        created.ok_or_else(|| AppError::Conflict("this username exists".into()))?;
    state.broker.set_credentials(hashes);
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
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let (deleted, hashes) = state
        .store
        .write(move |c| {
            let n = c.execute("DELETE FROM device_credentials WHERE id = ?1", [id])?;
            Ok::<_, AppError>((n, all_hashes(c)?))
        })
        .await?;
    state.broker.set_credentials(hashes);
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
