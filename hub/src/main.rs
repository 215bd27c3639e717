//! The `hub` command line: run the appliance, run the demo, print the set-up code, back up
//! and restore the store, print the example config.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use hub::config::{Config, EXAMPLE};

#[derive(Parser)]
#[command(
    name = "hub",
    version,
    about = "Hotel Hub: guest chat, team messenger, devices and scenarios in one box"
)]
struct Cli {
    /// The TOML config file (see `hub config example`). HUB_* variables override it.
    #[arg(long, global = true, env = "HUB_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub.
    Run,
    /// Run the hub with a demo property in ./hub-data, on loopback only.
    #[cfg(feature = "demo")]
    Demo {
        /// Listen on every interface (the LAN) where the config says 0.0.0.0 or ::, and
        /// advertise by mDNS there. The demo's accounts have printed passwords: only on a
        /// network you trust.
        #[arg(long)]
        lan: bool,
        /// Link the demo to a cloud relay at this address (`hub-relay demo` prints it), so
        /// guests outside reach it there.
        #[arg(long)]
        relay: Option<String>,
        /// The relay's CA certificate (PEM), for a relay with its own CA.
        #[arg(long)]
        relay_ca: Option<PathBuf>,
    },
    /// Print the one-time set-up code (until the owner account exists).
    SetupCode,
    /// Copy a consistent snapshot of the store to FILE; safe while the hub runs.
    Backup { file: PathBuf },
    /// Replace the store with the backup FILE; stop the hub first.
    Restore { file: PathBuf },
    /// The configuration file.
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented config with every default.
    Example,
    /// Check the config (file and HUB_* variables) and print it as the hub sees it.
    Check,
}

/// Keeps the demo on this machine: listeners on every interface move to loopback (same
/// port), and mDNS advertises on `lo` unless the config names interfaces.
#[cfg(feature = "demo")]
fn on_loopback(config: &mut Config) {
    let local = |a: &mut std::net::SocketAddr| {
        if a.ip().is_unspecified() {
            a.set_ip(match a.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
    };
    local(&mut config.web.http_listen);
    if let Some(a) = config.web.https_listen.as_mut() {
        local(a);
    }
    local(&mut config.broker.listen);
    // A call's media too: the demo's browsers are on this machine.
    if config.calls.media_address.is_unspecified() {
        config.calls.media_address = std::net::Ipv4Addr::LOCALHOST.into();
    }
    if config.mdns.interfaces.is_empty() {
        config.mdns.interfaces = vec!["lo".into()];
    }
}

/// The demo's box has a status light and a button, simulated (the admin app's System
/// section shows the light and presses the button), unless the config names real lines.
#[cfg(feature = "demo")]
fn simulated_gpio(config: &mut Config) {
    if config.gpio.backend == hub::config::GpioBackend::Off {
        config.gpio.backend = hub::config::GpioBackend::Simulated;
        config.gpio.status_led = config.gpio.status_led.or(Some(17));
        config.gpio.button = config.gpio.button.or(Some(27));
    }
}

fn main() -> std::process::ExitCode {
    hub::platform::memory::return_large_blocks();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hub: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config(ConfigCommand::Example) = cli.command {
        print!("{EXAMPLE}");
        return Ok(());
    }
    let config = Config::load(cli.config.as_deref(), std::env::vars())?;
    init_logging(&config);
    match cli.command {
        Command::Config(ConfigCommand::Check) => {
            let text =
                toml::to_string_pretty(&redacted(&config)).context("cannot print the config")?;
            print!("{text}");
            Ok(())
        }
        Command::Run => runtime()?.block_on(Box::pin(hub::app::run(config, hub::app::Mode::Run))),
        #[cfg(feature = "demo")]
        Command::Demo {
            lan,
            relay,
            relay_ca,
        } => {
            let mut config = config;
            if !lan {
                on_loopback(&mut config);
            }
            simulated_gpio(&mut config);
            if let Some(relay) = relay {
                config.cloud.relay = relay;
                config.cloud.relay_ca = relay_ca.or(config.cloud.relay_ca);
                config.validate()?;
            }
            runtime()?.block_on(Box::pin(hub::app::run(config, hub::app::Mode::Demo)))
        }
        Command::SetupCode => {
            let store =
                hub::store::Store::open(&config.store_path(), hub::store::StoreOptions::default())?;
            let clock = hub::clock::Clock::system();
            let code = runtime()?.block_on(hub::team::setup_code(&store, &clock))?;
            match code {
                Some(code) => println!("{code}"),
                None => println!("The owner account exists: set-up is done. Sign in at /admin/."),
            }
            Ok(())
        }
        Command::Backup { file } => {
            hub::store::backup_to(&config.store_path(), &file)
                .with_context(|| format!("backup to {} failed", file.display()))?;
            println!(
                "Backed up {} to {}",
                config.store_path().display(),
                file.display()
            );
            Ok(())
        }
        Command::Restore { file } => {
            let _lock = hub::app::lock_data_dir(&config.data_dir)?;
            hub::store::restore_from(&config.store_path(), &file)
                .with_context(|| format!("restore from {} failed", file.display()))?;
            println!(
                "Restored {} from {}",
                config.store_path().display(),
                file.display()
            );
            Ok(())
        }
        Command::Config(ConfigCommand::Example) => Ok(()),
    }
}

fn redacted(config: &Config) -> Config {
    let mut c = config.clone();
    if !c.smtp.password.is_empty() {
        c.smtp.password = "<redacted>".into();
    }
    c
}

/// Two workers are plenty for a hotel and keep a Pi's memory small.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&config.log.filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::Layer as _;
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_filter(filter);
    // The broker's refusals reach the admin app whatever the log shows.
    let refusals = hub::broker::refusals::RefusalLayer.with_filter(
        tracing_subscriber::filter::Targets::new().with_target("rumqttd", tracing::Level::ERROR),
    );
    tracing_subscriber::registry()
        .with(log)
        .with(refusals)
        .init();
}
