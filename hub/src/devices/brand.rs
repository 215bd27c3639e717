//! Who made a device, as the hub drives it: each brand has its own driver or MQTT family.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Brand {
    Tuya,
    Ewelink,
    Miio,
    SmartThings,
    Tasmota,
    Zigbee2mqtt,
    Shelly,
}

impl Brand {
    pub const ALL: [Brand; 7] = [
        Brand::Tuya,
        Brand::Ewelink,
        Brand::Miio,
        Brand::SmartThings,
        Brand::Tasmota,
        Brand::Zigbee2mqtt,
        Brand::Shelly,
    ];

    /// As stored and in the API (`"smartthings"`, `"zigbee2mqtt"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Brand::Tuya => "tuya",
            Brand::Ewelink => "ewelink",
            Brand::Miio => "miio",
            Brand::SmartThings => "smartthings",
            Brand::Tasmota => "tasmota",
            Brand::Zigbee2mqtt => "zigbee2mqtt",
            Brand::Shelly => "shelly",
        }
    }

    pub fn parse(text: &str) -> Option<Brand> {
        Brand::ALL.into_iter().find(|b| b.as_str() == text)
    }
}

/// How the owner gives the hub access to a brand's devices, for the admin app's forms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BrandSetup {
    pub brand: Brand,
    /// As the brand sells itself.
    pub label: &'static str,
    /// `keys` (a key per device id), `token` (one for the account), or `broker` (the
    /// device signs in to the hub's MQTT broker).
    pub grant: &'static str,
    /// What the brand calls a device's id and its key.
    pub id_label: &'static str,
    pub key_label: &'static str,
    /// A device may have no key (eWeLink's DIY mode).
    pub key_optional: bool,
    /// The hub can look for these devices (`POST /admin/devices/discover`).
    pub discovery: bool,
    /// What finding them is called: a LAN scan, or the account's list.
    pub discover_label: &'static str,
    /// The Tuya protocol versions a device may speak; empty for other brands.
    pub versions: Vec<&'static str>,
}

impl Brand {
    pub fn setup(self) -> BrandSetup {
        let (label, grant, id_label, key_label) = match self {
            Brand::Tuya => (
                "Tuya / SmartLife / Gosund",
                "keys",
                "Device id (gwId)",
                "Local key (16 characters)",
            ),
            Brand::Miio => (
                "Xiaomi (miIO)",
                "keys",
                "Device id (did)",
                "Token (32 hex digits)",
            ),
            Brand::Ewelink => (
                "eWeLink / Sonoff",
                "keys",
                "Device id",
                "Devicekey (empty in DIY mode)",
            ),
            Brand::SmartThings => ("Samsung SmartThings", "token", "Device id", "Token"),
            Brand::Tasmota => ("Tasmota", "broker", "Topic", ""),
            Brand::Zigbee2mqtt => ("Zigbee2MQTT", "broker", "Friendly name", ""),
            Brand::Shelly => ("Shelly (Gen2)", "broker", "Device id", ""),
        };
        BrandSetup {
            brand: self,
            label,
            grant,
            id_label,
            key_label,
            key_optional: self == Brand::Ewelink,
            discovery: matches!(
                self,
                Brand::Tuya | Brand::Miio | Brand::Ewelink | Brand::SmartThings
            ),
            discover_label: if self == Brand::SmartThings {
                "Import from the account"
            } else {
                "Discover on the LAN"
            },
            versions: if self == Brand::Tuya {
                vec!["3.3", "3.1", "3.4", "3.5"]
            } else {
                Vec::new()
            },
        }
    }
}

/// A device kind as staff name it, with what it can do (`on_off`, `brightness`, …).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindInfo {
    #[schema(value_type = String)]
    pub kind: device_drivers::Kind,
    pub label: &'static str,
    #[schema(value_type = Vec<String>)]
    pub capabilities: Vec<device_drivers::Capability>,
}

/// Every kind, in the order the forms offer them.
pub fn kinds() -> Vec<KindInfo> {
    use device_drivers::Kind;
    Kind::ALL
        .into_iter()
        .map(|kind| KindInfo {
            kind,
            label: match kind {
                Kind::Switch => "Switch / plug",
                Kind::Light => "Light",
                Kind::Dimmer => "Dimmer",
                Kind::Thermostat => "Thermostat",
                Kind::WaterHeater => "Water heater",
                Kind::Lock => "Lock",
                Kind::Sensor => "Sensor",
            },
            capabilities: kind.capabilities().to_vec(),
        })
        .collect()
}

impl std::fmt::Display for Brand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::Brand;

    #[test]
    fn names_read_back_and_match_serde() {
        for b in Brand::ALL {
            assert_eq!(Brand::parse(b.as_str()), Some(b));
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str());
        }
        assert_eq!(Brand::parse("Tuya"), None);
    }
}
