//! The choices the scenario forms offer, from the model's own enums: each value is what the
//! enum serializes to, so a form can only send what the hub reads back. Labels are the
//! admin app's words; every `label` match is exhaustive, so a new variant needs its words.

use serde::Serialize;
use utoipa::ToSchema;

use super::model::{
    BookingEvent, Compare, Crossing, DeviceField, OccupancyChange, OccupancyScope, RunMode,
    SunEvent, WeatherMetric,
};

/// One option of a select: the value the API takes and the words shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Choice {
    pub value: String,
    pub label: &'static str,
}

/// A device state field a test can compare; flags are yes/no, the rest numbers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldChoice {
    pub value: String,
    pub label: &'static str,
    pub flag: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ScenarioVocabulary)]
pub struct Vocabulary {
    pub run_modes: Vec<Choice>,
    pub sun_events: Vec<Choice>,
    pub booking_events: Vec<Choice>,
    pub occupancy_changes: Vec<Choice>,
    pub occupancy_scopes: Vec<Choice>,
    pub weather_metrics: Vec<Choice>,
    pub crossings: Vec<Choice>,
    /// `=`, `>`, `<` for device tests.
    pub compares: Vec<Choice>,
    /// Above or below, for weather conditions.
    pub weather_compares: Vec<Choice>,
    pub device_fields: Vec<FieldChoice>,
}

fn value<T: Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn choices<T: Serialize + Copy>(all: &[T], label: fn(T) -> &'static str) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            value: value(*v),
            label: label(*v),
        })
        .collect()
}

fn run_mode(m: RunMode) -> &'static str {
    match m {
        RunMode::Single => "Single: ignore while running",
        RunMode::Restart => "Restart",
        RunMode::Queued => "Queued",
        RunMode::Parallel => "Parallel",
    }
}

fn sun_event(e: SunEvent) -> &'static str {
    match e {
        SunEvent::Sunrise => "Sunrise",
        SunEvent::Sunset => "Sunset",
    }
}

fn booking_event(e: BookingEvent) -> &'static str {
    match e {
        BookingEvent::Booked => "Booked",
        BookingEvent::Cancelled => "Cancelled",
        BookingEvent::CheckedIn => "Checked in",
        BookingEvent::CheckedOut => "Checked out",
    }
}

fn occupancy_change(c: OccupancyChange) -> &'static str {
    match c {
        OccupancyChange::Either => "Occupied or vacant",
        OccupancyChange::Occupied => "Occupied",
        OccupancyChange::Vacant => "Vacant",
    }
}

fn occupancy_scope(s: OccupancyScope) -> &'static str {
    match s {
        OccupancyScope::Any => "At least one occupied",
        OccupancyScope::All => "All occupied",
        OccupancyScope::None => "None occupied",
    }
}

fn weather_metric(m: WeatherMetric) -> &'static str {
    match m {
        WeatherMetric::CloudCover => "Cloud cover %",
        WeatherMetric::Temperature => "Temperature °C",
    }
}

fn crossing(c: Crossing) -> &'static str {
    match c {
        Crossing::RisesAbove => "rises above",
        Crossing::FallsBelow => "falls below",
        Crossing::Crosses => "crosses",
    }
}

fn compare(c: Compare) -> &'static str {
    match c {
        Compare::Eq => "=",
        Compare::Above => ">",
        Compare::Below => "<",
    }
}

fn device_field(f: DeviceField) -> &'static str {
    match f {
        DeviceField::On => "on",
        DeviceField::Brightness => "brightness",
        DeviceField::TargetTemperature => "target temperature",
        DeviceField::CurrentTemperature => "current temperature",
        DeviceField::Humidity => "humidity",
        DeviceField::Locked => "locked",
        DeviceField::PowerW => "power (W)",
        DeviceField::Online => "online",
    }
}

/// Every choice the forms offer, in the order they offer them.
pub fn vocabulary() -> Vocabulary {
    use BookingEvent as B;
    use DeviceField as F;
    Vocabulary {
        run_modes: choices(
            &[
                RunMode::Single,
                RunMode::Restart,
                RunMode::Queued,
                RunMode::Parallel,
            ],
            run_mode,
        ),
        sun_events: choices(&[SunEvent::Sunrise, SunEvent::Sunset], sun_event),
        booking_events: choices(
            &[B::Booked, B::Cancelled, B::CheckedIn, B::CheckedOut],
            booking_event,
        ),
        occupancy_changes: choices(
            &[
                OccupancyChange::Either,
                OccupancyChange::Occupied,
                OccupancyChange::Vacant,
            ],
            occupancy_change,
        ),
        occupancy_scopes: choices(
            &[
                OccupancyScope::Any,
                OccupancyScope::All,
                OccupancyScope::None,
            ],
            occupancy_scope,
        ),
        weather_metrics: choices(
            &[WeatherMetric::CloudCover, WeatherMetric::Temperature],
            weather_metric,
        ),
        crossings: choices(
            &[
                Crossing::RisesAbove,
                Crossing::FallsBelow,
                Crossing::Crosses,
            ],
            crossing,
        ),
        compares: choices(&[Compare::Eq, Compare::Above, Compare::Below], compare),
        weather_compares: choices(&[Compare::Above, Compare::Below], |c| match c {
            Compare::Eq | Compare::Above => "above",
            Compare::Below => "below",
        }),
        device_fields: [
            F::On,
            F::Brightness,
            F::TargetTemperature,
            F::CurrentTemperature,
            F::Humidity,
            F::Locked,
            F::PowerW,
            F::Online,
        ]
        .into_iter()
        .map(|f| FieldChoice {
            value: value(f),
            label: device_field(f),
            flag: f.is_flag(),
        })
        .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value offered reads back as the model's own type.
    #[test]
    fn every_choice_is_a_value_the_model_reads() {
        let v = vocabulary();
        let reads = |choices: &[Choice], f: &dyn Fn(&str) -> bool| {
            choices.iter().all(|c| f(&c.value)) && !choices.is_empty()
        };
        let json = |s: &str| serde_json::Value::String(s.to_owned());
        assert!(reads(&v.run_modes, &|s| serde_json::from_value::<RunMode>(
            json(s)
        )
        .is_ok()));
        assert!(reads(&v.sun_events, &|s| {
            serde_json::from_value::<SunEvent>(json(s)).is_ok()
        }));
        assert!(reads(&v.booking_events, &|s| {
            serde_json::from_value::<BookingEvent>(json(s)).is_ok()
        }));
        assert!(reads(&v.crossings, &|s| {
            serde_json::from_value::<Crossing>(json(s)).is_ok()
        }));
        assert!(v
            .device_fields
            .iter()
            .all(|f| serde_json::from_value::<DeviceField>(json(&f.value)).is_ok()));
        assert_eq!(v.device_fields.iter().filter(|f| f.flag).count(), 3);
    }
}
