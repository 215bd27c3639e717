//! `/metrics` in the Prometheus text format: uptime, the store writer's queue and commit
//! latency, HTTP requests and open connections, and the gauges the wiring registers for
//! capabilities (broker clients, guest chat sockets).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::store::Store;

/// A value read when `/metrics` is scraped.
pub struct Gauge {
    pub name: &'static str,
    pub help: &'static str,
    pub read: Box<dyn Fn() -> f64 + Send + Sync>,
}

pub struct Metrics {
    started: Instant,
    requests: AtomicU64,
    server_errors: AtomicU64,
    in_flight: AtomicU64,
    store: Store,
    gauges: Vec<Gauge>,
}

impl Metrics {
    /// Counts requests and reports the store's writer and `gauges`.
    pub fn new(store: Store, gauges: Vec<Gauge>) -> Metrics {
        Metrics {
            started: Instant::now(),
            requests: AtomicU64::new(0),
            server_errors: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            store,
            gauges,
        }
    }
}

pub(super) async fn count(State(m): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    m.requests.fetch_add(1, Ordering::Relaxed);
    m.in_flight.fetch_add(1, Ordering::Relaxed);
    let response = next.run(request).await;
    m.in_flight.fetch_sub(1, Ordering::Relaxed);
    if response.status().is_server_error() {
        m.server_errors.fetch_add(1, Ordering::Relaxed);
    }
    response
}

pub(super) fn routes() -> OpenApiRouter<Arc<Metrics>> {
    OpenApiRouter::new().routes(routes!(metrics))
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
async fn metrics(State(m): State<Arc<Metrics>>) -> Response {
    let store = m.store.writer_stats();
    let mut out = String::with_capacity(2048);
    let mut put = |name: &str, kind: &str, help: &str, value: f64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    put(
        "hub_uptime_seconds",
        "gauge",
        "Seconds since the hub started.",
        m.started.elapsed().as_secs_f64(),
    );
    put(
        "hub_http_requests_total",
        "counter",
        "HTTP requests answered.",
        m.requests.load(Ordering::Relaxed) as f64,
    );
    put(
        "hub_http_server_errors_total",
        "counter",
        "HTTP answers with a 5xx status.",
        m.server_errors.load(Ordering::Relaxed) as f64,
    );
    put(
        "hub_http_requests_in_flight",
        "gauge",
        "HTTP requests being handled now.",
        m.in_flight.load(Ordering::Relaxed) as f64,
    );
    put(
        "hub_store_queue_depth",
        "gauge",
        "Write jobs waiting for the store writer.",
        store.queue_depth as f64,
    );
    put(
        "hub_store_commits_total",
        "counter",
        "Group commits made.",
        store.commits as f64,
    );
    put(
        "hub_store_jobs_total",
        "counter",
        "Write jobs committed or rolled back.",
        store.jobs as f64,
    );
    put(
        "hub_store_commit_seconds_total",
        "counter",
        "Time spent in group commits.",
        store.commit_micros_total as f64 / 1e6,
    );
    put(
        "hub_store_last_commit_seconds",
        "gauge",
        "Duration of the latest group commit.",
        store.last_commit_micros as f64 / 1e6,
    );
    for g in &m.gauges {
        put(g.name, "gauge", g.help, (g.read)());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
