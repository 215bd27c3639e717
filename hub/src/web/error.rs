//! `AppError`: every failure a handler can answer with, rendered as
//! `{"error":{"code":…,"message":…}}` with the matching status. Also the JSON extractor
//! that turns malformed or oversize bodies into such errors instead of axum's plain text.

use axum::extract::rejection::JsonRejection;
use axum::extract::FromRequest;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("sign in first")]
    Unauthorized,
    #[error("wrong e-mail or password")]
    WrongCredentials,
    #[error("your role does not allow this")]
    Forbidden,
    /// A page of another site asked (its `Origin` is not the hub's).
    #[error("requests from other sites are not accepted here")]
    ForeignOrigin,
    /// Staff sign in and work over HTTPS only; the message gives the secure address.
    #[error("staff sign in over HTTPS only: {0}")]
    HttpsRequired(String),
    /// A signed request (a webhook) whose signature does not verify.
    #[error("{0}")]
    BadSignature(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("the request body is larger than this hub accepts")]
    PayloadTooLarge,
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A device did not do what was asked: offline, bad key, not confirmed.
    #[error("{message}")]
    Device { code: &'static str, message: String },
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::WrongCredentials => (StatusCode::UNAUTHORIZED, "wrong_credentials"),
            AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::ForeignOrigin => (StatusCode::FORBIDDEN, "foreign_origin"),
            AppError::HttpsRequired(_) => (StatusCode::FORBIDDEN, "https_required"),
            AppError::BadSignature(_) => (StatusCode::FORBIDDEN, "bad_signature"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Gone(_) => (StatusCode::GONE, "gone"),
            AppError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::Device { code, .. } => (StatusCode::SERVICE_UNAVAILABLE, code),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let AppError::Internal(detail) = &self {
            // The detail goes to the log only; the client learns nothing of the internals.
            tracing::error!(error = %detail, "A request failed inside the hub.");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let AppError::TooManyRequests { retry_after_secs } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::Internal(e.to_string())
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> AppError {
        AppError::Internal(e.to_string())
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => AppError::UnsupportedMediaType,
            JsonRejection::BytesRejection(_)
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                AppError::PayloadTooLarge
            }
            JsonRejection::JsonSyntaxError(_) => {
                AppError::bad("malformed_json", rejection.body_text())
            }
            other => AppError::bad("invalid_body", other.body_text()),
        }
    }
}

/// `axum::Json`, but a bad body answers with an [`AppError`].
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
