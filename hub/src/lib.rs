//! Hotel Hub, the appliance daemon. `main.rs` is the command line; [`app::run`] wires the
//! capabilities together. See ARCHITECTURE.md for the map.

pub mod app;
pub mod bookings;
pub mod broker;
pub mod chat;
pub mod clock;
pub mod config;
pub mod demo;
pub mod devices;
pub mod notify;
pub mod platform;
pub mod scenarios;
pub mod store;
pub mod team;
pub mod weather;
pub mod web;
