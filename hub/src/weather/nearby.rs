//! Forecasts for a guest's own position (GUEST-2: a car's renter asks for the weather where
//! they are): fetched on demand per coordinate rounded to 0.1° (about 11 km, so a guest's
//! exact position never reaches Open-Meteo and neighbours share one fetch), kept in memory
//! for the refresh period, at most [`POSITIONS`] of them, and at most [`FETCHES_PER_HOUR`]
//! fetches an hour across all guests so that strangers cannot spend the hub's share of the
//! free service (Open-Meteo's terms: 10 000 calls a day).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use super::{Snapshot, Weather};

/// Positions kept; the one fetched longest ago goes first.
pub(super) const POSITIONS: usize = 64;
/// Fetches for guests' positions in any hour.
pub(super) const FETCHES_PER_HOUR: usize = 30;

/// Why there is no forecast for a position.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NearbyError {
    #[error("a position is a latitude (−90…90) and a longitude (−180…180)")]
    Position,
    #[error("too many positions asked for this hour")]
    Busy,
    #[error("{0}")]
    Unreachable(String),
}

/// A position rounded to tenths of a degree, as tenths.
type Cell = (i32, i32);

#[derive(Default)]
pub(super) struct Nearby {
    cells: Mutex<HashMap<Cell, Snapshot>>,
    fetches: Mutex<VecDeque<DateTime<Utc>>>,
}

impl Nearby {
    /// Takes one fetch from the hour's allowance, if any is left.
    fn spend(&self, now: DateTime<Utc>) -> bool {
        let mut fetches = self.fetches.lock().unwrap_or_else(|p| p.into_inner());
        while fetches
            .front()
            .is_some_and(|t| now - *t >= Duration::hours(1))
        {
            fetches.pop_front();
        }
        if fetches.len() >= FETCHES_PER_HOUR {
            return false;
        }
        fetches.push_back(now);
        true
    }

    fn get(&self, cell: Cell) -> Option<Snapshot> {
        self.cells
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&cell)
            .cloned()
    }

    fn put(&self, cell: Cell, snapshot: Snapshot) {
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        if !cells.contains_key(&cell) && cells.len() >= POSITIONS {
            if let Some(oldest) = cells
                .iter()
                .min_by_key(|(_, s)| s.fetched_at)
                .map(|(c, _)| *c)
            {
                cells.remove(&oldest);
            }
        }
        cells.insert(cell, snapshot);
    }
}

impl Weather {
    /// The forecast at a guest's position (WGS 84 degrees): the kept one while younger
    /// than the refresh period, else a new fetch for the rounded position, else the kept
    /// one however old (its age is in the snapshot).
    ///
    /// # Errors
    /// [`NearbyError::Position`] out of range; [`NearbyError::Busy`] when the hour's
    /// fetches are spent and nothing is kept; [`NearbyError::Unreachable`] when the fetch
    /// failed and nothing is kept.
    pub async fn at(&self, lat: f64, lon: f64) -> Result<Snapshot, NearbyError> {
        // A range holds no NaN and no infinity.
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(NearbyError::Position);
        }
        let cell = ((lat * 10.0).round() as i32, (lon * 10.0).round() as i32);
        let now = self.inner.clock.now();
        let kept = self.inner.nearby.get(cell);
        if let Some(k) = &kept {
            if now - k.fetched_at < self.inner.refresh {
                return Ok(k.clone());
            }
        }
        if !self.inner.nearby.spend(now) {
            return kept.ok_or(NearbyError::Busy);
        }
        let zone = self.inner.property.current().time_zone;
        let (rlat, rlon) = (f64::from(cell.0) / 10.0, f64::from(cell.1) / 10.0);
        match self.fetch(rlat, rlon, &zone).await {
            Ok(forecast) => {
                let snapshot = Snapshot {
                    fetched_at: self.inner.clock.now(),
                    forecast,
                };
                self.inner.nearby.put(cell, snapshot.clone());
                Ok(snapshot)
            }
            Err(e) => {
                tracing::warn!(error = %e, "No forecast for a guest's position.");
                kept.ok_or(NearbyError::Unreachable(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(at: DateTime<Utc>) -> Snapshot {
        Snapshot {
            fetched_at: at,
            forecast: Default::default(),
        }
    }

    #[test]
    fn the_hours_allowance_renews_and_the_oldest_position_goes_first() {
        let nearby = Nearby::default();
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        for _ in 0..FETCHES_PER_HOUR {
            assert!(nearby.spend(t0));
        }
        assert!(!nearby.spend(t0 + Duration::minutes(59)));
        assert!(nearby.spend(t0 + Duration::minutes(60)));
        for i in 0..=POSITIONS as i32 {
            nearby.put((i, 0), snapshot(t0 + Duration::seconds(i.into())));
        }
        assert!(nearby.get((0, 0)).is_none(), "the oldest went");
        assert!(nearby.get((1, 0)).is_some());
        assert_eq!(nearby.cells.lock().unwrap().len(), POSITIONS);
    }
}
