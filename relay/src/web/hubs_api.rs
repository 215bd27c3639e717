//! What hubs ask of the relay over HTTP: registration before the first link
//! (`POST /api/v1/hubs`), and a new claim code shown in the hub's admin app
//! (`POST /api/v1/hubs/claim-code`, signed with the hub's key), TURN credentials for its
//! calls (`POST /api/v1/hubs/turn`, signed the same); and the relay's counters.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{problem, Own};

/// What a hub sends to register: its Ed25519 public key (32 bytes, base64url) and the
/// property's name.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Registration {
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
    /// The same link as MQTT over a WebSocket on the HTTPS port (`wss://<relay>/mqtt`), for
    /// networks that let only that port out; empty when the relay's public address is not
    /// HTTPS.
    link_websocket: String,
    /// Where owners sign in on the relay (its own public address).
    relay_url: String,
}

pub(super) async fn register(
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
            link_websocket: if own.public.scheme == "https" {
                format!("wss://{}/mqtt", own.public.authority)
            } else {
                String::new()
            },
            relay_url: format!("{}://{}", own.public.scheme, own.public.authority),
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
pub(super) async fn metrics(State(own): State<Own>) -> String {
    let refused = own.guard.refused.load(std::sync::atomic::Ordering::Relaxed);
    let linked = own.registry.linked_count();
    let mut text = format!(
        "# HELP relay_link_refusals_total Hub links refused (bad credential, a topic not the hub's).\n\
         # TYPE relay_link_refusals_total counter\nrelay_link_refusals_total {refused}\n\
         # HELP relay_hubs_linked Hubs whose link is up on this node.\n\
         # TYPE relay_hubs_linked gauge\nrelay_hubs_linked {linked}\n"
    );
    // Left out when the database cannot say: a gauge of 0 would read as every node gone.
    match own.registry.live_nodes(crate::guard::unix_now()).await {
        Ok(nodes) => text.push_str(&format!(
            "# HELP relay_nodes_alive Relay nodes that sent a heartbeat in the last {} s.\n\
             # TYPE relay_nodes_alive gauge\nrelay_nodes_alive {}\n",
            crate::registry::NODE_TIMEOUT_SECS,
            nodes.len()
        )),
        Err(e) => tracing::warn!(error = %e, "The live nodes cannot be read for /metrics."),
    }
    text
}

/// A hub's new claim code: `{"code": "K7Q2-M9XD"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClaimCode {
    code: String,
}

/// Records a hub's claim code. The hub signs the request as it signs its link:
/// `Authorization: Hub <hub id> <token>`.
pub(super) async fn claim_code(
    State(own): State<Own>,
    headers: HeaderMap,
    Json(form): Json<ClaimCode>,
) -> Response {
    let now = crate::guard::unix_now();
    let Some(hub) = signed_hub(&own, &headers, now).await else {
        return problem(StatusCode::UNAUTHORIZED, "a hub's signed token is needed");
    };
    let code = crate::accounts::normalize_code(&form.code);
    if !(8..=16).contains(&code.len()) {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a claim code has 8 to 16 letters and digits",
        );
    }
    match own.accounts.set_claim_code(&hub, &code, now).await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(serde_json::json!({ "expires_in_secs": crate::accounts::CLAIM_SECS })),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "A claim code was not recorded.");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay cannot record the code now",
            )
        }
    }
}

/// TURN credentials for a hub's calls (signed like a claim code): `{"ice_servers": [...],
/// "expires_at": <unix seconds>}`, the list empty when the relay has no `[turn]`.
pub(super) async fn turn(State(own): State<Own>, headers: HeaderMap) -> Response {
    let now = crate::guard::unix_now();
    let Some(hub) = signed_hub(&own, &headers, now).await else {
        return problem(StatusCode::UNAUTHORIZED, "a hub's signed token is needed");
    };
    match &own.turn {
        Some(turn) => Json(turn.credentials(&hub, now)).into_response(),
        None => Json(crate::turn::Credentials {
            ice_servers: Vec::new(),
            expires_at: now.saturating_add(NO_TURN_ASK_AGAIN_SECS),
        })
        .into_response(),
    }
}

/// Whose owners' accounts hold the hub (signed like a claim code), for its admin app:
/// `{"members": [{"email", "role"}]}`, owners first; empty before a claim.
pub(super) async fn access(State(own): State<Own>, headers: HeaderMap) -> Response {
    let Some(hub) = signed_hub(&own, &headers, crate::guard::unix_now()).await else {
        return problem(StatusCode::UNAUTHORIZED, "a hub's signed token is needed");
    };
    match own.accounts.holders(hub.as_str()).await {
        Ok(members) => {
            let members: Vec<serde_json::Value> = members
                .into_iter()
                .map(|m| serde_json::json!({ "email": m.email, "role": m.role }))
                .collect();
            Json(serde_json::json!({ "members": members })).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "The accounts cannot be read.");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay cannot say just now",
            )
        }
    }
}

/// Without TURN, when a hub asks again (a relay's configuration may gain it).
const NO_TURN_ASK_AGAIN_SECS: i64 = 600;

/// The hub whose valid token the request carries.
pub(super) async fn signed_hub(
    own: &Own,
    headers: &HeaderMap,
    now: i64,
) -> Option<cloud_link::HubId> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let mut parts = value.split_whitespace();
    let ("Hub", Some(id), Some(token), None) =
        (parts.next()?, parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let id = cloud_link::HubId::parse(id).ok()?;
    let record = own.registry.get(&id).await.ok()??;
    cloud_link::credential::verify_token(&id, &record.public_key, token, now).ok()?;
    Some(id)
}
