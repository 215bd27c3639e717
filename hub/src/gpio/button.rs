//! The button: raw edges in, presses out. A level counts once it has held for the debounce
//! time (contacts bounce for a few milliseconds); a press held for the long-press time is a
//! long press the moment that time is reached (the person sees it act while holding),
//! anything shorter a short press on release.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Press {
    /// Shows the set-up code on the box's screen and console.
    Short,
    /// Resets the network settings.
    Long,
}

/// Reads `edges` until they end, sending each press on `presses`.
pub(super) async fn run(
    mut edges: mpsc::Receiver<bool>,
    debounce: Duration,
    long_press: Duration,
    presses: broadcast::Sender<Press>,
) {
    // The debounced level, a raw level waiting to prove itself, and the press under way.
    let mut stable = false;
    let mut candidate: Option<(bool, Instant)> = None;
    let mut pressed_at: Option<Instant> = None;
    let mut long_sent = false;
    loop {
        let settle = candidate.map(|(_, since)| since + debounce);
        let long_due = pressed_at.filter(|_| !long_sent).map(|at| at + long_press);
        tokio::select! {
            edge = edges.recv() => {
                let Some(level) = edge else { return };
                candidate = (level != stable).then(|| (level, Instant::now()));
            }
            _ = sleep_until(settle) => {
                let Some((level, since)) = candidate.take() else { continue };
                stable = level;
                if level {
                    // Held since the edge that has now proved itself.
                    pressed_at = Some(since);
                    long_sent = false;
                } else if pressed_at.take().is_some() && !long_sent {
                    let _ = presses.send(Press::Short);
                }
            }
            _ = sleep_until(long_due) => {
                long_sent = true;
                let _ = presses.send(Press::Long);
            }
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
