//! The guest's HTTP routes beside the socket: attachments up and down, the out-of-hours
//! contact form (a Lead, CHAT-9) and customer identification (CHAT-4). A guest is known by
//! the `x-guest-token` header the widget keeps; every route answers only about the
//! guest's own dialogues. Browsers on the hotel's site reach these from another origin,
//! so they allow any origin but never credentials.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api::{file_response, upload_name, Ack};
use super::guests::LeadForm;
use super::visitors::Visitor;
use super::Chat;
use crate::web::{ApiJson, AppError, ErrorBody};

pub fn routes() -> OpenApiRouter<Arc<Chat>> {
    OpenApiRouter::new()
        .routes(routes!(download))
        .routes(routes!(contact_form))
}

/// The route that takes a raw file (it gets the larger upload body limit).
pub fn upload_routes() -> OpenApiRouter<Arc<Chat>> {
    OpenApiRouter::new().routes(routes!(upload))
}

/// Guest messages, files and forms share one per-address rate limit.
fn count_guest_message(chat: &Chat, peer: &SocketAddr) -> Result<(), AppError> {
    chat.count_guest_message(peer.ip())
        .map_err(|secs| AppError::TooManyRequests {
            retry_after_secs: secs,
        })
}

/// A guest, by the token their browser keeps.
pub struct Guest(pub Visitor);

impl FromRequestParts<Arc<Chat>> for Guest {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, chat: &Arc<Chat>) -> Result<Guest, AppError> {
        let token = parts
            .headers
            .get("x-guest-token")
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(AppError::Unauthorized)?;
        let visitor = chat
            .guest_by_token(token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Guest(visitor))
    }
}

/// Send a file in the guest's dialogue (opening one if needed). The raw file is the body,
/// its name in `x-file-name`, an optional client id in `x-client-id`, and `x-consent: 1`
/// when the guest accepted the privacy policy (needed to open a dialogue when it is on).
#[utoipa::path(post, path = "/guest/attachments", tag = "guest", security(("guest" = [])),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Ack), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn upload(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Guest(visitor): Guest,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, ApiJson<Ack>), AppError> {
    count_guest_message(&chat, &peer)?;
    let client_id =
        super::clean_client_id(headers.get("x-client-id").and_then(|v| v.to_str().ok()))?;
    let name = upload_name(&headers);
    let consented = headers.get("x-consent").is_some_and(|v| v == "1");
    let p = chat
        .guest_upload(&visitor, peer.ip(), client_id, &body, &name, consented)
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(Ack {
            message: p.message,
            duplicate: p.duplicate,
        }),
    ))
}

/// A file from one of the guest's own dialogues.
#[utoipa::path(get, path = "/guest/attachments/{id}", tag = "guest", security(("guest" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "The file"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn download(
    State(chat): State<Arc<Chat>>,
    Guest(visitor): Guest,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let a = chat.guest_attachment(visitor.id, id).await?;
    let bytes = chat.attachment_bytes(&a).await?;
    Ok(file_response(&a, bytes))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactForm {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub phone: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LeadCreated {
    pub id: i64,
}

/// The out-of-hours contact form: stored as a Lead and e-mailed to the team.
#[utoipa::path(post, path = "/guest/leads", tag = "guest", security(("guest" = [])), request_body = ContactForm,
    responses((status = 201, body = LeadCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn contact_form(
    State(chat): State<Arc<Chat>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Guest(visitor): Guest,
    ApiJson(form): ApiJson<ContactForm>,
) -> Result<(StatusCode, ApiJson<LeadCreated>), AppError> {
    count_guest_message(&chat, &peer)?;
    let id = chat
        .leave_lead(
            &visitor,
            LeadForm {
                name: &form.name,
                email: &form.email,
                phone: &form.phone,
                message: &form.message,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, ApiJson(LeadCreated { id })))
}
