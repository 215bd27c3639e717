//! Finding and importing devices: a LAN scan per brand (or, in the demo, unicast probes of
//! the emulators on loopback), the SmartThings account's list, the owner's grants that
//! hold the keys, and importing what was found with its key. Methods of [`Devices`].

use std::net::SocketAddr;

use device_drivers::channel;
use device_drivers::tuya::discovery::{self as tuya_discovery, ScanConfig};
use device_drivers::tuya::DpMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{naming, Brand, DeviceError, DeviceView, Devices, NewDeviceRequest};

/// A device found on the LAN.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Found {
    pub brand: Brand,
    pub native_id: String,
    pub address: String,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// Already on the hub's list.
    pub imported: bool,
    /// The brand's grant holds its key, so it can be imported.
    pub has_key: bool,
}

/// A found device the owner chose to import.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportItem {
    pub native_id: String,
    pub address: String,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub room_id: Option<i64>,
}

/// Most devices one import takes.
pub(super) const MAX_IMPORT: usize = 200;

impl Devices {
    /// Scans for `brand`'s devices for a few seconds (one scan at a time: scans listen on
    /// fixed ports), each marked imported or not and whether its key was granted.
    pub async fn discover(&self, brand: &str) -> Result<Vec<Found>, DeviceError> {
        let brand = Brand::parse(brand)
            .ok_or_else(|| DeviceError::Unsupported("this brand has no LAN discovery".into()))?;
        let found = {
            let _turn = self.scan_turn().await;
            self.scan(brand).await?
        };
        let keys = self.grant(brand).await?.unwrap_or_default();
        let known: Vec<String> = self
            .list()
            .await?
            .into_iter()
            .filter(|d| d.row.brand == brand)
            .map(|d| d.row.native_id)
            .collect();
        Ok(found
            .into_iter()
            .map(|(native_id, address, mut settings)| {
                // What the owner's devices.json says of it: its name and what it is.
                let model = &keys["models"][&native_id];
                if let Some(name) = model["name"].as_str() {
                    settings["label"] = name.into();
                }
                if let Some(kind) = model["category"].as_str().and_then(tuya_category_kind) {
                    settings["kind"] = kind.into();
                }
                (native_id, address, settings)
            })
            .map(|(native_id, address, settings)| Found {
                imported: known.contains(&native_id),
                has_key: keys["keys"].get(&native_id).is_some()
                    || settings["diy"] == true
                    || keys["token"].is_string(),
                brand,
                native_id,
                address,
                settings,
            })
            .collect())
    }

