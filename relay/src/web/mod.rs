//! The relay's own host: the owners' app (sign-in, the dashboard of their hubs), its API, the
//! hubs' registration and claim codes, health and counters. Every answer carries a strict
//! Content-Security-Policy; the app's files are built into the binary.

mod account_api;
mod gateway_api;
mod hubs_api;
mod link_ws;
mod oidc_api;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::accounts::Accounts;
use crate::config::PublicUrl;
use crate::limits::Window;
use crate::registry::Registry;

#[derive(Clone)]
pub struct Own {
    pub registry: Registry,
    pub accounts: Accounts,
    pub oidc: crate::accounts::Oidc,
    pub public: PublicUrl,
    pub link_address: String,
    pub registrations: Arc<Window>,
    /// Sign-ins, sign-ups, resets and claims per address.
    pub sign_ins: Arc<Window>,
    pub guard: Arc<crate::guard::GuardStats>,
    /// TURN credentials for hubs' calls, when `[turn]` is set.
    pub turn: Option<crate::turn::Turn>,
    /// Takes hub links that come as WebSockets.
    pub links: crate::guard::Guard,
    /// Largest MQTT packet accepted from a hub, in bytes.
    pub max_packet_bytes: usize,
    /// The shared Telegram bot, when `[gateway]` is set.
    pub gateway: Option<crate::gateway::Gateway>,
}

const INDEX: &str = include_str!("../../ui/index.html");
const APP: &str = include_str!("../../ui/app.js");
const STYLE: &str = include_str!("../../ui/style.css");

pub fn router(own: Own) -> Router {
    let page = || async { file(INDEX, "text/html; charset=utf-8") };
    Router::new()
        .route("/", get(page))
        .route("/verify", get(page))
        .route("/reset", get(page))
        .route(
            "/ui/app.js",
            get(|| async { file(APP, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/ui/style.css",
            get(|| async { file(STYLE, "text/css; charset=utf-8") }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(hubs_api::metrics))
        .route("/api/v1/hubs", post(hubs_api::register))
        .route("/api/v1/hubs/claim-code", post(hubs_api::claim_code))
        .route("/api/v1/hubs/turn", post(hubs_api::turn))
        .route("/api/v1/hubs/access", get(hubs_api::access))
        .route("/mqtt", get(link_ws::upgrade))
        .route(
            "/gateway/telegram",
            post(gateway_api::webhook).layer(DefaultBodyLimit::max(1024 * 1024)),
        )
        .route("/api/v1/hubs/gateway", post(gateway_api::enrol))
        .route(
            "/api/v1/hubs/gateway/send",
            post(gateway_api::send).layer(DefaultBodyLimit::max(16 * 1024 * 1024)),
        )
        .route("/api/v1/account", get(account_api::me))
        .route("/api/v1/account/signup", post(account_api::sign_up))
        .route("/api/v1/account/verify", post(account_api::verify))
        .route("/api/v1/account/signin", post(account_api::sign_in))
        .route("/api/v1/account/signout", post(account_api::sign_out))
        .route("/api/v1/account/reset", post(account_api::request_reset))
        .route("/api/v1/account/reset/confirm", post(account_api::reset))
        .route("/api/v1/account/hubs", get(account_api::hubs))
        .route("/api/v1/account/hubs/claim", post(account_api::claim))
        .route(
            "/api/v1/account/hubs/{hub}/invites",
            post(account_api::invite),
        )
        .route("/api/v1/account/invites/accept", post(account_api::accept))
        .route(
            "/api/v1/account/hubs/{hub}/members",
            get(account_api::sharing),
        )
        .route(
            "/api/v1/account/hubs/{hub}/members/{member}",
            axum::routing::delete(account_api::revoke),
        )
        .route("/invite", get(page))
        .route("/api/v1/account/providers", get(oidc_api::providers))
        .route("/auth/oidc/{id}/start", get(oidc_api::start))
        .route("/auth/oidc/{id}/callback", get(oidc_api::callback))
        .fallback(|| async { problem(StatusCode::NOT_FOUND, "not found") })
        .layer(DefaultBodyLimit::max(4096))
        .layer(axum::middleware::map_response(secure_headers))
        .with_state(own)
}

fn file(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn secure_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

pub(crate) fn problem(status: StatusCode, detail: &str) -> Response {
    (status, Json(serde_json::json!({ "error": detail }))).into_response()
}
