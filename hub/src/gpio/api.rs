//! The box's lines over HTTP, for owners and admins: what the LED says, the lines in use
//! and the last button press; the demo's virtual button. And, for the box's own screen
//! alone (loopback), what a press of the button shows there.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Gpio, GpioError, GpioStatus, Press};
use crate::web::{ApiJson, AppError, ErrorBody};

impl From<GpioError> for AppError {
    fn from(e: GpioError) -> AppError {
        AppError::Conflict(e.to_string())
    }
}

pub fn admin_routes() -> OpenApiRouter<Gpio> {
    OpenApiRouter::new()
        .routes(routes!(status))
        .routes(routes!(press))
}

pub fn routes() -> OpenApiRouter<Gpio> {
    OpenApiRouter::new().routes(routes!(notice))
}

#[derive(Serialize, ToSchema)]
struct Notice {
    text: String,
}

/// What the box's own screen shows after a short press of the button (the set-up code),
/// for two minutes; 204 when nothing. Answered on loopback only, where the box's kiosk
/// screen runs: anyone else gets 404.
#[utoipa::path(get, path = "/gpio/notice", tag = "gpio", responses(
    (status = 200, body = Notice), (status = 204), (status = 404, body = ErrorBody)))]
async fn notice(State(gpio): State<Gpio>, ConnectInfo(peer): ConnectInfo<SocketAddr>) -> Response {
    if !peer.ip().is_loopback() {
        return AppError::NotFound.into_response();
    }
    match gpio.notice() {
        Some(text) => ApiJson(Notice { text }).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// The status LED's signal, the lines in use and the last press of the button.
#[utoipa::path(get, path = "/gpio", tag = "gpio", security(("session" = ["admin"])), responses(
    (status = 200, body = GpioStatus), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn status(State(gpio): State<Gpio>) -> ApiJson<GpioStatus> {
    ApiJson(gpio.status())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PressRequest {
    press: Press,
}

/// Presses the simulated button (the demo's; a real one is pressed by hand).
#[utoipa::path(post, path = "/gpio/button", tag = "gpio", security(("session" = ["admin"])), request_body = PressRequest, responses(
    (status = 200, body = GpioStatus), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn press(
    State(gpio): State<Gpio>,
    ApiJson(req): ApiJson<PressRequest>,
) -> Result<ApiJson<GpioStatus>, AppError> {
    gpio.press(req.press)?;
    Ok(ApiJson(gpio.status()))
}
