//! Events into fires: a device's new state, a booking change, an occupancy boundary, a
//! new forecast. What fired is decided in `triggers.rs`; here the engine keeps the state
//! those decisions compare against and turns matches into fires with their reasons.

use std::cmp::Reverse;
use std::sync::Arc;

use chrono::Duration;

use super::super::db::{self, PendingKind};
use super::super::model::WeatherMetric;
use super::super::run::Context;
use super::{triggers, Due, Engine, Fire};
use crate::bookings::BookingChange;
use crate::clock::stamp;
use crate::devices::DeviceEvent;
use crate::store::StoreError;

impl Engine {
    pub(super) async fn device(&mut self, e: DeviceEvent) {
        let (id, now_state) = match e {
            DeviceEvent::Changed(v) => {
                // Runs and reasons name devices as they are called now.
                if self.names.devices.get(&v.row.id) != Some(&v.row.name) {
                    Arc::make_mut(&mut self.names)
                        .devices
                        .insert(v.row.id.clone(), v.row.name.clone());
                }
                (v.row.id.clone(), Some((v.online, v.row.state.clone())))
            }
            DeviceEvent::Removed(id) => (id, None),
        };
        let before = match &now_state {
            Some(s) => self.devices.insert(id.clone(), s.clone()),
            None => self.devices.remove(&id),
        };
        let Some((online, state)) = now_state else {
            return;
        };
        let matches = triggers::device(&self.scenarios, &id, before.as_ref(), (online, &state));
        for (scenario, index) in matches.fire {
            let reason = self.describe(scenario, index);
            self.fire(Fire::event(
                scenario,
                reason,
                Context {
                    trigger: Some(index),
                    device_id: Some(id.clone()),
                    ..Context::default()
                },
            ))
            .await;
        }
        for (scenario, index) in matches.cancel {
            let gone: Vec<i64> = self
                .pending
                .values()
                .filter(|p| {
                    p.kind == PendingKind::Hold
                        && p.scenario_id == scenario
                        && p.trigger_index == Some(index)
                })
                .map(|p| p.id)
                .collect();
            for p in gone {
                self.pending.remove(&p);
                let taken = self
                    .ctx
                    .store
                    .write(move |c| Ok::<_, StoreError>(db::take_pending(c, p)?))
                    .await;
                if let Err(e) = taken {
                    tracing::error!(error = %e, "A released hold stays stored; it is checked again when due.");
                }
            }
        }
        let now = self.ctx.clock.now();
        for ((scenario, index), minutes) in matches.hold {
            let p = db::Pending {
                id: 0,
                scenario_id: scenario,
                kind: PendingKind::Hold,
                due_at: stamp(now + Duration::minutes(minutes.into())),
                run_id: None,
                path: Vec::new(),
                trigger_index: Some(index),
                context: serde_json::to_string(&Context {
                    trigger: Some(index),
                    device_id: Some(id.clone()),
                    ..Context::default()
                })
                .unwrap_or_default(),
            };
            let row = p.clone();
            match self
                .ctx
                .store
                .write(move |c| Ok::<_, StoreError>(db::insert_pending(c, &row)?))
                .await
            {
                Ok(pid) => self.add_pending(db::Pending { id: pid, ..p }),
                Err(e) => {
                    tracing::error!(error = %e, "A device hold could not be stored; it does not fire.")
                }
            }
        }
    }

    pub(super) async fn resync_devices(&mut self) {
        for d in self.ctx.devices.list().await.unwrap_or_default() {
            self.devices
                .insert(d.row.id.clone(), (d.online, d.row.state.clone()));
        }
    }

    pub(super) async fn booking(&mut self, b: BookingChange) {
        if let Some(event) = b.event {
            for (scenario, index) in triggers::booking(&self.scenarios, event, b.unit_id) {
                let context = Context {
                    trigger: Some(index),
                    unit_id: Some(b.unit_id),
                    reservation_id: Some(b.reservation_id),
                    device_id: None,
                };
                let reason = format!(
                    "{}: reservation {} in {}",
                    self.describe(scenario, index),
                    b.reservation_id,
                    self.names.unit(b.unit_id)
                );
                self.fire(Fire::event(scenario, reason, context)).await;
            }
        }
        self.occupancy("").await;
    }

    /// Recomputes who is in; fires occupancy triggers for what changed and schedules the
    /// next check-in or check-out instant.
    pub(super) async fn occupancy(&mut self, note: &str) {
        let now = self.ctx.clock.now();
        let Ok(current) = self.ctx.bookings.occupied(now).await else {
            return;
        };
        let before = std::mem::replace(&mut self.occupied, current.clone());
        if before != current {
            self.remember_occupancy();
            for fired in triggers::occupancy(&self.scenarios, &before, &current) {
                let reservation = match fired.unit.filter(|_| fired.occupied) {
                    Some(u) => self
                        .ctx
                        .bookings
                        .occupying(u, now)
                        .await
                        .ok()
                        .flatten()
                        .map(|r| r.id),
                    None => None,
                };
                let what = fired
                    .unit
                    .map_or("the property".to_owned(), |u| self.names.unit(u));
                let reason = format!(
                    "{what} became {}{note}",
                    if fired.occupied { "occupied" } else { "vacant" }
                );
                let (scenario, index) = fired.at;
                let context = Context {
                    trigger: Some(index),
                    unit_id: fired.unit,
                    reservation_id: reservation,
                    device_id: None,
                };
                self.fire(Fire::event(scenario, reason, context)).await;
            }
        }
        self.schedule_occupancy().await;
    }

    pub(super) async fn schedule_occupancy(&mut self) {
        let now = self.ctx.clock.now();
        let next = self.ctx.bookings.next_boundary(now).await.ok().flatten();
        if next != self.occupancy_at {
            self.occupancy_at = next;
            if let Some(at) = next {
                self.heap.push(Reverse((at, Due::Occupancy)));
            }
        }
    }

    pub(super) fn remember_occupancy(&self) {
        let text = serde_json::to_string(&self.occupied).unwrap_or_default();
        let store = self.ctx.store.clone();
        tokio::spawn(async move {
            let stored = store
                .write(move |c| Ok::<_, StoreError>(db::set_state(c, "occupied", &text)?))
                .await;
            if let Err(e) = stored {
                tracing::error!(error = %e, "Occupancy could not be remembered; a restart may see old changes again.");
            }
        });
    }

    pub(super) async fn forecast(&mut self, s: &crate::weather::Snapshot) {
        let now = self.ctx.clock.now();
        let mut fires = Vec::new();
        for metric in [WeatherMetric::CloudCover, WeatherMetric::Temperature] {
            let Some(new) = s.reading(metric, now) else {
                continue;
            };
            let Some(old) = self.weather.insert(metric, new) else {
                continue;
            };
            for (scenario, index) in triggers::weather(&self.scenarios, metric, old, new) {
                let reason = format!("{}: {old} → {new}", self.describe(scenario, index));
                fires.push((scenario, index, reason));
            }
        }
        for (scenario, index, reason) in fires {
            self.fire(Fire::event(
                scenario,
                reason,
                Context {
                    trigger: Some(index),
                    ..Context::default()
                },
            ))
            .await;
        }
    }
}
