//! Xiaomi miIO over UDP 54321: packets (`packet`), the property map to our model (here),
//! the tokio client (`client`) and hello discovery (`discovery`).

pub mod client;
pub mod discovery;
pub mod packet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::link::DriverError;
use crate::model::{Command, Kind, State};

pub use client::{spawn, MiioConfig};

pub const PORT: u16 = 54321;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MiioError {
    #[error("malformed miIO packet: {0}")]
    Malformed(&'static str),
    #[error("bad key: the token does not match the device's")]
    BadToken,
    #[error("a token is 32 hexadecimal digits")]
    TokenFormat,
}

/// A numeric property with its setter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prop {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setter: Option<String>,
}

fn prop(name: &str, setter: Option<&str>) -> Option<Prop> {
    Some(Prop {
        name: name.to_owned(),
        setter: setter.map(str::to_owned),
    })
}

/// Which `get_prop` properties and setters hold what (python-miio's names).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PropMap {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<Prop>,
    /// 1–100 on the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brightness: Option<Prop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_temperature: Option<Prop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_temperature: Option<Prop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub humidity: Option<Prop>,
}

impl PropMap {
    pub fn for_kind(kind: Kind) -> PropMap {
        let power = prop("power", Some("set_power"));
        match kind {
            Kind::Switch => PropMap {
                power,
                ..PropMap::default()
            },
            Kind::Light | Kind::Dimmer => PropMap {
                power,
                brightness: prop("bright", Some("set_bright")),
                ..PropMap::default()
            },
            Kind::Thermostat | Kind::WaterHeater => PropMap {
                power,
                target_temperature: prop("target_temperature", Some("set_target_temperature")),
                current_temperature: prop("temperature", None),
                ..PropMap::default()
            },
            Kind::Lock => PropMap::default(),
            Kind::Sensor => PropMap {
                current_temperature: prop("temperature", None),
                humidity: prop("humidity", None),
                ..PropMap::default()
            },
        }
    }

    /// The properties to ask for, in order.
    pub fn props(&self) -> Vec<String> {
        [
            &self.power,
            &self.brightness,
            &self.target_temperature,
            &self.current_temperature,
            &self.humidity,
        ]
        .into_iter()
        .flatten()
        .map(|p| p.name.clone())
        .collect()
    }

    /// Reads a `get_prop` result (values in the order of `props()`).
    pub fn to_state(&self, values: &[Value]) -> State {
        let names = self.props();
        let get = |p: &Option<Prop>| {
            let p = p.as_ref()?;
            let i = names.iter().position(|n| *n == p.name)?;
            values.get(i)
        };
        let num = |p: &Option<Prop>| get(p).and_then(Value::as_f64);
        State {
            on: get(&self.power).and_then(|v| match v {
                Value::Bool(b) => Some(*b),
                Value::String(s) => Some(s == "on"),
                _ => None,
            }),
            brightness: num(&self.brightness).map(|b| b.clamp(0.0, 100.0) as u8),
            target_temperature: num(&self.target_temperature),
            current_temperature: num(&self.current_temperature),
            humidity: num(&self.humidity),
            ..State::default()
        }
    }

    /// The setter call for `command`: `(method, params)`.
    pub fn to_call(&self, command: &Command) -> Result<(String, Value), DriverError> {
        let unsupported = || DriverError::Unsupported(format!("{command:?}"));
        let setter = |p: &Option<Prop>| {
            p.as_ref()
                .and_then(|p| p.setter.clone())
                .ok_or_else(unsupported)
        };
        Ok(match *command {
            Command::Power(on) => (
                setter(&self.power)?,
                serde_json::json!([if on { "on" } else { "off" }]),
            ),
            Command::Brightness(b) => (setter(&self.brightness)?, serde_json::json!([b.max(1)])),
            Command::TargetTemperature(t) => {
                (setter(&self.target_temperature)?, serde_json::json!([t]))
            }
            Command::Lock(_) => return Err(unsupported()),
        })
    }
}
