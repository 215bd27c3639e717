//! Wiring of the box's own parts (APP-7, APP-8): the updater and the GPIO lines, started
//! with the other services; once the hub serves, the probe of its own health that keeps the
//! booted slot and the store it migrated (or, on a slot on trial that never gets healthy,
//! asks for the fallback reboot) and drives the status LED, and what the button's presses
//! do.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;

use crate::clock::Clock;
use crate::config::Config;
use crate::gpio::{Gpio, Press};
use crate::platform::health::Probe;
use crate::store::Store;
use crate::team::Team;
use crate::updates::Updates;

/// How long a short press's notice stays on the box's screen.
const NOTICE_LASTS: Duration = Duration::from_secs(120);

/// How often the LED's view of health and the network is refreshed.
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// The updater and the lines.
pub async fn start(
    config: &Config,
    store: &Store,
    clock: &Clock,
) -> anyhow::Result<(Updates, Gpio)> {
    let updates = Updates::start(
        store.clone(),
        clock.clone(),
        &config.updates,
        &config.data_dir,
    )
    .await
    .context("cannot start the updater")?;
    let gpio = Gpio::start(&config.gpio, clock.clone()).context("cannot open the GPIO lines")?;
    Ok((updates, gpio))
}

/// Once the hub serves: confirms the slot and the migrated store when healthy, keeps the
/// LED current, and acts on the button.
pub fn serving(
    store: &Store,
    updates: &Updates,
    gpio: &Gpio,
    team: &Team,
    http: SocketAddr,
    mqtt: Option<SocketAddr>,
) -> Vec<tokio::task::JoinHandle<()>> {
    gpio.update(|c| {
        c.ready = true;
        c.network = crate::platform::lan::has_default_route();
    });
    let probe = match Probe::new(http, mqtt, Duration::from_secs(5)) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "No health probe: the slot stays on trial.");
            return Vec::new();
        }
    };
    vec![
        tokio::spawn(confirm(store.clone(), updates.clone(), probe.clone())),
        tokio::spawn(watch_health(gpio.clone(), probe)),
        tokio::spawn(follow_updates(updates.clone(), gpio.clone())),
        tokio::spawn(act_on_presses(gpio.clone(), team.clone(), http)),
    ]
}

/// Keeps the booted slot and the store this start migrated once every part answers; gives
/// up on a slot on trial that does not within the deadline. Without the updater (a hub
/// installed from the .deb) the store is still kept: downgrading the package by hand then
/// meets the documented refusal, not a copy put back over what people wrote since.
async fn confirm(store: Store, updates: Updates, probe: Probe) {
    let mut deadline =
        Some(tokio::time::Instant::now() + updates.health_deadline()).filter(|_| updates.enabled());
    loop {
        let why = match probe.check().await {
            Ok(()) => break,
            Err(why) => why,
        };
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            deadline = None;
            match updates.unhealthy(&why).await {
                Ok(true) => return,
                // Not on trial: nothing to fall back to, so wait for health as long as it takes.
                Ok(false) => tracing::error!(why = %why, "The hub is not healthy."),
                Err(e) => tracing::error!(error = %e, why = %why, "The hub is not healthy."),
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    if let Err(e) = store.keep_migrated().await {
        tracing::error!(error = %e, "Cannot keep the copy of the store from before its migration.");
    }
    if updates.enabled() {
        match updates.healthy().await {
            Ok(()) => tracing::info!("Healthy: the booted system slot is kept."),
            Err(e) => tracing::error!(error = %e, "Cannot confirm the booted slot."),
        }
    }
}

async fn watch_health(gpio: Gpio, probe: Probe) {
    loop {
        let fault = probe.check().await.is_err();
        let network = crate::platform::lan::has_default_route();
        gpio.update(|c| {
            c.fault = fault;
            c.network = network;
        });
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

async fn follow_updates(updates: Updates, gpio: Gpio) {
    let mut busy = updates.busy();
    loop {
        let now = *busy.borrow_and_update();
        gpio.update(|c| c.updating = now);
        if busy.changed().await.is_err() {
            return;
        }
    }
}

/// Short: the set-up code (or, once set up, where the admin app is) on the console.
/// Long: the network settings' reset, asked of the image's root-owned unit.
async fn act_on_presses(gpio: Gpio, team: Team, http: SocketAddr) {
    let mut presses = gpio.presses();
    while let Ok(press) = presses.recv().await {
        match press {
            Press::Short => {
                let line = match team.setup_code().await {
                    Ok(Some(code)) => format!(
                        "Hotel Hub set-up code: {code}  (open http://<this box>:{}/setup)",
                        http.port()
                    ),
                    Ok(None) => "Hotel Hub is set up: sign in to the admin app at /admin/".into(),
                    Err(e) => format!("Hotel Hub cannot read its set-up code: {e}"),
                };
                tracing::info!("Button: short press.");
                println!("{line}");
                gpio.show(line, NOTICE_LASTS);
            }
            Press::Long => {
                let path = gpio.network_reset_request();
                match tokio::fs::write(path, b"button\n").await {
                    Ok(()) => tracing::warn!("Button: long press; the network settings are reset."),
                    Err(e) => {
                        tracing::error!(error = %e, path = %path.display(), "Button: long press, but the network reset cannot be asked for.")
                    }
                }
            }
        }
    }
}
