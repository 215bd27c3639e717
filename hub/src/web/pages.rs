//! The browser apps' pages and files from `kiosk-ui/` (embedded in release builds, read from
//! disk in debug builds), the local CA certificate, and `/healthz`.

use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use rust_embed::RustEmbed;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{AppError, AppState};
use crate::team::db;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../kiosk-ui/"]
struct Ui;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(setup_page))
        .routes(routes!(invite_page))
        .routes(routes!(admin_page))
        .routes(routes!(ca_certificate))
        .routes(routes!(healthz))
        .routes(routes!(widget_script))
        .routes(routes!(messenger_page))
        .routes(routes!(widget_try_page))
}

/// A page with the chat widget on it, to try the guest side (the key is public: it is in
/// every website's script tag anyway).
#[utoipa::path(get, path = "/widget/try", tag = "pages", responses((status = 200, description = "A page with the widget")))]
async fn widget_try_page(State(state): State<AppState>) -> Html<String> {
    let key = state.chat.widget_key();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Try the chat</title><link rel=\"stylesheet\" href=\"/common/base.css\"></head>\
         <body><main class=\"narrow\"><div class=\"card\"><h1>Your website</h1>\
         <p>This page stands in for the hotel's own website. The chat button in the corner is the \
         widget, exactly as guests see it; answer in the <a href=\"/messenger/\">Team Messenger</a>.</p>\
         <p>Try the API: <button onclick=\"HotelHubChat.openChat()\">openChat()</button> \
         <button onclick=\"HotelHubChat.openChannelsPanel()\">openChannelsPanel()</button></p>\
         </div></main><script src=\"/widget.js\" data-key=\"{key}\" async></script></body></html>"
    ))
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

/// First run goes to set-up; afterwards to the admin app.
#[utoipa::path(get, path = "/", tag = "pages", responses((status = 303, description = "Redirect")))]
async fn root(State(state): State<AppState>) -> Result<Redirect, AppError> {
    let set_up = state.store.read(db::owner_exists).await?;
    Ok(Redirect::to(if set_up { "/admin/" } else { "/setup" }))
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

/// The hub's local CA, for staff devices and the lobby tablet to trust.
#[utoipa::path(get, path = "/ca.crt", tag = "pages", responses(
    (status = 200, description = "PEM certificate", content_type = "application/x-x509-ca-cert"),
    (status = 404, description = "The hub uses a certificate of its own", body = super::ErrorBody)))]
async fn ca_certificate(State(state): State<AppState>) -> Result<Response, AppError> {
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
async fn healthz(State(state): State<AppState>) -> Response {
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

/// Static files of the apps; unknown API paths get a JSON 404.
pub(super) async fn fallback(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path.contains("..") {
        return AppError::NotFound.into_response();
    }
    embedded(path).unwrap_or_else(|| AppError::NotFound.into_response())
}

/// A page every build embeds; its absence is a packaging fault, not the visitor's.
fn file(path: &str) -> Response {
    embedded(path).unwrap_or_else(|| (StatusCode::NOT_FOUND, Html("not found")).into_response())
}

fn embedded(path: &str) -> Option<Response> {
    let content = Ui::get(path)?;
    let mime = content.metadata.mimetype().to_owned();
    let mut response = ([(header::CONTENT_TYPE, mime)], content.data).into_response();
    // Pages change with the binary; let browsers revalidate instead of guessing.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    Some(response)
}
