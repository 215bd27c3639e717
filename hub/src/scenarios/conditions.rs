//! A run's conditions, each checked against what it names (occupancy from the bookings,
//! the time in the property's zone, the forecast, a device's state) and written into the
//! trace with what it found ("any unit occupied: 1 of 6 occupied").

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use chrono::{Datelike, NaiveTime};

use super::db::{Step, StepKind};
use super::model::{Compare, Condition, OccupancyScope};
use super::run::Deps;

/// Occupancy at one instant, read once per run.
#[derive(Default)]
pub(super) struct Facts {
    occupied: Option<(BTreeSet<i64>, Vec<i64>)>,
}

impl Deps {
    pub(super) async fn occupancy(&self, facts: &mut Facts) -> (BTreeSet<i64>, Vec<i64>) {
        if let Some(o) = &facts.occupied {
            return o.clone();
        }
        let now = self.clock.now();
        let o = self
            .bookings
            .occupied_of_lettable(now)
            .await
            .unwrap_or_default();
        facts.occupied = Some(o.clone());
        o
    }

    pub(super) fn eval<'a>(
        &'a self,
        c: &'a Condition,
        facts: &'a mut Facts,
    ) -> Pin<Box<dyn Future<Output = (bool, String)> + Send + 'a>> {
        Box::pin(async move {
            match c {
                Condition::Occupancy { of } => {
                    let (occupied, units) = self.occupancy(facts).await;
                    let n = units.iter().filter(|u| occupied.contains(u)).count();
                    let ok = match of {
                        OccupancyScope::Any => n > 0,
                        OccupancyScope::All => !units.is_empty() && n == units.len(),
                        OccupancyScope::None => n == 0,
                    };
                    let word = match of {
                        OccupancyScope::Any => "any unit occupied",
                        OccupancyScope::All => "all units occupied",
                        OccupancyScope::None => "no unit occupied",
                    };
                    (ok, format!("{word}: {n} of {} occupied", units.len()))
                }
                Condition::UnitOccupied { unit_id, occupied } => {
                    let (set, _) = self.occupancy(facts).await;
                    let is = set.contains(unit_id);
                    let unit = *unit_id;
                    let name = self
                        .bookings
                        .rooms()
                        .await
                        .ok()
                        .and_then(|rooms| rooms.into_iter().find(|r| r.id == unit))
                        .map_or(format!("unit {unit}"), |r| format!("\"{}\"", r.name));
                    (
                        is == *occupied,
                        format!(
                            "{name} {}: it is {}",
                            if *occupied { "occupied" } else { "vacant" },
                            if is { "occupied" } else { "vacant" }
                        ),
                    )
                }
                Condition::TimeWindow {
                    after,
                    before,
                    weekdays,
                } => {
                    let tz = self.zone();
                    let local = self.clock.now().with_timezone(&tz);
                    let t = local.time();
                    let hm = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").unwrap_or_default();
                    let (a, b) = (hm(after), hm(before));
                    let inside = if a < b {
                        a <= t && t < b
                    } else {
                        t >= a || t < b
                    };
                    let day_ok = weekdays.is_empty()
                        || weekdays
                            .iter()
                            .any(|w| *w as u32 == local.weekday().num_days_from_monday());
                    (
                        inside && day_ok,
                        format!(
                            "{after}–{before}: it is {} {}",
                            local.format("%a"),
                            local.format("%H:%M")
                        ),
                    )
                }
                Condition::Weather {
                    metric,
                    op,
                    threshold,
                } => {
                    let name = metric.name();
                    match self.weather.reading(*metric, self.clock.now()) {
                        Some(v) => {
                            let ok = match op {
                                Compare::Above => v > *threshold,
                                Compare::Below => v < *threshold,
                                Compare::Eq => (v - threshold).abs() < 1e-9,
                            };
                            (
                                ok,
                                format!(
                                    "{name} {} {threshold}: it is {v}",
                                    if *op == Compare::Below {
                                        "below"
                                    } else {
                                        "above"
                                    }
                                ),
                            )
                        }
                        None => (false, format!("{name}: unknown (no recent forecast)")),
                    }
                }
                Condition::Device { device_id, test } => match self.devices.get(device_id).await {
                    Ok(d) => match test.check(d.online, &d.row.state) {
                        Some(ok) => (
                            ok,
                            format!("{} ({device_id}) {}: {}", d.row.name, test.describe(), ok),
                        ),
                        None => (
                            false,
                            format!(
                                "{} ({device_id}): {} not reported",
                                d.row.name,
                                test.field.key()
                            ),
                        ),
                    },
                    Err(_) => (false, format!("device {device_id} no longer exists")),
                },
                Condition::And { conditions } | Condition::Or { conditions } => {
                    let all = matches!(c, Condition::And { .. });
                    let mut parts = Vec::new();
                    let mut result = all;
                    for sub in conditions {
                        let (ok, why) = self.eval(sub, facts).await;
                        parts.push(format!("{}{why}", if ok { "✓ " } else { "✗ " }));
                        result = if all { result && ok } else { result || ok };
                    }
                    (
                        result,
                        format!(
                            "{} ({})",
                            if all { "all of" } else { "any of" },
                            parts.join("; ")
                        ),
                    )
                }
                Condition::Not { condition } => {
                    let (ok, why) = self.eval(condition, facts).await;
                    (!ok, format!("not ({why})"))
                }
            }
        })
    }

    /// Checks a list (all must hold), tracing each.
    pub(super) async fn check(
        &self,
        list: &[Condition],
        root: &str,
        trace: &mut Vec<Step>,
        facts: &mut Facts,
    ) -> bool {
        let mut all = true;
        for (i, c) in list.iter().enumerate() {
            let since = Instant::now();
            let (ok, why) = self.eval(c, facts).await;
            trace.push(self.step(
                StepKind::Condition,
                format!("{root}[{i}]"),
                why,
                if ok { "true".into() } else { "false".into() },
                ok,
                since,
            ));
            all &= ok;
            if !ok {
                break;
            }
        }
        all
    }
}
