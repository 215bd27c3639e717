//! The `hub-relay` binary: `run` with a config file, or `demo` beside `hub demo`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use relay::RelayConfig;

#[derive(Parser)]
#[command(
    name = "hub-relay",
    version,
    about = "The cloud relay that Hotel Hub hubs link out to"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the relay with a config file (every key optional).
    Run {
        #[arg(long, env = "HUB_RELAY_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Runs a relay on this machine for `hub demo` (http://relay.localhost:18080, links on
    /// localhost:18883, state in ./relay-data) and prints how to link the demo hub to it.
    Demo,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HUB_RELAY_LOG")
                .unwrap_or_else(|_| "info,rumqttd=warn".into()),
        )
        // Standard output is for what the relay announces (its addresses, the demo's steps).
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let (config, demo) = match cli.command {
        Command::Run { config: Some(path) } => (RelayConfig::load(&path)?, false),
        Command::Run { config: None } => (RelayConfig::default(), false),
        Command::Demo => {
            let mut config = RelayConfig::default();
            // No mail server on one machine: the owners' e-mail lands in a folder.
            config.mail.pickup_dir = Some(config.data_dir.join("outbox"));
            (config, true)
        }
    };
    let data_dir = config.data_dir.clone();
    let running = relay::start(config)
        .await
        .context("the relay did not start")?;
    let public_url = running.public_url.clone();
    // For scripts and tests: the bound addresses, then a closing line.
    let shown = |a: Option<std::net::SocketAddr>| a.map_or("-".to_owned(), |a| a.to_string());
    println!(
        "hub-relay: listening http={} https={} link={} public={public_url}",
        shown(running.http),
        shown(running.https),
        running.link
    );
    if demo {
        let ca = data_dir.join("ca.pem");
        let ca = std::fs::canonicalize(&ca).unwrap_or(ca);
        // The hub registers at the relay's own address on this machine; browsers use the
        // public one (names under localhost resolve to this machine in browsers).
        let own = running
            .http
            .map_or(public_url.clone(), |a| format!("http://{a}"));
        println!("The relay is up at {public_url}. Link the demo hub to it with:");
        println!("  hub demo --relay {own} --relay-ca {}", ca.display());
        println!("The hub's admin app then shows its public address (section Cloud relay).");
        println!(
            "Owners sign up at {public_url}/; their e-mail (the confirmation link) is written to {}.",
            data_dir.join("outbox").display()
        );
    }
    println!("hub-relay: ready");
    tokio::select! {
        () = running.wait() => {}
        _ = tokio::signal::ctrl_c() => tracing::info!("Stopping."),
    }
    Ok(())
}
