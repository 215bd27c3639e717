//! What the hub needs from the box it runs on: LAN discovery (mDNS) and the service
//! manager (systemd readiness and watchdog). GPIO joins with its own issue.

pub mod mdns;
pub mod memory;
pub mod systemd;
