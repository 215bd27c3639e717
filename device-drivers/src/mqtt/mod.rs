//! MQTT device families on the hub's broker, sans-IO: each family turns the messages its
//! devices publish into announcements, state and availability, and our commands into
//! the messages its devices obey. `link` wraps one device in the uniform link handle; the
//! hub owns the broker connection and routes messages to and from it.

pub mod link;
pub mod shelly;
pub mod tasmota;
pub mod zigbee2mqtt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::link::DriverError;
use crate::model::{Command, Kind, State};

pub use link::spawn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Tasmota,
    Zigbee2mqtt,
    Shelly,
}

impl Family {
    pub const ALL: [Family; 3] = [Family::Tasmota, Family::Zigbee2mqtt, Family::Shelly];

    pub fn brand(self) -> &'static str {
        match self {
            Family::Tasmota => "tasmota",
            Family::Zigbee2mqtt => "zigbee2mqtt",
            Family::Shelly => "shelly",
        }
    }

    pub fn parse(brand: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.brand() == brand)
    }

    /// Topic filters the hub subscribes to for this family.
    pub fn subscriptions(self) -> &'static [&'static str] {
        match self {
            Family::Tasmota => tasmota::SUBSCRIPTIONS,
            Family::Zigbee2mqtt => zigbee2mqtt::SUBSCRIPTIONS,
            Family::Shelly => shelly::SUBSCRIPTIONS,
        }
    }

    /// What a message means; empty when it is not this family's.
    pub fn decode(self, topic: &str, payload: &[u8]) -> Vec<Event> {
        // A large Zigbee network's retained `bridge/devices` is several hundred KB; past the
        // broker's default payload limit nothing is a device's.
        if payload.len() > 1024 * 1024 {
            return Vec::new();
        }
        match self {
            Family::Tasmota => tasmota::decode(topic, payload),
            Family::Zigbee2mqtt => zigbee2mqtt::decode(topic, payload),
            Family::Shelly => shelly::decode(topic, payload),
        }
    }

    /// How people number `channel` of this family's devices: Shelly counts its
    /// `switch:N` ids from 0 where its app says "Channel 1", Tasmota's `POWERn` and
    /// Zigbee2MQTT's endpoint names are shown as they are.
    pub fn channel_label(self, channel: &str) -> String {
        match self {
            Family::Shelly => channel
                .parse::<u32>()
                .map(|n| (n + 1).to_string())
                .unwrap_or_else(|_| channel.to_owned()),
            Family::Tasmota | Family::Zigbee2mqtt => channel.to_owned(),
        }
    }

    /// The messages that carry out `command` on `device`, with the property names the
    /// device described (see [`Event::Announce`]).
    pub fn encode(
        self,
        device: &str,
        kind: Kind,
        properties: &Value,
        command: &Command,
    ) -> Result<Vec<Outgoing>, DriverError> {
        if !kind.capabilities().contains(&command.capability()) {
            return Err(DriverError::Unsupported(format!("{command:?}")));
        }
        match self {
            Family::Tasmota => tasmota::encode(device, command),
            Family::Zigbee2mqtt => zigbee2mqtt::encode(device, properties, command),
            Family::Shelly => shelly::encode(device, command),
        }
    }
}

/// A message to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub topic: String,
    pub payload: Vec<u8>,
    pub retain: bool,
}

impl Outgoing {
    pub fn new(topic: String, payload: impl Into<Vec<u8>>) -> Outgoing {
        Outgoing {
            topic,
            payload: payload.into(),
            retain: false,
        }
    }
}

/// What one message said about one device (`device` is the family's own id: Tasmota
/// topic, Zigbee2MQTT friendly name, Shelly topic prefix).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The device is there. `described` when the message says what it is (a discovery
    /// config, a bridge's device list, a light's status); `false` for a guess from a sign of
    /// life (an LWT, an online flag), which a later description overrides.
    Announce {
        device: String,
        kind: Kind,
        name: Option<String>,
        described: bool,
        /// The family's own names for what the hub reads and writes (Zigbee2MQTT: the
        /// `property` of each expose, e.g. `{"setpoint": "current_heating_setpoint"}`);
        /// `null` where the family's names are fixed.
        properties: Value,
    },
    State {
        device: String,
        state: State,
    },
    Availability {
        device: String,
        online: bool,
    },
    /// The bridge itself (Zigbee2MQTT) went on or off line: every device behind it too.
    Bridge {
        online: bool,
    },
}

/// A family's device id must be one MQTT topic level and printable.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && !id.contains(['/', '+', '#'])
        && !id.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_messages_never_panic(topic in "[a-z0-9/+#_:-]{0,40}", payload in proptest::collection::vec(any::<u8>(), 0..300)) {
            for f in Family::ALL {
                let _ = f.decode(&topic, &payload);
            }
        }
    }
}
