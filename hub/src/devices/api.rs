//! The device REST API. Every member of staff may see devices, follow them live and
//! switch them; admins add, import, edit and delete them and grant access per brand.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use device_drivers::tuya::discovery::{self as tuya_discovery, ScanConfig};
use device_drivers::Command;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{DeviceEvent, DeviceView, NewDeviceRequest};
use crate::web::auth::Staff;
use crate::web::{ApiJson, AppError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_devices))
        .routes(routes!(device_events))
        .routes(routes!(command_device))
}

pub fn admin_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_device))
        .routes(routes!(edit_device, delete_device))
        .routes(routes!(list_grants))
        .routes(routes!(put_grant))
        .routes(routes!(discover))
        .routes(routes!(import))
}

/// Every device with its live status.
#[utoipa::path(get, path = "/devices", tag = "devices", security(("session" = [])),
    responses((status = 200, body = Vec<DeviceView>), (status = 401, body = crate::web::ErrorBody)))]
async fn list_devices(
    _staff: Staff,
    State(state): State<AppState>,
) -> Result<ApiJson<Vec<DeviceView>>, AppError> {
    Ok(ApiJson(state.devices.list().await?))
}

/// Live device changes as server-sent events: `device` (a device as listed) and
/// `removed` (its id).
#[utoipa::path(get, path = "/devices/events", tag = "devices", security(("session" = [])),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 401, body = crate::web::ErrorBody)))]
async fn device_events(
    _staff: Staff,
    State(state): State<AppState>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = state.devices.subscribe();
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
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<ApiJson<DeviceView>, AppError> {
    let commands: Vec<Command> = Command::parse_set(body.to_string().as_bytes())
        .map_err(|e| AppError::bad("invalid_command", e.to_string()))?;
    tracing::info!(device = %id, by = staff.member.id, ?commands, "Device command.");
    Ok(ApiJson(state.devices.command(&id, &commands).await?))
}

/// Adds a device by hand.
#[utoipa::path(post, path = "/devices", tag = "devices", security(("session" = ["admin"])),
    request_body = NewDeviceRequest,
    responses((status = 201, body = DeviceView), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn add_device(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<NewDeviceRequest>,
) -> Result<(StatusCode, ApiJson<DeviceView>), AppError> {
    Ok((StatusCode::CREATED, ApiJson(state.devices.add(req).await?)))
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
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<DeviceEdit>,
) -> Result<ApiJson<DeviceView>, AppError> {
    Ok(ApiJson(
        state.devices.edit(&id, &edit.name, edit.room_id).await?,
    ))
}

/// Deletes a device; its MQTT topics and Home Assistant entities go with it.
#[utoipa::path(delete, path = "/devices/{id}", tag = "devices", security(("session" = ["admin"])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn delete_device(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    state.devices.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The brands the owner has granted access to (never the keys themselves).
#[utoipa::path(get, path = "/device-grants", tag = "devices", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<String>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_grants(State(state): State<AppState>) -> Result<ApiJson<Vec<String>>, AppError> {
    Ok(ApiJson(state.devices.granted_brands().await?))
}

/// Grants access for a brand: for Tuya `{"keys": {"<device id>": "<local key>"}}` (the list
/// tinytuya's wizard or the Tuya IoT platform gives).
#[utoipa::path(put, path = "/device-grants/{brand}", tag = "devices", security(("session" = ["admin"])),
    params(("brand" = String, Path)), request_body = Object,
    responses((status = 204), (status = 400, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody)))]
