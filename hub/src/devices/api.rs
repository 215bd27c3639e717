//! The device REST API. Every member of staff may see devices, follow them live and
//! switch them; admins add, import, edit and delete them and grant access per brand.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use device_drivers::Command;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::discovery::{Found, ImportItem};
use super::{kinds, BrandSetup, KindInfo};
use super::{Brand, DeviceError, DeviceEvent, DeviceView, Devices, NewDeviceRequest};
use crate::team::Staff;
use crate::web::{ApiJson, AppError};

impl From<DeviceError> for AppError {
    fn from(e: DeviceError) -> AppError {
        match e {
            DeviceError::Invalid(m) => AppError::bad("invalid", m),
            DeviceError::Unsupported(m) => AppError::bad("unsupported", m),
            DeviceError::NoKey(m) => AppError::bad("no_key", m),
            DeviceError::NotFound => AppError::NotFound,
            DeviceError::AlreadyListed | DeviceError::Full => AppError::Conflict(e.to_string()),
            DeviceError::Driver { code, message } => AppError::Device { code, message },
            DeviceError::Internal(why) => AppError::Internal(why),
            DeviceError::Store(e) => e.into(),
        }
    }
}

pub fn routes() -> OpenApiRouter<Devices> {
    OpenApiRouter::new()
        .routes(routes!(list_devices))
        .routes(routes!(vocabulary))
        .routes(routes!(device_events))
        .routes(routes!(command_device))
}

pub fn admin_routes() -> OpenApiRouter<Devices> {
    OpenApiRouter::new()
        .routes(routes!(add_device))
        .routes(routes!(edit_device, delete_device))
        .routes(routes!(list_grants))
        .routes(routes!(put_grant))
        .routes(routes!(discover))
        .routes(routes!(import))
}

/// Named apart from the scenarios' vocabulary: the document has one namespace of schemas.
#[derive(Serialize, ToSchema)]
#[schema(as = DeviceVocabulary)]
struct Vocabulary {
    kinds: Vec<KindInfo>,
    brands: Vec<BrandSetup>,
}

/// The device kinds and brands the hub knows, with their words and forms: what the admin
/// app's cards and forms offer.
#[utoipa::path(get, path = "/devices/vocabulary", tag = "devices", security(("session" = [])),
    responses((status = 200, body = Vocabulary), (status = 401, body = crate::web::ErrorBody)))]
async fn vocabulary(_staff: Staff) -> ApiJson<Vocabulary> {
    ApiJson(Vocabulary {
        kinds: kinds(),
        brands: Brand::ALL.into_iter().map(Brand::setup).collect(),
    })
}

/// Every device with its live status.
#[utoipa::path(get, path = "/devices", tag = "devices", security(("session" = [])),
    responses((status = 200, body = Vec<DeviceView>), (status = 401, body = crate::web::ErrorBody)))]
async fn list_devices(
    _staff: Staff,
    State(devices): State<Devices>,
) -> Result<ApiJson<Vec<DeviceView>>, AppError> {
    Ok(ApiJson(devices.list().await?))
}

/// Live device changes as server-sent events: `device` (a device as listed) and
/// `removed` (its id).
#[utoipa::path(get, path = "/devices/events", tag = "devices", security(("session" = [])),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 401, body = crate::web::ErrorBody)))]
async fn device_events(
    _staff: Staff,
    State(devices): State<Devices>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = devices.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(DeviceEvent::Changed(view)) => Event::default()
                .event("device")
                .json_data(&*view)
                .unwrap_or_default(),
            Ok(DeviceEvent::Removed(id)) => Event::default().event("removed").data(id),
            // A lagging reader is told to reload the list rather than miss a change.
            Err(broadcast::error::RecvError::Lagged(_)) => {
                Event::default().event("reload").data("")
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Switches or sets a device, with the same body as its MQTT `set` topic
/// (`{"on":true}`, `{"brightness":40}`, `{"target_temperature":21.5}`, `{"locked":true}`).
/// Answers once the device has confirmed the change.
#[utoipa::path(post, path = "/devices/{id}/command", tag = "devices", security(("session" = [])),
    params(("id" = String, Path)), request_body = Object,
    responses((status = 200, body = DeviceView), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody),
        (status = 503, body = crate::web::ErrorBody)))]
