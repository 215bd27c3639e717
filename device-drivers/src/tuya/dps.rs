//! Which Tuya data points hold what, per device: the bridge between a device's `dps`
//! object and our model's state and commands. Defaults follow the common layouts
//! (tinytuya's DPS table, tuya-local device files); an admin can change them per device.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::link::DriverError;
use crate::model::{Command, Kind, State};

/// An integer data point with its raw range, shown as 0–100 %.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DpRange {
    pub dp: String,
    pub min: i64,
    pub max: i64,
}

/// An integer data point holding `value × scale` (e.g. 0.5 °C steps: scale 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DpScale {
    pub dp: String,
    pub scale: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DpMap {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brightness: Option<DpRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_temperature: Option<DpScale>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_temperature: Option<DpScale>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub humidity: Option<DpScale>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_w: Option<DpScale>,
}

fn scale(dp: &str, scale: f64) -> Option<DpScale> {
    Some(DpScale {
        dp: dp.to_owned(),
        scale,
    })
}

impl DpMap {
    /// The usual layout of a device of this kind.
    pub fn for_kind(kind: Kind) -> DpMap {
        let one = Some("1".to_owned());
        match kind {
            // Plugs: 1 switch, 19 power in 0.1 W.
            Kind::Switch => DpMap {
                power: one,
                power_w: scale("19", 10.0),
                ..DpMap::default()
            },
            Kind::Dimmer => DpMap {
                power: one,
                brightness: Some(DpRange {
                    dp: "2".into(),
                    min: 10,
                    max: 1000,
                }),
                ..DpMap::default()
            },
            Kind::Light => DpMap {
                power: Some("20".into()),
                brightness: Some(DpRange {
                    dp: "22".into(),
                    min: 10,
                    max: 1000,
                }),
                ..DpMap::default()
            },
            // BHT-002 style: 2 set point and 3 room temperature in 0.5 °C steps.
            Kind::Thermostat => DpMap {
                power: one,
                target_temperature: scale("2", 2.0),
                current_temperature: scale("3", 2.0),
                ..DpMap::default()
            },
            Kind::WaterHeater => DpMap {
                power: one,
                target_temperature: scale("2", 1.0),
                current_temperature: scale("3", 1.0),
                ..DpMap::default()
            },
            Kind::Lock => DpMap {
                lock: one,
                ..DpMap::default()
            },
            Kind::Sensor => DpMap {
                current_temperature: scale("1", 10.0),
                humidity: scale("2", 1.0),
                ..DpMap::default()
            },
        }
    }

    /// The map a device's declared data-point model makes: tinytuya's `devices.json`
    /// "mapping" (dp id → `{"code", "type", "values": {"min", "max", "scale", "step"}}`,
    /// `values` as an object or as Tuya's cloud sends it, a JSON string), with Tuya's
    /// standard instruction-set codes (`switch_led`, `bright_value_v2`, `temp_set`,
    /// `temp_current`, `cur_power`, …). An integer point's value is its raw number divided
    /// by 10^scale, as declared (athombv/com.tuya#192: `temp_current` 201 with scale 1 is
    /// 20.1 °C). What the model does not declare comes from the kind's usual layout.
    pub fn from_mapping(kind: Kind, mapping: &Value) -> DpMap {
        let mut map = DpMap::for_kind(kind);
        let Some(points) = mapping.as_object() else {
            return map;
        };
        let spec = |code: &[&str]| {
            points.iter().find_map(|(dp, p)| {
                let c = p.get("code")?.as_str()?;
                code.contains(&c).then(|| {
                    let values = match p.get("values") {
                        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or_default(),
                        Some(v) => v.clone(),
                        None => Value::Null,
                    };
                    (dp.clone(), values)
                })
            })
        };
        let scaled = |(dp, values): (String, Value)| DpScale {
            dp,
            scale: 10f64.powi(
                values
                    .get("scale")
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    .clamp(0, 6) as i32,
            ),
        };
        if let Some((dp, _)) = spec(&["switch_led", "switch", "switch_1"]) {
            map.power = Some(dp);
        }
        if let Some((dp, values)) = spec(&["bright_value_v2", "bright_value", "bright_value_1"]) {
            let bound = |k: &str, d: i64| values.get(k).and_then(Value::as_i64).unwrap_or(d);
            map.brightness = Some(DpRange {
                dp,
                min: bound("min", 10),
                max: bound("max", 1000),
            });
        }
        if let Some(p) = spec(&["temp_set"]) {
            map.target_temperature = Some(scaled(p));
        }
        if let Some(p) = spec(&["temp_current", "va_temperature"]) {
            map.current_temperature = Some(scaled(p));
        }
        if let Some(p) = spec(&["humidity_value", "va_humidity"]) {
            map.humidity = Some(scaled(p));
        }
        if let Some(p) = spec(&["cur_power"]) {
            map.power_w = Some(scaled(p));
        }
        map
    }