async fn put_grant(
    State(state): State<AppState>,
    Path(brand): Path<String>,
    ApiJson(grant): ApiJson<serde_json::Value>,
) -> Result<StatusCode, AppError> {
    if brand == "smartthings" {
        let token = grant["token"]
            .as_str()
            .filter(|t| !t.is_empty() && t.len() <= 4096);
        let base_ok = match grant.get("base_url") {
            None | Some(serde_json::Value::Null) => true,
            Some(u) => u
                .as_str()
                .is_some_and(|u| super::drivers::check_base_url(u).is_ok()),
        };
        if token.is_none() || !base_ok || grant.as_object().is_some_and(|o| o.len() > 2) {
            return Err(AppError::bad(
                "invalid",
                "a SmartThings grant is {\"token\": \"…\"} with an optional http(s) \"base_url\"",
            ));
        }
        state.devices.put_grant(&brand, &grant).await?;
        return Ok(StatusCode::NO_CONTENT);
    }
    let keys = grant.get("keys").and_then(|k| k.as_object());
    match keys {
        Some(keys)
            if keys.len() <= 1000
                && keys
                    .values()
                    .all(|v| v.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 256)) => {}
        _ => {
            return Err(AppError::bad(
                "invalid",
                "a grant is {\"keys\": {\"<device id>\": \"<key>\"}} with at most 1000 keys",
            ))
        }
    }
    state.devices.put_grant(&brand, &grant).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DiscoverRequest {
    brand: String,
}

/// A device found on the LAN.
#[derive(Serialize, Deserialize, ToSchema)]
struct Found {
    brand: String,
    native_id: String,
    address: String,
    #[schema(value_type = Object)]
    settings: serde_json::Value,
    /// Already on the hub's list.
    imported: bool,
    /// The brand's grant holds its key, so it can be imported.
    has_key: bool,
}

/// Scans the LAN (or, in the demo, the emulated devices on loopback) for a few seconds.
#[utoipa::path(post, path = "/devices/discover", tag = "devices", security(("session" = ["admin"])),
    request_body = DiscoverRequest,
    responses((status = 200, body = Vec<Found>), (status = 400, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody)))]
