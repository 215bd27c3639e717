//! The GPIO lines the hub drives and reads, behind one trait: the kernel's GPIO character
//! device on the box (`chip.rs`), or the in-process [`Simulator`] for the demo and tests.
//! Levels are logical: `true` is a line's active level (a lit LED, a closed relay, a pressed
//! button), whatever its electrical polarity.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;
use tokio::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum GpioError {
    #[error("GPIO line {line}: {message}")]
    Line { line: u32, message: String },
    #[error("cannot open the GPIO chip {chip}: {message}")]
    Chip { chip: String, message: String },
}

/// Edges kept for a slow reader of an input; a button makes a few a second.
pub(super) const EDGES_KEPT: usize = 64;

/// What a backend does.
pub trait Lines: Send + Sync {
    /// Drives output `line` to its active (`true`) or inactive level.
    fn drive(&self, line: u32, active: bool) -> Result<(), GpioError>;
    /// Every level change of input `line`, raw (bounces included), from now on.
    fn watch(&self, line: u32) -> Result<mpsc::Receiver<bool>, GpioError>;
    /// An output's level as the line reads back, `None` when it is not one of ours.
    fn level(&self, line: u32) -> Option<bool>;
}

#[derive(Default)]
struct SimState {
    outputs: BTreeMap<u32, bool>,
    log: Vec<(Instant, u32, bool)>,
    inputs: HashMap<u32, mpsc::Sender<bool>>,
}

/// Lines in the process: outputs are recorded with the (Tokio) time of each change, inputs
/// are levels a test or the demo sets. Cheap to clone; clones share the lines.
#[derive(Clone, Default)]
pub struct Simulator {
    state: Arc<Mutex<SimState>>,
}

/// The log of output changes is bounded: a blinking LED must not grow it forever.
const LOG_KEPT: usize = 4096;

impl Simulator {
    pub fn new() -> Simulator {
        Simulator::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every change of output `line` still in the log, oldest first.
    pub fn changes(&self, line: u32) -> Vec<(Instant, bool)> {
        self.state()
            .log
            .iter()
            .filter(|(_, l, _)| *l == line)
            .map(|(at, _, level)| (*at, *level))
            .collect()
    }

    /// Sets input `line` to `active`, as a finger on the button would; false if nothing
    /// watches it.
    pub fn set_input(&self, line: u32, active: bool) -> bool {
        let state = self.state();
        state
            .inputs
            .get(&line)
            .is_some_and(|tx| tx.try_send(active).is_ok())
    }
}

impl Lines for Simulator {
    fn drive(&self, line: u32, active: bool) -> Result<(), GpioError> {
        let mut state = self.state();
        if state.outputs.insert(line, active) != Some(active) {
            if state.log.len() >= LOG_KEPT {
                state.log.drain(..LOG_KEPT / 2);
            }
            state.log.push((Instant::now(), line, active));
        }
        Ok(())
    }

    fn watch(&self, line: u32) -> Result<mpsc::Receiver<bool>, GpioError> {
        let (tx, rx) = mpsc::channel(EDGES_KEPT);
        self.state().inputs.insert(line, tx);
        Ok(rx)
    }

    /// `None` before the hub first drove it.
    fn level(&self, line: u32) -> Option<bool> {
        self.state().outputs.get(&line).copied()
    }
}
