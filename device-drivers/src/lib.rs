//! Everything that speaks to smart devices, and nothing of the hub: the one device model
//! (`model`), the uniform link handle every client hands out (`link`), one folder per
//! protocol (codec, client, discovery) and, with the `emulators` feature, the device
//! emulators (`emulator`).

pub mod channel;
#[cfg(feature = "emulators")]
pub mod emulator;
pub mod ewelink;
pub mod link;
pub mod miio;
pub mod model;
pub mod mqtt;
pub mod smartthings;
pub mod tuya;

pub use link::{DriverError, LinkHandle, Snapshot};
pub use model::{Capability, Command, Kind, State};
