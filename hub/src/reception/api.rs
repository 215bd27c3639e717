//! The Online Reception over HTTP: the guest page `/r/{slug}` for anyone with its address,
//! a guest's own stay opened by its link `/s/{token}` or by reference and surname, a stay's
//! link for staff to send, and for admins the units' page addresses, the design, the places directory and the QR
//! codes (PNG and SVG) of each unit's page and of the Wi-Fi network.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::design::Design;
use super::{
    qr, words, LinkOutcome, Opened, PageNotice, Place, Reception, ReceptionError, StayLink,
    UnitPage, UnitStay, Visit,
};
use crate::team::Staff;
use crate::web::{ApiJson, AppError};

impl From<ReceptionError> for AppError {
    fn from(e: ReceptionError) -> AppError {
        match e {
            ReceptionError::Invalid(why) => AppError::bad("invalid", why),
            ReceptionError::NotFound => AppError::NotFound,
            ReceptionError::Taken(why) => AppError::Conflict(why),
            ReceptionError::TooMany(secs) => AppError::TooManyRequests {
                retry_after_secs: secs,
            },
            ReceptionError::Store(e) => AppError::Internal(e.to_string()),
            ReceptionError::Internal(why) => AppError::Internal(why),
        }
    }
}

impl From<qr::QrError> for AppError {
    fn from(e: qr::QrError) -> AppError {
        match e {
            qr::QrError::TooLong => AppError::bad("too_long", e.to_string()),
            qr::QrError::Image(why) => AppError::Internal(why),
        }
    }
}

pub fn page_routes() -> OpenApiRouter<Reception> {
    OpenApiRouter::new()
        .routes(routes!(super::page_api::guest_page))
        .routes(routes!(super::page_api::property_page))
        .routes(routes!(theme))
        .routes(routes!(open_by_reference, back_to_page))
        .routes(routes!(open_link))
        .routes(routes!(super::weather_api::weather_here))
}

/// The form's address opened again (from history, or a phone restoring its tab): back to
/// the unit's page, rather than a browser error.
#[utoipa::path(get, path = "/r/{slug}/stay", tag = "reception", params(("slug" = String, Path), PageQuery),
    responses((status = 303, description = "To the unit's page")))]
async fn back_to_page(Path(slug): Path<String>, Query(q): Query<PageQuery>) -> Redirect {
    let slug: String = slug
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(64)
        .collect();
    match q
        .lang
        .as_deref()
        .filter(|l| words::ALL.iter().any(|w| w.tag == *l))
    {
        Some(lang) => Redirect::to(&format!("/r/{slug}?lang={lang}")),
        None => Redirect::to(&format!("/r/{slug}")),
    }
}

/// What staff do for a guest's stay.
pub fn routes() -> OpenApiRouter<Reception> {
    OpenApiRouter::new()
        .routes(routes!(stay_link))
        .routes(routes!(addresses))
        .routes(routes!(unit_now))
}

/// The unit whose guest page is at `slug` and the stay under way there, for the visitor
/// card of a guest writing from that page.
#[utoipa::path(get, path = "/reception/pages/{slug}/now", tag = "reception", security(("session" = [])),
    params(("slug" = String, Path)),
    responses((status = 200, body = UnitStay), (status = 401, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn unit_now(
    State(reception): State<Reception>,
    _staff: Staff,
    Path(slug): Path<String>,
) -> Result<ApiJson<UnitStay>, AppError> {
    Ok(ApiJson(reception.unit_now(&slug).await?))
}

/// Where a guest's opened stay is kept: this browser only, the guest pages only.
pub(super) const STAY_COOKIE: &str = "hub_stay";

fn stay_cookie(opened: &Opened) -> Cookie<'static> {
    Cookie::build((STAY_COOKIE, opened.token.clone()))
        .path("/r/")
        .http_only(true)
        // Lax: the link arrives from a messenger or e-mail, another site.
        .same_site(SameSite::Lax)
        .max_age(time::Duration::seconds(opened.seconds_left.max(0)))
        .build()
}

pub(super) fn accept_language(headers: &HeaderMap) -> &str {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

pub(super) fn html_page(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::VARY, "Accept-Language, Cookie"),
        ],
        Html(html),
    )
        .into_response()
}

/// A stay link the hotel sent: opens the guest's stay in this browser and leads to their
/// unit's page; a page that says so once the stay has ended.
#[utoipa::path(get, path = "/s/{token}", tag = "reception", params(("token" = String, Path)),
    responses((status = 303, description = "To the unit's page, the stay opened"),
        (status = 404, description = "No link the hub made: cut short or mistyped (HTML)"),
        (status = 410, description = "The stay has ended (HTML)")))]
