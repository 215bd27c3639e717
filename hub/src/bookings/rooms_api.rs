//! Rooms, villas, cars and areas over HTTP: listed for every staff member, created,
//! renamed and removed by admins.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::rooms::{Room, RoomKind};
use super::{Bookings, RoomUsage};
use crate::team::Staff;
use crate::web::{ApiJson, AppError};

pub fn routes() -> OpenApiRouter<Bookings> {
    OpenApiRouter::new().routes(routes!(list_rooms))
}

pub fn admin_routes() -> OpenApiRouter<Bookings> {
    OpenApiRouter::new()
        .routes(routes!(create_room))
        .routes(routes!(rename_room, delete_room))
        .routes(routes!(room_usage))
}

/// Every room, villa, car and area.
#[utoipa::path(get, path = "/rooms", tag = "rooms", security(("session" = [])),
    responses((status = 200, body = Vec<Room>), (status = 401, body = crate::web::ErrorBody)))]
async fn list_rooms(
    State(bookings): State<Bookings>,
    _staff: Staff,
) -> Result<ApiJson<Vec<Room>>, AppError> {
    Ok(ApiJson(bookings.rooms().await?))
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
    State(bookings): State<Bookings>,
    ApiJson(req): ApiJson<NewRoom>,
) -> Result<(StatusCode, ApiJson<Room>), AppError> {
    let room = bookings.add_room(&req.name, req.kind).await?;
    Ok((StatusCode::CREATED, ApiJson(room)))
}

/// What removing a room would take with it: its stays ahead and its past ones.
#[utoipa::path(get, path = "/rooms/{id}/usage", tag = "rooms", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 200, body = RoomUsage), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn room_usage(
    State(bookings): State<Bookings>,
    Path(id): Path<i64>,
) -> Result<ApiJson<RoomUsage>, AppError> {
    Ok(ApiJson(bookings.room_usage(id).await?))
}

/// Renames a room or changes its kind; its stays, devices and guest page address stay.
#[utoipa::path(put, path = "/rooms/{id}", tag = "rooms", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = NewRoom,
    responses((status = 200, body = Room), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody),
        (status = 409, body = crate::web::ErrorBody)))]
async fn rename_room(
    State(bookings): State<Bookings>,
    Path(id): Path<i64>,
    ApiJson(req): ApiJson<NewRoom>,
) -> Result<ApiJson<Room>, AppError> {
    Ok(ApiJson(
        bookings.rename_room(id, &req.name, req.kind).await?,
    ))
}

/// Removes a room with its stays (read its usage first); its devices stay, unplaced.
#[utoipa::path(delete, path = "/rooms/{id}", tag = "rooms", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn delete_room(
    State(bookings): State<Bookings>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    bookings.remove_room(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
