//! Staff work over HTTPS: once the owner exists, the staff apps, sign-in, invitation
//! acceptance and the team socket asked for over plain HTTP from another host get the
//! secure address instead (a page for people: how to trust the hub's certificate first).
//! Plain HTTP stays for guests and for the first set-up; this machine (loopback) stays open
//! for the demo and the tests.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::Team;
use crate::web::{html_escape, AppError, ServedOverTls};

/// The gate's state: the team (does the owner exist yet?) and the HTTPS listener's port.
#[derive(Clone)]
pub struct HttpsGate {
    pub team: Team,
    pub https_port: u16,
}

/// Whether `path` is for staff only. Guests' pages, the API they use and the widget stay on
/// plain HTTP.
fn for_staff(path: &str) -> bool {
    path == "/admin"
        || path.starts_with("/admin/")
        || path == "/messenger"
        || path.starts_with("/messenger/")
        || path == "/ws/team"
        || path == "/api/v1/auth/login"
        || (path.starts_with("/api/v1/invites/") && path.ends_with("/accept"))
}

/// The layer: lets through TLS, loopback, guests' paths and everything before the owner
/// exists; answers the rest with the HTTPS address.
pub async fn require_https(
    State(gate): State<HttpsGate>,
    request: Request,
    next: Next,
) -> Response {
    let tls = request
        .extensions()
        .get::<ServedOverTls>()
        .is_some_and(|t| t.0);
    let local = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    if tls || local || !for_staff(request.uri().path()) {
        return next.run(request).await;
    }
    match gate.team.owner_exists().await {
        Ok(true) => {}
        Ok(false) => return next.run(request).await,
        Err(e) => return AppError::from(e).into_response(),
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(host_without_port)
        .unwrap_or_else(|| format!("{}.local", gate.team.host_name()));
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let secure = format!("https://{host}:{}{target}", gate.https_port);
    if request.uri().path().starts_with("/api/") || request.uri().path().starts_with("/ws/") {
        return AppError::HttpsRequired(secure).into_response();
    }
    (StatusCode::FORBIDDEN, Html(page(&secure, &host))).into_response()
}

/// `hub.local:8080` → `hub.local`; `[fe80::1]:8080` → `[fe80::1]`.
fn host_without_port(host: &str) -> String {
    match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.ends_with(':') => {
            h.to_owned()
        }
        _ => host.to_owned(),
    }
}

fn page(secure: &str, host: &str) -> String {
    let secure = html_escape(secure);
    let host = html_escape(host);
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Use the secure address</title><link rel=\"stylesheet\" href=\"/common/base.css\">\
         </head><body><main class=\"narrow\"><div class=\"card\">\
         <h1>Staff pages use a secure connection</h1>\
         <p>This address is for guests. Your password and your guests' messages travel only over \
         the hub's secure address:</p>\
         <p><a class=\"button\" href=\"{secure}\">Continue to {secure}</a></p>\
         <h2>First time on this device?</h2>\
         <p>The hub makes its own certificate. Trust it once on this device and the browser \
         stops warning:</p>\
         <p><a class=\"button\" href=\"/ca.crt\" download=\"hotel-hub-ca.crt\">Download the hub's \
         certificate</a></p><p>Then, on your kind of device:</p>\
         <ul><li><b>iPhone, iPad:</b> open the download, then Settings → General → VPN &amp; Device \
         Management → install it; then Settings → General → About → Certificate Trust Settings → \
         turn on \"Hotel Hub local CA\".</li>\
         <li><b>Android:</b> Settings → Security → Encryption &amp; credentials → Install a \
         certificate → CA certificate → choose the download.</li>\
         <li><b>Windows:</b> open the download → Install Certificate → Local Machine → \
         \"Trusted Root Certification Authorities\".</li>\
         <li><b>Mac:</b> open the download in Keychain Access → double-click \"Hotel Hub local \
         CA\" → Trust → Always Trust.</li></ul>\
         <p class=\"muted\">Then open <b>{secure}</b> again. This certificate is made by the \
         hub at {host} and vouches for it alone.</p>\
         </div></main></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_paths_and_ports() {
        for p in [
            "/admin/",
            "/messenger/app.js",
            "/ws/team",
            "/api/v1/auth/login",
            "/api/v1/invites/abc/accept",
        ] {
            assert!(for_staff(p), "{p}");
        }
        for p in [
            "/widget/frame.html",
            "/ws/guest",
            "/api/v1/guest/files",
            "/setup",
            "/healthz",
        ] {
            assert!(!for_staff(p), "{p}");
        }
        assert_eq!(host_without_port("hub.local:8080"), "hub.local");
        assert_eq!(host_without_port("[fe80::1]:8080"), "[fe80::1]");
        assert_eq!(host_without_port("hub.local"), "hub.local");
    }
}
