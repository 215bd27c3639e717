//! `hub-relay`: the cloud side that hubs behind NAT link out to. A single node embeds its
//! broker (rumqttd, loopback only) and keeps its state in SQLite; a cluster's nodes use NATS
//! (MQTT) for the links and PostgreSQL for the state. Hubs link through the guard (MQTT over
//! TLS, each hub to its own topics) and browsers reach a hub at `<hub id>.<relay host>`,
//! carried over that link, through any node.

pub mod accounts;
pub mod broker;
pub mod config;
pub mod gateway;
pub mod guard;
pub mod limits;
pub mod registry;
pub mod store;
pub mod tls;
pub mod tunnel;
pub mod turn;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

pub use config::RelayConfig;

/// A started relay: where it listens.
pub struct Running {
    pub http: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    pub link: SocketAddr,
    /// The relay's public address, as configured or as it follows from the ports bound.
    pub public_url: String,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Waits for the listeners (they run until the process ends).
    pub async fn wait(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Opens the registry, starts the broker, the link guard and the public listeners.
pub async fn start(mut config: RelayConfig) -> anyhow::Result<Running> {
    // Each hub link is two sockets (the hub's and the broker's), each browser one.
    let open_files = os_sockets::raise_open_file_limit();
    tracing::debug!(open_files, "The open-file limit.");
    let bind = |addr: Option<SocketAddr>, what: &'static str| async move {
        match addr {
            None => Ok::<_, anyhow::Error>(None),
            Some(addr) => Ok(Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for {what} on {addr}"))?,
            )),
        }
    };
    let http_listener = bind(config.http_listen, "browsers").await?;
    let https_listener = bind(config.https_listen, "browsers").await?;
    let link_listener = bind(Some(config.link_listen), "hub links")
        .await?
        .context("no link listener")?;
    let http = http_listener.as_ref().map(|l| l.local_addr()).transpose()?;
    let https = https_listener
        .as_ref()
        .map(|l| l.local_addr())
        .transpose()?;
    let link = link_listener.local_addr()?;
    // Left empty, the addresses follow the ports bound (tests and one-machine set-ups).
    if config.public_url.is_empty() {
        let (scheme, port) = match (https, http) {
            (Some(a), _) => ("https", a.port()),
            (None, Some(a)) => ("http", a.port()),
            (None, None) => anyhow::bail!("neither http_listen nor https_listen is set"),
        };
        config.public_url = format!("{scheme}://relay.localhost:{port}");
    }
    if config.link_address.is_empty() {
        config.link_address = format!("localhost:{}", link.port());
    }
    let public = config.public()?;
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot make {}", config.data_dir.display()))?;
    let store = match &config.cluster {
        None => store::Store::sqlite(&config.data_dir.join("relay.db"))
            .context("cannot open the relay's database")?,
        Some(cluster) => {
            let (url, n) = (cluster.postgres.clone(), cluster.postgres_connections);
            tokio::task::spawn_blocking(move || store::Store::postgres(&url, n))
                .await?
                .context("cannot reach PostgreSQL ([cluster] postgres)")?
        }
    };
    let registry = registry::Registry::open(store.clone(), &config.node, guard::unix_now())
        .await
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

    let upstream = match &config.cluster {
        None => broker::start(config.max_packet_bytes)
            .await
            .context("the relay's broker did not start")?,
        Some(cluster) => broker::Upstream::cluster(cluster),
    };
    let stats = Arc::new(guard::GuardStats::default());
    let streams =
        tunnel::Streams::start(&upstream, config.node.clone(), config.max_streams_per_hub);
    let links = guard::Guard {
        acceptor: acceptor.clone(),
        registry: registry.clone(),
        upstream: upstream.clone(),
        max_packet_bytes: config.max_packet_bytes,
        stats: stats.clone(),
        streams: streams.clone(),
    };
    let mut tasks = vec![
        heartbeat(registry.clone()),
        links.clone().serve(link_listener),
    ];

    if let Some(turn) = &config.turn {
        tasks.extend(
            turn::supervise(turn, &public.host, &config.data_dir)
                .context("cannot write coturn's configuration")?,
        );
    }
    let mailer = accounts::Mailer::from_config(&config.mail)
        .context("the [mail] settings are not usable")?;
    if let Some(dir) = &config.mail.pickup_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot make {}", dir.display()))?;
    }
    let accounts = accounts::Accounts::open(
        store.clone(),
        mailer,
        format!("{}://{}", public.scheme, public.authority),
    )
    .await
    .context("cannot open the owners' accounts")?;
    let oidc = accounts::Oidc::new(
        config.oidc.clone(),
        format!("{}://{}", public.scheme, public.authority),
    )
    .context("the [[oidc]] providers are not usable")?;
    let gateway = match &config.gateway {
        Some(g) => Some(
            gateway::Gateway::start(
                g,
                store.clone(),
                (streams.clone(), registry.clone()),
                public.clone(),
            )
            .await
            .context("the shared gateway bot did not start")?,
        ),
        None => None,
    };
    let own = web::router(web::Own {
        registry: registry.clone(),
        accounts,
        oidc,
        sign_ins: Arc::new(limits::Window::new(
            config.sign_ins_per_minute,
            Duration::from_secs(60),
        )),
        public: public.clone(),
        link_address: config.link_address.clone(),
        registrations: Arc::new(limits::Window::new(
            config.registrations_per_hour,
            Duration::from_secs(3600),
        )),
        guard: stats.clone(),
        turn: config.turn.clone().map(turn::Turn::new),
        links,
        max_packet_bytes: config.max_packet_bytes,
        gateway,
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
    if let Some(listener) = http_listener {
        tasks.push(front.clone().serve(listener, None));
    }
    if let Some(listener) = https_listener {
        tasks.push(front.serve(listener, Some(acceptor)));
    }
    tracing::info!(?http, ?https, %link, node = %config.node, "The relay is ready.");
    Ok(Running {
        http,
        https,
        link,
        public_url: config.public_url,
        tasks,
    })
}

/// Says every few seconds that this node is alive, and takes down the links of nodes that
/// have stopped saying so (their hubs show offline until they link again elsewhere).
fn heartbeat(registry: registry::Registry) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(registry::HEARTBEAT_SECS));
        loop {
            every.tick().await;
            match registry.heartbeat(guard::unix_now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(hubs = n, "Links of a silent relay node were taken down."),
                Err(e) => tracing::warn!(error = %e, "The node's heartbeat was not recorded."),
            }
        }
    })
}
