//! The status LED: one signal at a time, chosen from what the hub knows of itself, each a
//! blink pattern a person can tell apart without a manual at hand (and the README's table).

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use utoipa::ToSchema;

use super::lines::Lines;

/// What the LED says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Signal {
    /// Starting: slow blink, 1 Hz.
    Booting,
    /// Serving: steady on.
    Ready,
    /// No route to any network: two short blinks, then a pause.
    NoNetwork,
    /// An update is arriving, installing, or the box restarts for it: fast blink, 5 Hz.
    Updating,
    /// The hub's own health check fails: three short blinks, then a long pause.
    Fault,
}

/// What the signal is chosen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Conditions {
    pub ready: bool,
    /// Some interface has a route out (a default route).
    pub network: bool,
    pub updating: bool,
    pub fault: bool,
}

impl Conditions {
    /// The one signal shown: a fault first, then an update, then the network, then start-up.
    pub fn signal(self) -> Signal {
        if self.fault {
            Signal::Fault
        } else if self.updating {
            Signal::Updating
        } else if !self.ready {
            Signal::Booting
        } else if !self.network {
            Signal::NoNetwork
        } else {
            Signal::Ready
        }
    }
}

impl Signal {
    /// The pattern, repeated: (lit, milliseconds) steps; one step is held for good.
    pub fn pattern(self) -> &'static [(bool, u64)] {
        match self {
            Signal::Booting => &[(true, 500), (false, 500)],
            Signal::Ready => &[(true, 0)],
            Signal::NoNetwork => &[(true, 200), (false, 200), (true, 200), (false, 1400)],
            Signal::Updating => &[(true, 100), (false, 100)],
            Signal::Fault => &[
                (true, 100),
                (false, 150),
                (true, 100),
                (false, 150),
                (true, 100),
                (false, 1400),
            ],
        }
    }
}

/// Drives `line` with the pattern of the current conditions until `conditions` closes;
/// a change of signal starts its pattern at once.
pub(super) async fn run(
    lines: Arc<dyn Lines>,
    line: u32,
    mut conditions: watch::Receiver<Conditions>,
) {
    loop {
        let signal = conditions.borrow_and_update().signal();
        let pattern = signal.pattern();
        let changed = async {
            loop {
                for &(lit, ms) in pattern {
                    if let Err(e) = lines.drive(line, lit) {
                        tracing::warn!(error = %e, "The status LED cannot be driven.");
                    }
                    if pattern.len() == 1 {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
            }
        };
        tokio::select! {
            biased;
            r = conditions.changed() => if r.is_err() { return },
            _ = changed => {
                // A steady signal: wait for the next change.
                if conditions.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}