async fn discover(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<DiscoverRequest>,
) -> Result<ApiJson<Vec<Found>>, AppError> {
    let _turn = state.devices.scan_turn().await;
    let scope = state.devices.scope().clone();
    let found: Vec<(String, String, serde_json::Value)> = match req.brand.as_str() {
        "tuya" => {
            let mut config = match scope.lan {
                Some((app_ip, broadcast)) => {
                    ScanConfig::lan(Some(app_ip).filter(|ip| !ip.is_unspecified()), broadcast)
                }
                None => ScanConfig {
                    bind: std::net::Ipv4Addr::LOCALHOST.into(),
                    ports: Vec::new(),
                    probe: None,
                    unicast: Vec::new(),
                },
            };
            config.unicast = scope.unicast.get("tuya").cloned().unwrap_or_default();
            tuya_discovery::scan(&config, scope.duration)
                .await
                .into_iter()
                .map(|a| {
                    let version = a.version.map(|v| v.as_str()).unwrap_or("3.3");
                    let address = match a.port {
                        Some(_) => a.addr().to_string(),
                        None => a.ip.to_string(),
                    };
                    (a.id, address, serde_json::json!({"version": version}))
                })
                .collect()
        }
        "miio" => {
            let mut targets = scope.unicast.get("miio").cloned().unwrap_or_default();
            if let Some((_, broadcast)) = scope.lan {
                targets.push(SocketAddr::new(
                    broadcast.into(),
                    device_drivers::miio::PORT,
                ));
            }
            let bind = match scope.lan {
                Some(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
                None => SocketAddr::from(([127, 0, 0, 1], 0)),
            };
            device_drivers::miio::discovery::scan(bind, &targets, scope.duration)
                .await
                .map_err(|e| AppError::Internal(format!("miIO discovery: {e}")))?
                .into_iter()
                .map(|f| {
                    (
                        f.device_id.to_string(),
                        f.addr.to_string(),
                        serde_json::json!({}),
                    )
                })
                .collect()
        }
        "smartthings" => {
            let grant = state.devices.grant("smartthings").await?.unwrap_or_default();
            let token = grant["token"].as_str().ok_or_else(|| {
                AppError::bad("no_key", "grant access first: SmartThings needs a token")
            })?;
            let base_url = grant["base_url"]
                .as_str()
                .unwrap_or(device_drivers::smartthings::BASE_URL)
                .to_owned();
            device_drivers::smartthings::list(&base_url, token)
                .await
                .map_err(|e| AppError::Device { code: "smartthings", message: e.to_string() })?
                .into_iter()
                .map(|d| {
                    let settings = serde_json::json!({
                        "base_url": base_url, "label": d.label,
                        "kind": d.kind.map(|k| k.as_str()),
                    });
                    (d.device_id, String::new(), settings)
                })
                .collect()
        }
        "ewelink" if scope.lan.is_some() => device_drivers::ewelink::discovery::scan(&scope.interfaces, scope.duration)
            .await
            .map_err(|e| AppError::Internal(format!("eWeLink discovery: {e}")))?
            .into_iter()
            .map(|f| {
                let settings = serde_json::json!({"type": f.device_type, "diy": !f.encrypted});
                (f.device_id, f.addr.to_string(), settings)
            })
            .collect(),
        "ewelink" => {
            return Err(AppError::bad(
                "unsupported",
                "eWeLink devices are found by mDNS on the LAN, which the demo keeps off: add them by hand",
            ))
        }
        _ => return Err(AppError::bad("unsupported", "this brand has no LAN discovery")),
    };
    let keys = state.devices.grant(&req.brand).await?.unwrap_or_default();
    let known: Vec<String> = state
        .devices
        .list()
        .await?
        .into_iter()
        .filter(|d| d.row.brand == req.brand)
        .map(|d| d.row.native_id)
        .collect();
    Ok(ApiJson(
        found
            .into_iter()
            .map(|(native_id, address, settings)| Found {
                imported: known.contains(&native_id),
                has_key: keys["keys"].get(&native_id).is_some()
                    || settings["diy"] == true
                    || keys["token"].is_string(),
                brand: req.brand.clone(),
                native_id,
                address,
                settings,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ImportItem {
    native_id: String,
    address: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    settings: serde_json::Value,
    kind: String,
    name: String,
    #[serde(default)]
    room_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ImportRequest {
    brand: String,
    items: Vec<ImportItem>,
}

/// Imports discovered devices, taking each one's key from the brand's grant.
#[utoipa::path(post, path = "/devices/import", tag = "devices", security(("session" = ["admin"])),
    request_body = ImportRequest,
    responses((status = 200, body = Vec<DeviceView>), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 409, body = crate::web::ErrorBody)))]
async fn import(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<ImportRequest>,
) -> Result<ApiJson<Vec<DeviceView>>, AppError> {
    if req.items.len() > 200 {
        return Err(AppError::bad(
            "invalid",
            "import at most 200 devices at once",
        ));
    }
    let grant = state.devices.grant(&req.brand).await?.unwrap_or_default();
    let mut added = Vec::new();
    for mut item in req.items {
        // A cloud token only ever goes to the API its grant names.
        if req.brand == "smartthings" {
            item.settings["base_url"] = grant["base_url"]
                .as_str()
                .unwrap_or(device_drivers::smartthings::BASE_URL)
                .into();
        }
        let diy = item.settings["diy"] == true;
        let secret = grant["keys"]
            .get(&item.native_id)
            .or_else(|| grant.get("token"))
            .and_then(|k| k.as_str())
            .map(str::to_owned)
            .or_else(|| diy.then(String::new))
            .ok_or_else(|| {
                AppError::bad(
                    "no_key",
                    format!("grant access first: there is no key for {}", item.native_id),
                )
            })?;
        added.push(
            state
                .devices
                .add(NewDeviceRequest {
                    brand: req.brand.clone(),
                    kind: item.kind,
                    name: item.name,
                    room_id: item.room_id,
                    native_id: item.native_id,
                    address: item.address,
                    settings: item.settings,
                    secret: Some(secret),
                })
                .await?,
        );
    }
    Ok(ApiJson(added))
}
