//! Time and sun triggers: loading scenarios with their stored cursors, the next instant
//! of each trigger in the property's zone, and what comes due on the heap (a time trigger
//! with its catch-up policy, a stored deadline, the next check-in/out instant).

use std::cmp::Reverse;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::super::db;
use super::super::model::Trigger;
use super::super::run::Context;
use super::super::schedule;
use super::triggers::Loaded;
use super::{Due, Engine, Fire, GRACE};
use crate::clock::stamp;
use crate::store::StoreError;

impl Engine {
    pub(super) async fn reload_one(&mut self, id: i64) -> Result<(), StoreError> {
        let s = self
            .ctx
            .store
            .read(move |c| Ok::<_, StoreError>(db::get(c, id)?))
            .await?;
        if let Some(s) = s {
            self.gen += 1;
            self.scenarios.insert(
                id,
                Loaded {
                    name: s.name,
                    def: Arc::new(s.definition),
                    gen: self.gen,
                },
            );
        }
        Ok(())
    }

    /// Loads every enabled scenario afresh and schedules its time and sun triggers from
    /// their cursors (a trigger without one starts from now).
    pub(super) async fn reload(&mut self) -> Result<(), StoreError> {
        let all = self
            .ctx
            .store
            .read(|c| Ok::<_, StoreError>(db::all(c)?))
            .await?;
        self.names = Arc::new(self.ctx.names().await);
        let now = self.ctx.clock.now();
        self.gen += 1;
        let gen = self.gen;
        self.scenarios.clear();
        self.heap
            .retain(|Reverse((_, d))| !matches!(d, Due::Trigger { .. }));
        let mut missing = Vec::new();
        let mut cursors = Vec::new();
        for s in all.into_iter().filter(|s| s.enabled) {
            for (index, _) in s.definition.scheduled() {
                cursors.push((s.id, index));
            }
            self.scenarios.insert(
                s.id,
                Loaded {
                    name: s.name,
                    def: Arc::new(s.definition),
                    gen,
                },
            );
        }
        let wanted = cursors.clone();
        let stored = self
            .ctx
            .store
            .read(move |c| {
                let mut out = Vec::new();
                for (s, i) in wanted {
                    out.push(((s, i), db::cursor(c, s, i)?));
                }
                Ok::<_, StoreError>(out)
            })
            .await?;
        for ((scenario, index), cursor) in stored {
            let from = match cursor.as_deref().and_then(crate::clock::parse) {
                Some(t) => t,
                None => {
                    missing.push((scenario, index));
                    now
                }
            };
            let trigger = self.scenarios[&scenario].def.triggers[index].clone();
            if let Some(at) = self.next_of(&trigger, from) {
                self.heap.push(Reverse((
                    at,
                    Due::Trigger {
                        scenario,
                        index,
                        gen,
                    },
                )));
            }
        }
        if !missing.is_empty() {
            let at = stamp(now);
            self.ctx
                .store
                .write(move |c| {
                    for (s, i) in missing {
                        db::set_cursor(c, s, i, &at)?;
                    }
                    Ok::<_, StoreError>(())
                })
                .await?;
        }
        Ok(())
    }

    pub(super) fn next_of(&self, trigger: &Trigger, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match trigger {
            Trigger::Time { at } => {
                schedule::next_cron(&schedule::daily(at).ok()?, self.place.zone, after)
            }
            Trigger::Cron { expression } => {
                schedule::next_cron(&schedule::cron(expression).ok()?, self.place.zone, after)
            }
            Trigger::Sun {
                event,
                offset_minutes,
            } => {
                let (lat, lon) = self.place.location?;
                schedule::next_sun(lat, lon, self.place.zone, *event, *offset_minutes, after)
            }
            _ => None,
        }
    }

    pub(super) async fn process_due(&mut self) {
        loop {
            let now = self.ctx.clock.now();
            let Some(Reverse((at, due))) = self.heap.peek().copied() else {
                return;
            };
            if at > now {
                return;
            }
            self.heap.pop();
            match due {
                Due::Trigger {
                    scenario,
                    index,
                    gen,
                } => self.time_trigger(scenario, index, gen, at, now).await,
                Due::Pending(id) => self.pending_due(id).await,
                Due::Occupancy if self.occupancy_at == Some(at) => {
                    self.occupancy_at = None;
                    self.occupancy("").await;
                }
                Due::Occupancy => {}
            }
        }
    }

    pub(super) async fn time_trigger(
        &mut self,
        scenario: i64,
        index: usize,
        gen: u64,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let Some(loaded) = self.scenarios.get(&scenario).filter(|l| l.gen == gen) else {
            return;
        };
        let def = loaded.def.clone();
        let trigger = def.triggers[index].clone();
        // Coalesce every instant that has passed into the latest one.
        let (mut last, mut passed) = (at, 1u32);
        while let Some(n) = self.next_of(&trigger, last).filter(|n| *n <= now) {
            last = n;
            passed += 1;
            if passed > 100_000 {
                break;
            }
        }
        if let Some(next) = self.next_of(&trigger, last) {
            self.heap.push(Reverse((
                next,
                Due::Trigger {
                    scenario,
                    index,
                    gen,
                },
            )));
        }
        let local = last
            .with_timezone(&self.place.zone)
            .format("%a %d %b %H:%M %Z");
        let late = now - last;
        let mut reason = format!("{} (due {local})", trigger.describe_with(&self.names));
        if passed > 1 {
            reason.push_str(&format!("; {} earlier times passed unrun", passed - 1));
        }
        let cursor = Some((index, stamp(last)));
        if late <= Duration::seconds(GRACE) {
        } else if late <= Duration::minutes(def.catch_up_minutes.into()) {
            reason.push_str(&format!(
                "; caught up {} min late (the hub was off or asleep)",
                late.num_minutes()
            ));
        } else {
            reason.push_str(&format!(
                "; missed by {} min, more than the {} min catch-up window: not run",
                late.num_minutes(),
                def.catch_up_minutes
            ));
            self.record_skip(scenario, reason, cursor).await;
            return;
        }
        self.fire(Fire {
            scenario,
            reason,
            context: Context {
                trigger: Some(index),
                ..Context::default()
            },
            check_conditions: true,
            cursor,
        })
        .await;
    }
}