async fn command_device(
    staff: Staff,
    State(devices): State<Devices>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<ApiJson<DeviceView>, AppError> {
    let commands: Vec<Command> = Command::parse_set(body.to_string().as_bytes())
        .map_err(|e| AppError::bad("invalid_command", e.to_string()))?;
    tracing::info!(device = %id, by = staff.member.id, ?commands, "Device command.");
    Ok(ApiJson(devices.command(&id, &commands).await?))
}

/// Adds a device by hand.
#[utoipa::path(post, path = "/devices", tag = "devices", security(("session" = ["admin"])),
    request_body = NewDeviceRequest,
    responses((status = 201, body = DeviceView), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn add_device(
    State(devices): State<Devices>,
    ApiJson(req): ApiJson<NewDeviceRequest>,
) -> Result<(StatusCode, ApiJson<DeviceView>), AppError> {
    Ok((StatusCode::CREATED, ApiJson(devices.add(req).await?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DeviceEdit {
    name: String,
    #[serde(default)]
    room_id: Option<i64>,
}

/// Renames a device or moves it to another room.
#[utoipa::path(patch, path = "/devices/{id}", tag = "devices", security(("session" = ["admin"])),
    params(("id" = String, Path)), request_body = DeviceEdit,
    responses((status = 200, body = DeviceView), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn edit_device(
    State(devices): State<Devices>,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<DeviceEdit>,
) -> Result<ApiJson<DeviceView>, AppError> {
    Ok(ApiJson(devices.edit(&id, &edit.name, edit.room_id).await?))
}

/// Deletes a device; its MQTT topics and Home Assistant entities go with it.
#[utoipa::path(delete, path = "/devices/{id}", tag = "devices", security(("session" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn delete_device(
    State(devices): State<Devices>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    devices.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The brands the owner has granted access to (never the keys themselves).
#[utoipa::path(get, path = "/device-grants", tag = "devices", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<String>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_grants(State(devices): State<Devices>) -> Result<ApiJson<Vec<String>>, AppError> {
    Ok(ApiJson(devices.granted_brands().await?))
}

/// Grants access for a brand: for Tuya `{"keys": {"<device id>": "<local key>"}}` (the list
/// tinytuya's wizard or the Tuya IoT platform gives), or tinytuya's `devices.json` itself
/// (a list of `{"id", "key", "name", "category", "mapping"}`), whose names, kinds and
/// declared data-point models discovery and import then use.
#[utoipa::path(put, path = "/device-grants/{brand}", tag = "devices", security(("session" = ["admin"])),
    params(("brand" = String, Path)), request_body = Object,
    responses((status = 204), (status = 400, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody)))]
async fn put_grant(
    State(devices): State<Devices>,
    Path(brand): Path<String>,
    ApiJson(grant): ApiJson<serde_json::Value>,
) -> Result<StatusCode, AppError> {
    devices.grant_access(&brand, &grant).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DiscoverRequest {
    brand: String,
}

/// Scans the LAN (or, in the demo, the emulated devices on loopback) for a few seconds.
#[utoipa::path(post, path = "/devices/discover", tag = "devices", security(("session" = ["admin"])),
    request_body = DiscoverRequest,
    responses((status = 200, body = Vec<Found>), (status = 400, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody)))]
async fn discover(
    State(devices): State<Devices>,
    ApiJson(req): ApiJson<DiscoverRequest>,
) -> Result<ApiJson<Vec<Found>>, AppError> {
    Ok(ApiJson(devices.discover(&req.brand).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ImportRequest {
    brand: String,
    items: Vec<ImportItem>,
}

/// Imports discovered devices, taking each one's key from the brand's grant; a multi-gang
/// Tuya switch (its model declares `switch_1` … `switch_N`) comes back as one switch per
/// gang.
#[utoipa::path(post, path = "/devices/import", tag = "devices", security(("session" = ["admin"])),
    request_body = ImportRequest,
    responses((status = 200, body = Vec<DeviceView>), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn import(
    State(devices): State<Devices>,
    ApiJson(req): ApiJson<ImportRequest>,
) -> Result<ApiJson<Vec<DeviceView>>, AppError> {
    Ok(ApiJson(devices.import(&req.brand, req.items).await?))
}