    /// `(native id, address, settings)` of what answers for `brand`.
    async fn scan(
        &self,
        brand: Brand,
    ) -> Result<Vec<(String, String, serde_json::Value)>, DeviceError> {
        let scope = self.scope().clone();
        Ok(match brand {
            Brand::Tuya => {
                let mut config = match scope.lan {
                    Some((app_ip, broadcast)) => ScanConfig::lan(
                        Some(app_ip).filter(|ip| !ip.is_unspecified()),
                        broadcast,
                    ),
                    None => ScanConfig {
                        bind: std::net::Ipv4Addr::LOCALHOST.into(),
                        ports: Vec::new(),
                        probe: None,
                        unicast: Vec::new(),
                    },
                };
                config.unicast = scope.unicast.get(Brand::Tuya.as_str()).cloned().unwrap_or_default();
                tuya_discovery::scan(&config, scope.duration)
                    .await
                    .into_iter()
                    .map(|a| {
                        let version = a.version.map(|v| v.as_str()).unwrap_or("3.3");
                        let address = match a.port {
                            Some(_) => a.addr().to_string(),
                            None => a.ip.to_string(),
                        };
                        (a.id, address, serde_json::json!({"version": version}))
                    })
                    .collect()
            }
            Brand::Miio => {
                let mut targets = scope.unicast.get(Brand::Miio.as_str()).cloned().unwrap_or_default();
                if let Some((_, broadcast)) = scope.lan {
                    targets.push(SocketAddr::new(
                        broadcast.into(),
                        device_drivers::miio::PORT,
                    ));
                }
                let bind = match scope.lan {
                    Some(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
                    None => SocketAddr::from(([127, 0, 0, 1], 0)),
                };
                device_drivers::miio::discovery::scan(bind, &targets, scope.duration)
                    .await
                    .map_err(|e| DeviceError::Internal(format!("miIO discovery: {e}")))?
                    .into_iter()
                    .map(|f| {
                        (
                            f.device_id.to_string(),
                            f.addr.to_string(),
                            serde_json::json!({}),
                        )
                    })
                    .collect()
            }
            Brand::SmartThings => {
                let grant = self.grant(Brand::SmartThings).await?.unwrap_or_default();
                let token = grant["token"].as_str().ok_or_else(|| {
                    DeviceError::NoKey("grant access first: SmartThings needs a token".into())
                })?;
                let base_url = grant["base_url"]
                    .as_str()
                    .unwrap_or(device_drivers::smartthings::BASE_URL)
                    .to_owned();
                device_drivers::smartthings::list(&base_url, token)
                    .await
                    .map_err(|e| DeviceError::Driver {
                        code: "smartthings",
                        message: e.to_string(),
                    })?
                    .into_iter()
                    .map(|d| {
                        let settings = serde_json::json!({
                            "base_url": base_url, "label": d.label,
                            "kind": d.kind.map(|k| k.as_str()),
                        });
                        (d.device_id, String::new(), settings)
                    })
                    .collect()
            }
            Brand::Ewelink if scope.lan.is_some() => {
                device_drivers::ewelink::discovery::scan(&scope.interfaces, scope.duration)
                    .await
                    .map_err(|e| DeviceError::Internal(format!("eWeLink discovery: {e}")))?
                    .into_iter()
                    .map(|f| {
                        let settings =
                            serde_json::json!({"type": f.device_type, "diy": !f.encrypted});
                        (f.device_id, f.addr.to_string(), settings)
                    })
                    .collect()
            }
            Brand::Ewelink => return Err(DeviceError::Unsupported(
                "eWeLink devices are found by mDNS on the LAN, which the demo keeps off: add them by hand".into(),
            )),
            Brand::Tasmota | Brand::Zigbee2mqtt | Brand::Shelly => {
                return Err(DeviceError::Unsupported(
                    "this brand has no LAN discovery".into(),
                ))
            }
        })
    }

    /// Grants access for a brand: for SmartThings `{"token": "…"}` with an optional http(s)
    /// `base_url`; for the others `{"keys": {"<device id>": "<key>"}}`, at most 1000 keys.
    pub async fn grant_access(
        &self,
        brand: &str,
        grant: &serde_json::Value,
    ) -> Result<(), DeviceError> {
        let brand =
            Brand::parse(brand).ok_or_else(|| DeviceError::Invalid("unknown brand".into()))?;
        if brand == Brand::SmartThings {
            let token = grant["token"]
                .as_str()
                .filter(|t| !t.is_empty() && t.len() <= 4096);
            let base_ok = match grant.get("base_url") {
                None | Some(serde_json::Value::Null) => true,
                Some(u) => u
                    .as_str()
                    .is_some_and(|u| super::drivers::check_base_url(u).is_ok()),
            };
            if token.is_none() || !base_ok || grant.as_object().is_some_and(|o| o.len() > 2) {
                return Err(DeviceError::Invalid(
                    "a SmartThings grant is {\"token\": \"…\"} with an optional http(s) \"base_url\"".into(),
                ));
            }
            return self.put_grant(brand, grant).await;
        }
        if brand == Brand::Tuya && grant.is_array() {
            return self.put_grant(brand, &tinytuya_grant(grant)?).await;
        }
        let keys = grant.get("keys").and_then(|k| k.as_object());
        match keys {
            Some(keys)
                if keys.len() <= 1000
                    && keys
                        .values()
                        .all(|v| v.as_str().is_some_and(|s| !s.is_empty() && s.len() <= 256)) => {}
            _ => {
                return Err(DeviceError::Invalid(
                    "a grant is {\"keys\": {\"<device id>\": \"<key>\"}} with at most 1000 keys"
                        .into(),
                ))
            }
        }
        self.put_grant(brand, grant).await
    }

    /// Imports found devices (at most [`MAX_IMPORT`]), each with its key from the brand's
    /// grant; a cloud token only ever goes to the API its grant names.
    pub async fn import(
        &self,
        brand: &str,
        items: Vec<ImportItem>,
    ) -> Result<Vec<DeviceView>, DeviceError> {
        if items.len() > MAX_IMPORT {
            return Err(DeviceError::Invalid(format!(
                "import at most {MAX_IMPORT} devices at once"
            )));
        }
        let brand =
            Brand::parse(brand).ok_or_else(|| DeviceError::Invalid("unknown brand".into()))?;
        let grant = self.grant(brand).await?.unwrap_or_default();
        let items: Vec<ImportItem> = items
            .into_iter()
            .flat_map(|item| by_gang(item, &grant))
            .collect();
        let mut added = Vec::new();
        for mut item in items {
            if brand == Brand::SmartThings {
                item.settings["base_url"] = grant["base_url"]
                    .as_str()
                    .unwrap_or(device_drivers::smartthings::BASE_URL)
                    .into();
            }
            // A gang is keyed and modelled as its device.
            let device = channel::split_channel(&item.native_id).0;
            if let Some(mapping) = grant["models"][device].get("mapping") {
                item.settings["mapping"] = mapping.clone();
            }
            let diy = item.settings["diy"] == true;
            let secret = grant["keys"]
                .get(device)
                .or_else(|| grant.get("token"))
                .and_then(|k| k.as_str())
                .map(str::to_owned)
                .or_else(|| diy.then(String::new))
                .ok_or_else(|| {
                    DeviceError::NoKey(format!(
                        "grant access first: there is no key for {}",
                        item.native_id
                    ))
                })?;
            added.push(
                self.add(NewDeviceRequest {
                    brand: brand.as_str().to_owned(),
                    kind: item.kind,
                    name: item.name,
                    room_id: item.room_id,
                    native_id: item.native_id,
                    address: item.address,
                    settings: item.settings,
                    secret: Some(secret),
                })
                .await?,
            );
        }
        Ok(added)
    }
}

/// A found device as the registry keeps it: a multi-gang Tuya switch (its model declares
/// `switch_1` … `switch_N`) is one switch per gang, each named by its number, the first
/// keeping the device's own id; any other device is itself.
fn by_gang(item: ImportItem, grant: &serde_json::Value) -> Vec<ImportItem> {
    let gangs = grant["models"][&item.native_id]
        .get("mapping")
        .map(DpMap::gangs)
        .unwrap_or_default();
    if gangs.is_empty() || channel::split_channel(&item.native_id).1.is_some() {
        return vec![item];
    }
    gangs
        .into_iter()
        .map(|(gang, _)| ImportItem {
            native_id: match gang {
                1 => item.native_id.clone(),
                n => channel::channel_id(&item.native_id, &n.to_string()),
            },
            kind: "switch".into(),
            name: naming::numbered(&item.name, &gang.to_string()),
            ..item.clone()
        })
        .collect()
}

/// A Tuya grant from tinytuya's `devices.json` (the wizard's list of
/// `{"id", "key", "name", "category", "mapping"}`): the keys, and per device its name,
/// category and declared data-point model, which discovery and import use.
fn tinytuya_grant(list: &serde_json::Value) -> Result<serde_json::Value, DeviceError> {
    let bad = |why: &str| DeviceError::Invalid(format!("devices.json: {why}"));
    let devices = list.as_array().ok_or_else(|| bad("a list of devices"))?;
    if devices.len() > 1000 {
        return Err(bad("at most 1000 devices"));
    }
    let (mut keys, mut models) = (serde_json::Map::new(), serde_json::Map::new());
    for d in devices {
        let text = |k: &str| d.get(k).and_then(|v| v.as_str()).filter(|s| s.len() <= 256);
        let (Some(id), Some(key)) = (text("id"), text("key")) else {
            return Err(bad("each device has an \"id\" and a \"key\""));
        };
        if key.is_empty() {
            continue;
        }
        keys.insert(id.to_owned(), key.into());
        let mapping = d.get("mapping").cloned().unwrap_or_default();
        if mapping.to_string().len() > 6 * 1024 {
            return Err(bad(&format!("the mapping of {id} is larger than 6 KiB")));
        }
        models.insert(
            id.to_owned(),
            serde_json::json!({
                "name": text("name").unwrap_or_default().chars().take(80).collect::<String>(),
                "category": text("category").unwrap_or_default(),
                "mapping": mapping,
            }),
        );
    }
    Ok(serde_json::json!({ "keys": keys, "models": models }))
}

/// What a Tuya product category is (Tuya's category codes: wk thermostat, wkf radiator
/// valve, rs water heater, dj light, dd strip, tgq dimmer, cz and pc sockets, kg switch,
/// ms lock, wsdcg temperature and humidity sensor).
fn tuya_category_kind(category: &str) -> Option<&'static str> {
    Some(match category {
        "wk" | "wkf" => "thermostat",
        "rs" => "water_heater",
        "dj" | "dd" | "xdd" => "light",
        "tgq" | "tgkg" => "dimmer",
        "cz" | "pc" | "kg" => "switch",
        "ms" => "lock",
        "wsdcg" => "sensor",
        _ => return None,
    })
}
