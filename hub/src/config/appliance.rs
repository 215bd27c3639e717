//! The appliance's own sections: signed A/B updates through RAUC (APP-7) and the box's GPIO
//! lines (APP-8). Both are off on a hub that is only a binary on someone's computer.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// `[updates]`: where RAUC and the image's facts are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct UpdatesConfig {
    /// RAUC's command-line tool (`/usr/bin/rauc`); empty turns updates off.
    pub rauc: String,
    /// The file the hub writes to ask for a reboot; a root-owned systemd path unit watches
    /// it (the hub itself may not reboot the box).
    pub reboot_request: PathBuf,
    /// One line naming the system image's version, written by the image build.
    pub version_file: PathBuf,
    /// Seconds a slot on trial (just updated) has to become healthy before the hub asks
    /// for a reboot, which the bootloader takes as the fallback to the other slot.
    pub health_deadline_secs: u64,
    /// The largest bundle taken by upload or from a URL, in bytes.
    pub max_bundle_bytes: u64,
}

impl Default for UpdatesConfig {
    fn default() -> Self {
        UpdatesConfig {
            rauc: String::new(),
            reboot_request: PathBuf::from("/run/hotel-hub/reboot"),
            version_file: PathBuf::from("/etc/hotel-hub/version"),
            health_deadline_secs: 300,
            max_bundle_bytes: 2 * 1024 * 1024 * 1024,
        }
    }
}

/// Which GPIO the box has.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum GpioBackend {
    Off,
    /// The kernel's GPIO character device (`/dev/gpiochipN`, uAPI v2).
    Chip,
    /// In the process: the demo's and the tests' lines.
    Simulated,
}

/// A relay output: a line that switches something, shown as a device.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RelayLine {
    pub name: String,
    pub line: u32,
    /// The relay board closes on a low level (most opto-isolated boards do).
    #[serde(default)]
    pub active_low: bool,
}

/// `[gpio]`: the status LED, the button and relay outputs (APP-8).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GpioConfig {
    pub backend: GpioBackend,
    pub chip: PathBuf,
    /// The status LED's line offset.
    pub status_led: Option<u32>,
    /// The button's line offset; pressed pulls it low (to ground, with the pull-up on).
    pub button: Option<u32>,
    /// Milliseconds a level must hold before a press or release counts.
    pub debounce_ms: u64,
    /// Seconds held for a long press (resets the network settings).
    pub long_press_secs: u64,
    /// The file a long press writes; the image's root-owned path unit then resets the
    /// network settings (the hub itself may not).
    pub network_reset_request: PathBuf,
    pub relays: Vec<RelayLine>,
}

impl Default for GpioConfig {
    fn default() -> Self {
        GpioConfig {
            backend: GpioBackend::Off,
            chip: PathBuf::from("/dev/gpiochip0"),
            status_led: None,
            button: None,
            debounce_ms: 30,
            long_press_secs: 5,
            network_reset_request: PathBuf::from("/run/hotel-hub/network-reset"),
            relays: Vec::new(),
        }
    }
}

fn invalid(key: &'static str, message: &str) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid {
        key,
        message: message.into(),
    })
}

pub(super) fn validate(updates: &UpdatesConfig, gpio: &GpioConfig) -> Result<(), ConfigError> {
    if !(30..=3600).contains(&updates.health_deadline_secs) {
        return invalid(
            "updates.health_deadline_secs",
            "must be between 30 and 3600",
        );
    }
    if !(1024 * 1024..=16 * 1024 * 1024 * 1024).contains(&updates.max_bundle_bytes) {
        return invalid(
            "updates.max_bundle_bytes",
            "must be between 1 MiB and 16 GiB",
        );
    }
    if !(1..=1000).contains(&gpio.debounce_ms) {
        return invalid("gpio.debounce_ms", "must be between 1 and 1000");
    }
    if !(1..=60).contains(&gpio.long_press_secs) {
        return invalid("gpio.long_press_secs", "must be between 1 and 60");
    }
    let mut lines: Vec<u32> = gpio.relays.iter().map(|r| r.line).collect();
    lines.extend(gpio.status_led);
    lines.extend(gpio.button);
    let count = lines.len();
    lines.sort_unstable();
    lines.dedup();
    if lines.len() != count {
        return invalid("gpio.relays", "each line may be used once");
    }
    if gpio
        .relays
        .iter()
        .any(|r| r.name.trim().is_empty() || r.name.len() > 60)
    {
        return invalid(
            "gpio.relays",
            "each relay needs a name of 1 to 60 characters",
        );
    }
    Ok(())
}
