//! The owners' API on the relay's own host (`/api/v1/account/…`): sign-up, confirmation,
//! sign-in and out, password reset, claiming a hub and the dashboard's list. The session is
//! an HttpOnly, SameSite=Lax, Secure cookie; a state change from a page of another site is
//! refused by its `Origin` (RFC 6454 §7).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};

use super::{problem, Own};
use crate::accounts::{AccountError, Owner, SESSION_SECS};
use crate::guard::unix_now;

pub(super) const SESSION_COOKIE: &str = "relay_session";

impl IntoResponse for AccountError {
    fn into_response(self) -> Response {
        let status = match &self {
            AccountError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AccountError::WrongCredentials => StatusCode::UNAUTHORIZED,
            AccountError::Unverified | AccountError::NotOwner | AccountError::NotYours => {
                StatusCode::FORBIDDEN
            }
            AccountError::BadToken | AccountError::BadCode | AccountError::NoSuchManager => {
                StatusCode::NOT_FOUND
            }
            AccountError::Mail(crate::accounts::MailError::NotConfigured) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AccountError::Mail(_) | AccountError::Db(_) | AccountError::Worker(_) => {
                tracing::error!(error = %self, "An account request failed.");
                return problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the relay cannot do that just now; try again in a minute",
                );
            }
        };
        problem(status, &self.to_string())
    }
}

/// The session cookie: HttpOnly, SameSite=Lax (the provider's redirect back is a top-level
/// navigation from its site), Secure, 30 days.
pub(super) fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(true)
        .max_age(time::Duration::seconds(SESSION_SECS))
        .build()
}

/// The signed-in owner, from the session cookie; 401 without one.
pub(super) struct SignedIn(Owner, String);

