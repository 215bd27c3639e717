//! Trigger matching, pure: the loaded scenarios and one event in, the triggers that fire
//! out. The engine keeps the state (last device states, occupancy, readings) and acts on
//! what these return; nothing here touches the store or the clock.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::super::model::{
    BookingEvent, Crossing, Definition, OccupancyChange, Trigger, WeatherMetric,
};

/// An enabled scenario as the engine holds it; `gen` tells stale heap entries apart.
pub(super) struct Loaded {
    pub name: String,
    pub def: Arc<Definition>,
    pub gen: u64,
}

/// Which trigger of which scenario.
pub(super) type At = (i64, usize);

/// Every trigger of every loaded scenario, with where it is.
fn each(scenarios: &HashMap<i64, Loaded>) -> impl Iterator<Item = (At, &Trigger)> {
    scenarios.iter().flat_map(|(id, l)| {
        l.def
            .triggers
            .iter()
            .enumerate()
            .map(move |(index, t)| ((*id, index), t))
    })
}

/// What a device's new state does to its device triggers.
#[derive(Debug, Default, PartialEq)]
pub(super) struct DeviceMatches {
    /// Fire now.
    pub fire: Vec<At>,
    /// Started to match but must hold this many minutes first.
    pub hold: Vec<(At, u32)>,
    /// No longer match: a hold under way is off.
    pub cancel: Vec<At>,
}

/// A device went from `before` (`(online, state)`, `None` if never reported) to `now`.
/// A change from "unknown" (the field never reported) is not a change.
pub(super) fn device(
    scenarios: &HashMap<i64, Loaded>,
    device_id: &str,
    before: Option<&(bool, serde_json::Value)>,
    now: (bool, &serde_json::Value),
) -> DeviceMatches {
    let mut out = DeviceMatches::default();
    for (at, t) in each(scenarios) {
        let Trigger::Device {
            device_id: id,
            test,
            for_minutes,
        } = t
        else {
            continue;
        };
        if id != device_id {
            continue;
        }
        let was = before.and_then(|(o, s)| test.check(*o, s));
        let is = test.check(now.0, now.1);
        if is == Some(true) && was == Some(false) {
            if *for_minutes == 0 {
                out.fire.push(at);
            } else {
                out.hold.push((at, *for_minutes));
            }
        } else if is != Some(true) {
            out.cancel.push(at);
        }
    }
    out
}

/// Booking triggers for `event` on `unit` (a trigger without a unit takes any).
pub(super) fn booking(scenarios: &HashMap<i64, Loaded>, event: BookingEvent, unit: i64) -> Vec<At> {
    each(scenarios)
        .filter(|(_, t)| {
            matches!(t, Trigger::Booking { event: e, unit_id }
                if *e == event && unit_id.is_none_or(|u| u == unit))
        })
        .map(|(at, _)| at)
        .collect()
}

/// An occupancy trigger that fired: the unit (`None` for the property) and whether it
/// became occupied.
#[derive(Debug, PartialEq)]
pub(super) struct OccupancyFire {
    pub at: At,
    pub unit: Option<i64>,
    pub occupied: bool,
}

/// Occupancy triggers for the change from `before` to `now` (sets of occupied units). The
/// property becomes occupied when no unit was and one is, vacant the other way round.
pub(super) fn occupancy(
    scenarios: &HashMap<i64, Loaded>,
    before: &BTreeSet<i64>,
    now: &BTreeSet<i64>,
) -> Vec<OccupancyFire> {
    let changed: Vec<(i64, bool)> = before
        .symmetric_difference(now)
        .map(|u| (*u, now.contains(u)))
        .collect();
    let property = (!before.is_empty(), !now.is_empty());
    let mut out = Vec::new();
    for (at, t) in each(scenarios) {
        let Trigger::Occupancy { unit_id, to } = t else {
            continue;
        };
        let wanted = |occupied: bool| match to {
            OccupancyChange::Occupied => occupied,
            OccupancyChange::Vacant => !occupied,
            OccupancyChange::Either => true,
        };
        match unit_id {
            Some(u) => {
                if let Some((_, occupied)) = changed.iter().find(|(c, _)| c == u) {
                    if wanted(*occupied) {
                        out.push(OccupancyFire {
                            at,
                            unit: Some(*u),
                            occupied: *occupied,
                        });
                    }
                }
            }
            None if property.0 != property.1 && wanted(property.1) => out.push(OccupancyFire {
                at,
                unit: None,
                occupied: property.1,
            }),
            None => {}
        }
    }
    out
}

