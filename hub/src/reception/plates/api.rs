//! QR plates and stickers over HTTP, for admins: the design, the editor's preview of a
//! draft, one unit's or the Wi-Fi's plate as SVG, PNG or PDF, every plate in one PDF, and
//! the print view.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Output, PlateDesign, Subject};
use crate::reception::api::base_url;
use crate::reception::Reception;
use crate::web::{html_escape as esc, ApiJson, AppError};

pub fn admin_routes() -> OpenApiRouter<Reception> {
    OpenApiRouter::new()
        .routes(routes!(get_plate_design, put_plate_design))
        .routes(routes!(plate_preview))
        .routes(routes!(unit_plate))
        .routes(routes!(wifi_plate))
        .routes(routes!(property_plate))
        .routes(routes!(all_plates))
        .routes(routes!(print_view))
}

#[utoipa::path(get, path = "/reception/plate", tag = "reception", security(("session" = ["admin"])),
    responses((status = 200, body = PlateDesign), (status = 403, body = crate::web::ErrorBody)))]
async fn get_plate_design(
    State(reception): State<Reception>,
) -> Result<ApiJson<PlateDesign>, AppError> {
    Ok(ApiJson(reception.plate_design().await?))
}

#[utoipa::path(put, path = "/reception/plate", tag = "reception", security(("session" = ["admin"])),
    request_body = PlateDesign,
    responses((status = 200, body = PlateDesign), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn put_plate_design(
    State(reception): State<Reception>,
    ApiJson(design): ApiJson<PlateDesign>,
) -> Result<ApiJson<PlateDesign>, AppError> {
    Ok(ApiJson(reception.put_plate_design(design).await?))
}

#[derive(Deserialize, IntoParams)]
struct PlateQuery {
    /// `png` (default, 300 dpi), `svg` or `pdf`.
    format: Option<String>,
    /// The address phones open, e.g. `http://192.168.1.20:8080`; the hub's first LAN
    /// address by default.
    base: Option<String>,
}

fn output(format: Option<&str>) -> Result<Output, AppError> {
    match format.unwrap_or("png") {
        "png" => Ok(Output::Png),
        "svg" => Ok(Output::Svg),
        "pdf" => Ok(Output::Pdf),
        _ => Err(AppError::bad("invalid", "format is png, svg or pdf")),
    }
}

fn file(bytes: Vec<u8>, output: Output, name: &str) -> Response {
    let (kind, ext) = match output {
        Output::Png => ("image/png", "png"),
        Output::Svg => ("image/svg+xml", "svg"),
        Output::Pdf => ("application/pdf", "pdf"),
    };
    (
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}.{ext}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PlatePreview {
    design: PlateDesign,
    /// The unit whose plate to show; none for the Wi-Fi's, or the property's with `property`.
    room_id: Option<i64>,
    /// The property's own page's plate.
    #[serde(default)]
    property: bool,
    /// As for the plate's `base`.
    base: Option<String>,
}

/// A draft design drawn on a unit's (or the Wi-Fi's) plate, as SVG, for the editor.
#[utoipa::path(post, path = "/reception/plate/preview", tag = "reception", security(("session" = ["admin"])),
    request_body = PlatePreview,
    responses((status = 200, description = "image/svg+xml"), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody), (status = 404, body = crate::web::ErrorBody)))]
async fn plate_preview(
    State(reception): State<Reception>,
    ApiJson(p): ApiJson<PlatePreview>,
) -> Result<Response, AppError> {
    let base = base_url(p.base.as_deref(), &reception)?;
    let subject = match (p.room_id, p.property) {
        (Some(id), _) => Subject::Unit(id),
        (None, true) => Subject::Property,
        (None, false) => Subject::Wifi,
    };
    let svg = reception
        .plate(subject, Some(p.design), &base, Output::Svg)
        .await?;
    Ok(file(svg, Output::Svg, "preview"))
}

/// A unit's plate in the saved design.
#[utoipa::path(get, path = "/reception/pages/{id}/plate", tag = "reception", security(("session" = ["admin"])),
    params(("id" = i64, Path, description = "The unit's room id"), PlateQuery),
    responses((status = 200, description = "image/png, image/svg+xml or application/pdf"),
        (status = 400, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody),
        (status = 404, body = crate::web::ErrorBody)))]
