//! eWeLink discovery: browse `_ewelink._tcp` by mDNS on the chosen interfaces for a while
//! and read each device's id, type, address and (when the key is known) state from TXT.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use mdns_sd::{IfKind, ServiceDaemon, ServiceEvent};
use serde::{Deserialize, Serialize};

use super::{PORT, SERVICE};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Found {
    pub device_id: String,
    pub device_type: String,
    pub addr: SocketAddr,
    pub encrypted: bool,
    pub txt: HashMap<String, String>,
}

/// Browses for `duration` on `interfaces` (names; empty means every interface).
pub async fn scan(interfaces: &[String], duration: Duration) -> Result<Vec<Found>, mdns_sd::Error> {
    let daemon = ServiceDaemon::new()?;
    if !interfaces.is_empty() {
        daemon.disable_interface(IfKind::All)?;
        for name in interfaces {
            daemon.enable_interface(IfKind::Name(name.clone()))?;
        }
    }
    let events = daemon.browse(SERVICE)?;
    let mut found = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + duration;
    while let Ok(Ok(event)) = tokio::time::timeout_at(deadline, events.recv_async()).await {
        let ServiceEvent::ServiceResolved(info) = event else {
            continue;
        };
        let txt: HashMap<String, String> = info
            .get_properties()
            .iter()
            .map(|p| (p.key().to_owned(), p.val_str().to_owned()))
            .collect();
        let Some(id) = txt
            .get("id")
            .cloned()
            .filter(|i| !i.is_empty() && i.len() <= 64)
        else {
            continue;
        };
        let Some(ip) = info
            .get_addresses()
            .iter()
            .find(|a| a.is_ipv4())
            .or(info.get_addresses().iter().next())
            .copied()
        else {
            continue;
        };
        let port = if info.get_port() == 0 {
            PORT
        } else {
            info.get_port()
        };
        found.insert(
            id.clone(),
            Found {
                device_type: txt.get("type").cloned().unwrap_or_default(),
                encrypted: txt.get("encrypt").map(String::as_str) == Some("true"),
                device_id: id,
                addr: SocketAddr::new(ip, port),
                txt,
            },
        );
    }
    let _ = daemon.shutdown();
    Ok(found.into_values().collect())
}
