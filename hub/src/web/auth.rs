//! Who is asking: the `Staff` extractor (a valid session cookie, else 401), the admin gate
//! layered over `/api/v1/admin/` (else 403), and the session cookie itself.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::{AppError, AppState};
use crate::team::{db, db::Member, secret};

pub const SESSION_COOKIE: &str = "hub_session";

/// Set on every request by the listener that accepted it.
#[derive(Debug, Clone, Copy)]
pub struct ServedOverTls(pub bool);

/// A signed-in member of staff.
#[derive(Debug, Clone)]
pub struct Staff {
    pub member: Member,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, AppError> {
        if let Some(staff) = parts.extensions.get::<Staff>() {
            return Ok(staff.clone());
        }
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(SESSION_COOKIE)
            .map(|c| c.value())
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or(AppError::Unauthorized)?;
        let token_hash = secret::token_hash(token);
        let now = state.clock.now_text();
        let lookup = token_hash.clone();
        let member = state
            .store
            .read(move |c| db::session_member(c, &lookup, &now))
            .await?
            .ok_or(AppError::Unauthorized)?;
        let staff = Staff { member, token_hash };
        parts.extensions.insert(staff.clone());
        Ok(staff)
    }
}

/// The gate in front of every `/api/v1/admin/` route: owners and admins only.
pub async fn require_admin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let (mut parts, body) = request.into_parts();
    let staff = Staff::from_request_parts(&mut parts, &state).await?;
    if !staff.member.role.administers_hub() {
        return Err(AppError::Forbidden);
    }
    Ok(next.run(Request::from_parts(parts, body)).await)
}

/// HttpOnly, SameSite=Strict, Secure when the request came over TLS.
pub fn session_cookie(token: String, tls: bool, days: u32) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(tls)
        .max_age(time::Duration::days(i64::from(days)))
        .build()
}

pub fn expired_session_cookie(tls: bool) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, ""))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(tls)
        .max_age(time::Duration::ZERO)
        .build()
}

/// A member of staff who administers the chat: chat administrators, admins and the owner
/// (else 403, before the body is even read).
#[derive(Debug, Clone)]
pub struct ChatAdmin(pub Staff);

impl FromRequestParts<AppState> for ChatAdmin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ChatAdmin, AppError> {
        let staff = Staff::from_request_parts(parts, state).await?;
        if staff.member.role == crate::team::Role::Agent {
            return Err(AppError::Forbidden);
        }
        Ok(ChatAdmin(staff))
    }
}