async fn unit_plate(
    State(reception): State<Reception>,
    Path(id): Path<i64>,
    Query(q): Query<PlateQuery>,
) -> Result<Response, AppError> {
    let slug = reception.page_of(id).await?.slug;
    one_plate(&reception, Subject::Unit(id), &q, &format!("plate-{slug}")).await
}

/// One plate in the saved design, as the query asks, named `name` for the download.
async fn one_plate(
    reception: &Reception,
    subject: Subject,
    q: &PlateQuery,
    name: &str,
) -> Result<Response, AppError> {
    let (base, output) = (
        base_url(q.base.as_deref(), reception)?,
        output(q.format.as_deref())?,
    );
    let bytes = reception.plate(subject, None, &base, output).await?;
    Ok(file(bytes, output, name))
}

/// The Wi-Fi network's plate: its code, name and password.
#[utoipa::path(get, path = "/reception/wifi/plate", tag = "reception", security(("session" = ["admin"])),
    params(PlateQuery),
    responses((status = 200, description = "image/png, image/svg+xml or application/pdf"),
        (status = 400, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody)))]
async fn wifi_plate(
    State(reception): State<Reception>,
    Query(q): Query<PlateQuery>,
) -> Result<Response, AppError> {
    one_plate(&reception, Subject::Wifi, &q, "plate-wifi").await
}

/// The property's own page's plate (`/r/`): for the lobby, the desk or a leaflet.
#[utoipa::path(get, path = "/reception/property/plate", tag = "reception", security(("session" = ["admin"])),
    params(PlateQuery),
    responses((status = 200, description = "image/png, image/svg+xml or application/pdf"),
        (status = 400, body = crate::web::ErrorBody), (status = 403, body = crate::web::ErrorBody)))]
async fn property_plate(
    State(reception): State<Reception>,
    Query(q): Query<PlateQuery>,
) -> Result<Response, AppError> {
    one_plate(&reception, Subject::Property, &q, "plate-hotel").await
}

#[derive(Deserialize, IntoParams)]
struct SheetQuery {
    /// As for a plate's `base`.
    base: Option<String>,
}

/// Every unit's plate and the Wi-Fi's in one PDF: a page each, or stickers by the A4 sheet.
#[utoipa::path(get, path = "/reception/plates.pdf", tag = "reception", security(("session" = ["admin"])),
    params(SheetQuery),
    responses((status = 200, description = "application/pdf"), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn all_plates(
    State(reception): State<Reception>,
    Query(q): Query<SheetQuery>,
) -> Result<Response, AppError> {
    let base = base_url(q.base.as_deref(), &reception)?;
    let pdf = reception.plates_pdf(&base).await?;
    Ok(file(pdf, Output::Pdf, "plates"))
}

/// Every plate at its true size, page by page, to print from the browser.
#[utoipa::path(get, path = "/reception/plates/print", tag = "reception", security(("session" = ["admin"])),
    params(SheetQuery),
    responses((status = 200, description = "HTML"), (status = 400, body = crate::web::ErrorBody),
        (status = 403, body = crate::web::ErrorBody)))]
async fn print_view(
    State(reception): State<Reception>,
    Query(q): Query<SheetQuery>,
) -> Result<Html<String>, AppError> {
    let base = base_url(q.base.as_deref(), &reception)?;
    let (design, pages) = reception.plate_pages(&base).await?;
    // The sheet's named page in print.css (CSS Paged Media 3 §4) sets the paper.
    let (page, (w, h)) = super::paper(&design);
    let pdf = format!(
        "/api/v1/admin/reception/plates.pdf?base={}",
        url::form_urlencoded::byte_serialize(base.as_bytes()).collect::<String>()
    );
    let sheets: String = pages
        .iter()
        .map(|svg| format!("<div class=\"sheet {page}\">{svg}</div>"))
        .collect();
    Ok(Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>QR plates to print</title><link rel=\"stylesheet\" href=\"/admin/print.css\">\
         <script type=\"module\" src=\"/admin/print.js\"></script></head>\
         <body><div class=\"bar\"><button type=\"button\" id=\"print\">Print</button>\
         <a href=\"{pdf}\" download>Download PDF</a><span>{n} {pages_word} of {w} × {h} mm. \
         Print at actual size (100 %), not “fit to page”.</span></div>{sheets}</body></html>",
        pdf = esc(&pdf),
        n = pages.len(),
        pages_word = if pages.len() == 1 { "page" } else { "pages" },
    )))
}
