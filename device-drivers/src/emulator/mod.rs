//! Device emulators: each protocol spoken from the device's side, with configurable keys,
//! versions and data points. Tests use them as peers, and `hub demo` runs a few per brand
//! on loopback. They are real network servers, not mocks of our own client.

pub mod ewelink;
pub mod miio;
pub mod mqtt;
pub mod smartthings;
pub mod tuya;
