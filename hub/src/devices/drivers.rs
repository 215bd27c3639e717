//! From a stored device to a running driver link: reads the brand's settings and the
//! opened secret, and starts the matching client from `device-drivers`.

use std::net::SocketAddr;

use device_drivers::ewelink::{self, EwelinkConfig};
use device_drivers::miio::{self, MiioConfig, PropMap};
use device_drivers::smartthings::{self, SmartThingsConfig};
use device_drivers::tuya::{self, crypto, DpMap, TuyaConfig, Version};
use device_drivers::{channel, Kind, LinkHandle};
use serde::{Deserialize, Serialize};

use super::db::DeviceRow;
use super::Brand;

#[derive(Debug, thiserror::Error)]
pub(super) enum LinkSetupError {
    #[error("{0}")]
    Invalid(String),
    #[error("this brand's devices are not driven by a LAN link")]
    NotLan,
}

/// Tuya settings kept in `devices.settings`. A gang of a multi-gang switch is a device of
/// its own, `<device id>#<gang>` (the first keeps the device's id); its link joins the one
/// connection the device takes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TuyaSettings {
    pub version: Version,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<DpMap>,
    /// The device's declared data-point model (tinytuya's devices.json "mapping"): the
    /// points, scales and ranges it reads by, where no explicit `map` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<serde_json::Value>,
}

/// Starts the link for `row`; `secret` is its opened key or token.
pub(super) fn start(row: &DeviceRow, secret: Option<&str>) -> Result<LinkHandle, LinkSetupError> {
    match row.brand {
        Brand::Tuya => Ok(tuya::spawn(tuya_config(row, secret)?)),
        Brand::Miio => Ok(miio::spawn(miio_config(row, secret)?)),
        Brand::Ewelink => Ok(ewelink::spawn(ewelink_config(row, secret)?)),
        Brand::SmartThings => Ok(smartthings::spawn(smartthings_config(row, secret)?)),
        Brand::Tasmota | Brand::Zigbee2mqtt | Brand::Shelly => Err(LinkSetupError::NotLan),
    }
}

/// Checks that `row` and `secret` make a working configuration, without connecting.
pub(super) fn check(row: &DeviceRow, secret: Option<&str>) -> Result<(), LinkSetupError> {
    match row.brand {
        Brand::Tuya => tuya_config(row, secret).map(drop),
        Brand::Miio => miio_config(row, secret).map(drop),
        Brand::Ewelink => ewelink_config(row, secret).map(drop),
        Brand::SmartThings => smartthings_config(row, secret).map(drop),
        Brand::Tasmota | Brand::Zigbee2mqtt | Brand::Shelly => Ok(()),
    }
}

/// miIO settings kept in `devices.settings`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct MiioSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map: Option<PropMap>,
}

fn miio_config(row: &DeviceRow, secret: Option<&str>) -> Result<MiioConfig, LinkSetupError> {
    let settings: MiioSettings = serde_json::from_value(row.settings.clone())
        .map_err(|e| LinkSetupError::Invalid(format!("miIO settings: {e}")))?;
    let token = miio::packet::parse_token(secret.unwrap_or_default())
        .map_err(|e| LinkSetupError::Invalid(e.to_string()))?;
    let addr = lan_address(&row.address, miio::PORT)?;
    let map = settings.map.unwrap_or_else(|| PropMap::for_kind(row.kind));
    Ok(MiioConfig::new(addr, token, map))
}

/// eWeLink: a devicekey for LAN mode, none for DIY mode; one relay (a switch).
fn ewelink_config(row: &DeviceRow, secret: Option<&str>) -> Result<EwelinkConfig, LinkSetupError> {
    if row.kind != Kind::Switch {
        return Err(LinkSetupError::Invalid(
            "eWeLink devices are driven as switches (one relay)".into(),
        ));
    }
    let addr = lan_address(&row.address, ewelink::PORT)?;
    let key = secret.filter(|k| !k.is_empty()).map(str::to_owned);
    Ok(EwelinkConfig::new(&row.native_id, addr, key))
}

/// SmartThings: the account's token, and the API's base URL from the settings (the
/// public API unless a grant named another).
fn smartthings_config(
    row: &DeviceRow,
    secret: Option<&str>,
) -> Result<SmartThingsConfig, LinkSetupError> {
    let token = secret.filter(|t| !t.is_empty()).ok_or_else(|| {
        LinkSetupError::Invalid("a SmartThings device needs the account's token".into())
    })?;
    let base_url = row.settings["base_url"]
        .as_str()
        .unwrap_or(smartthings::BASE_URL)
        .to_owned();
    check_base_url(&base_url)?;
    Ok(SmartThingsConfig {
        base_url,
        token: token.to_owned(),
        device_id: row.native_id.clone(),
        poll: std::time::Duration::from_secs(15),
        timeout: std::time::Duration::from_secs(10),
    })
}

/// An http(s) URL without credentials, query or fragment.
pub(super) fn check_base_url(text: &str) -> Result<(), LinkSetupError> {
    match url::Url::parse(text) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.username().is_empty()
                && u.password().is_none()
                && u.query().is_none()
                && u.fragment().is_none() =>
        {
            Ok(())
        }
        _ => Err(LinkSetupError::Invalid(format!(
            "{text:?} is not a usable http(s) base URL"
        ))),
    }
}

fn tuya_config(row: &DeviceRow, secret: Option<&str>) -> Result<TuyaConfig, LinkSetupError> {
    let settings: TuyaSettings = serde_json::from_value(row.settings.clone())
        .map_err(|e| LinkSetupError::Invalid(format!("Tuya settings: {e}")))?;
    let key = crypto::parse_local_key(secret.unwrap_or_default())
        .map_err(|e| LinkSetupError::Invalid(e.to_string()))?;
    let addr = lan_address(&row.address, tuya::PORT)?;
    let (device, gang) = channel::split_channel(&row.native_id);
    let gang = match gang {
        Some(n) => Some(n.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            LinkSetupError::Invalid(format!("{n:?} is not a gang number (1, 2, …)"))
        })?),
        // A multi-gang switch's first gang keeps the device's own id.
        None if settings
            .mapping
            .as_ref()
            .is_some_and(|m| !DpMap::gangs(m).is_empty()) =>
        {
            Some(1)
        }
        None => None,
    };
    let mapping = settings.mapping.unwrap_or_default();
    let map = match (settings.map, gang) {
        (Some(map), _) => map,
        (None, Some(gang)) => DpMap::gang(&mapping, gang),
        (None, None) if mapping.is_null() => DpMap::for_kind(row.kind),
        (None, None) => DpMap::from_mapping(row.kind, &mapping),
    };
    Ok(TuyaConfig::new(device, addr, key, settings.version, map))
}

/// `host:port`, or a bare host with the protocol's default port.
pub(super) fn lan_address(text: &str, default_port: u16) -> Result<SocketAddr, LinkSetupError> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    text.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, default_port))
        .map_err(|_| LinkSetupError::Invalid(format!("{text:?} is not an IP address")))
}
