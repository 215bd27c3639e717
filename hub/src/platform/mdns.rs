//! Advertises `_hotelhub._tcp` and `<host_name>.local` with mdns-sd, on the configured
//! interfaces only: the demo stays on loopback, the appliance speaks on its LAN.

use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};

use crate::config::MdnsConfig;

pub const SERVICE_TYPE: &str = "_hotelhub._tcp.local.";

#[derive(Debug, thiserror::Error)]
#[error("mDNS: {0}")]
pub struct MdnsError(#[from] mdns_sd::Error);

pub struct Advertiser {
    daemon: ServiceDaemon,
}

impl Advertiser {
    pub fn start(
        config: &MdnsConfig,
        host_name: &str,
        property_name: &str,
        port: u16,
    ) -> Result<Advertiser, MdnsError> {
        let daemon = ServiceDaemon::new()?;
        if !config.interfaces.is_empty() {
            daemon.disable_interface(IfKind::All)?;
            for name in &config.interfaces {
                if name == "lo" {
                    daemon.enable_interface(IfKind::LoopbackV4)?;
                    daemon.enable_interface(IfKind::LoopbackV6)?;
                } else {
                    daemon.enable_interface(IfKind::Name(name.clone()))?;
                }
            }
        }
        // Instance names are at most 63 bytes; a property's name can be longer.
        let mut instance = format!("Hotel Hub {property_name}");
        while instance.len() > 63 {
            instance.pop();
        }
        let properties = [
            ("version", env!("CARGO_PKG_VERSION")),
            ("property", property_name),
            ("path", "/"),
        ];
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            &instance,
            &format!("{host_name}.local."),
            (),
            port,
            &properties[..],
        )?
        .enable_addr_auto();
        daemon.register(info)?;
        tracing::info!(service = SERVICE_TYPE, host = %format!("{host_name}.local"), port, "Advertising on mDNS.");
        Ok(Advertiser { daemon })
    }

    pub fn stop(self) {
        if let Err(e) = self.daemon.shutdown() {
            tracing::debug!(error = %e, "mDNS shutdown.");
        }
    }
}
