//! Run admission by mode, pure: given a scenario's mode, its `max` and what it has under
//! way, whether a new fire starts, restarts, waits or is dropped (and why).

use std::collections::{HashMap, VecDeque};

use super::super::model::RunMode;
use super::Fire;

/// A scenario's runs under way and fires waiting their turn.
#[derive(Default)]
pub(super) struct Active {
    pub running: HashMap<i64, tokio::task::JoinHandle<()>>,
    /// pending id → run id: runs waiting on a delay.
    pub waiting: HashMap<i64, i64>,
    pub queue: VecDeque<Fire>,
}

impl Active {
    /// Runs under way, those waiting on a delay included.
    pub(super) fn count(&self) -> usize {
        self.running.len() + self.waiting.len()
    }
}

/// What happens to a fire.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Admission {
    Start,
    /// Stop the runs under way, then start (restart mode).
    Restart,
    /// Wait for the runs under way (queued mode).
    Queue,
    /// Not run; the text goes after the fire's reason in its skipped run.
    Drop(String),
}

/// `under_way` runs (delays included) and `queued` fires waiting.
pub(super) fn admit(mode: RunMode, max: u32, under_way: usize, queued: usize) -> Admission {
    let max_runs = max as usize;
    match mode {
        RunMode::Single if under_way > 0 => {
            Admission::Drop("dropped: a run is under way (single mode)".into())
        }
        RunMode::Restart if under_way > 0 => Admission::Restart,
        RunMode::Queued if under_way > 0 && queued < max_runs => Admission::Queue,
        RunMode::Queued if under_way > 0 => {
            Admission::Drop(format!("dropped: {max} runs already wait (queued mode)"))
        }
        RunMode::Parallel if under_way >= max_runs => {
            Admission::Drop(format!("dropped: {max} runs under way (parallel mode)"))
        }
        _ => Admission::Start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_admits_as_it_says() {
        assert_eq!(admit(RunMode::Single, 1, 0, 0), Admission::Start);
        assert!(matches!(
            admit(RunMode::Single, 1, 1, 0),
            Admission::Drop(_)
        ));
        assert_eq!(admit(RunMode::Restart, 1, 0, 0), Admission::Start);
        assert_eq!(admit(RunMode::Restart, 1, 2, 0), Admission::Restart);
        assert_eq!(admit(RunMode::Queued, 2, 0, 0), Admission::Start);
        assert_eq!(admit(RunMode::Queued, 2, 1, 1), Admission::Queue);
        assert_eq!(
            admit(RunMode::Queued, 2, 1, 2),
            Admission::Drop("dropped: 2 runs already wait (queued mode)".into())
        );
        assert_eq!(admit(RunMode::Parallel, 2, 1, 0), Admission::Start);
        assert_eq!(
            admit(RunMode::Parallel, 2, 2, 0),
            Admission::Drop("dropped: 2 runs under way (parallel mode)".into())
        );
    }
}
