//! What a scenario is: triggers → conditions → actions, with its run mode and catch-up
//! policy, as stored (JSON) and as the admin app's forms build it. Checking a definition
//! is here; evaluating it is `run.rs`, scheduling it is `schedule.rs`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::checks;
pub use super::words::Names;
pub use crate::bookings::BookingEvent;
pub use crate::weather::{SunEvent, WeatherMetric};

pub const MAX_TRIGGERS: usize = 20;
pub const MAX_STEPS: usize = 100;
pub const MAX_DEPTH: usize = 5;
pub const MAX_TEXT: usize = 2000;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    #[serde(default)]
    pub mode: RunMode,
    /// Runs at once (parallel) or waiting (queued); 1–100.
    #[serde(default = "default_max")]
    pub max: u32,
    /// A time or sun trigger missed while the hub was off runs once on start if it was
    /// missed by at most this many minutes; older misses are only recorded. 0 = never.
    #[serde(default = "default_catch_up")]
    pub catch_up_minutes: u32,
    pub triggers: Vec<Trigger>,
    /// All must hold (and), evaluated when a trigger fires.
    #[serde(default)]
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
}

fn default_max() -> u32 {
    10
}

fn default_catch_up() -> u32 {
    60
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// A trigger while a run is under way is dropped (and recorded).
    #[default]
    Single,
    /// A new trigger stops the run under way and starts afresh.
    Restart,
    /// Triggers wait their turn, up to `max`.
    Queued,
    /// Up to `max` runs at once.
    Parallel,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// Every day at a local time ("HH:MM") in the property's zone.
    Time { at: String },
    /// A cron expression in the property's zone: five fields (minute hour day month
    /// weekday), or six/seven with seconds first. Weekdays by name (MON…SUN).
    Cron { expression: String },
    Sun {
        event: SunEvent,
        /// Negative is before the event.
        #[serde(default)]
        offset_minutes: i32,
    },
    Booking {
        event: BookingEvent,
        /// Only this unit; any unit when absent.
        #[serde(default)]
        unit_id: Option<i64>,
    },
    /// A unit (or, without `unit_id`, the property: no unit → some unit) becomes
    /// occupied or vacant.
    Occupancy {
        #[serde(default)]
        unit_id: Option<i64>,
        #[serde(default)]
        to: OccupancyChange,
    },
    /// A device's state starts to match, optionally for a while.
    Device {
        device_id: String,
        #[serde(flatten)]
        test: DeviceTest,
        #[serde(default)]
        for_minutes: u32,
    },
    Weather {
        metric: WeatherMetric,
        direction: Crossing,
        threshold: f64,
    },
    /// Only by hand, from the admin app.
    Manual,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OccupancyChange {
    Occupied,
    Vacant,
    #[default]
    Either,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Crossing {
    RisesAbove,
    FallsBelow,
    Crosses,
}

/// One field of a device's state compared with a value.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeviceTest {
    pub field: DeviceField,
    #[serde(default)]
    pub op: Compare,
    /// true/false for on, locked and online; a number otherwise.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DeviceField {
    On,
    Brightness,
    TargetTemperature,
    CurrentTemperature,
    Humidity,
    Locked,
    PowerW,
    Online,
}

impl DeviceField {
    pub fn is_flag(self) -> bool {
        matches!(
            self,
            DeviceField::On | DeviceField::Locked | DeviceField::Online
        )
    }

    pub fn key(self) -> &'static str {
        match self {
            DeviceField::On => "on",
            DeviceField::Brightness => "brightness",
            DeviceField::TargetTemperature => "target_temperature",
            DeviceField::CurrentTemperature => "current_temperature",
            DeviceField::Humidity => "humidity",
            DeviceField::Locked => "locked",
            DeviceField::PowerW => "power_w",
            DeviceField::Online => "online",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    #[default]
    Eq,
    Above,
    Below,
}

impl DeviceTest {
    /// Whether a device (its `online` flag and uniform state JSON) passes; `None` when the
    /// field is unknown (never reported), which is neither.
    pub fn check(&self, online: bool, state: &serde_json::Value) -> Option<bool> {
        let actual = if self.field == DeviceField::Online {
            serde_json::Value::Bool(online)
        } else {
            state.get(self.field.key())?.clone()
        };
        Some(match (self.op, &actual, &self.value) {
            (Compare::Eq, a, b) if self.field.is_flag() => a == b,
            (op, a, b) => {
                let (a, b) = (a.as_f64()?, b.as_f64()?);
                match op {
                    Compare::Eq => (a - b).abs() < 1e-9,
                    Compare::Above => a > b,
                    Compare::Below => a < b,
                }
            }
        })
    }

    pub fn describe(&self) -> String {
        let op = match self.op {
            Compare::Eq => "is",
            Compare::Above => "is above",
            Compare::Below => "is below",
        };
        format!("{} {op} {}", self.field.key(), self.value)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(no_recursion)]
pub enum Condition {
    /// Over the property's rooms, villas and cars (areas are not let).
    Occupancy {
        of: OccupancyScope,
    },
    UnitOccupied {
        unit_id: i64,
        #[serde(default = "yes")]
        occupied: bool,
    },
    /// Local time in [after, before); past midnight when `before` < `after`. Weekdays as
    /// "mon"…"sun"; every day when empty.
    TimeWindow {
        after: String,
        before: String,
        #[serde(default)]
        weekdays: Vec<crate::team::Weekday>,
    },
    /// False while the weather is unknown or older than three hours.
    Weather {
        metric: WeatherMetric,
        op: Compare,
        threshold: f64,
    },
    Device {
        device_id: String,
        #[serde(flatten)]
        test: DeviceTest,
    },
    And {
        conditions: Vec<Condition>,
    },
    Or {
        conditions: Vec<Condition>,
    },
    Not {
        condition: Box<Condition>,
    },
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OccupancyScope {
    Any,
    All,
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[schema(no_recursion)]
pub enum Action {
    /// The uniform `set` body of the REST API and MQTT (`{"on":true}`, `{"brightness":40}`…)
    /// sent to every device of the target.
    Device {
        target: Target,
        #[schema(value_type = Object)]
        set: serde_json::Value,
    },
    Delay {
        seconds: u32,
    },
    /// To the Team Messenger (and by e-mail when SMTP is set up).
    Notify {
        text: String,
    },
    /// Into the guest's chat, found by the reservation's e-mail or phone.
    MessageGuest {
        to: GuestTarget,
        text: String,
    },
    If {
        conditions: Vec<Condition>,
        then: Vec<Action>,
        #[serde(default, rename = "else")]
        otherwise: Vec<Action>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    Device {
        device_id: String,
    },
    /// Every device placed in the unit.
    Unit {
        unit_id: i64,
    },
    /// Every device of the unit whose booking or occupancy fired the scenario.
    TriggerUnit,
    Group {
        name: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum GuestTarget {
    /// The guest of the reservation that fired the scenario.
    TriggerReservation,
    /// The guest staying in the unit now.
    Unit { unit_id: i64 },
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct Invalid(pub String);

pub(super) fn invalid<T>(message: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid(message.into()))
}

impl Definition {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.triggers.is_empty() {
            return invalid("add at least one trigger (Manual if it runs only by hand)");
        }
        if self.triggers.len() > MAX_TRIGGERS {
            return invalid(format!("at most {MAX_TRIGGERS} triggers"));
        }
        if !(1..=100).contains(&self.max) {
            return invalid("max: between 1 and 100");
        }
        if self.catch_up_minutes > 24 * 60 {
            return invalid("catch_up_minutes: at most 1440 (a day)");
        }
        for t in &self.triggers {
            t.validate()?;
        }
        let mut steps = 0;
        checks::conditions_ok(&self.conditions, 0, &mut steps)?;
        if self.actions.is_empty() {
            return invalid("add at least one action");
        }
        checks::actions_ok(&self.actions, 0, &mut steps)
    }

    /// Whether it has triggers the scheduler keeps (time, cron, sun).
    pub fn scheduled(&self) -> impl Iterator<Item = (usize, &Trigger)> {
        self.triggers.iter().enumerate().filter(|(_, t)| {
            matches!(
                t,
                Trigger::Time { .. } | Trigger::Cron { .. } | Trigger::Sun { .. }
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lights_before_sunset() -> Definition {
        serde_json::from_value(serde_json::json!({
            "triggers": [{"type": "sun", "event": "sunset", "offset_minutes": -10}],
            "conditions": [{"type": "occupancy", "of": "any"}],
            "actions": [{"type": "device", "target": {"kind": "group", "name": "Outside lights"}, "set": {"on": true}}]
        }))
        .unwrap()
    }

    #[test]
    fn the_seed_scenarios_read_and_pass() {
        let d = lights_before_sunset();
        assert_eq!(d.mode, RunMode::Single);
        assert_eq!(d.catch_up_minutes, 60);
        d.validate().unwrap();
        assert_eq!(d.triggers[0].describe(), "10 min before sunset");
        let heat: Definition = serde_json::from_value(serde_json::json!({
            "mode": "queued",
            "triggers": [
                {"type": "occupancy", "unit_id": 2},
                {"type": "weather", "metric": "cloud_cover", "direction": "crosses", "threshold": 70}
            ],
            "actions": [{"type": "if",
                "conditions": [{"type": "unit_occupied", "unit_id": 2},
                               {"type": "weather", "metric": "cloud_cover", "op": "above", "threshold": 70}],
                "then": [{"type": "device", "target": {"kind": "device", "device_id": "d1"}, "set": {"on": true}}],
                "else": [{"type": "device", "target": {"kind": "device", "device_id": "d1"}, "set": {"on": false}}]}]
        }))
        .unwrap();
        heat.validate().unwrap();
    }

    #[test]
    fn bad_definitions_say_what_is_wrong() {
        let mut d = lights_before_sunset();
        d.triggers.clear();
        assert!(d.validate().unwrap_err().0.contains("trigger"));
        let mut d = lights_before_sunset();
        d.triggers = vec![Trigger::Cron {
            expression: "* * *".into(),
        }];
        assert!(d.validate().is_err());
        let mut d = lights_before_sunset();
        d.actions = vec![Action::Device {
            target: Target::TriggerUnit,
            set: serde_json::json!({"brightness": 400}),
        }];
        assert!(d.validate().unwrap_err().0.contains("brightness"));
        let mut d = lights_before_sunset();
        d.actions = vec![Action::Delay { seconds: 0 }];
        assert!(d.validate().is_err());
        let mut nested = Condition::Occupancy {
            of: OccupancyScope::Any,
        };
        for _ in 0..8 {
            nested = Condition::Not {
                condition: Box::new(nested),
            };
        }
        let mut d = lights_before_sunset();
        d.conditions = vec![nested];
        assert!(d.validate().unwrap_err().0.contains("nest"));
        assert!(serde_json::from_value::<Definition>(serde_json::json!({
            "triggers": [{"type": "time", "at": "01:00", "extra": 1}], "actions": []
        }))
        .is_err());
    }

    #[test]
    fn device_tests_compare_flags_and_numbers() {
        let on = DeviceTest {
            field: DeviceField::On,
            op: Compare::Eq,
            value: serde_json::json!(true),
        };
        assert_eq!(on.check(true, &serde_json::json!({"on": true})), Some(true));
        assert_eq!(
            on.check(true, &serde_json::json!({"on": false})),
            Some(false)
        );
        assert_eq!(on.check(true, &serde_json::json!({})), None);
        let warm = DeviceTest {
            field: DeviceField::CurrentTemperature,
            op: Compare::Above,
            value: serde_json::json!(24),
        };
        assert_eq!(
            warm.check(true, &serde_json::json!({"current_temperature": 25.5})),
            Some(true)
        );
        let online = DeviceTest {
            field: DeviceField::Online,
            op: Compare::Eq,
            value: serde_json::json!(false),
        };
        assert_eq!(online.check(false, &serde_json::json!({})), Some(true));
    }
}
