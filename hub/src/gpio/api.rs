//! The box's lines over HTTP, for owners and admins: what the LED says, the lines in use
//! and the last button press; the demo's virtual button.

use axum::extract::State;
use serde::Deserialize;
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

/// The status LED's signal, the lines in use and the last press of the button.
#[utoipa::path(get, path = "/gpio", tag = "gpio", responses(
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
#[utoipa::path(post, path = "/gpio/button", tag = "gpio", request_body = PressRequest, responses(
    (status = 200, body = GpioStatus), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn press(
    State(gpio): State<Gpio>,
    ApiJson(req): ApiJson<PressRequest>,
) -> Result<ApiJson<GpioStatus>, AppError> {
    gpio.press(req.press)?;
    Ok(ApiJson(gpio.status()))
}
