//! Scenarios in words, for lists, run reasons and traces: what a trigger waits for, with
//! units and devices by name where the names are known.

use super::model::{Crossing, OccupancyChange, SunEvent, Trigger};

impl Trigger {
    /// In words, for traces and lists (units and devices by id).
    pub fn describe(&self) -> String {
        self.describe_with(&Names::default())
    }

    /// In words, with units and devices by name.
    pub fn describe_with(&self, names: &Names) -> String {
        match self {
            Trigger::Time { at } => format!("every day at {at}"),
            Trigger::Cron { expression } => format!("cron \"{expression}\""),
            Trigger::Sun {
                event,
                offset_minutes,
            } => {
                let e = if *event == SunEvent::Sunrise {
                    "sunrise"
                } else {
                    "sunset"
                };
                match offset_minutes {
                    0 => format!("at {e}"),
                    m if *m < 0 => format!("{} min before {e}", -m),
                    m => format!("{m} min after {e}"),
                }
            }
            Trigger::Booking { event, unit_id } => format!(
                "booking {} ({})",
                serde_json::to_value(event)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                unit_id.map_or("any unit".into(), |u| names.unit(u))
            ),
            Trigger::Occupancy { unit_id, to } => format!(
                "{} becomes {}",
                unit_id.map_or("the property".into(), |u| names.unit(u)),
                match to {
                    OccupancyChange::Occupied => "occupied",
                    OccupancyChange::Vacant => "vacant",
                    OccupancyChange::Either => "occupied or vacant",
                }
            ),
            Trigger::Device {
                device_id,
                test,
                for_minutes,
            } => {
                let hold = if *for_minutes > 0 {
                    format!(" for {for_minutes} min")
                } else {
                    String::new()
                };
                format!("{}: {}{hold}", names.device(device_id), test.describe())
            }
            Trigger::Weather {
                metric,
                direction,
                threshold,
            } => format!(
                "{} {} {threshold}",
                metric.name(),
                match direction {
                    Crossing::RisesAbove => "rises above",
                    Crossing::FallsBelow => "falls below",
                    Crossing::Crosses => "crosses",
                }
            ),
            Trigger::Manual => "by hand".into(),
        }
    }
}

/// Unit and device names, for saying what a scenario does in words.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub units: std::collections::HashMap<i64, String>,
    pub devices: std::collections::HashMap<String, String>,
}

impl Names {
    /// Names from the units' and devices' front doors: `(id, name)` pairs.
    pub fn new(
        units: impl IntoIterator<Item = (i64, String)>,
        devices: impl IntoIterator<Item = (String, String)>,
    ) -> Names {
        Names {
            units: units.into_iter().collect(),
            devices: devices.into_iter().collect(),
        }
    }

    pub fn unit(&self, id: i64) -> String {
        self.units
            .get(&id)
            .map_or(format!("unit {id}"), |n| format!("\"{n}\""))
    }

    pub fn device(&self, id: &str) -> String {
        self.devices
            .get(id)
            .map_or(format!("device {id}"), |n| format!("\"{n}\""))
    }
}
