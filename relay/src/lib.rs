//! `hub-relay`: the cloud side that hubs behind NAT link out to. A single node embeds its
//! broker (rumqttd, loopback only) and keeps its registry in SQLite; hubs link through the
//! guard (MQTT over TLS, each hub to its own topics) and browsers reach a hub at
//! `<hub id>.<relay host>`, carried over that link.

pub mod broker;
pub mod config;
pub mod guard;
pub mod limits;
pub mod registry;
pub mod tls;
pub mod tunnel;
pub mod web;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

pub use config::RelayConfig;

/// A started relay: where it listens.
pub struct Running {
    pub http: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub link: SocketAddr,
    guard: Arc<guard::GuardStats>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Hub links refused so far (bad credential, a topic not the hub's).
    pub fn refused_links(&self) -> u64 {
        self.guard.refused.load(Ordering::Relaxed)
    }

    /// Waits for the listeners (they run until the process ends).
    pub async fn wait(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Opens the registry, starts the broker, the link guard and the public listeners.
pub async fn start(config: RelayConfig) -> anyhow::Result<Running> {
    let public = config.public()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot make {}", config.data_dir.display()))?;
    let registry = registry::Registry::open(&config.data_dir.join("relay.db"))
        .context("cannot open the hub registry")?;
    let link_host = config
        .link_address
        .rsplit_once(':')
        .map_or(config.link_address.as_str(), |(h, _)| h)
        .to_owned();
    let mut names = vec![public.host.clone(), format!("*.{}", public.host), link_host];
    names.push("localhost".into());
    names.dedup();
    let configured = config.tls_cert.as_deref().zip(config.tls_key.as_deref());
    let acceptor = tls::acceptor(&config.data_dir, configured, names)
        .context("the relay's TLS certificate is not usable")?;

    let upstream = broker::start(config.max_packet_bytes)
        .await
        .context("the relay's broker did not start")?;
    let stats = Arc::new(guard::GuardStats::default());
    let link_listener = tokio::net::TcpListener::bind(config.link_listen)
        .await
        .with_context(|| format!("cannot listen for hub links on {}", config.link_listen))?;
    let link = link_listener.local_addr()?;
    let mut tasks = vec![guard::Guard {
        acceptor: acceptor.clone(),
        registry: registry.clone(),
        upstream: upstream.clone(),
        max_packet_bytes: config.max_packet_bytes,
        stats: stats.clone(),
    }
    .serve(link_listener)];

    let node = hex::encode(rand::random::<[u8; 4]>());
    let streams = tunnel::Streams::start(&upstream, node, config.max_streams_per_hub);
    let own = web::router(web::Own {
        registry: registry.clone(),
        public: public.clone(),
        link_address: config.link_address.clone(),
        registrations: Arc::new(limits::Window::new(
            config.registrations_per_hour,
            Duration::from_secs(3600),
        )),
    });
    let front = tunnel::Public {
        public,
        registry,
        streams,
        own,
        connections: Arc::new(limits::Window::new(
            config.connections_per_minute,
            Duration::from_secs(60),
        )),
    };
    let bound = |addr: Option<SocketAddr>, tls: Option<tokio_rustls::TlsAcceptor>| async move {
        match addr {
            None => Ok::<_, anyhow::Error>(None),
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for browsers on {addr}"))?;
                Ok(Some((listener.local_addr()?, listener, tls)))
            }
        }
    };
    let mut http = None;
    if let Some((addr, listener, tls)) = bound(config.http_listen, None).await? {
        tasks.push(front.clone().serve(listener, tls));
        http = Some(addr);
    }
    let mut https = None;
    if let Some((addr, listener, tls)) = bound(config.https_listen, Some(acceptor)).await? {
        tasks.push(front.serve(listener, tls));
        https = Some(addr);
    }
    tracing::info!(?http, ?https, %link, "The relay is ready.");
    Ok(Running {
        http,
        https,
        link,
        guard: stats,
        tasks,
    })
}
