//! The LED's patterns and the button's presses on the simulator, on Tokio's paused clock:
//! every millisecond below is virtual, so the timings are exact and the tests are quick.

use std::time::Duration;

use tokio::time::{advance, Instant};

use super::*;
use crate::config::{GpioBackend, GpioConfig};

const LED: u32 = 17;
const BUTTON: u32 = 27;

fn config() -> GpioConfig {
    GpioConfig {
        backend: GpioBackend::Simulated,
        status_led: Some(LED),
        button: Some(BUTTON),
        ..GpioConfig::default()
    }
}

/// Lets the spawned tasks run up to the paused clock's now.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

/// The LED's level changes within `window` after `from`, as (ms since `from`, lit).
fn blinks(sim: &Simulator, from: Instant, window: Duration) -> Vec<(u64, bool)> {
    sim.changes(LED)
        .into_iter()
        .filter(|(at, _)| *at >= from && *at < from + window)
        .map(|(at, lit)| ((at - from).as_millis() as u64, lit))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_led_shows_each_state_by_its_pattern() {
    let gpio = Gpio::start(&config(), Clock::system()).unwrap();
    let sim = gpio.simulator().unwrap().clone();
    settle().await;

    // Starting: 1 Hz.
    let t0 = Instant::now();
    for _ in 0..20 {
        advance(Duration::from_millis(100)).await;
        settle().await;
    }
    assert_eq!(gpio.signal(), Signal::Booting);
    let seen = blinks(&sim, t0, Duration::from_millis(2000));
    assert_eq!(
        seen,
        vec![(0, true), (500, false), (1000, true), (1500, false)],
        "{seen:?}"
    );

    // Ready with a network: steady on, no change for as long as it lasts.
    gpio.update(|c| {
        c.ready = true;
        c.network = true;
    });
    settle().await;
    assert_eq!(gpio.signal(), Signal::Ready);
    assert_eq!(sim.level(LED), Some(true));
    let t1 = Instant::now();
    advance(Duration::from_secs(10)).await;
    settle().await;
    // At most the switch to steady light as the signal changed, then nothing.
    let steady = blinks(&sim, t1, Duration::from_secs(10));
    assert!(steady.iter().all(|c| *c == (0, true)), "{steady:?}");

    // The network goes: two short blinks, then a pause (2 s a round).
    gpio.update(|c| c.network = false);
    settle().await;
    let t2 = Instant::now();
    for _ in 0..40 {
        advance(Duration::from_millis(100)).await;
        settle().await;
    }
    assert_eq!(gpio.signal(), Signal::NoNetwork);
    let seen = blinks(&sim, t2, Duration::from_millis(4000));
    let lit: Vec<u64> = seen.iter().filter(|(_, l)| *l).map(|(t, _)| *t).collect();
    assert_eq!(lit, vec![400, 2000, 2400], "{seen:?}");

    // An update outranks the network; a fault outranks everything.
    gpio.update(|c| c.updating = true);
    settle().await;
    assert_eq!(gpio.signal(), Signal::Updating);
    let t3 = Instant::now();
    for _ in 0..10 {
        advance(Duration::from_millis(100)).await;
        settle().await;
    }
    // 5 Hz: a change every 100 ms.
    assert_eq!(blinks(&sim, t3, Duration::from_millis(1000)).len(), 10);
    gpio.update(|c| c.fault = true);
    settle().await;
    assert_eq!(gpio.signal(), Signal::Fault);
    gpio.update(|c| {
        c.fault = false;
        c.updating = false;
        c.network = true;
    });
    settle().await;
    assert_eq!(gpio.signal(), Signal::Ready);
    assert_eq!(sim.level(LED), Some(true));
}

/// Holds the button for `held`, with contact bounce at both ends.
async fn press_for(sim: &Simulator, held: Duration) {
    for level in [true, false, true] {
        assert!(sim.set_input(BUTTON, level));
        settle().await;
        advance(Duration::from_millis(2)).await;
        settle().await;
    }
    advance(held).await;
    settle().await;
    for level in [false, true, false] {
        assert!(sim.set_input(BUTTON, level));
        settle().await;
        advance(Duration::from_millis(2)).await;
        settle().await;
    }
    advance(Duration::from_millis(100)).await;
    settle().await;
}

#[tokio::test(start_paused = true)]
async fn the_button_tells_short_from_long_presses_through_bounce() {
    let gpio = Gpio::start(&config(), Clock::system()).unwrap();
    let sim = gpio.simulator().unwrap().clone();
    let mut presses = gpio.presses();
    settle().await;

    press_for(&sim, Duration::from_millis(300)).await;
    assert_eq!(presses.try_recv().ok(), Some(Press::Short));
    assert!(
        presses.try_recv().is_err(),
        "bounce made one press count twice"
    );

    // Held past five seconds: long, reported while still held, once.
    assert!(sim.set_input(BUTTON, true));
    settle().await;
    advance(Duration::from_millis(4900)).await;
    settle().await;
    assert!(presses.try_recv().is_err());
    advance(Duration::from_millis(200)).await;
    settle().await;
    assert_eq!(presses.try_recv().ok(), Some(Press::Long));
    advance(Duration::from_secs(5)).await;
    assert!(sim.set_input(BUTTON, false));
    advance(Duration::from_millis(100)).await;
    settle().await;
    assert!(
        presses.try_recv().is_err(),
        "the release of a long press is no short press"
    );

    // A glitch shorter than the debounce time is no press at all.
    assert!(sim.set_input(BUTTON, true));
    settle().await;
    advance(Duration::from_millis(10)).await;
    assert!(sim.set_input(BUTTON, false));
    settle().await;
    advance(Duration::from_millis(500)).await;
    settle().await;
    assert!(presses.try_recv().is_err());
    assert_eq!(gpio.status().last_press.map(|p| p.press), Some(Press::Long));
}

#[tokio::test(start_paused = true)]
async fn the_virtual_button_is_the_simulators_only() {
    let gpio = Gpio::start(&config(), Clock::system()).unwrap();
    let mut presses = gpio.presses();
    gpio.press(Press::Short).unwrap();
    assert_eq!(presses.recv().await.ok(), Some(Press::Short));
    let off = Gpio::start(&GpioConfig::default(), Clock::system()).unwrap();
    assert!(off.press(Press::Short).is_err());
    assert_eq!(off.status().backend, "off");
}