    /// The gangs a device's declared model names: Tuya's standard codes `switch_1` …
    /// `switch_6` of multi-gang wall switches and power strips (Tuya's "kg"/"pc" instruction
    /// sets), as `(gang, data point)` in gang order. Empty unless there are two or more: a
    /// one-gang device is an ordinary switch.
    pub fn gangs(mapping: &Value) -> Vec<(u32, String)> {
        let mut gangs: Vec<(u32, String)> = mapping
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(dp, p)| {
                let code = p.get("code")?.as_str()?;
                let n: u32 = code.strip_prefix("switch_")?.parse().ok()?;
                (1..=16).contains(&n).then(|| (n, dp.clone()))
            })
            .collect();
        gangs.sort();
        gangs.dedup_by_key(|(n, _)| *n);
        if gangs.len() < 2 {
            gangs.clear();
        }
        gangs
    }

    /// The map of gang `gang` of a multi-gang switch: its own on/off point, as its declared
    /// model names it (`switch_<gang>`), else data point `<gang>` (the usual layout: gang n
    /// on point n). A strip's total power and its USB outlets belong to no one gang.
    pub fn gang(mapping: &Value, gang: u32) -> DpMap {
        let declared = Self::gangs(mapping)
            .into_iter()
            .find_map(|(n, dp)| (n == gang).then_some(dp));
        DpMap {
            power: Some(declared.unwrap_or_else(|| gang.to_string())),
            ..DpMap::default()
        }
    }

    /// The data points this map reads (for device22-style explicit queries).
    pub fn dp_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = [
            self.power.clone(),
            self.brightness.as_ref().map(|r| r.dp.clone()),
            self.target_temperature.as_ref().map(|s| s.dp.clone()),
            self.current_temperature.as_ref().map(|s| s.dp.clone()),
            self.humidity.as_ref().map(|s| s.dp.clone()),
            self.lock.clone(),
            self.power_w.as_ref().map(|s| s.dp.clone()),
        ]
        .into_iter()
        .flatten()
        .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Reads what this map knows out of a `dps` object; unknown points are ignored.
    pub fn to_state(&self, dps: &Map<String, Value>) -> State {
        let num = |s: &Option<DpScale>| {
            s.as_ref()
                .and_then(|s| dps.get(&s.dp)?.as_f64().map(|v| v / s.scale))
        };
        State {
            on: self.power.as_ref().and_then(|dp| dps.get(dp)?.as_bool()),
            brightness: self.brightness.as_ref().and_then(|r| {
                let raw = dps.get(&r.dp)?.as_i64()?;
                let span = (r.max - r.min).max(1) as f64;
                Some(
                    (((raw - r.min) as f64 / span) * 100.0)
                        .round()
                        .clamp(0.0, 100.0) as u8,
                )
            }),
            target_temperature: num(&self.target_temperature),
            current_temperature: num(&self.current_temperature),
            humidity: num(&self.humidity),
            locked: self.lock.as_ref().and_then(|dp| dps.get(dp)?.as_bool()),
            power_w: num(&self.power_w),
        }
    }

    /// The data points to set for `command`.
    pub fn to_dps(&self, command: &Command) -> Result<Map<String, Value>, DriverError> {
        let unsupported = || DriverError::Unsupported(format!("{command:?}"));
        let mut dps = Map::new();
        match *command {
            Command::Power(on) => {
                dps.insert(self.power.clone().ok_or_else(unsupported)?, on.into());
            }
            Command::Brightness(pct) => {
                let r = self.brightness.as_ref().ok_or_else(unsupported)?;
                let raw = r.min + ((r.max - r.min) as f64 * f64::from(pct) / 100.0).round() as i64;
                dps.insert(r.dp.clone(), raw.into());
            }
            Command::TargetTemperature(t) => {
                let s = self.target_temperature.as_ref().ok_or_else(unsupported)?;
                dps.insert(s.dp.clone(), ((t * s.scale).round() as i64).into());
            }
            Command::Lock(locked) => {
                dps.insert(self.lock.clone().ok_or_else(unsupported)?, locked.into());
            }
        }
        Ok(dps)
    }
}