async fn open_link(
    State(reception): State<Reception>,
    Path(token): Path<String>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let accept = accept_language(&headers);
    match reception.open_link(&token).await? {
        LinkOutcome::Opened(opened) => {
            Ok((jar.add(stay_cookie(&opened)), Redirect::to(&opened.path)).into_response())
        }
        LinkOutcome::Ended => Ok(html_page(StatusCode::GONE, reception.link_expired(accept))),
        LinkOutcome::Unknown => Ok(html_page(
            StatusCode::NOT_FOUND,
            reception.link_unknown(accept),
        )),
    }
}

#[derive(Deserialize, ToSchema)]
struct StayForm {
    reference: String,
    surname: String,
}

/// The unit page's form: a booking reference and surname open the guest's stay on this
/// unit (ten wrong tries a quarter of an hour per address).
#[utoipa::path(post, path = "/r/{slug}/stay", tag = "reception", params(("slug" = String, Path), PageQuery),
    request_body(content = StayForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 303, description = "To the unit's page, the stay opened"),
        (status = 200, description = "The page again, saying what was wrong (HTML)"),
        (status = 404, description = "No unit has this address (HTML)")))]
async fn open_by_reference(
    State(reception): State<Reception>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(form): Form<StayForm>,
) -> Result<Response, AppError> {
    let accept = accept_language(&headers);
    let chosen = q.lang.as_deref().filter(|l| l.len() <= 16);
    let from = peer.ip().to_string();
    let notice = match reception
        .open_by_reference(&slug, &form.reference, &form.surname, &from)
        .await
    {
        Ok(Some(opened)) => {
            let to = match chosen {
                Some(lang) if words::ALL.iter().any(|w| w.tag == lang) => {
                    format!("{}?lang={lang}", opened.path)
                }
                _ => opened.path.clone(),
            };
            return Ok((jar.add(stay_cookie(&opened)), Redirect::to(&to)).into_response());
        }
        Ok(None) => PageNotice::StayNotFound,
        Err(ReceptionError::TooMany(_)) => PageNotice::TooMany,
        Err(e) => return Err(e.into()),
    };
    let stay = jar.get(STAY_COOKIE).map(|c| c.value().to_owned());
    let typed: (String, String) = (
        form.reference.chars().take(64).collect(),
        form.surname.chars().take(80).collect(),
    );
    let visit = Visit {
        slug: &slug,
        chosen,
        accept_language: accept,
        stay: stay.as_deref(),
        notice,
        typed: Some((&typed.0, &typed.1)),
        preview: None,
    };
    match reception.page(&visit).await? {
        Some(html) => Ok(html_page(StatusCode::OK, html)),
        None => Ok(html_page(
            StatusCode::NOT_FOUND,
            reception.not_found(chosen, accept),
        )),
    }
}

/// A new link to a stay for its guest (to copy into a message); it works until check-out.
#[utoipa::path(post, path = "/reception/stays/{id}/link", tag = "reception", security(("session" = [])),
    params(("id" = i64, Path, description = "The reservation's id")),
    responses((status = 200, body = StayLink), (status = 400, body = crate::web::ErrorBody),
        (status = 401, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn stay_link(
    State(reception): State<Reception>,
    _staff: Staff,
    Path(id): Path<i64>,
) -> Result<ApiJson<StayLink>, AppError> {
    Ok(ApiJson(reception.stay_link(id).await?))
}

/// The guest pages' colours as a style sheet; each version (`v`, which the page names) is
/// kept by browsers for good; a preview's is not kept.
#[utoipa::path(get, path = "/r/theme.css", tag = "reception", params(ThemeQuery),
    responses((status = 200, description = "text/css")))]
