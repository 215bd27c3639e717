//! The one device model every driver speaks: kinds, capabilities, uniform state and
//! commands. Protocol details (Tuya data points, eWeLink fields, miIO properties) are
//! mapped to and from this model inside each driver; nothing outside a driver sees them.

use serde::{Deserialize, Serialize};

/// What a device is, as a hotel's staff would name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Switch,
    Light,
    Dimmer,
    Thermostat,
    WaterHeater,
    Lock,
    Sensor,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Switch,
        Kind::Light,
        Kind::Dimmer,
        Kind::Thermostat,
        Kind::WaterHeater,
        Kind::Lock,
        Kind::Sensor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Switch => "switch",
            Kind::Light => "light",
            Kind::Dimmer => "dimmer",
            Kind::Thermostat => "thermostat",
            Kind::WaterHeater => "water_heater",
            Kind::Lock => "lock",
            Kind::Sensor => "sensor",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// What a device of this kind can be told or asked.
    pub fn capabilities(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            Kind::Switch => &[OnOff],
            Kind::Light => &[OnOff, Brightness],
            Kind::Dimmer => &[OnOff, Brightness],
            Kind::Thermostat => &[OnOff, TargetTemperature, CurrentTemperature],
            Kind::WaterHeater => &[OnOff, TargetTemperature, CurrentTemperature],
            Kind::Lock => &[Lock],
            Kind::Sensor => &[CurrentTemperature, Humidity],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    OnOff,
    Brightness,
    TargetTemperature,
    CurrentTemperature,
    Humidity,
    Lock,
}

/// The uniform state. A field is `None` when the device does not report it (yet).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<bool>,
    /// 0–100 %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brightness: Option<u8>,
    /// °C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_temperature: Option<f64>,
    /// °C.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_temperature: Option<f64>,
    /// % relative humidity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub humidity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked: Option<bool>,
    /// W, from energy-metering plugs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_w: Option<f64>,
}

impl State {
    /// Fields present in `newer` replace ours; the rest stay (devices often report only
    /// what changed).
    pub fn merge(&mut self, newer: &State) {
        fn take<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
        take(&mut self.on, &newer.on);
        take(&mut self.brightness, &newer.brightness);
        take(&mut self.target_temperature, &newer.target_temperature);
        take(&mut self.current_temperature, &newer.current_temperature);
        take(&mut self.humidity, &newer.humidity);
        take(&mut self.locked, &newer.locked);
        take(&mut self.power_w, &newer.power_w);
    }

    pub fn is_empty(&self) -> bool {
        *self == State::default()
    }

    /// Whether this state shows `command` carried out: the confirmation a driver waits for.
    pub fn confirms(&self, command: &Command) -> bool {
        match *command {
            Command::Power(on) => self.on == Some(on),
            Command::Brightness(b) => self.brightness == Some(b),
            Command::TargetTemperature(t) => self
                .target_temperature
                .is_some_and(|have| (have - t).abs() < 0.26),
            Command::Lock(locked) => self.locked == Some(locked),
        }
    }
}

/// What staff, scenarios and MQTT can ask of a device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Power(bool),
    /// 0–100 %.
    Brightness(u8),
    /// °C.
    TargetTemperature(f64),
    Lock(bool),
}

impl Command {
    pub fn capability(&self) -> Capability {
        match self {
            Command::Power(_) => Capability::OnOff,
            Command::Brightness(_) => Capability::Brightness,
            Command::TargetTemperature(_) => Capability::TargetTemperature,
            Command::Lock(_) => Capability::Lock,
        }
    }

    /// Reads the uniform `set` body (`{"on":true}`, `{"brightness":40}`,
    /// `{"target_temperature":21.5}`, `{"locked":false}`; also `"ON"`/`"OFF"` as Home
    /// Assistant sends for switches) into commands, checking ranges.
    pub fn parse_set(body: &[u8]) -> Result<Vec<Command>, CommandError> {
        let text = std::str::from_utf8(body).map_err(|_| CommandError::NotText)?;
        match text.trim() {
            "ON" | "on" => return Ok(vec![Command::Power(true)]),
            "OFF" | "off" => return Ok(vec![Command::Power(false)]),
            "LOCK" => return Ok(vec![Command::Lock(true)]),
            "UNLOCK" => return Ok(vec![Command::Lock(false)]),
            _ => {}
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| CommandError::BadJson(e.to_string()))?;
        let object = value.as_object().ok_or(CommandError::NotAnObject)?;
        let mut commands = Vec::new();
        for (key, v) in object {
            let command = match key.as_str() {
                "on" => Command::Power(v.as_bool().ok_or(CommandError::Field("on"))?),
                "state" => match v.as_str() {
                    Some("ON") => Command::Power(true),
                    Some("OFF") => Command::Power(false),
                    _ => return Err(CommandError::Field("state")),
                },
                "brightness" => {
                    let b = v.as_u64().filter(|b| *b <= 100);
                    Command::Brightness(b.ok_or(CommandError::Field("brightness"))? as u8)
                }
                "target_temperature" => {
                    let t = v.as_f64().filter(|t| (5.0..=90.0).contains(t));
                    Command::TargetTemperature(t.ok_or(CommandError::Field("target_temperature"))?)
                }
                "locked" => Command::Lock(v.as_bool().ok_or(CommandError::Field("locked"))?),
                _ => return Err(CommandError::Unknown(key.chars().take(40).collect())),
            };
            commands.push(command);
        }
        if commands.is_empty() {
            return Err(CommandError::Empty);
        }
        Ok(commands)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CommandError {
    #[error("the command is not UTF-8 text")]
    NotText,
    #[error("the command is not JSON: {0}")]
    BadJson(String),
    #[error("the command must be a JSON object")]
    NotAnObject,
    #[error("`{0}` has a wrong type or is out of range")]
    Field(&'static str),
    #[error("unknown field `{0}`")]
    Unknown(String),
    #[error("the command asks for nothing")]
    Empty,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_bodies_parse_and_ranges_are_checked() {
        assert_eq!(
            Command::parse_set(b"ON").unwrap(),
            vec![Command::Power(true)]
        );
        assert_eq!(
            Command::parse_set(br#"{"brightness":40}"#).unwrap(),
            vec![Command::Brightness(40)]
        );
        assert_eq!(
            Command::parse_set(br#"{"brightness":400}"#),
            Err(CommandError::Field("brightness"))
        );
        assert!(Command::parse_set(br#"{"colour":1}"#).is_err());
        assert!(Command::parse_set(b"{}").is_err());
        assert!(Command::parse_set(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn merge_keeps_what_the_update_does_not_mention() {
        let mut s = State {
            on: Some(true),
            brightness: Some(50),
            ..State::default()
        };
        s.merge(&State {
            brightness: Some(70),
            ..State::default()
        });
        assert_eq!(s.on, Some(true));
        assert_eq!(s.brightness, Some(70));
        assert!(s.confirms(&Command::Brightness(70)));
    }
}
