//! What the hub needs from the box it runs on: LAN discovery (mDNS) and the service
//! manager (systemd readiness and watchdog), the open-file limit, allocator tuning, and a
//! socket option on a listener a library binds. GPIO joins with its own issue.

pub mod files;
pub mod mdns;
pub mod memory;
pub mod sockets;
pub mod systemd;
