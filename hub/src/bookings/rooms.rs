//! Rooms, villas, cars and areas: listed for every staff member, created and removed by
//! admins.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::web::auth::Staff;
use crate::web::{ApiJson, AppError, AppState};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Room {
    pub id: i64,
    pub name: String,
    pub kind: RoomKind,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RoomKind {
    Room,
    Villa,
    Car,
    Area,
}

impl RoomKind {
    fn as_str(self) -> &'static str {
        match self {
            RoomKind::Room => "room",
            RoomKind::Villa => "villa",
            RoomKind::Car => "car",
            RoomKind::Area => "area",
        }
    }

    fn parse(s: &str) -> RoomKind {
        match s {
            "villa" => RoomKind::Villa,
            "car" => RoomKind::Car,
            "area" => RoomKind::Area,
            _ => RoomKind::Room,
        }
    }
}

pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Room>> {
    let mut stmt =
        conn.prepare("SELECT id, name, kind, created_at FROM rooms ORDER BY name COLLATE NOCASE")?;
    let rows = stmt.query_map([], |r| {
        Ok(Room {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: RoomKind::parse(&r.get::<_, String>(2)?),
            created_at: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// `None` when the name is taken.
pub fn create(
    conn: &Connection,
    name: &str,
    kind: RoomKind,
    now: &str,
) -> rusqlite::Result<Option<Room>> {
    let inserted = conn.execute(
        "INSERT OR IGNORE INTO rooms (name, kind, created_at) VALUES (?1, ?2, ?3)",
        params![name, kind.as_str(), now],
    )?;
    Ok((inserted == 1).then(|| Room {
        id: conn.last_insert_rowid(),
        name: name.to_owned(),
        kind,
        created_at: now.to_owned(),
    }))
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_rooms))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_room))
        .routes(routes!(delete_room))
}

/// Every room, villa, car and area.
#[utoipa::path(get, path = "/rooms", tag = "rooms", security(("session" = [])),
    responses((status = 200, body = Vec<Room>), (status = 401, body = crate::web::ErrorBody)))]
async fn list_rooms(
    State(state): State<AppState>,
    _staff: Staff,
) -> Result<ApiJson<Vec<Room>>, AppError> {
    Ok(ApiJson(
        state
            .store
            .read(|c| list(c).map_err(AppError::from))
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewRoom {
    name: String,
    #[serde(default = "default_kind")]
    kind: RoomKind,
}

fn default_kind() -> RoomKind {
    RoomKind::Room
}

/// Adds a room; answered once it is on disk.
#[utoipa::path(post, path = "/rooms", tag = "rooms", security(("session" = ["admin"])), request_body = NewRoom,
    responses((status = 201, body = Room), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn create_room(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<NewRoom>,
) -> Result<(StatusCode, ApiJson<Room>), AppError> {
    let name = req.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(AppError::bad("invalid_field", "name: 1 to 60 characters"));
    }
    let now = state.clock.now_text();
    let room = state
        .store
        .write(move |c| create(c, &name, req.kind, &now).map_err(AppError::from))
        .await?
        .ok_or_else(|| AppError::Conflict("a room with this name exists".into()))?;
    Ok((StatusCode::CREATED, ApiJson(room)))
}

/// Removes a room.
#[utoipa::path(delete, path = "/rooms/{id}", tag = "rooms", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn delete_room(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let n = state
        .store
        .write(move |c| {
            c.execute("DELETE FROM rooms WHERE id = ?1", [id])
                .map_err(AppError::from)
        })
        .await?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
