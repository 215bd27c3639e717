//! Wiring: config → data directory lock → store → first-start housekeeping → broker →
//! TLS → web listeners → mDNS → systemd readiness; then waits for a signal and shuts down
//! in reverse. Owns no business rules.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::alerts;
use crate::bookings::Bookings;
use crate::broker::{self, BrokerHandle, Credentials};
use crate::chat::{Chat, ChatParts};
use crate::clock::Clock;
use crate::config::Config;
use crate::notify::Mailer;
use crate::plan::{Account, Appliance, Plan};
use crate::platform::{mdns, systemd};
use crate::scenarios::Scenarios;
use crate::store::{Store, StoreOptions};
use crate::team::{Property, Team};
use crate::weather::Weather;
use crate::web::{self, tls};
use crate::wiring::Services;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Run,
    #[cfg(feature = "demo")]
    Demo,
}

/// Holds the data directory for this process; a second hub on the same files is refused.
pub fn lock_data_dir(data_dir: &Path) -> anyhow::Result<File> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join("hub.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.try_lock().map_err(|_| {
        anyhow::anyhow!(
            "another hub is running on {} (stop it first)",
            data_dir.display()
        )
    })?;
    Ok(file)
}

/// A started hub: its addresses and handles, and what `stop` takes down.
pub struct Running {
    pub http: std::net::SocketAddr,
    pub https: Option<std::net::SocketAddr>,
    pub mqtt: Option<std::net::SocketAddr>,
    pub store: Store,
    pub scenarios: crate::scenarios::Scenarios,
    pub setup_code: Option<String>,
    /// The accounts the plan made (the demo's), printed once.
    pub accounts: Option<Vec<Account>>,
    config: Arc<Config>,
    devices: crate::devices::Devices,
    listening: Listening,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    weather: crate::weather::Weather,
    broker: Option<broker::Running>,
    updates: crate::updates::Updates,
    gpio: crate::gpio::Gpio,
    team: Team,
    /// What the plan keeps running (the demo's emulated devices), dropped last.
    plan: Box<dyn std::any::Any + Send>,
    _lock: File,
}

pub async fn run(config: Config, mode: Mode) -> anyhow::Result<()> {
    // Boxed: the start-up future is large, too large for the main thread's stack in
    // debug builds.
    let mut running = Box::pin(start(config, mode, Clock::system())).await?;
    announce(
        &running.http,
        running.https,
        running.mqtt,
        running.setup_code.as_deref(),
        running.accounts.clone(),
        &running.config,
    );
    systemd::ready();
    systemd::spawn_watchdog(running.http);
    let serving = crate::appliance::serving(
        &running.store,
        &running.updates,
        &running.gpio,
        &running.team,
        running.http,
        running.mqtt,
    );
    running.tasks.extend(serving);
    tokio::task::spawn_blocking(crate::platform::memory::release_start_up_code);
    crate::platform::wait_for_signal().await;
    tracing::info!("Shutting down.");
    systemd::stopping();
    running.stop().await;
    Ok(())
}

impl Running {
    pub fn weather(&self) -> &crate::weather::Weather {
        &self.weather
    }

    pub fn devices(&self) -> &crate::devices::Devices {
        &self.devices
    }

    pub fn gpio(&self) -> &crate::gpio::Gpio {
        &self.gpio
    }

    /// Stops serving, then the engine, device links and the rest, in reverse order.
    pub async fn stop(self) {
        let l = self.listening;
        let _ = l.stop_tx.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), l.http_task).await;
        if let Some((_, task)) = l.https {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        if let Some(a) = l.advertiser {
            a.stop();
        }
        self.scenarios.stop().await;
        for t in self.tasks {
            t.abort();
        }
        self.weather.stop();
        self.devices.shutdown();
        drop(self.broker);
        drop(self.plan);
        if let Err(e) = self.store.flush_to_disk().await {
            tracing::warn!(error = %e, "The last deferred writes may not have reached the disk.");
        }
    }
}

/// Starts everything on `clock` (tests pass a manual one) and returns once the hub
/// answers on its addresses.
pub async fn start(config: Config, mode: Mode, clock: Clock) -> anyhow::Result<Running> {
    match mode {
        Mode::Run => start_with(config, clock, Appliance).await,
        #[cfg(feature = "demo")]
        Mode::Demo => start_with(config, clock, crate::demo::Demo::default()).await,
    }
}

