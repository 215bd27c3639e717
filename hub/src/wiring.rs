//! The route table: each capability's routes bound to its own service, the admin gate over
//! `/api/v1/admin/`, the session lookup, the larger body limit on the upload routes, the
//! chat sockets, and the gauges `/metrics` reads. With `app.rs`, which starts the
//! services, the only module that knows every capability; no capability knows it.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;

use crate::bookings::Bookings;
use crate::broker::{BrokerHandle, Credentials};
use crate::chat::Chat;
use crate::config::Config;
use crate::devices::Devices;
use crate::scenarios::Scenarios;
use crate::store::Store;
use crate::team::Team;
use crate::weather::Weather;
use crate::web::{self, Connections, Gauge, Metrics, Pages, WebLimits};

/// Every front door the routes reach; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub config: Arc<Config>,
    pub team: Team,
    pub credentials: Credentials,
    pub broker: BrokerHandle,
    pub chat: Arc<Chat>,
    pub devices: Devices,
    pub bookings: Bookings,
    pub weather: Weather,
    pub scenarios: Scenarios,
    /// The local CA's certificate in PEM, offered to staff devices; none with a
    /// certificate of one's own.
    pub ca_pem: Option<Arc<str>>,
    /// The HTTPS listener's port, where staff are sent; `None` with HTTPS off.
    pub https_port: Option<u16>,
    pub push: crate::push::Push,
    pub reception: crate::reception::Reception,
    pub frontdesk: crate::frontdesk::FrontDesk,
    pub calls: crate::calls::Calls,
    pub scans: crate::scans::Scans,
    pub cloud: crate::cloud::Cloud,
    pub messengers: crate::messengers::Messengers,
    pub updates: crate::updates::Updates,
    pub gpio: crate::gpio::Gpio,
}

