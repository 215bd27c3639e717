//! The one way the tests wait for something to become true: poll it until it holds or a
//! deadline passes, then fail naming what was awaited and what was seen last. A fixed
//! sleep either wastes time or, on a slow machine, is too short; this is neither.

use std::fmt::Debug;
use std::time::{Duration, Instant};

/// What one poll found: done (with a value) or not yet (with what was seen, for the
/// failure message).
pub trait Outcome {
    type Value;
    fn into_result(self) -> Result<Self::Value, String>;
}

impl Outcome for bool {
    type Value = ();
    fn into_result(self) -> Result<(), String> {
        if self {
            Ok(())
        } else {
            Err("false".into())
        }
    }
}

impl<T> Outcome for Option<T> {
    type Value = T;
    fn into_result(self) -> Result<T, String> {
        self.ok_or_else(|| "nothing yet".into())
    }
}

impl<T, E: Debug> Outcome for Result<T, E> {
    type Value = T;
    fn into_result(self) -> Result<T, String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// Polls `check` until it holds and returns its value; panics once `within` has passed,
/// naming `what` and the last thing `check` saw. A poll still running at the deadline is
/// cut short, so the deadline holds whatever `check` does.
///
/// The first poll is at once and the pause between polls grows from 1 ms to 50 ms: what
/// holds almost at once costs almost nothing, and a long wait does not hog a core.
pub async fn eventually<O: Outcome>(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> O,
) -> O::Value {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(1);
    let mut last = String::from("no poll finished");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, check()).await {
            Ok(outcome) => match outcome.into_result() {
                Ok(value) => return value,
                Err(seen) => last = seen,
            },
            Err(_) => last = format!("a poll still running at the deadline (before: {last})"),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "{what} did not happen within {within:?}; last seen: {last}"
        );
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}
