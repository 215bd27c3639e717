//! The box's own GPIO (APP-8): the status LED (booting, ready, no network, update in
//! progress, fault), the button (a short press shows the set-up code, a long one resets
//! the network settings) and relay outputs that join the device registry. The lines are
//! behind the [`Lines`] trait: the kernel's GPIO character device on the box, or the
//! in-process [`Simulator`] for the demo and tests. The service [`Gpio`] is the front door.

pub mod api;
mod button;
mod chip;
mod led;
mod lines;
mod relays;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, watch};
use utoipa::ToSchema;

pub use button::Press;
pub use led::{Conditions, Signal};
pub use lines::{GpioError, Lines, Simulator};
pub use relays::TOPIC as RELAYS_DEVICE;

use crate::clock::Clock;
use crate::config::{GpioBackend, GpioConfig};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelayView {
    pub name: String,
    pub line: u32,
    /// Closed (on), as the line reads back.
    pub on: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PressView {
    pub press: Press,
    pub at: String,
}

/// What the admin app shows of the box's lines.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GpioStatus {
    /// `off`, `chip` or `simulated`.
    pub backend: String,
    /// What the status LED says now.
    pub signal: Signal,
    pub status_led: Option<u32>,
    pub button: Option<u32>,
    /// Relays, each also a device (`hub_relays`, or `hub_relays#n` for the n-th).
    pub relays: Vec<RelayView>,
    pub last_press: Option<PressView>,
}

struct Inner {
    config: GpioConfig,
    clock: Clock,
    lines: Option<Arc<dyn Lines>>,
    simulator: Option<Simulator>,
    conditions: watch::Sender<Conditions>,
    presses: broadcast::Sender<Press>,
    last_press: Mutex<Option<PressView>>,
    /// What the box's own screen shows over everything, and until when.
    notice: Mutex<Option<(String, tokio::time::Instant)>>,
}

/// The front door. Cheap to clone.
#[derive(Clone)]
pub struct Gpio {
    inner: Arc<Inner>,
}

impl Gpio {
    /// Opens the configured backend and starts the LED and the button; the relays start
    /// with [`Gpio::attach_relays`] once the broker is up.
    pub fn start(config: &GpioConfig, clock: Clock) -> Result<Gpio, GpioError> {
        let (lines, simulator): (Option<Arc<dyn Lines>>, _) = match config.backend {
            GpioBackend::Off => (None, None),
            GpioBackend::Simulated => {
                let sim = Simulator::new();
                (Some(Arc::new(sim.clone())), Some(sim))
            }
            GpioBackend::Chip => {
                let mut outputs: Vec<(u32, bool)> = config
                    .relays
                    .iter()
                    .map(|r| (r.line, r.active_low))
                    .collect();
                outputs.extend(config.status_led.map(|l| (l, false)));
                let chip = chip::Chip::open(config.chip.clone(), &outputs)?;
                (Some(Arc::new(chip)), None)
            }
        };
        let gpio = Gpio {
            inner: Arc::new(Inner {
                config: config.clone(),
                clock,
                lines,
                simulator,
                conditions: watch::channel(Conditions::default()).0,
                presses: broadcast::channel(16).0,
                last_press: Mutex::new(None),
                notice: Mutex::new(None),
            }),
        };
        gpio.spawn_led_and_button()?;
        Ok(gpio)
    }

    fn spawn_led_and_button(&self) -> Result<(), GpioError> {
        let Some(lines) = self.inner.lines.clone() else {
            return Ok(());
        };
        if let Some(line) = self.inner.config.status_led {
            tokio::spawn(led::run(
                lines.clone(),
                line,
                self.inner.conditions.subscribe(),
            ));
        }
        if let Some(line) = self.inner.config.button {
            let edges = lines.watch(line)?;
            tokio::spawn(button::run(
                edges,
                Duration::from_millis(self.inner.config.debounce_ms),
                Duration::from_secs(self.inner.config.long_press_secs),
                self.inner.presses.clone(),
            ));
            let this = self.clone();
            let mut presses = self.presses();
            tokio::spawn(async move {
                while let Ok(press) = presses.recv().await {
                    this.remember(press);
                }
            });
        }
        Ok(())
    }

    fn remember(&self, press: Press) {
        let view = PressView {
            press,
            at: self.inner.clock.now_text(),
        };
        *self
            .inner
            .last_press
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(view);
    }

    /// Starts the relays on the hub's broker link: they join the registry as a device.
    pub fn attach_relays(&self, link: (rumqttd::local::LinkTx, rumqttd::local::LinkRx)) {
        let (Some(lines), false) = (
            self.inner.lines.clone(),
            self.inner.config.relays.is_empty(),
        ) else {
            return;
        };
        relays::spawn(lines, self.inner.config.relays.clone(), link.0, link.1);
    }

    /// Changes what the LED is chosen from.
    pub fn update(&self, change: impl FnOnce(&mut Conditions)) {
        self.inner.conditions.send_modify(change);
    }

    pub fn signal(&self) -> Signal {
        self.inner.conditions.borrow().signal()
    }

    /// Every button press from now on.
    pub fn presses(&self) -> broadcast::Receiver<Press> {
        self.inner.presses.subscribe()
    }

    /// The simulated lines, when the backend is the simulator.
    pub fn simulator(&self) -> Option<&Simulator> {
        self.inner.simulator.as_ref()
    }

    /// A press of the demo's virtual button (the simulator only): as if a finger had held
    /// it for the right time.
    pub fn press(&self, press: Press) -> Result<(), GpioError> {
        if self.inner.simulator.is_none() || self.inner.config.button.is_none() {
            return Err(GpioError::Line {
                line: self.inner.config.button.unwrap_or_default(),
                message: "only the simulated button can be pressed from here".into(),
            });
        }
        let _ = self.inner.presses.send(press);
        Ok(())
    }

    /// Shows `text` on the box's own screen (the kiosk page on loopback) for `lasting`.
    pub fn show(&self, text: String, lasting: Duration) {
        let until = tokio::time::Instant::now() + lasting;
        *self.inner.notice.lock().unwrap_or_else(|p| p.into_inner()) = Some((text, until));
    }

    /// What the box's screen shows now, if anything.
    pub fn notice(&self) -> Option<String> {
        let notice = self.inner.notice.lock().unwrap_or_else(|p| p.into_inner());
        notice
            .as_ref()
            .filter(|(_, until)| tokio::time::Instant::now() < *until)
            .map(|(text, _)| text.clone())
    }

    /// What the long press writes to ask for the network reset.
    pub fn network_reset_request(&self) -> &std::path::Path {
        &self.inner.config.network_reset_request
    }

    pub fn status(&self) -> GpioStatus {
        let backend = match self.inner.config.backend {
            GpioBackend::Off => "off",
            GpioBackend::Chip => "chip",
            GpioBackend::Simulated => "simulated",
        };
        let on = self.inner.lines.is_some();
        GpioStatus {
            backend: backend.into(),
            signal: self.signal(),
            status_led: self.inner.config.status_led.filter(|_| on),
            button: self.inner.config.button.filter(|_| on),
            relays: if on {
                self.inner
                    .config
                    .relays
                    .iter()
                    .map(|r| RelayView {
                        name: r.name.clone(),
                        line: r.line,
                        on: self.inner.lines.as_ref().and_then(|l| l.level(r.line)),
                    })
                    .collect()
            } else {
                Vec::new()
            },
            last_press: self
                .inner
                .last_press
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests;
