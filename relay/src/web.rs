//! The relay's own pages and API on its own host name: health, and the registration a hub
//! makes before its first link (`POST /api/v1/hubs`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::config::PublicUrl;
use crate::limits::Window;
use crate::registry::Registry;

#[derive(Clone)]
pub struct Own {
    pub registry: Registry,
    pub public: PublicUrl,
    pub link_address: String,
    pub registrations: Arc<Window>,
    pub guard: Arc<crate::guard::GuardStats>,
}

pub fn router(own: Own) -> Router {
    Router::new()
        .route("/", get(landing))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/v1/hubs", post(register))
        .route("/metrics", get(metrics))
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not found") })
        .layer(axum::extract::DefaultBodyLimit::max(4096))
        .with_state(own)
}

async fn landing() -> Html<&'static str> {
    Html(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Hotel Hub relay</title></head><body style=\"font-family:system-ui,sans-serif;\
         max-width:36rem;margin:2rem auto;padding:0 1.25rem\"><h1>Hotel Hub relay</h1>\
         <p>This service connects hotels' hubs to guests and owners outside the hotel.</p>\
         </body></html>",
    )
}

/// What a hub sends to register: its Ed25519 public key (32 bytes, base64url) and the
/// property's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    public_key: String,
    #[serde(default)]
    name: String,
}

/// The registration's answer: the hub's id (derived from its key), where browsers reach it,
/// and where it links (MQTT over TLS, `host:port`).
#[derive(Serialize)]
struct Registered {
    hub_id: String,
    public_url: String,
    link: String,
}

async fn register(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(form): Json<Registration>,
) -> Response {
    if !own.registrations.allow(peer.ip()) {
        return problem(
            StatusCode::TOO_MANY_REQUESTS,
            "too many registrations from this address",
        );
    }
    let Ok(key) = cloud_link::credential::parse_public_key(&form.public_key) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "public_key is not a base64url Ed25519 key",
        );
    };
    let name: String = form.name.trim().chars().take(120).collect();
    match own
        .registry
        .register(key, name, crate::guard::unix_now())
        .await
    {
        Ok(id) => Json(Registered {
            public_url: own.public.of_hub(&id),
            hub_id: id.to_string(),
            link: own.link_address.clone(),
        })
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "A registration was not recorded.");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the registry is unavailable",
            )
        }
    }
}

/// Counters in Prometheus' text format.
async fn metrics(State(own): State<Own>) -> String {
    let refused = own.guard.refused.load(std::sync::atomic::Ordering::Relaxed);
    let linked = own.registry.linked_count();
    format!(
        "# HELP relay_link_refusals_total Hub links refused (bad credential, a topic not the hub's).\n\
         # TYPE relay_link_refusals_total counter\nrelay_link_refusals_total {refused}\n\
         # HELP relay_hubs_linked Hubs whose link is up on this node.\n\
         # TYPE relay_hubs_linked gauge\nrelay_hubs_linked {linked}\n"
    )
}

fn problem(status: StatusCode, detail: &str) -> Response {
    (status, Json(serde_json::json!({ "error": detail }))).into_response()
}