/// The `dps` object of a device's reply, in either shape (`{"dps":…}` or
/// `{"data":{"dps":…}}`).
pub fn dps_of(json: &Value) -> Option<&Map<String, Value>> {
    json.get("dps")
        .or_else(|| json.get("data")?.get("dps"))
        .and_then(Value::as_object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dimmer_brightness_maps_both_ways() {
        let map = DpMap::for_kind(Kind::Dimmer);
        let dps = map.to_dps(&Command::Brightness(50)).unwrap();
        assert_eq!(dps["2"], json!(505));
        let state = map.to_state(dps_of(&json!({"dps": {"1": true, "2": 505}})).unwrap());
        assert_eq!(state.brightness, Some(50));
        assert_eq!(state.on, Some(true));
    }

    /// athombv/com.tuya#192: a thermostat that reports tenths of a degree (`temp_set` 50,
    /// `temp_current` 201 for 5.0 and 20.1 °C), read by its declared scale.
    #[test]
    fn declared_scales_read_tenths_of_a_degree() {
        let mapping = json!({
            "1": {"code": "switch", "type": "Boolean", "values": {}},
            "2": {"code": "temp_set", "type": "Integer",
                  "values": "{\"unit\":\"℃\",\"min\":50,\"max\":350,\"scale\":1,\"step\":5}"},
            "3": {"code": "temp_current", "type": "Integer",
                  "values": {"unit": "℃", "min": -200, "max": 1000, "scale": 1, "step": 1}}
        });
        let map = DpMap::from_mapping(Kind::Thermostat, &mapping);
        let state = map.to_state(dps_of(&json!({"dps": {"1": true, "2": 50, "3": 201}})).unwrap());
        assert_eq!(state.target_temperature, Some(5.0));
        assert_eq!(state.current_temperature, Some(20.1));
        let dps = map.to_dps(&Command::TargetTemperature(21.5)).unwrap();
        assert_eq!(dps["2"], json!(215));
        // Without a model, the usual BHT-002 layout (half degrees) stays.
        assert_eq!(
            DpMap::from_mapping(Kind::Thermostat, &Value::Null),
            DpMap::for_kind(Kind::Thermostat)
        );
    }

    #[test]
    fn a_declared_light_uses_its_own_points_and_range() {
        let mapping = json!({
            "20": {"code": "switch_led", "type": "Boolean"},
            "22": {"code": "bright_value_v2", "type": "Integer", "values": {"min": 10, "max": 1000}},
        });
        let map = DpMap::from_mapping(Kind::Dimmer, &mapping);
        assert_eq!(map.power.as_deref(), Some("20"));
        assert_eq!(
            map.to_dps(&Command::Brightness(100)).unwrap()["22"],
            json!(1000)
        );
    }

    /// A two-gang wall switch (Tuya category "kg") declares `switch_1`, `switch_2` and
    /// their countdowns: two gangs, each its own point; a plug's lone `switch_1` is no gang.
    #[test]
    fn a_two_gang_switch_is_two_gangs_each_on_its_own_point() {
        let mapping = json!({
            "1": {"code": "switch_1", "type": "Boolean"},
            "2": {"code": "switch_2", "type": "Boolean"},
            "7": {"code": "countdown_1", "type": "Integer"},
            "8": {"code": "countdown_2", "type": "Integer"},
        });
        assert_eq!(
            DpMap::gangs(&mapping),
            vec![(1, "1".to_owned()), (2, "2".to_owned())]
        );
        let second = DpMap::gang(&mapping, 2);
        assert_eq!(
            second.to_dps(&Command::Power(true)).unwrap()["2"],
            json!(true)
        );
        let state = second.to_state(dps_of(&json!({"dps": {"1": true, "2": false}})).unwrap());
        assert_eq!(state.on, Some(false));
        assert_eq!(state.power_w, None);
        assert!(DpMap::gangs(&json!({"1": {"code": "switch_1"}})).is_empty());
        assert_eq!(DpMap::gang(&Value::Null, 3).power.as_deref(), Some("3"));
    }

    #[test]
    fn thermostat_half_degrees() {
        let map = DpMap::for_kind(Kind::Thermostat);
        let dps = map.to_dps(&Command::TargetTemperature(21.5)).unwrap();
        assert_eq!(dps["2"], json!(43));
        let v = json!({"data": {"dps": {"2": 43, "3": 40}}});
        let state = map.to_state(dps_of(&v).unwrap());
        assert_eq!(state.target_temperature, Some(21.5));
        assert_eq!(state.current_temperature, Some(20.0));
        assert!(map.to_dps(&Command::Lock(true)).is_err());
    }
}
