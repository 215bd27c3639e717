//! What the hub needs from the box it runs on: its LAN addresses, LAN discovery (mDNS),
//! the service manager (systemd readiness and watchdog), the open-file limit, allocator
//! tuning, and a socket option on a listener a library binds. GPIO joins with its own
//! issue.

pub mod files;
pub mod lan;
pub mod mdns;
pub mod memory;
pub mod systemd;
