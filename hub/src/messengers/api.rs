//! The messengers' HTTP edge: the platforms' webhooks (`/hooks/<platform>`, public, each
//! verified by the service), the owner's platform settings under `/admin/messengers`, a
//! member's linked accounts and notification choices under `/account/…`, and the deep
//! links guest surfaces offer.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{
    BotInfo, Choices, GuestLink, LinkOffer, MessengerError, Messengers, NewBot, Platform,
    PlatformStatus, ReplyWindow, StaffLink,
};
use crate::team::Staff;
use crate::web::{ApiJson, AppError};

impl From<MessengerError> for AppError {
    fn from(e: MessengerError) -> AppError {
        match e {
            MessengerError::Store(e) => e.into(),
            MessengerError::NotFound => AppError::NotFound,
            MessengerError::NotConnected(_) => AppError::bad("not_connected", e.to_string()),
            MessengerError::Invalid(m) => AppError::bad("invalid", m),
            MessengerError::Unverified => AppError::BadSignature(e.to_string()),
            MessengerError::TooMany(s) => AppError::TooManyRequests {
                retry_after_secs: s,
            },
            MessengerError::Platform(m) => AppError::Device {
                code: "platform_refused",
                message: format!("the platform refused: {m}"),
            },
            MessengerError::NoPublicAddress => AppError::Conflict(e.to_string()),
            MessengerError::Seal(m) => AppError::Internal(m),
            MessengerError::Decode(d) => AppError::bad("invalid_webhook", d.to_string()),
        }
    }
}

fn platform(name: &str) -> Result<Platform, AppError> {
    Platform::parse(name).ok_or(AppError::NotFound)
}

/// The webhooks and the media Viber fetches: outside `/api/v1`, as platforms are told.
pub fn hook_routes() -> OpenApiRouter<Messengers> {
    OpenApiRouter::new()
        .routes(routes!(subscribe_check, webhook))
        .routes(routes!(gateway_webhook))
        .routes(routes!(media))
}

/// Any member: their own accounts and choices, and a conversation's reply window.
pub fn routes() -> OpenApiRouter<Messengers> {
    OpenApiRouter::new()
        .routes(routes!(my_notifications, set_my_notifications))
        .routes(routes!(link_code, unlink))
        .routes(routes!(guest_links))
        .routes(routes!(reply_window))
}

/// The owner's and admins' platform settings.
pub fn admin_routes() -> OpenApiRouter<Messengers> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(connect, disconnect))
        .routes(routes!(test))
}

#[derive(Deserialize, IntoParams)]
struct Subscribe {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's subscription check (WhatsApp, Messenger): the challenge echoed when the verify
/// token is the hub's.
#[utoipa::path(get, path = "/hooks/{platform}", tag = "messengers", params(Subscribe),
    responses((status = 200, body = String), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn subscribe_check(
    State(m): State<Messengers>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    Query(q): Query<Subscribe>,
) -> Result<Response, AppError> {
    let challenge = m.subscribe_check(
        platform(&name)?,
        q.mode.as_deref(),
        q.verify_token.as_deref(),
        q.challenge.as_deref(),
        peer.ip(),
    )?;
    Ok(([(header::CONTENT_TYPE, "text/plain")], challenge).into_response())
}

/// A platform's webhook, verified over its raw body (Telegram's secret-token header,
/// Viber's content signature, Meta's `X-Hub-Signature-256`); 200 once what it brought is
/// stored.
#[utoipa::path(post, path = "/hooks/{platform}", tag = "messengers",
    request_body(content = String, content_type = "application/json"),
    responses((status = 200), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody),
        (status = 429, body = crate::web::ErrorBody)))]
async fn webhook(
    State(m): State<Messengers>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let p = platform(&name)?;
    m.webhook(p, false, (&headers, &body), peer.ip()).await?;
    Ok(StatusCode::OK)
}

/// An update of the cloud relay's shared bot, forwarded over the hub's link and signed by
/// the relay with this hub's secret (`X-Relay-Signature`); 200 once stored.
#[utoipa::path(post, path = "/hooks/gateway/{platform}", tag = "messengers",
    request_body(content = String, content_type = "application/json"),
    responses((status = 200), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn gateway_webhook(
    State(m): State<Messengers>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    m.webhook(platform(&name)?, true, (&headers, &body), peer.ip())
        .await?;
    Ok(StatusCode::OK)
}

/// A file the team sent a Viber guest, fetched by Viber at the signed address it was given.
#[utoipa::path(get, path = "/hooks/viber/media/{visitor}/{attachment}/{signature}",
    tag = "messengers",
    responses((status = 200, content_type = "application/octet-stream"),
        (status = 404, body = crate::web::ErrorBody)))]
async fn media(
    State(m): State<Messengers>,
    Path((visitor, attachment, signature)): Path<(i64, i64, String)>,
) -> Result<Response, AppError> {
    let (bytes, content_type) = m.media(visitor, attachment, &signature).await?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

#[derive(Serialize, ToSchema)]
struct MyNotifications {
    choices: Choices,
    /// This member's linked messenger accounts.
    links: Vec<StaffLink>,
    /// Platforms the property connected that a member can link.
    linkable: Vec<Platform>,
}

/// The signed-in member's notification choices and linked accounts.
#[utoipa::path(get, path = "/account/notifications", tag = "team", security(("session" = [])),
    responses((status = 200, body = MyNotifications), (status = 401, body = crate::web::ErrorBody)))]
