//! Hotel Hub, the appliance daemon. `main.rs` is the command line; [`app::run`] starts the
//! capabilities and [`wiring`] binds their routes. See ARCHITECTURE.md for the map.

pub mod alerts;
pub mod app;
pub mod appliance;
pub mod bookings;
pub mod broker;
pub mod calls;
pub mod chat;
pub mod clock;
pub mod cloud;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod devices;
pub mod frontdesk;
pub mod gpio;
pub mod inbound;
pub mod language;
pub mod markup;
pub mod messengers;
pub mod notify;
pub mod plan;
pub mod platform;
pub mod push;
pub mod ratelimit;
pub mod reception;
pub mod scans;
pub mod scenarios;
pub mod sealing;
pub mod secret;
pub mod store;
pub mod team;
pub mod updates;
pub mod weather;
pub mod web;
pub mod wiring;
