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
