//! The web face of the hub: router assembly from every capability's routes, the OpenAPI
//! document generated from the same registrations, the cross-cutting layers (body limit,
//! timeout, panic catcher, security headers) and the HTTP and HTTPS listeners. Handlers live
//! with their capability; this module owns no business rules.

pub mod auth;
mod error;
mod metrics;
mod oversize;
mod pages;
pub mod ratelimit;
pub mod tls;

use std::net::SocketAddr;
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

pub use error::{ApiJson, AppError, ErrorBody};
pub use metrics::Metrics;

use crate::broker::BrokerHandle;
use crate::clock::Clock;
use crate::config::Config;
use crate::notify::Mailer;
use crate::store::Store;

/// What every handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub mailer: Option<Mailer>,
    pub broker: BrokerHandle,
    pub metrics: Arc<Metrics>,
    pub limits: Arc<Limits>,
    /// The local CA's certificate in PEM, offered to staff devices; none with a certificate
    /// of one's own.
    pub ca_pem: Option<Arc<str>>,
    pub chat: Arc<crate::chat::Chat>,
    /// Outgoing HTTP (webhooks, customer identification): bounded time and size.
    pub http: reqwest::Client,
    /// Open guest sockets per client address.
    pub guest_sockets: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    pub devices: crate::devices::Devices,
    pub bookings: crate::bookings::Bookings,
    pub weather: crate::weather::Weather,
    pub scenarios: crate::scenarios::Scenarios,
}

/// Failure counters for everything a stranger can try repeatedly.
pub struct Limits {
    pub login_by_address: ratelimit::FailureLimiter,
    pub login_by_email: ratelimit::FailureLimiter,
    pub setup_by_address: ratelimit::FailureLimiter,
    pub guest_messages: ratelimit::FailureLimiter,
    pub guest_connects: ratelimit::FailureLimiter,
    /// Bad signatures on the PMS webhook, per address.
    pub webhook_failures: ratelimit::FailureLimiter,
}

impl Limits {
    pub fn new(chat: &crate::config::ChatConfig) -> Limits {
        let window = Duration::from_secs(15 * 60);
        let minute = Duration::from_secs(60);
        Limits {
            login_by_address: ratelimit::FailureLimiter::new(window, 20),
            login_by_email: ratelimit::FailureLimiter::new(window, 5),
            setup_by_address: ratelimit::FailureLimiter::new(window, 5),
            guest_messages: ratelimit::FailureLimiter::new(minute, chat.guest_messages_per_minute),
            guest_connects: ratelimit::FailureLimiter::new(minute, chat.guest_connects_per_minute),
            webhook_failures: ratelimit::FailureLimiter::new(window, 20),
        }
    }
}

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
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "guest",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-guest-token"))),
        );
    }
}

/// Every route of the hub, with the OpenAPI document that describes the same set. Routes
/// join only through `routes!` registrations, so the document is the complete list the
/// access test walks.
pub fn router(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let admin = OpenApiRouter::new()
        .merge(crate::team::api::admin_routes())
        .merge(crate::team::property::admin_routes())
        .merge(crate::bookings::rooms::admin_routes())
        .merge(crate::broker::credentials::admin_routes())
        .merge(crate::chat::api::admin_routes())
        .merge(crate::devices::api::admin_routes())
        .merge(crate::bookings::api::admin_routes())
        .merge(crate::scenarios::api::admin_routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_admin,
        ));
    let api = OpenApiRouter::new()
        .merge(crate::team::api::routes())
        .merge(crate::team::property::routes())
        .merge(crate::bookings::rooms::routes())
        .merge(crate::chat::api::routes())
        .merge(crate::chat::guest_api::routes())
        .merge(crate::chat::reports::routes())
        .merge(crate::devices::api::routes())
        .merge(crate::bookings::api::routes())
        .merge(crate::weather::api::routes())
        .merge(
            crate::chat::api::upload_routes()
                .merge(crate::chat::guest_api::upload_routes())
                .layer(DefaultBodyLimit::max(
                    state.config.chat.max_attachment_bytes,
                )),
        )
        .nest("/admin", admin);
    let (router, mut openapi) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api)
        .merge(pages::routes())
        .merge(metrics::routes())
        .split_for_parts();
    openapi.info.version = env!("CARGO_PKG_VERSION").into();
    let spec = Arc::new(openapi.clone());
    let timeout = Duration::from_secs(state.config.web.request_timeout_secs);
    let max_body = state.config.web.max_body_bytes;
    // The document cannot describe itself before it exists: the one route added by hand.
    let router = router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let spec = spec.clone();
                async move { axum::Json((*spec).clone()) }
            }),
        )
        .route(
            "/ws/guest",
            axum::routing::get(crate::chat::guest_ws::upgrade),
        )
        .route(
            "/ws/team",
            axum::routing::get(crate::chat::team_ws::upgrade),
        )
        .fallback(pages::fallback)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(
            oversize::BodyLimits {
                default: max_body,
                uploads: state.config.chat.max_attachment_bytes,
            },
            oversize::refuse_oversize,
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
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
            state.clone(),
            metrics::count,
        ))
        .with_state(state);
    (router, openapi)
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

/// Serves plain HTTP until `shutdown` resolves. Returns the bound address (port 0 picks one).
pub async fn serve_http(
    router: Router,
    addr: SocketAddr,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen for HTTP on {addr}"))?;
    let bound = listener.local_addr()?;
    // Chat frames are small and answered at once: Nagle's delay would add tens of ms.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "Cannot set TCP_NODELAY.");
        }
    });
    let app = router
        .layer(axum::Extension(auth::ServedOverTls(false)))
        .into_make_service_with_connect_info::<SocketAddr>();
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "The HTTP listener stopped.");
        }
    });
    Ok((bound, handle))
}

/// Serves HTTPS with the given certificate until `handle.graceful_shutdown` is called.
pub async fn serve_https(
    router: Router,
    addr: SocketAddr,
    tls: axum_server::tls_rustls::RustlsConfig,
    handle: axum_server::Handle,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    use anyhow::Context;
    let std_listener = std::net::TcpListener::bind(addr)
        .with_context(|| format!("cannot listen for HTTPS on {addr}"))?;
    std_listener.set_nonblocking(true)?;
    let bound = std_listener.local_addr()?;
    let app = router
        .layer(axum::Extension(auth::ServedOverTls(true)))
        .into_make_service_with_connect_info::<SocketAddr>();
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
        .acceptor(axum_server::accept::NoDelayAcceptor::new());
    let server = axum_server::Server::from_tcp(std_listener)
        .acceptor(acceptor)
        .handle(handle);
    let task = tokio::spawn(async move {
        if let Err(e) = server.serve(app).await {
            tracing::error!(error = %e, "The HTTPS listener stopped.");
        }
    });
    Ok((bound, task))
}