async fn my_notifications(
    State(m): State<Messengers>,
    staff: Staff,
) -> Result<ApiJson<MyNotifications>, AppError> {
    let id = staff.member.id;
    Ok(ApiJson(MyNotifications {
        choices: m.choices(id).await?,
        links: m.staff_links(id).await?,
        linkable: m
            .status()
            .into_iter()
            .filter(|s| s.connected && s.platform != Platform::Whatsapp)
            .map(|s| s.platform)
            .collect(),
    }))
}

/// Saves the signed-in member's notification choices.
#[utoipa::path(put, path = "/account/notifications", tag = "team", security(("session" = [])),
    request_body = Choices,
    responses((status = 200, body = Choices), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody)))]
async fn set_my_notifications(
    State(m): State<Messengers>,
    staff: Staff,
    ApiJson(c): ApiJson<Choices>,
) -> Result<ApiJson<Choices>, AppError> {
    Ok(ApiJson(m.set_choices(staff.member.id, c).await?))
}

/// A one-time code (ten minutes) and the deep link that links the member's own account
/// on `platform` to the property's bot.
#[utoipa::path(post, path = "/account/messengers/{platform}", tag = "team",
    security(("session" = [])),
    responses((status = 200, body = LinkOffer), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn link_code(
    State(m): State<Messengers>,
    staff: Staff,
    Path(name): Path<String>,
) -> Result<ApiJson<LinkOffer>, AppError> {
    Ok(ApiJson(m.link_code(staff.member.id, platform(&name)?)?))
}

/// Unlinks the member's account on `platform`.
#[utoipa::path(delete, path = "/account/messengers/{platform}", tag = "team",
    security(("session" = [])),
    responses((status = 204), (status = 401, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn unlink(
    State(m): State<Messengers>,
    staff: Staff,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    m.unlink(staff.member.id, platform(&name)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
struct LinksFor {
    /// The guest's language (`ru`), for WhatsApp's filled-in text.
    #[serde(default)]
    lang: String,
}

/// The messengers the property offers guests, as deep links without a unit (the website
/// widget's channels panel); a unit's page carries its own.
#[utoipa::path(get, path = "/messengers/links", tag = "chat", params(LinksFor),
    responses((status = 200, body = Vec<GuestLink>)))]
async fn guest_links(
    State(m): State<Messengers>,
    Query(q): Query<LinksFor>,
) -> ApiJson<Vec<GuestLink>> {
    ApiJson(m.guest_links(None, &q.lang))
}

/// A messenger dialogue's platform and, on WhatsApp and Messenger, until when the team's
/// free text reaches the guest (24 hours after their last message); `null` for other
/// dialogues.
#[utoipa::path(get, path = "/messengers/dialogues/{id}", tag = "chat", security(("session" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = Option<ReplyWindow>), (status = 401, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn reply_window(
    State(m): State<Messengers>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<ApiJson<Option<ReplyWindow>>, AppError> {
    Ok(ApiJson(m.reply_window(&staff.member, id).await?))
}

/// Every platform and its state.
#[utoipa::path(get, path = "/messengers", tag = "messengers", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<PlatformStatus>), (status = 401, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn list(State(m): State<Messengers>) -> ApiJson<Vec<PlatformStatus>> {
    ApiJson(m.status())
}

/// Connects the property's own bot, number or page on `platform` (checked with the
/// platform first; its webhook set to the hub's public address where the platform allows).
#[utoipa::path(put, path = "/messengers/{platform}", tag = "messengers",
    security(("session" = ["admin"])), request_body = NewBot,
    responses((status = 200, body = PlatformStatus), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody),
        (status = 503, body = crate::web::ErrorBody)))]
async fn connect(
    State(m): State<Messengers>,
    Path(name): Path<String>,
    ApiJson(new): ApiJson<NewBot>,
) -> Result<ApiJson<PlatformStatus>, AppError> {
    Ok(ApiJson(m.connect(platform(&name)?, new).await?))
}

/// Disconnects `platform`; its conversations stay.
#[utoipa::path(delete, path = "/messengers/{platform}", tag = "messengers",
    security(("session" = ["admin"])),
    responses((status = 204), (status = 401, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn disconnect(
    State(m): State<Messengers>,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    m.disconnect(platform(&name)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Asks the platform who these credentials belong to, without saving them.
#[utoipa::path(post, path = "/messengers/{platform}/test", tag = "messengers",
    security(("session" = ["admin"])), request_body = NewBot,
    responses((status = 200, body = BotInfo), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody),
        (status = 503, body = crate::web::ErrorBody)))]
async fn test(
    State(m): State<Messengers>,
    Path(name): Path<String>,
    ApiJson(new): ApiJson<NewBot>,
) -> Result<ApiJson<BotInfo>, AppError> {
    Ok(ApiJson(m.test(platform(&name)?, new).await?))
}
