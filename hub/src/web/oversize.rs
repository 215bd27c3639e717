//! Oversize request bodies. A 413 sent while the client is still writing its body makes the
//! kernel reset the connection over the unread bytes, and the client then sees a transport
//! error instead of our JSON answer. So a body whose declared length is over the limit is
//! read and thrown away (up to a bound and a deadline) before the 413 goes out, and every 413
//! closes its connection so no client reuses a half-read stream.
//!
//! The byte limits themselves are `DefaultBodyLimit` layers on the router (a larger one on
//! the file-upload routes); this only shapes the refusal, with the same two limits.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::error::AppError;

/// Declared bodies up to this size are drained before the refusal; larger ones are refused
/// at once (the sender is not a confused client but a flood, and a reset is what it earns).
const DRAIN_AT_MOST: u64 = 8 * 1024 * 1024;
const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// The body limits the router enforces: chat file uploads may be larger, system bundles
/// larger still.
#[derive(Clone, Copy)]
pub(super) struct BodyLimits {
    pub default: usize,
    pub uploads: usize,
    pub bundles: u64,
}

/// The routes that take a system image (an update bundle) end in /bundle.
pub(super) fn is_bundle(req: &Request) -> bool {
    req.method() == axum::http::Method::POST && req.uri().path().ends_with("/bundle")
}

pub(super) async fn refuse_oversize(
    State(limits): State<BodyLimits>,
    req: Request,
    next: Next,
) -> Response {
    // The only routes that take raw files end in /attachments.
    let upload =
        req.method() == axum::http::Method::POST && req.uri().path().ends_with("/attachments");
    let max_body = if is_bundle(&req) {
        limits.bundles
    } else if upload {
        limits.uploads as u64
    } else {
        limits.default as u64
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut response = match declared {
        Some(len) if len > max_body => {
            if len <= DRAIN_AT_MOST {
                let drained =
                    tokio::time::timeout(DRAIN_DEADLINE, drain(req.into_body(), len)).await;
                if drained.is_err() {
                    tracing::debug!("An oversize body was not sent in time; refusing anyway.");
                }
            }
            AppError::PayloadTooLarge.into_response()
        }
        _ => next.run(req).await,
    };
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Reads and drops up to `at_most` bytes; stops early on the body's end or an error.
async fn drain(mut body: Body, at_most: u64) {
    let mut seen: u64 = 0;
    while seen <= at_most {
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    seen += data.len() as u64;
                }
            }
            _ => return,
        }
    }
}