/// Every route of the hub with the OpenAPI document that describes the same set (the
/// access test walks it).
pub fn router(s: &Services, connections: &Arc<Connections>) -> (Router, utoipa::openapi::OpenApi) {
    let admin = OpenApiRouter::new()
        .merge(crate::team::api::admin_routes().with_state(s.team.clone()))
        .merge(crate::bookings::rooms_api::admin_routes().with_state(s.bookings.clone()))
        .merge(crate::broker::credentials_api::admin_routes().with_state(s.credentials.clone()))
        .merge(crate::chat::api::admin_routes().with_state(s.chat.clone()))
        .merge(crate::devices::api::admin_routes().with_state(s.devices.clone()))
        .merge(crate::bookings::api::admin_routes().with_state(s.bookings.clone()))
        .merge(crate::scenarios::api::admin_routes().with_state(s.scenarios.clone()))
        .merge(crate::reception::api::admin_routes().with_state(s.reception.clone()))
        .merge(crate::frontdesk::api::admin_routes().with_state(s.frontdesk.clone()))
        .merge(crate::calls::api::admin_routes().with_state(s.calls.clone()))
        .merge(crate::scans::api::admin_routes().with_state(s.scans.clone()))
        .merge(crate::cloud::api::admin_routes().with_state(s.cloud.clone()))
        .merge(crate::messengers::api::admin_routes().with_state(s.messengers.clone()))
        .merge(crate::updates::api::admin_routes().with_state(s.updates.clone()))
        .merge(crate::gpio::api::admin_routes().with_state(s.gpio.clone()))
        // The service bounds a bundle's bytes as they arrive (`updates.max_bundle_bytes`).
        .merge(
            crate::updates::api::bundle_routes()
                .with_state(s.updates.clone())
                .layer(DefaultBodyLimit::disable()),
        )
        .route_layer(axum::middleware::from_fn(
            crate::team::staff_api::require_admin,
        ));
    let uploads = crate::chat::api::upload_routes()
        .merge(crate::chat::guest_api::upload_routes())
        .with_state(s.chat.clone())
        .merge(crate::frontdesk::api::upload_routes().with_state(s.frontdesk.clone()))
        .layer(DefaultBodyLimit::max(s.config.chat.max_attachment_bytes));
    let api = OpenApiRouter::new()
        .merge(crate::team::api::routes().with_state(s.team.clone()))
        .merge(crate::bookings::rooms_api::routes().with_state(s.bookings.clone()))
        .merge(crate::chat::api::routes().with_state(s.chat.clone()))
        .merge(crate::chat::guest_api::routes().with_state(s.chat.clone()))
        .merge(crate::chat::reports_api::routes().with_state(s.chat.clone()))
        .merge(crate::devices::api::routes().with_state(s.devices.clone()))
        .merge(crate::bookings::api::routes().with_state(s.bookings.clone()))
        .merge(crate::weather::api::routes().with_state(s.weather.clone()))
        .merge(crate::push::api::routes().with_state(s.push.clone()))
        .merge(crate::reception::api::routes().with_state(s.reception.clone()))
        .merge(crate::frontdesk::api::routes().with_state(s.frontdesk.clone()))
        .merge(crate::calls::api::routes().with_state(s.calls.clone()))
        .merge(crate::scans::api::routes().with_state(s.scans.clone()))
        .merge(crate::messengers::api::routes().with_state(s.messengers.clone()))
        .merge(crate::gpio::api::routes().with_state(s.gpio.clone()))
        .merge(uploads)
        .nest("/admin", admin);
    let pages = OpenApiRouter::new()
        .merge(crate::team::api::page_routes().with_state(s.team.clone()))
        .merge(crate::chat::api::page_routes().with_state(s.chat.clone()))
        .merge(crate::reception::api::page_routes().with_state(s.reception.clone()))
        .merge(crate::messengers::api::hook_routes().with_state(s.messengers.clone()));
    let metrics = Arc::new(Metrics::new(s.store.clone(), gauges(s, connections)));
    let (router, openapi) = web::assemble(
        api,
        pages,
        Pages {
            store: s.store.clone(),
            ca_pem: s.ca_pem.clone(),
        },
        metrics.clone(),
    );
    // The sockets speak their own protocols after the upgrade: not in the document.
    let sockets = Router::new()
        .route(
            "/ws/guest",
            axum::routing::get(crate::chat::guest_ws::upgrade),
        )
        .route(
            "/ws/team",
            axum::routing::get(crate::chat::team_ws::upgrade),
        )
        .with_state(s.chat.clone())
        .route(
            "/ws/kiosk",
            axum::routing::get(crate::frontdesk::call_ws::upgrade).with_state(s.frontdesk.clone()),
        )
        .route(
            "/ws/call",
            axum::routing::get(crate::calls::guest_ws::upgrade).with_state(s.calls.clone()),
        );
    let router = router
        .merge(sockets)
        .layer(axum::middleware::from_fn_with_state(
            s.team.clone(),
            crate::team::staff_api::identify,
        ));
    // Outside the session lookup: a sign-in over plain HTTP is refused before anything.
    let router = match s.https_port {
        Some(https_port) => router.layer(axum::middleware::from_fn_with_state(
            crate::team::secure_api::HttpsGate {
                team: s.team.clone(),
                https_port,
            },
            crate::team::secure_api::require_https,
        )),
        None => router,
    };
    let limits = WebLimits {
        request_timeout_secs: s.config.web.request_timeout_secs,
        max_body_bytes: s.config.web.max_body_bytes,
        max_upload_bytes: s.config.chat.max_attachment_bytes,
        max_bundle_bytes: s.config.updates.max_bundle_bytes,
    };
    let chat = s.chat.clone();
    let widget_sites: web::WidgetSites = Arc::new(move || chat.widget_sites());
    (web::layered(router, limits, metrics, widget_sites), openapi)
}