/// Starts the hub's services with what `plan` adds at each step.
async fn start_with<P: Plan>(config: Config, clock: Clock, mut plan: P) -> anyhow::Result<Running> {
    let lock = lock_data_dir(&config.data_dir)?;
    let store_path = config.store_path();
    let store =
        tokio::task::spawn_blocking(move || Store::open(&store_path, StoreOptions::default()))
            .await?
            .context("cannot open the store")?;
    let (updates, gpio) = crate::appliance::start(&config, &store, &clock).await?;
    let mailer = Mailer::from_config(&config.smtp).context("the SMTP settings do not work")?;
    let outgoing = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("cannot make the HTTP client")?;

    let property = Property::start(store.clone(), clock.clone())
        .await
        .context("first-start housekeeping failed")?;
    let team = Team::new(
        store.clone(),
        clock.clone(),
        mailer.clone(),
        property.clone(),
        config.web.session_days,
        config.web.host_name.clone(),
    );
    let bookings = Bookings::start(store.clone(), clock.clone(), property.clone())
        .await
        .context("cannot start the bookings")?;
    let push = crate::push::Push::start(
        store.clone(),
        clock.clone(),
        outgoing.clone(),
        &config.web.host_name,
    )
    .await
    .context("cannot start Web Push")?;
    let chat = Chat::start(ChatParts {
        store: store.clone(),
        clock: clock.clone(),
        mailer: mailer.clone(),
        geoip: crate::chat::geoip::GeoIp::open(config.chat.geoip_database.as_deref()),
        team: team.clone(),
        config: config.chat.clone(),
        data_dir: config.data_dir.clone(),
        http: outgoing.clone(),
    })
    .await
    .context("cannot start the chat")?;
    let accounts = plan
        .seed(&team, &bookings, &chat)
        .await
        .context("cannot create the property's first content")?;
    let setup_code = team
        .setup_code()
        .await
        .context("cannot make the set-up code")?;

    let broker_handle = BrokerHandle::default();
    let credentials = Credentials::new(store.clone(), clock.clone(), broker_handle.clone());
    credentials.load().await?;
    let broker = if config.broker.enabled {
        Some(broker::start(&config.broker, broker_handle.clone()).await?)
    } else {
        None
    };
    credentials.listening(broker.as_ref().map(|b| b.addr));

    let vault = crate::devices::vault::Vault::open(&config.data_dir)?;
    let mut scope = crate::devices::DiscoveryScope {
        duration: Duration::from_secs(3),
        ..Default::default()
    };
    // The appliance looks for devices on its LAN when the owner asks.
    scope.lan = Some(crate::platform::lan::ipv4(&config.mdns.interfaces));
    scope.interfaces = config.mdns.interfaces.clone();
    plan.devices(&mut scope)
        .await
        .context("cannot start the plan's devices")?;
    let devices = crate::devices::Devices::start(store.clone(), clock.clone(), vault, scope)
        .await
        .context("cannot start the device registry")?;
    plan.devices_up(&devices, &bookings)
        .await
        .context("the plan's devices could not join")?;
    let broker = broker.map(|mut running| {
        if let Some((tx, rx)) = running.link.take() {
            crate::devices::mqtt::spawn(devices.clone(), bookings.clone(), tx, rx);
        }
        if let Some(link) = running.gpio_link.take() {
            gpio.attach_relays(link);
        }
        running
    });
    if let Some(running) = broker.as_ref() {
        plan.broker_up(running.addr, &credentials)
            .await
            .context("cannot start the plan's MQTT devices")?;
    }

    let tls_material = match config.web.https_listen {
        Some(_) => {
            let configured = config
                .web
                .tls_cert
                .as_deref()
                .zip(config.web.tls_key.as_deref());
            Some(
                tls::prepare(&config.data_dir, configured, &config.web.host_name)
                    .context("cannot prepare HTTPS")?,
            )
        }
        None => None,
    };
    let property_name = property.current().name;

    let timers = crate::chat::timers::spawn(
        chat.clone(),
        Duration::from_secs(config.chat.timer_period_secs),
    );
    let ical = bookings.spawn_refresher(Duration::from_secs(
        u64::from(config.bookings.ical_refresh_minutes) * 60,
    ));
    let mut weather_config = config.weather.clone();
    let mut tasks = vec![
        timers,
        ical,
        tokio::spawn(async {
            let mut every = tokio::time::interval(crate::platform::memory::TRIM_EVERY);
            loop {
                every.tick().await;
                let _ = tokio::task::spawn_blocking(crate::platform::memory::trim).await;
            }
        }),
    ];
    tasks.extend(
        plan.weather(&mut weather_config)
            .await
            .context("cannot start the plan's forecast")?,
    );
    let weather = Weather::start(
        store.clone(),
        clock.clone(),
        property.clone(),
        &weather_config,
    )
    .await
    .context("cannot start the weather")?;
    let scenarios = Box::pin(Scenarios::start(crate::scenarios::run::Deps {
        store: store.clone(),
        clock: clock.clone(),
        devices: devices.clone(),
        weather: weather.clone(),
        chat: chat.clone(),
        bookings: bookings.clone(),
        property: property.clone(),
    }))
    .await
    .context("cannot start the scenario engine")?;
    plan.started(&scenarios, &bookings, &devices, &clock)
        .await
        .context("the plan could not finish")?;
    let config = Arc::new(config);
    let http = web::bind(config.web.http_listen, "HTTP").await?;
    let https = match (config.web.https_listen, tls_material) {
        (Some(addr), Some(material)) => Some((web::bind(addr, "HTTPS").await?, material)),
        _ => None,
    };
    let reception = crate::reception::Reception::new(
        crate::reception::Parts {
            store: store.clone(),
            clock: clock.clone(),
            property: property.clone(),
            weather: weather.clone(),
            bookings: bookings.clone(),
            chat: chat.clone(),
        },
        crate::platform::lan::guest_addresses(http.local_addr()?),
    );
    plan.reception_up(&reception)
        .await
        .context("the plan could not set up the guest pages")?;
    let cloud = crate::cloud::Cloud::new(&config.cloud, &config.data_dir, clock.clone());
    let calls = crate::calls::Calls::start(crate::calls::Parts {
        store: store.clone(),
        clock: clock.clone(),
        property: property.clone(),
        chat: chat.clone(),
        media: crate::calls::MediaSettings {
            address: config.calls.media_address,
            ice_servers: crate::wiring::ice_servers(&cloud),
        },
        max_calls: config.calls.max_calls,
    })
    .await
    .context("cannot start the calls")?;
    let messengers = alerts::start_messengers(&config, &chat, &reception, &cloud, outgoing)
        .await
        .context("cannot start the messenger channels")?;
    tasks.extend(alerts::spawn(&team, &chat, &push, &messengers, &calls));
    let scans = crate::scans::Scans::start(
        store.clone(),
        clock.clone(),
        bookings.clone(),
        &config.data_dir,
    )
    .await
    .context("cannot open the scanned documents")?;
    tasks.push(scans.spawn_sweeper());
    let frontdesk = crate::frontdesk::FrontDesk::new(crate::frontdesk::Parts {
        store: store.clone(),
        clock: clock.clone(),
        property: property.clone(),
        weather: weather.clone(),
        reception: reception.clone(),
        chat: chat.clone(),
        calls: calls.clone(),
        scans: scans.clone(),
        secure_addresses: match &https {
            Some((listener, _)) => crate::platform::lan::secure_addresses(listener.local_addr()?),
            None => Vec::new(),
        },
    });
    let services = Services {
        store: store.clone(),
        config: config.clone(),
        team,
        credentials,
        broker: broker_handle,
        chat,
        devices: devices.clone(),
        bookings,
        weather: weather.clone(),
        scenarios: scenarios.clone(),
        ca_pem: https
            .as_ref()
            .and_then(|(_, t)| t.ca_pem.as_deref().map(Arc::from)),
        https_port: https
            .as_ref()
            .map(|(l, _)| l.local_addr())
            .transpose()?
            .map(|a| a.port()),
        push,
        reception,
        frontdesk,
        calls,
        scans,
        cloud: cloud.clone(),
        messengers,
        updates: updates.clone(),
        gpio: gpio.clone(),
    };
    let connections = web::Connections::new(web::ConnectionLimits::within(
        config.web.max_connections,
        config.web.max_connections_per_address,
        os_sockets::raise_open_file_limit(),
        Duration::from_secs(config.web.head_timeout_secs),
        Duration::from_secs(config.web.idle_timeout_secs),
    ));
    let (router, _) = crate::wiring::router(&services, &connections);

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let linked = crate::wiring::link_to_relay(&services, &router, &connections, &stop_rx);
    tasks.extend(linked.context("cannot start the cloud link")?);
    let listening = listen(
        &config,
        router,
        connections,
        (http, https),
        (stop_tx, stop_rx),
        &property_name,
    )?;

    Ok(Running {
        http: listening.http_addr,
        https: listening.https.as_ref().map(|h| h.0),
        mqtt: broker.as_ref().map(|b| b.addr),
        store,
        scenarios,
        setup_code,
        accounts,
        config,
        devices,
        listening,
        tasks,
        weather,
        broker,
        updates,
        gpio,
        team: services.team.clone(),
        plan: Box::new(plan),
        _lock: lock,
    })
}