impl FromRequestParts<Own> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, own: &Own) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or_else(|| problem(StatusCode::UNAUTHORIZED, "sign in first"))?;
        match own.accounts.session(&token, unix_now()).await {
            Ok(Some(owner)) => Ok(SignedIn(owner, token)),
            Ok(None) => Err(problem(StatusCode::UNAUTHORIZED, "sign in first")),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// `None` when a browser page of another site sent the request.
fn same_site(own: &Own, headers: &HeaderMap) -> Option<()> {
    match headers
        .get(header::ORIGIN)
        .map(|o| o.to_str().unwrap_or("null"))
    {
        None => Some(()),
        Some(origin) => {
            let ours = format!("{}://{}", own.public.scheme, own.public.authority);
            origin.eq_ignore_ascii_case(&ours).then_some(())
        }
    }
}

/// The refusal of a request from another site's page, or from an address past its limit (counted
/// before any password is hashed: a burst costs the sender, not the relay).
fn admit(own: &Own, headers: &HeaderMap, peer: SocketAddr) -> Option<Response> {
    if same_site(own, headers).is_none() {
        return Some(foreign());
    }
    if !own.sign_ins.allow(peer.ip()) {
        return Some(problem(
            StatusCode::TOO_MANY_REQUESTS,
            "too many tries from this address; wait a few minutes",
        ));
    }
    None
}

fn foreign() -> Response {
    problem(StatusCode::FORBIDDEN, "this request came from another site")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Credentials {
    email: String,
    password: String,
}

pub(super) async fn sign_up(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(form): Json<Credentials>,
) -> Response {
    if let Some(refused) = admit(&own, &headers, peer) {
        return refused;
    }
    match own
        .accounts
        .sign_up(&form.email, &form.password, unix_now())
        .await
    {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "sent": true })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenForm {
    token: String,
    #[serde(default)]
    password: Option<String>,
}

pub(super) async fn verify(State(own): State<Own>, Json(form): Json<TokenForm>) -> Response {
    match own.accounts.verify(&form.token, unix_now()).await {
        Ok(()) => Json(serde_json::json!({ "verified": true })).into_response(),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn sign_in(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Json(form): Json<Credentials>,
) -> Response {
    if let Some(refused) = admit(&own, &headers, peer) {
        return refused;
    }
    match own
        .accounts
        .sign_in(&form.email, &form.password, unix_now())
        .await
    {
        Ok(token) => (
            jar.add(session_cookie(token)),
            Json(serde_json::json!({ "signed_in": true })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn sign_out(
    State(own): State<Own>,
    headers: HeaderMap,
    jar: CookieJar,
    SignedIn(_, token): SignedIn,
) -> Response {
    if same_site(&own, &headers).is_none() {
        return foreign();
    }
    if let Err(e) = own.accounts.sign_out(&token).await {
        return e.into_response();
    }
    let gone = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    (jar.remove(gone), StatusCode::NO_CONTENT).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ResetRequest {
    email: String,
}

pub(super) async fn request_reset(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(form): Json<ResetRequest>,
) -> Response {
    if let Some(refused) = admit(&own, &headers, peer) {
        return refused;
    }
    match own.accounts.request_reset(&form.email, unix_now()).await {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "sent": true })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn reset(State(own): State<Own>, Json(form): Json<TokenForm>) -> Response {
    let password = form.password.unwrap_or_default();
    match own.accounts.reset(&form.token, &password, unix_now()).await {
        Ok(()) => Json(serde_json::json!({ "reset": true })).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A hub on the owner's dashboard.
#[derive(Serialize)]
pub(super) struct DashboardHub {
    hub_id: String,
    name: String,
    role: String,
    /// Unix seconds; `null` while offline.
    online_since: Option<i64>,
    /// Unix seconds the link last went down.
    offline_since: Option<i64>,
    /// Where the hub's apps open through the relay.
    public_url: String,
    /// The hub's latest summary: `unanswered` dialogues, today's `arrivals` and
    /// `departures`, `devices` and `devices_offline`, and `seq` (when, the hub's clock in
    /// ms); `null` until the hub has sent one.
    summary: Option<serde_json::Value>,
}

pub(super) async fn me(SignedIn(owner, _): SignedIn) -> Response {
    Json(serde_json::json!({ "email": owner.email })).into_response()
}

pub(super) async fn hubs(State(own): State<Own>, SignedIn(owner, _): SignedIn) -> Response {
    let memberships = match own.accounts.hubs(&owner).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let mut out = Vec::new();
    for (hub, role) in memberships {
        let Ok(id) = cloud_link::HubId::parse(&hub) else {
            continue;
        };
        let record = own.registry.get(&id).await.ok().flatten();
        out.push(DashboardHub {
            public_url: own.public.of_hub(&id),
            name: record.as_ref().map_or(String::new(), |r| r.name.clone()),
            online_since: record.as_ref().and_then(|r| r.online_since),
            offline_since: record.as_ref().and_then(|r| r.offline_since),
            summary: record
                .as_ref()
                .and_then(|r| r.summary.as_deref())
                .and_then(|s| serde_json::from_str(s).ok()),
            hub_id: hub,
            role,
        });
    }
    Json(out).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Claim {
    code: String,
}

pub(super) async fn claim(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    SignedIn(owner, _): SignedIn,
    Json(form): Json<Claim>,
) -> Response {
    if let Some(refused) = admit(&own, &headers, peer) {
        return refused;
    }
    match own.accounts.claim(&owner, &form.code, unix_now()).await {
        Ok(hub) => Json(serde_json::json!({ "hub_id": hub })).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Invite {
    email: String,
}

/// The hub's owner shares it: `{"email": …}` gets an invitation to manage it.
pub(super) async fn invite(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::extract::Path(hub): axum::extract::Path<String>,
    SignedIn(owner, _): SignedIn,
    Json(form): Json<Invite>,
) -> Response {
    if let Some(refused) = admit(&own, &headers, peer) {
        return refused;
    }
    let Ok(id) = cloud_link::HubId::parse(&hub) else {
        return problem(StatusCode::NOT_FOUND, "no such property");
    };
    let name = match own.registry.get(&id).await {
        Ok(Some(record)) => record.name,
        Ok(None) => return problem(StatusCode::NOT_FOUND, "no such property"),
        Err(e) => {
            tracing::error!(error = %e, "The registry cannot be read.");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the relay cannot do that just now",
            );
        }
    };
    match own
        .accounts
        .invite(&owner, &hub, &name, &form.email, unix_now())
        .await
    {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "sent": true })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// Who may open a property and who is invited to (its owner only).
pub(super) async fn sharing(
    State(own): State<Own>,
    axum::extract::Path(hub): axum::extract::Path<String>,
    SignedIn(owner, _): SignedIn,
) -> Response {
    match own.accounts.sharing(&owner, &hub, unix_now()).await {
        Ok(sharing) => Json(sharing).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The owner takes a manager's access away.
pub(super) async fn revoke(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::extract::Path((hub, member)): axum::extract::Path<(String, i64)>,
    SignedIn(owner, _): SignedIn,
) -> Response {
    if let Some(refused) = admit(&own, &headers, peer) {
        return refused;
    }
    match own.accounts.revoke(&owner, &hub, member).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

pub(super) async fn accept(
    State(own): State<Own>,
    headers: HeaderMap,
    SignedIn(owner, _): SignedIn,
    Json(form): Json<TokenForm>,
) -> Response {
    if same_site(&own, &headers).is_none() {
        return foreign();
    }
    match own.accounts.accept(&owner, &form.token, unix_now()).await {
        Ok(hub) => Json(serde_json::json!({ "hub_id": hub })).into_response(),
        Err(e) => e.into_response(),
    }
}