fn gauges(s: &Services, connections: &Arc<Connections>) -> Vec<Gauge> {
    let broker = s.broker.clone();
    let chat = s.chat.clone();
    let open = connections.clone();
    let refused = connections.clone();
    let devices = s.devices.clone();
    let scenarios = s.scenarios.clone();
    let calls = s.calls.clone();
    let messengers = s.messengers.clone();
    vec![
        Gauge {
            name: "hub_messenger_webhooks_refused",
            help: "Messenger webhooks refused since start: a signature or token that is not the platform's.",
            read: Box::new(move || messengers.refused_total() as f64),
        },
        Gauge {
            name: "hub_calls_active",
            help: "Calls ringing or under way through the hub.",
            read: Box::new(move || calls.active_count() as f64),
        },
        Gauge {
            name: "hub_http_connections",
            help: "Connections open on the HTTP and HTTPS listeners (WebSockets included).",
            read: Box::new(move || open.open() as f64),
        },
        Gauge {
            name: "hub_http_connections_refused",
            help: "Connections refused since start because the limits were reached.",
            read: Box::new(move || refused.refused() as f64),
        },
        Gauge {
            name: "hub_broker_clients",
            help: "MQTT clients connected to the embedded broker.",
            read: Box::new(move || broker.connected_clients() as f64),
        },
        Gauge {
            name: "hub_device_changes_dropped",
            help: "Device state changes the hub fell too far behind to follow (each also logged with its device).",
            read: Box::new(move || devices.changes_dropped() as f64),
        },
        Gauge {
            name: "hub_scenario_fires_dropped",
            help: "Scenario fires their mode dropped since start (a full queue, a run under way); each is a skipped run.",
            read: Box::new(move || scenarios.progress().dropped as f64),
        },
        Gauge {
            name: "hub_chat_guest_sockets",
            help: "Open guest chat sockets (widgets, reception pages, kiosks).",
            read: Box::new(move || chat.guest_sockets() as f64),
        },
    ]
}

/// Starts the cloud link when a relay is configured, with what it needs from the rest of
/// the hub: how to serve carried connections and the dashboard's figures.
pub fn link_to_relay(
    s: &Services,
    router: &Router,
    connections: &Arc<Connections>,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>, crate::cloud::IdentityError> {
    s.cloud.connect(
        s.team.property().current().name,
        carried(router, connections, stop),
        dashboard_summary(s),
        stop.clone(),
    )
}

/// How the cloud link serves a browser connection the relay carries: on the same routes and
/// within the same connection limits as the listeners, minus what stays on the LAN.
fn carried(
    router: &Router,
    connections: &Arc<Connections>,
    stop: &tokio::sync::watch::Receiver<bool>,
) -> crate::cloud::ServeCarried {
    let router = router
        .clone()
        .layer(axum::middleware::from_fn(crate::cloud::api::lan_only));
    let (connections, stop) = (connections.clone(), stop.clone());
    Arc::new(move |io, peer, tls| {
        crate::web::serve_carried(io, peer, tls, router.clone(), &connections, stop.clone())
    })
}

/// What the owners' dashboard on the relay shows, from the chat, the bookings and the
/// devices (CLOUD-5).
fn dashboard_summary(s: &Services) -> crate::cloud::SummarySource {
    let (chat, bookings, devices, team) = (
        s.chat.clone(),
        s.bookings.clone(),
        s.devices.clone(),
        s.team.clone(),
    );
    Arc::new(move || {
        let (chat, bookings, devices, team) = (
            chat.clone(),
            bookings.clone(),
            devices.clone(),
            team.clone(),
        );
        Box::pin(async move {
            let zone: chrono_tz::Tz = team.property().current().time_zone.parse().ok()?;
            let today = chrono::Utc::now().with_timezone(&zone).date_naive();
            let (from, to) = (
                (today - chrono::Duration::days(1)).to_string(),
                (today + chrono::Duration::days(1)).to_string(),
            );
            let stays = bookings.between(Some(&from), Some(&to)).await.ok()?;
            let today = today.to_string();
            let live =
                |r: &&crate::bookings::Reservation| r.status != crate::bookings::Status::Cancelled;
            let list = devices.list().await.ok()?;
            Some(crate::cloud::Summary {
                unanswered: chat.unanswered().await.ok()?,
                arrivals: stays
                    .iter()
                    .filter(live)
                    .filter(|r| r.check_in == today)
                    .count() as i64,
                departures: stays
                    .iter()
                    .filter(live)
                    .filter(|r| r.check_out == today)
                    .count() as i64,
                devices: list.len() as i64,
                devices_offline: list.iter().filter(|d| !d.online).count() as i64,
            })
        })
    })
}

/// The calls' TURN servers: the cloud relay's, with this hub's short-lived credential.
pub fn ice_servers(cloud: &crate::cloud::Cloud) -> crate::calls::IceServers {
    let cloud = cloud.clone();
    Arc::new(move || {
        let cloud = cloud.clone();
        Box::pin(async move {
            cloud
                .turn_servers()
                .await
                .into_iter()
                .map(|s| crate::calls::IceServer {
                    urls: s.urls,
                    username: s.username,
                    credential: s.credential,
                })
                .collect()
        })
    })
}