/// Weather triggers that `metric` going from `old` to `new` crosses.
pub(super) fn weather(
    scenarios: &HashMap<i64, Loaded>,
    metric: WeatherMetric,
    old: f64,
    new: f64,
) -> Vec<At> {
    each(scenarios)
        .filter(|(_, t)| {
            let Trigger::Weather {
                metric: m,
                direction,
                threshold,
            } = t
            else {
                return false;
            };
            let up = old <= *threshold && new > *threshold;
            let down = old >= *threshold && new < *threshold;
            *m == metric
                && match direction {
                    Crossing::RisesAbove => up,
                    Crossing::FallsBelow => down,
                    Crossing::Crosses => up || down,
                }
        })
        .map(|(at, _)| at)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn loaded(triggers: serde_json::Value) -> HashMap<i64, Loaded> {
        let def: Definition = serde_json::from_value(json!({
            "triggers": triggers,
            "actions": [{"type": "delay", "seconds": 60}]
        }))
        .expect("a definition");
        HashMap::from([(
            7,
            Loaded {
                name: "test".into(),
                def: Arc::new(def),
                gen: 1,
            },
        )])
    }

    #[test]
    fn a_device_fires_on_the_change_holds_when_asked_and_cancels_when_it_stops() {
        let s = loaded(json!([
            {"type": "device", "device_id": "d1", "field": "on", "value": true},
            {"type": "device", "device_id": "d1", "field": "on", "value": true, "for_minutes": 10},
            {"type": "device", "device_id": "d2", "field": "on", "value": true}
        ]));
        let (off, on) = (json!({"on": false}), json!({"on": true}));
        let m = device(&s, "d1", Some(&(true, off.clone())), (true, &on));
        assert_eq!(m.fire, vec![(7, 0)]);
        assert_eq!(m.hold, vec![((7, 1), 10)]);
        assert!(m.cancel.is_empty());
        // Never reported before: not a change.
        assert_eq!(
            device(&s, "d1", None, (true, &on)),
            DeviceMatches::default()
        );
        // Already on: nothing new.
        assert!(device(&s, "d1", Some(&(true, on.clone())), (true, &on))
            .fire
            .is_empty());
        let back = device(&s, "d1", Some(&(true, on)), (true, &off));
        assert_eq!(back.cancel, vec![(7, 0), (7, 1)]);
    }

    #[test]
    fn bookings_match_their_event_and_unit() {
        let s = loaded(json!([
            {"type": "booking", "event": "checked_in"},
            {"type": "booking", "event": "checked_in", "unit_id": 3},
            {"type": "booking", "event": "cancelled"}
        ]));
        let mut fired = booking(&s, BookingEvent::CheckedIn, 3);
        fired.sort();
        assert_eq!(fired, vec![(7, 0), (7, 1)]);
        assert_eq!(booking(&s, BookingEvent::CheckedIn, 4), vec![(7, 0)]);
        assert_eq!(booking(&s, BookingEvent::Booked, 3), Vec::<At>::new());
    }

    #[test]
    fn occupancy_fires_per_unit_and_for_the_property() {
        let s = loaded(json!([
            {"type": "occupancy", "unit_id": 1, "to": "occupied"},
            {"type": "occupancy", "unit_id": 2, "to": "vacant"},
            {"type": "occupancy", "to": "either"}
        ]));
        let none = BTreeSet::new();
        let one = BTreeSet::from([1]);
        let fired = occupancy(&s, &none, &one);
        assert!(fired.contains(&OccupancyFire {
            at: (7, 0),
            unit: Some(1),
            occupied: true
        }));
        assert!(fired.contains(&OccupancyFire {
            at: (7, 2),
            unit: None,
            occupied: true
        }));
        assert_eq!(fired.len(), 2);
        // 1 stays, 2 arrives: the property was occupied already.
        let fired = occupancy(&s, &one, &BTreeSet::from([1, 2]));
        assert!(fired.is_empty(), "{fired:?}");
        let fired = occupancy(&s, &BTreeSet::from([2]), &none);
        assert_eq!(fired.len(), 2, "{fired:?}");
    }

    #[test]
    fn weather_fires_only_when_the_threshold_is_crossed_its_way() {
        let s = loaded(json!([
            {"type": "weather", "metric": "cloud_cover", "direction": "rises_above", "threshold": 70},
            {"type": "weather", "metric": "cloud_cover", "direction": "falls_below", "threshold": 70},
            {"type": "weather", "metric": "temperature", "direction": "crosses", "threshold": 20}
        ]));
        assert_eq!(
            weather(&s, WeatherMetric::CloudCover, 60.0, 80.0),
            vec![(7, 0)]
        );
        assert_eq!(
            weather(&s, WeatherMetric::CloudCover, 80.0, 60.0),
            vec![(7, 1)]
        );
        assert!(weather(&s, WeatherMetric::CloudCover, 75.0, 80.0).is_empty());
        assert_eq!(
            weather(&s, WeatherMetric::Temperature, 21.0, 19.0),
            vec![(7, 2)]
        );
    }
}
