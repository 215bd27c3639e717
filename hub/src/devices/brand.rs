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
