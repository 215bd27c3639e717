//! The guest pages over HTTP: a unit's page `/r/{slug}` and the property's own `/r/` (the
//! lobby's and the website's code), in the guest's language, the switch's choice kept.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use super::api::{accept_language, html_page, PageQuery, STAY_COOKIE};
use super::{words, PageNotice, Reception, Visit};
use crate::web::AppError;

/// The language a guest chose with the page's switch.
const LANG_COOKIE: &str = "hub_lang";

/// A unit's guest page, in the guest's language (the switch, else the phone's).
#[utoipa::path(get, path = "/r/{slug}", tag = "reception", params(("slug" = String, Path), PageQuery),
    responses((status = 200, description = "The guest page (HTML)"), (status = 404, description = "No unit has this address (HTML)")))]
pub(super) async fn guest_page(
    State(reception): State<Reception>,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    // Addresses are lower case; a slug typed in capitals still finds its page.
    let slug = slug.to_ascii_lowercase();
    if slug.is_empty() || slug.len() > 64 {
        let (_, chosen) = language(&q, &jar);
        let html = reception.not_found(chosen.as_deref(), accept_language(&headers));
        return Ok(html_page(StatusCode::NOT_FOUND, html));
    }
    show(&reception, &slug, &q, jar, &headers).await
}

/// The property's own guest page: the design's blocks without a unit or a stay, for the
/// code in the lobby, on the website or on a printed card.
#[utoipa::path(get, path = "/r/", tag = "reception", params(PageQuery),
    responses((status = 200, description = "The property's guest page (HTML)")))]
pub(super) async fn property_page(
    State(reception): State<Reception>,
    Query(q): Query<PageQuery>,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    show(&reception, "", &q, jar, &headers).await
}

/// The switch's choice when it is one the page speaks, and the language to show: that
/// choice, else the one kept from an earlier switch.
fn language(q: &PageQuery, jar: &CookieJar) -> (Option<String>, Option<String>) {
    let switched = q
        .lang
        .as_deref()
        .filter(|l| words::ALL.iter().any(|w| w.tag == *l))
        .map(str::to_owned);
    let kept = jar
        .get(LANG_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|l| l.len() <= 16);
    let chosen = switched.clone().or(kept);
    (switched, chosen)
}

async fn show(
    reception: &Reception,
    slug: &str,
    q: &PageQuery,
    jar: CookieJar,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let accept = accept_language(headers);
    let (switched, chosen) = language(q, &jar);
    // Kept for the guest pages, so the room's code scanned again opens in the language
    // the guest picked.
    let jar = match switched {
        Some(lang) => jar.add(
            Cookie::build((LANG_COOKIE, lang))
                .path("/r/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .max_age(time::Duration::days(30))
                .build(),
        ),
        None => jar,
    };
    let stay = jar.get(STAY_COOKIE).map(|c| c.value().to_owned());
    let visit = Visit {
        slug,
        chosen: chosen.as_deref(),
        accept_language: accept,
        stay: stay.as_deref(),
        notice: PageNotice::None,
        typed: None,
        preview: q.preview.as_deref().filter(|p| p.len() <= 64),
    };
    let answer = match reception.page(&visit).await? {
        Some(html) => html_page(StatusCode::OK, html),
        None => html_page(
            StatusCode::NOT_FOUND,
            reception.not_found(chosen.as_deref(), accept),
        ),
    };
    Ok((jar, answer).into_response())
}
