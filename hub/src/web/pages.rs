//! The browser apps' pages and files from `kiosk-ui/` (embedded in release builds, read from
//! disk in debug builds), the local CA certificate, and `/healthz`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::RustEmbed;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppError;
use crate::store::Store;

/// What the pages read: the store (for `/healthz`) and the local CA to offer.
#[derive(Clone)]
pub struct Pages {
    pub store: Store,
    /// The local CA's certificate in PEM; none with a certificate of one's own.
    pub ca_pem: Option<Arc<str>>,
}

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../kiosk-ui/"]
struct Ui;

pub(super) fn routes() -> OpenApiRouter<Pages> {
    OpenApiRouter::new()
        .routes(routes!(setup_page))
        .routes(routes!(invite_page))
        .routes(routes!(admin_page))
        .routes(routes!(kiosk_page))
        .routes(routes!(ca_certificate))
        .routes(routes!(healthz))
        .routes(routes!(widget_script))
        .routes(routes!(messenger_page))
        .routes(routes!(favicon))
}

/// The hub's icon, where browsers look for it by default.
#[utoipa::path(get, path = "/favicon.ico", tag = "pages", responses((status = 200, description = "The icon (SVG)")))]
async fn favicon() -> Response {
    file("messenger/icon.svg")
}

#[utoipa::path(get, path = "/messenger/", tag = "pages", responses((status = 200, description = "The Team Messenger (PWA)")))]
async fn messenger_page() -> Response {
    file("messenger/index.html")
}

/// The chat widget's loader, for the hotel's own website (any origin may load it).
#[utoipa::path(get, path = "/widget.js", tag = "pages", responses((status = 200, description = "JavaScript")))]
async fn widget_script() -> Response {
    let mut response = file("widget/widget.js");
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        header::HeaderValue::from_static("*"),
    );
    response
}

#[utoipa::path(get, path = "/setup", tag = "pages", responses((status = 200, description = "The set-up page")))]
async fn setup_page() -> Response {
    file("admin/setup.html")
}

#[utoipa::path(get, path = "/invite/{token}", tag = "pages",
    params(("token" = String, Path, description = "The invite token")),
    responses((status = 200, description = "The page where an invited member sets a password")))]
async fn invite_page() -> Response {
    file("admin/invite.html")
}

#[utoipa::path(get, path = "/admin/", tag = "pages", responses((status = 200, description = "The admin app")))]
async fn admin_page() -> Response {
    file("admin/index.html")
}

/// The lobby kiosk app (DESK-1): pairs with an admin's code, then shows the idle screen.
#[utoipa::path(get, path = "/kiosk/", tag = "pages", responses((status = 200, description = "The kiosk app")))]
async fn kiosk_page() -> Response {
    file("kiosk/index.html")
}

/// The hub's local CA, for staff devices and the lobby tablet to trust.
#[utoipa::path(get, path = "/ca.crt", tag = "pages", responses(
    (status = 200, description = "PEM certificate", content_type = "application/x-x509-ca-cert"),
    (status = 404, description = "The hub uses a certificate of its own", body = super::ErrorBody)))]
async fn ca_certificate(State(state): State<Pages>) -> Result<Response, AppError> {
    let pem = state.ca_pem.clone().ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-x509-ca-cert"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"hotel-hub-ca.crt\"",
            ),
        ],
        pem.to_string(),
    )
        .into_response())
}

/// Alive and the store answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses(
    (status = 200, description = "Healthy"), (status = 503, description = "The store does not answer")))]
async fn healthz(State(state): State<Pages>) -> Response {
    match state
        .store
        .read(|c| {
            c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map_err(AppError::from)
        })
        .await
    {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response(),
    }
}

/// Static files of the apps; unknown API paths get a JSON 404, other unknown addresses a
/// page a person can read.
pub(super) async fn fallback(uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") {
        return AppError::NotFound.into_response();
    }
    if path.contains("..") {
        return not_found_page();
    }
    let known = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    embedded(path, known).unwrap_or_else(not_found_page)
}

fn not_found_page() -> Response {
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Page not found</title><link rel=\"stylesheet\" href=\"/common/base.css\">\
             </head><body><main class=\"narrow\"><div class=\"card\">\
             <h1>This page does not exist</h1>\
             <p>Check the address. Staff: the <a href=\"/messenger/\">Team Messenger</a> or the \
             <a href=\"/admin/\">admin app</a>.</p></div></main></body></html>",
        ),
    )
        .into_response()
}

/// A page every build embeds; its absence is a packaging fault, not the visitor's.
fn file(path: &str) -> Response {
    embedded(path, None)
        .unwrap_or_else(|| (StatusCode::NOT_FOUND, Html("not found")).into_response())
}

/// An embedded file with its entity tag (from its SHA-256); `known`, the request's
/// `If-None-Match`, naming that tag gets 304 and no body (RFC 9110 §13.1.2), so a phone's
/// repeat visit fetches nothing that did not change.
fn embedded(path: &str, known: Option<&str>) -> Option<Response> {
    let content = Ui::get(path)?;
    let etag = format!("\"{}\"", hex::encode(&content.metadata.sha256_hash()[..12]));
    // Pages change with the binary; let browsers revalidate instead of guessing.
    let headers = [
        (header::CACHE_CONTROL, "no-cache".to_owned()),
        (header::ETAG, etag.clone()),
    ];
    let matches = known.is_some_and(|k| k.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Some((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let mime = content.metadata.mimetype().to_owned();
    Some((headers, [(header::CONTENT_TYPE, mime)], content.data).into_response())
}
