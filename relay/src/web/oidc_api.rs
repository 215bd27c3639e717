//! Sign-in with an OpenID provider, as the browser sees it: `/auth/oidc/<id>/start` sends it
//! to the provider with the flow's `state` in a short-lived cookie; the provider sends it
//! back to `/auth/oidc/<id>/callback`, which opens a session and goes to the dashboard, or
//! says in a page why not.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;

use super::account_api::session_cookie;
use super::Own;
use crate::guard::unix_now;

const STATE_COOKIE: &str = "relay_oidc_state";

/// The providers the sign-in page offers: `[{"id": …, "name": …}]`.
pub(super) async fn providers(State(own): State<Own>) -> Response {
    let list: Vec<_> = own
        .oidc
        .offered()
        .into_iter()
        .map(|(id, name)| serde_json::json!({ "id": id, "name": name }))
        .collect();
    Json(list).into_response()
}

pub(super) async fn start(
    State(own): State<Own>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(id): Path<String>,
    jar: CookieJar,
) -> Response {
    if !own.sign_ins.allow(peer.ip()) {
        return page(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ins from this address; wait a few minutes.",
        );
    }
    match own.oidc.start(&id).await {
        Ok((url, state)) => {
            let cookie = Cookie::build((STATE_COOKIE, state))
                .path("/auth/oidc")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(true)
                .max_age(time::Duration::minutes(10))
                .build();
            (
                jar.add(cookie),
                [(header::LOCATION, url)],
                StatusCode::SEE_OTHER,
            )
                .into_response()
        }
        Err(e @ crate::accounts::OidcError::UnknownProvider(_)) => page(
            StatusCode::NOT_FOUND,
            &format!("The sign-in could not start: {e}."),
        ),
        Err(e) => {
            tracing::warn!(provider = %id, error = %e, "A sign-in could not start.");
            page(
                StatusCode::BAD_GATEWAY,
                &format!("The sign-in could not start: {e}."),
            )
        }
    }
}

#[derive(Deserialize)]
pub(super) struct Callback {
    code: Option<String>,
    state: Option<String>,
    /// Set by a provider that refused (the person cancelled, say).
    error: Option<String>,
}

pub(super) async fn callback(
    State(own): State<Own>,
    Path(id): Path<String>,
    Query(back): Query<Callback>,
    jar: CookieJar,
) -> Response {
    let cookie_state = jar.get(STATE_COOKIE).map(|c| c.value().to_owned());
    let jar = jar.remove(Cookie::build((STATE_COOKIE, "")).path("/auth/oidc").build());
    if let Some(error) = back.error {
        let said: String = error
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(60)
            .collect();
        return (
            jar,
            page(
                StatusCode::BAD_REQUEST,
                &format!("The provider did not sign you in ({said})."),
            ),
        )
            .into_response();
    }
    let (Some(code), Some(state)) = (back.code, back.state) else {
        return (
            jar,
            page(StatusCode::BAD_REQUEST, "This sign-in link is incomplete."),
        )
            .into_response();
    };
    let who = match own
        .oidc
        .finish(&id, &code, &state, cookie_state.as_deref())
        .await
    {
        Ok(who) => who,
        Err(e) => {
            tracing::info!(provider = %id, error = %e, "A sign-in was refused.");
            return (
                jar,
                page(
                    StatusCode::BAD_REQUEST,
                    &format!("The sign-in did not work: {e}."),
                ),
            )
                .into_response();
        }
    };
    match own.accounts.sign_in_with(who, unix_now()).await {
        Ok(token) => (
            jar.add(session_cookie(token)),
            [(header::LOCATION, "/")],
            StatusCode::SEE_OTHER,
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A short page in words, with the way back.
fn page(status: StatusCode, text: &str) -> Response {
    let text = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Sign-in</title><link rel=\"stylesheet\" href=\"/ui/style.css\"></head><body>\
         <main><div class=\"card\"><h2>Sign-in</h2><p id=\"problem\">{text}</p>\
         <p><a href=\"/\">Back to the sign-in page</a></p></div></main></body></html>"
    );
    (status, Html(body)).into_response()
}