async fn theme(
    State(reception): State<Reception>,
    Query(q): Query<ThemeQuery>,
) -> Result<Response, AppError> {
    let preview = q.preview.as_deref().filter(|p| p.len() <= 64);
    let cache = if preview.is_some() {
        "no-store"
    } else {
        "public, max-age=31536000, immutable"
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        reception.theme(preview).await?,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
struct Preview {
    /// Name it as `preview` on the page's address: `/r/{slug}?preview={id}`.
    id: String,
}

/// Keeps an unsaved design a quarter of an hour for the editor's preview.
#[utoipa::path(post, path = "/reception/preview", tag = "reception", security(("session" = ["admin"])),
    request_body = Design,
    responses((status = 200, body = Preview), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn preview(
    State(reception): State<Reception>,
    ApiJson(design): ApiJson<Design>,
) -> Result<ApiJson<Preview>, AppError> {
    Ok(ApiJson(Preview {
        id: reception.preview(design)?,
    }))
}

pub fn admin_routes() -> OpenApiRouter<Reception> {
    OpenApiRouter::new()
        .routes(routes!(list_pages))
        .routes(routes!(set_slug))
        .routes(routes!(get_design, put_design))
        .routes(routes!(preview))
        .routes(routes!(list_places, add_place))
        .routes(routes!(edit_place, delete_place))
        .routes(routes!(order_places))
        .routes(routes!(page_qr))
        .routes(routes!(wifi_qr))
        .routes(routes!(property_qr))
        .merge(super::plates::api::admin_routes())
}

#[derive(Deserialize, IntoParams)]
pub(super) struct PageQuery {
    /// The guest's choice of language (the page's switch), e.g. "ru".
    pub(super) lang: Option<String>,
    /// The editor's unsaved design to show instead of the saved one.
    pub(super) preview: Option<String>,
}

#[derive(Deserialize, IntoParams)]
struct ThemeQuery {
    /// The editor's unsaved design whose colours to give.
    preview: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Addresses {
    /// Where guests' phones reach the hub, `http://<LAN address>:<port>`, the default first.
    addresses: Vec<String>,
}

/// The hub's addresses guests' phones can open, for QR codes and links.
#[utoipa::path(get, path = "/reception/addresses", tag = "reception", security(("session" = [])),
    responses((status = 200, body = Addresses), (status = 401, body = crate::web::ErrorBody)))]
async fn addresses(State(reception): State<Reception>, _staff: Staff) -> ApiJson<Addresses> {
    ApiJson(Addresses {
        addresses: reception.addresses().to_vec(),
    })
}

/// Every unit's guest page address.
#[utoipa::path(get, path = "/reception/pages", tag = "reception", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<UnitPage>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_pages(
    State(reception): State<Reception>,
) -> Result<ApiJson<Vec<UnitPage>>, AppError> {
    Ok(ApiJson(reception.pages().await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewSlug {
    slug: String,
}

/// Moves a unit's page to a new address; the old one stops answering.
#[utoipa::path(put, path = "/reception/pages/{id}", tag = "reception", security(("session" = ["admin"])),
    params(("id" = i64, Path, description = "The unit's room id")), request_body = NewSlug,
    responses((status = 200, body = UnitPage), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody),
        (status = 409, body = crate::web::ErrorBody)))]
async fn set_slug(
    State(reception): State<Reception>,
    Path(room_id): Path<i64>,
    ApiJson(req): ApiJson<NewSlug>,
) -> Result<ApiJson<UnitPage>, AppError> {
    Ok(ApiJson(reception.set_slug(room_id, &req.slug).await?))
}

/// The guest page's design.
#[utoipa::path(get, path = "/reception/design", tag = "reception", security(("session" = ["admin"])),
    responses((status = 200, body = Design), (status = 403, body = crate::web::ErrorBody)))]
async fn get_design(State(reception): State<Reception>) -> Result<ApiJson<Design>, AppError> {
    Ok(ApiJson(reception.design().await?))
}

/// Saves the guest page's design.
#[utoipa::path(put, path = "/reception/design", tag = "reception", security(("session" = ["admin"])),
    request_body = Design,
    responses((status = 200, body = Design), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn put_design(
    State(reception): State<Reception>,
    ApiJson(design): ApiJson<Design>,
) -> Result<ApiJson<Design>, AppError> {
    Ok(ApiJson(reception.put_design(design).await?))
}

/// The guest services directory in the owner's order.
#[utoipa::path(get, path = "/reception/places", tag = "reception", security(("session" = ["admin"])),
    responses((status = 200, body = Vec<Place>), (status = 403, body = crate::web::ErrorBody)))]
async fn list_places(State(reception): State<Reception>) -> Result<ApiJson<Vec<Place>>, AppError> {
    Ok(ApiJson(reception.places().await?))
}

