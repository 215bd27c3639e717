//! The web mechanism every capability's routes share: errors and the JSON extractor, the
//! cross-cutting layers (body limits and the oversize refusal, timeout → 408, panic → 500,
//! security headers, request metrics), the embedded pages, the local CA, and the HTTP and
//! HTTPS listeners with their connection limits. It knows no capability: the route table is `wiring.rs`.

mod connections;
mod error;
mod listener;
mod metrics;
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
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use connections::{ConnectionLimits, Connections};
pub use error::{ApiJson, AppError, ErrorBody};
pub use listener::{serve, tls_acceptor, Transport};
pub use metrics::{Gauge, Metrics};
pub use pages::Pages;

/// The session cookie's name, declared as the `session` security scheme.
pub const SESSION_COOKIE: &str = "hub_session";

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
}

/// The API's document and router from `api` (nested under `/api/v1`) and `pages`, with the
/// embedded pages, `/metrics` and the OpenAPI document itself. Routes join only through
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
    let router = router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let spec = spec.clone();
            async move { axum::Json((*spec).clone()) }
        }),
    );
    (router, openapi)
}

/// The cross-cutting layers, outermost last: metrics, security headers and frame policy,
/// panic catcher, timeout, oversize refusal, body limit; unknown paths go to the pages.
pub fn layered(router: Router, limits: WebLimits, metrics: Arc<Metrics>) -> Router {
    router
        .fallback(pages::fallback)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            oversize::BodyLimits {
                default: limits.max_body_bytes,
                uploads: limits.max_upload_bytes,
            },
            oversize::refuse_oversize,
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(limits.request_timeout_secs),
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
        .layer(axum::middleware::from_fn(frame_policy))
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

/// Only the chat widget's frame may be embedded, by any site (it is meant for the hotel's
/// own website); every other page refuses to be framed.
async fn frame_policy(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let embeddable = request.uri().path().starts_with("/widget/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if embeddable {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors *"),
        );
    } else if !headers.contains_key(header::X_FRAME_OPTIONS) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}
