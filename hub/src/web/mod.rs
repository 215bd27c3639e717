//! The web mechanism every capability's routes share: errors and the JSON extractor, the
//! cross-cutting layers (body limits and the oversize refusal, timeout → 408, panic → 500,
//! security headers, request metrics), the embedded pages, the local CA, and the HTTP and
//! HTTPS listeners with their connection limits. It knows no capability: the route table is `wiring.rs`.

mod connections;
mod error;
mod listener;
mod metrics;
mod origin;
mod oversize;
mod pages;
pub mod tls;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use connections::{ConnectionLimits, Connections};
pub use error::{ApiJson, AppError, ErrorBody};
pub use listener::{bind, serve, serve_carried, tls_acceptor, Transport};
pub use metrics::{Gauge, Metrics};
pub use origin::foreign_origin;
pub use pages::Pages;

/// `s` safe inside HTML text and double-quoted attributes.
pub use crate::markup::html_escape;

/// The session cookie's name, declared as the `session` security scheme.
pub const SESSION_COOKIE: &str = "hub_session";

/// A paired kiosk's cookie, declared as the `kiosk` security scheme: HttpOnly,
/// SameSite=Strict, Secure (the kiosk runs on the hub's HTTPS, or on loopback), kept 400
/// days (the longest browsers keep a cookie).
pub const KIOSK_COOKIE: &str = "hub_kiosk";

/// Set on every request by the listener that accepted it.
#[derive(Debug, Clone, Copy)]
pub struct ServedOverTls(pub bool);

#[derive(OpenApi)]
#[openapi(
    info(title = "Hotel Hub API", description = "Everything the hub's own apps do, for your own tools too."),
    components(schemas(ErrorBody)),
    modifiers(&SessionScheme)
)]
struct ApiDoc;

struct SessionScheme;

impl utoipa::Modify for SessionScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "guest",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-guest-token"))),
        );
        components.add_security_scheme(
            "kiosk",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(KIOSK_COOKIE))),
        );
    }
}

/// Limits the layers enforce.
#[derive(Debug, Clone, Copy)]
pub struct WebLimits {
    /// Seconds a request may take before 408.
    pub request_timeout_secs: u64,
    /// Bytes of a request body, and of one on the upload routes.
    pub max_body_bytes: usize,
    pub max_upload_bytes: usize,
    /// Bytes of a system image on the bundle routes (paths ending in `/bundle`), which
    /// have no request deadline: a bundle over a slow link takes minutes.
    pub max_bundle_bytes: u64,
}

/// The API's document and router from `api` (nested under `/api/v1`) and `pages`, with the
/// embedded pages (unknown paths go to them), `/metrics` and the OpenAPI document itself. Routes join only through
/// `routes!` registrations, so the document is the complete list the access test walks.
pub fn assemble(
    api: OpenApiRouter,
    pages: OpenApiRouter,
    shared: Pages,
    metrics: Arc<Metrics>,
) -> (Router, utoipa::openapi::OpenApi) {
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .merge(pages)
        .merge(pages::routes().with_state(shared))
        .merge(metrics::routes().with_state(metrics))
        .split_for_parts();
    openapi.info.version = env!("CARGO_PKG_VERSION").into();
    let spec = Arc::new(openapi.clone());
    // The document cannot describe itself before it exists: the one route added by hand.
    let router = router.fallback(pages::fallback).route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let spec = spec.clone();
            async move { axum::Json((*spec).clone()) }
        }),
    );
    (router, openapi)
}

/// The hotel's own sites that may frame the chat widget, read per response:
/// `frame-ancestors` sources (CSP3 §6.4.2) such as `https://hotel.example`; empty lets any
/// site frame it.
pub type WidgetSites = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// The pages' Content-Security-Policy (CSP3) before `frame-ancestors`: scripts and styles
/// only from the hub's files (no inline script, no inline style attribute), images also from
/// `https:` (the property's logo may live on its website), connections (the API, the
/// sockets) only to the hub.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob: https:; media-src 'self' blob:; connect-src 'self'; \
    worker-src 'self'; manifest-src 'self'; frame-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'";

/// HSTS (RFC 6797 §6.1) on HTTPS responses: a year, this host only. Browsers keep it only
/// from a certificate they trust, so a device that has not trusted the hub's CA is not
/// locked out by it.
const HSTS: &str = "max-age=31536000";

/// The cross-cutting layers, outermost last: metrics, security headers and frame policy,
/// panic catcher, timeout, oversize refusal, body limit.
pub fn layered(
    router: Router,
    limits: WebLimits,
    metrics: Arc<Metrics>,
    widget_sites: WidgetSites,
) -> Router {
    router
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            oversize::BodyLimits {
                default: limits.max_body_bytes,
                uploads: limits.max_upload_bytes,
                bundles: limits.max_bundle_bytes,
            },
            oversize::refuse_oversize,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Duration::from_secs(limits.request_timeout_secs),
            deadline,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            axum::response::IntoResponse::into_response(AppError::Internal(
                "a handler panicked".into(),
            ))
        }))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            widget_sites,
            security_headers,
        ))
        // Invite links carry their token in the path: never leak it to other sites.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            metrics,
            metrics::count,
        ))
}

/// 408 for a request not answered in `limit`, but for a system bundle's upload: its size is
/// bounded instead, and a slow link may take minutes over it.
async fn deadline(
    axum::extract::State(limit): axum::extract::State<Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if oversize::is_bundle(&request) {
        return next.run(request).await;
    }
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            axum::response::IntoResponse::into_response(axum::http::StatusCode::REQUEST_TIMEOUT)
        }
    }
}

/// The policy on every response that has none of its own (attachments bring a stricter
/// sandbox): the chat widget's pages may be framed by the hotel's own sites, the guest
/// pages by the hub's own (the editor's preview); every other page refuses to be. HSTS
/// over TLS.
async fn security_headers(
    axum::extract::State(widget_sites): axum::extract::State<WidgetSites>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let embeddable = request.uri().path().starts_with("/widget/");
    // The guest pages show in the admin app's preview frames, on the hub's own origin.
    let own_frames = request.uri().path().starts_with("/r/");
    let tls = request
        .extensions()
        .get::<ServedOverTls>()
        .is_some_and(|t| t.0);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        return response;
    }
    let ancestors = if embeddable {
        // Sites are origins checked when saved; anything that could not sit in a header
        // is left out.
        let sites: Vec<String> = widget_sites()
            .into_iter()
            .filter(|s| s.bytes().all(|b| b.is_ascii_graphic()))
            .collect();
        if sites.is_empty() {
            "*".to_owned()
        } else {
            format!("'self' {}", sites.join(" "))
        }
    } else if own_frames {
        "'self'".to_owned()
    } else {
        "'none'".to_owned()
    };
    if let Ok(v) = HeaderValue::from_str(&format!("{CSP}; frame-ancestors {ancestors}")) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    if own_frames {
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
    } else if !embeddable {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}