/// Adds a place at the end of the directory.
#[utoipa::path(post, path = "/reception/places", tag = "reception", security(("session" = ["admin"])),
    request_body = Place,
    responses((status = 201, body = Place), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn add_place(
    State(reception): State<Reception>,
    ApiJson(place): ApiJson<Place>,
) -> Result<(StatusCode, ApiJson<Place>), AppError> {
    Ok((
        StatusCode::CREATED,
        ApiJson(reception.add_place(place).await?),
    ))
}

/// Changes a place.
#[utoipa::path(put, path = "/reception/places/{id}", tag = "reception", security(("session" = ["admin"])),
    params(("id" = i64, Path)), request_body = Place,
    responses((status = 200, body = Place), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn edit_place(
    State(reception): State<Reception>,
    Path(id): Path<i64>,
    ApiJson(place): ApiJson<Place>,
) -> Result<ApiJson<Place>, AppError> {
    Ok(ApiJson(reception.edit_place(id, place).await?))
}

/// Removes a place.
#[utoipa::path(delete, path = "/reception/places/{id}", tag = "reception", security(("session" = ["admin"])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn delete_place(
    State(reception): State<Reception>,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    reception.delete_place(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PlaceOrder {
    ids: Vec<i64>,
}

/// Puts the directory in the given order.
#[utoipa::path(put, path = "/reception/places-order", tag = "reception", security(("session" = ["admin"])),
    request_body = PlaceOrder,
    responses((status = 200, body = Vec<Place>), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn order_places(
    State(reception): State<Reception>,
    ApiJson(req): ApiJson<PlaceOrder>,
) -> Result<ApiJson<Vec<Place>>, AppError> {
    Ok(ApiJson(reception.order_places(req.ids).await?))
}

#[derive(Deserialize, IntoParams)]
struct QrQuery {
    /// `png` (default) or `svg`.
    format: Option<String>,
    /// The address phones open, e.g. `http://192.168.1.20:8080` (a name phones resolve;
    /// `hub.local` fails on some Android browsers); the hub's first LAN address by default.
    base: Option<String>,
}

fn image(text: &str, format: Option<&str>) -> Result<Response, AppError> {
    match format.unwrap_or("png") {
        "png" => Ok(([(header::CONTENT_TYPE, "image/png")], qr::png(text, 8)?).into_response()),
        "svg" => Ok((
            [(header::CONTENT_TYPE, "image/svg+xml")],
            qr::svg(text, 400)?,
        )
            .into_response()),
        _ => Err(AppError::bad("invalid", "format is png or svg")),
    }
}

/// The QR code of a unit's guest page address.
#[utoipa::path(get, path = "/reception/pages/{id}/qr", tag = "reception", security(("session" = ["admin"])),
    params(("id" = i64, Path, description = "The unit's room id"), QrQuery),
    responses((status = 200, description = "image/png or image/svg+xml"), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn page_qr(
    State(reception): State<Reception>,
    Path(id): Path<i64>,
    Query(q): Query<QrQuery>,
) -> Result<Response, AppError> {
    let page = reception.page_of(id).await?;
    let url = format!("{}{}", base_url(q.base.as_deref(), &reception)?, page.path);
    image(&url, q.format.as_deref())
}

/// The QR code of the property's own guest page, `/r/` (the lobby's, the website's).
#[utoipa::path(get, path = "/reception/property/qr", tag = "reception", security(("session" = ["admin"])),
    params(QrQuery),
    responses((status = 200, description = "image/png or image/svg+xml"), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn property_qr(
    State(reception): State<Reception>,
    Query(q): Query<QrQuery>,
) -> Result<Response, AppError> {
    let url = format!("{}/r/", base_url(q.base.as_deref(), &reception)?);
    image(&url, q.format.as_deref())
}

/// The QR code phones join the Wi-Fi network from (`WIFI:` payload).
#[utoipa::path(get, path = "/reception/wifi/qr", tag = "reception", security(("session" = ["admin"])),
    params(QrQuery),
    responses((status = 200, description = "image/png or image/svg+xml"), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn wifi_qr(
    State(reception): State<Reception>,
    Query(q): Query<QrQuery>,
) -> Result<Response, AppError> {
    let payload = reception.wifi_payload().await?.ok_or_else(|| {
        AppError::bad(
            "no_wifi",
            "set the Wi-Fi network in the page's design first",
        )
    })?;
    image(&payload, q.format.as_deref())
}

/// The origin QR codes point at: `base` when given (an http(s) origin), else the hub's
/// first address on the LAN.
pub(crate) fn base_url(base: Option<&str>, reception: &Reception) -> Result<String, AppError> {
    let bad = || {
        AppError::bad(
            "invalid",
            "base is an http(s) address like http://192.168.1.20:8080",
        )
    };
    let text = match base {
        Some(b) => b.to_owned(),
        None => reception.addresses().first().cloned().ok_or_else(bad)?,
    };
    let url = url::Url::parse(&text).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.query().is_some()
    {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}
