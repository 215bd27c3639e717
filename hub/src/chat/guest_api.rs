//! The guest's HTTP routes beside the socket: attachments up and down, the out-of-hours
//! contact form (a Lead, CHAT-9) and customer identification (CHAT-4). A guest is known by
//! the `x-guest-token` header the widget keeps; every route answers only about the
//! guest's own dialogues. Browsers on the hotel's site reach these from another origin,
//! so they allow any origin but never credentials.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::api::{upload_name, Ack};
use super::visitors::{self, Visitor};
use super::{attachments, db, ChatError};
use crate::team::secret;
use crate::web::{ApiJson, AppError, AppState, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(download))
        .routes(routes!(contact_form))
}

/// The route that takes a raw file (it gets the larger upload body limit).
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload))
}

/// Guest messages, files and forms share one per-address rate limit.
fn count_guest_message(state: &AppState, peer: &SocketAddr) -> Result<(), AppError> {
    state
        .limits
        .guest_messages
        .hit(&peer.ip().to_string(), Instant::now())
        .map_err(|secs| AppError::TooManyRequests {
            retry_after_secs: secs,
        })
}

/// A guest, by the token their browser keeps.
pub struct Guest(pub Visitor);

impl FromRequestParts<AppState> for Guest {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Guest, AppError> {
        let token = parts
            .headers
            .get("x-guest-token")
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(AppError::Unauthorized)?;
        let hash = secret::token_hash(token);
        let visitor = state
            .store
            .read(move |c| visitors::by_token_hash(c, &hash))
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
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Guest(visitor): Guest,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, ApiJson<Ack>), AppError> {
    count_guest_message(&state, &peer)?;
    let blocked_ip = peer.ip().to_string();
    if state
        .store
        .read(move |c| db::is_blocked(c, &blocked_ip))
        .await?
    {
        return Err(AppError::Forbidden);
    }
    let client_id =
        super::clean_client_id(headers.get("x-client-id").and_then(|v| v.to_str().ok()))?;
    let name = upload_name(&headers);
    let consented = headers.get("x-consent").is_some_and(|v| v == "1");
    let p = attachments::post_with_file(
        &state.config.data_dir,
        state.config.chat.max_attachment_bytes,
        &body,
        &name,
        |body, file| async move {
            let chat = &state.chat;
            chat.guest_post(visitor.id, client_id, &body, "web", consented, Some(file))
                .await
        },
    )
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
    State(state): State<AppState>,
    Guest(visitor): Guest,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let a = state
        .store
        .read(move |c| {
            let a = attachments::lookup(c, id)?;
            let d = db::dialogue(c, a.dialogue_id)?;
            // Another guest's file looks exactly like a missing one.
            if d.visitor_id != Some(visitor.id) {
                return Err(ChatError::NoSuchDialogue);
            }
            Ok(a)
        })
        .await?;
    attachments::serve(&state.config.data_dir, &a).await
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
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Guest(visitor): Guest,
    ApiJson(form): ApiJson<ContactForm>,
) -> Result<(StatusCode, ApiJson<LeadCreated>), AppError> {
    count_guest_message(&state, &peer)?;
    let name = crate::team::clean_name("name", &form.name, true)?;
    let email = crate::team::clean_email(&form.email)?;
    let message = super::clean_body(&form.message)?;
    let phone: String = form
        .phone
        .chars()
        .filter(|c| c.is_ascii_digit() || " +-()".contains(*c))
        .take(30)
        .collect();
    let now = state.clock.now_text();
    let (n, e, m, p, page) = (
        name.clone(),
        email.clone(),
        message.clone(),
        phone.clone(),
        visitor.page_url.clone(),
    );
    let id = state
        .store
        .write(move |c| {
            c.execute(
                "INSERT INTO leads (visitor_id, name, email, phone, message, page_url, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![visitor.id, n, e, p, m, page, now],
            )?;
            c.execute(
                "UPDATE visitors SET name = CASE WHEN name = '' THEN ?2 ELSE name END, \
                 email = CASE WHEN email = '' THEN ?3 ELSE email END WHERE id = ?1",
                rusqlite::params![visitor.id, n, e],
            )?;
            Ok::<_, ChatError>(c.last_insert_rowid())
        })
        .await?;
    state.chat.bus.team_send(super::bus::TeamEvent::Notice {
        kind: "lead",
        text: format!("New contact form from {name}"),
    });
    if let Some(mailer) = state.mailer.clone() {
        let store = state.store.clone();
        let text = format!(
            "A guest left a message outside working hours.\n\nName: {name}\nE-mail: {email}\nPhone: {phone}\n\n{message}\n"
        );
        tokio::spawn(async move {
            super::notify_team(&store, &mailer, "New contact form", &text).await;
        });
    }
    Ok((StatusCode::CREATED, ApiJson(LeadCreated { id })))
}
