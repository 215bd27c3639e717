//! Who is asking: the session cookie, the layer that looks it up once per request, the
//! `Staff` extractor (a live session, else 401), `ChatAdmin` (else 403) and the admin gate
//! layered over `/api/v1/admin/` (else 403).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::db::Member;
use super::{Role, Team};
use crate::web::{AppError, SESSION_COOKIE};

/// A signed-in member of staff.
#[derive(Debug, Clone)]
pub struct Staff {
    pub member: Member,
    pub token_hash: String,
}

/// The session store did not answer for this request's cookie.
#[derive(Debug, Clone)]
struct LookupFailed(String);

/// Looks the session cookie up, when there is one, and leaves the member in the request
/// for [`Staff`]. Only the API and the sockets take staff: pages and the apps' files, and
/// requests without a cookie (guests), cost no store read.
pub async fn identify(State(team): State<Team>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !(path.starts_with("/api/") || path.starts_with("/ws/")) {
        return next.run(request).await;
    }
    let jar = CookieJar::from_headers(request.headers());
    let token = jar
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= 128);
    if let Some(token) = token {
        match team.session_member(&token).await {
            Ok(Some((member, token_hash))) => {
                request
                    .extensions_mut()
                    .insert(Staff { member, token_hash });
            }
            Ok(None) => {}
            Err(e) => {
                request.extensions_mut().insert(LookupFailed(e.to_string()));
            }
        }
    }
    next.run(request).await
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Staff, AppError> {
        if let Some(staff) = parts.extensions.get::<Staff>() {
            return Ok(staff.clone());
        }
        match parts.extensions.get::<LookupFailed>() {
            Some(LookupFailed(why)) => Err(AppError::Internal(why.clone())),
            None => Err(AppError::Unauthorized),
        }
    }
}

/// The gate in front of every `/api/v1/admin/` route: owners and admins only.
pub async fn require_admin(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    match Staff::from_request_parts(&mut parts, &()).await {
        Ok(staff) if staff.member.role.administers_hub() => {
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(_) => AppError::Forbidden.into_response(),
        Err(e) => e.into_response(),
    }
}

/// HttpOnly, SameSite=Strict, and always Secure: a browser sends it over HTTPS only (and to
/// loopback, which browsers count as secure), never across the guest Wi-Fi in clear.
pub fn session_cookie(token: String, days: u32) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(true)
        .max_age(time::Duration::days(i64::from(days)))
        .build()
}

pub fn expired_session_cookie() -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(true)
        .max_age(time::Duration::ZERO)
        .build()
}

/// A member of staff who administers the chat: chat administrators, admins and the owner
/// (else 403, before the body is even read).
#[derive(Debug, Clone)]
pub struct ChatAdmin(pub Staff);

impl<S: Send + Sync> FromRequestParts<S> for ChatAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<ChatAdmin, AppError> {
        let staff = Staff::from_request_parts(parts, state).await?;
        if staff.member.role == Role::Agent {
            return Err(AppError::Forbidden);
        }
        Ok(ChatAdmin(staff))
    }
}