/// The listeners and the mDNS advertisement, serving `router`.
struct Listening {
    http_addr: std::net::SocketAddr,
    http_task: tokio::task::JoinHandle<()>,
    https: Option<(std::net::SocketAddr, tokio::task::JoinHandle<()>)>,
    stop_tx: tokio::sync::watch::Sender<bool>,
    advertiser: Option<mdns::Advertiser>,
}

/// Serves HTTP on `http` (and HTTPS on `https` with its certificate) and advertises the hub
/// by mDNS.
fn listen(
    config: &Config,
    router: axum::Router,
    connections: Arc<web::Connections>,
    (http, https): (
        tokio::net::TcpListener,
        Option<(tokio::net::TcpListener, tls::TlsMaterial)>,
    ),
    (stop_tx, stop_rx): (
        tokio::sync::watch::Sender<bool>,
        tokio::sync::watch::Receiver<bool>,
    ),
    property_name: &str,
) -> anyhow::Result<Listening> {
    let http_addr = http.local_addr()?;
    let http_task = web::serve(
        http,
        router.clone(),
        web::Transport::Plain,
        connections.clone(),
        stop_rx.clone(),
    );
    let https = match https {
        Some((listener, material)) => {
            let addr = listener.local_addr()?;
            let acceptor = web::tls_acceptor(&material.chain_pem, &material.key_pem)
                .context("the TLS certificate or key is not usable")?;
            let tls = web::Transport::Tls(acceptor);
            Some((
                addr,
                web::serve(listener, router, tls, connections, stop_rx),
            ))
        }
        None => None,
    };

    let advertiser = if config.mdns.enabled {
        match mdns::Advertiser::start(
            &config.mdns,
            &config.web.host_name,
            property_name,
            http_addr.port(),
        ) {
            Ok(a) => Some(a),
            Err(e) => {
                // Discovery is a convenience: the hub still answers on its address.
                tracing::warn!(error = %e, "mDNS advertising is off.");
                None
            }
        }
    } else {
        None
    };

    Ok(Listening {
        http_addr,
        http_task,
        https,
        stop_tx,
        advertiser,
    })
}

