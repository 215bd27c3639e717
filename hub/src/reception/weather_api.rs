//! The weather at the guest's own position over HTTP (GUEST-2): the guest page's script
//! asks with the phone's position and puts the answer, an HTML fragment in the guest's
//! language, in place of the weather block.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::api::{accept_language, html_page};
use super::{words, PageNotice, Reception, ReceptionError, Visit};
use crate::web::AppError;

#[derive(Deserialize, IntoParams)]
pub(super) struct Position {
    /// WGS 84 degrees, as the phone's Geolocation API gives them; the hub asks the
    /// forecast for the position rounded to 0.1°.
    lat: f64,
    lon: f64,
    /// The page's language, e.g. "ru".
    lang: Option<String>,
}

/// The weather block for the phone's position: that position's forecast, or the hotel's
/// with a word that it is not theirs (20 asks in 10 minutes per address).
#[utoipa::path(get, path = "/r/{slug}/weather", tag = "reception", params(("slug" = String, Path), Position),
    responses((status = 200, description = "The weather block's content (HTML fragment)"),
        (status = 400, description = "Not a position (HTML fragment)"),
        (status = 404, description = "No unit has this address, or its page does not offer it"),
        (status = 429, description = "Asked too often from this address (HTML fragment)")))]
pub(super) async fn weather_here(
    State(reception): State<Reception>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(slug): Path<String>,
    Query(q): Query<Position>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let accept = accept_language(&headers);
    let chosen = q.lang.as_deref().filter(|l| l.len() <= 16);
    let slug = slug.to_ascii_lowercase();
    let visit = Visit {
        slug: &slug,
        chosen,
        accept_language: accept,
        stay: None,
        notice: PageNotice::None,
        typed: None,
        preview: None,
    };
    let w = words::choose(chosen, accept);
    let said = |status, text: &str| html_page(status, format!("<p class=\"muted\">{text}</p>"));
    Ok(
        match reception
            .weather_here(&visit, &peer.ip().to_string(), (q.lat, q.lon))
            .await
        {
            Ok(Some(html)) => html_page(StatusCode::OK, html),
            Ok(None) => said(StatusCode::NOT_FOUND, w.not_found),
            Err(ReceptionError::Invalid(_)) => said(StatusCode::BAD_REQUEST, w.position_denied),
            Err(ReceptionError::TooMany(_)) => said(StatusCode::TOO_MANY_REQUESTS, w.too_many),
            Err(e) => return Err(e.into()),
        },
    )
}