/// What a person starting the hub needs to see, on stdout; for scripts, a `hub: listening`
/// line with the bound addresses and a closing `hub: ready`.
fn announce(
    http: &std::net::SocketAddr,
    https: Option<std::net::SocketAddr>,
    mqtt: Option<std::net::SocketAddr>,
    setup_code: Option<&str>,
    accounts: Option<Vec<Account>>,
    config: &Config,
) {
    let local = |a: &std::net::SocketAddr| {
        if a.ip().is_unspecified() {
            format!("localhost:{}", a.port())
        } else {
            a.to_string()
        }
    };
    let mut out = String::new();
    out.push_str(&format!(
        "hub: listening http={http} https={} mqtt={}\n",
        https.map(|a| a.to_string()).unwrap_or_else(|| "off".into()),
        mqtt.map(|a| a.to_string()).unwrap_or_else(|| "off".into()),
    ));
    out.push_str(&format!("Hotel Hub is ready: http://{}/\n", local(http)));
    if let Some(a) = https {
        out.push_str(&format!(
            "  HTTPS: https://{}/  (staff devices trust {}/tls/ca.crt, offered at /ca.crt)\n",
            local(&a),
            config.data_dir.display()
        ));
    }
    out.push_str(&format!(
        "  Team Messenger: http://{0}/messenger/   Try the guest chat: http://{0}/widget/try\n",
        local(http)
    ));
    // Where people on the LAN reach it: staff at the HTTPS address, guests at the HTTP one.
    if http.ip().is_unspecified() {
        let (lan, _) = crate::platform::lan::ipv4(&config.mdns.interfaces);
        if !lan.is_unspecified() {
            out.push_str(&format!(
                "  On the LAN: guests http://{lan}:{}/",
                http.port()
            ));
            if let Some(a) = https.filter(|a| a.ip().is_unspecified()) {
                out.push_str(&format!("   staff https://{lan}:{}/", a.port()));
            }
            out.push('\n');
        }
    }
    if let Some(code) = setup_code {
        tracing::info!(code, "First start: open /setup and enter the set-up code.");
        out.push_str(&format!(
            "  First start: open http://{}/setup with the set-up code {code}\n",
            local(http)
        ));
    }
    if let Some(accounts) = accounts {
        out.push_str("  Demo property made. One-time credentials (shown only now):\n");
        for a in accounts {
            out.push_str(&format!(
                "credentials: {} {} {}\n",
                a.role.as_str(),
                a.email,
                a.password
            ));
        }
    }
    out.push_str("hub: ready\n");
    print!("{out}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
