//! The call log over a stretch of days, with its totals (the messenger's Calls view and
//! Statistics), and the calls ringing now.

use serde::Serialize;
use utoipa::ToSchema;

use super::{db, CallError, CallRecord, Calls};

impl Calls {
    /// The calls ringing now, for a messenger that has just opened.
    pub async fn ringing(&self) -> Result<Vec<CallRecord>, CallError> {
        let ids: Vec<i64> = self
            .active()
            .values()
            .filter(|c| matches!(*c.phase(), super::Phase::Ringing))
            .map(|c| c.id)
            .collect();
        self.inner
            .store
            .read(move |c| {
                let mut out = Vec::new();
                for id in ids {
                    out.extend(db::get(c, id)?);
                }
                Ok::<_, CallError>(out)
            })
            .await
    }

    /// The log of calls started on the days `from` to `to` (YYYY-MM-DD in the property's
    /// zone, inclusive; the last 30 days by default), newest first, at most 500, with its
    /// totals.
    pub async fn log(
        &self,
        from: Option<&str>,
        to: Option<&str>,
        missed_only: bool,
    ) -> Result<CallLog, CallError> {
        let tz = self.inner.property.zone();
        let today = self.inner.clock.now().with_timezone(&tz).date_naive();
        let (from, to) = crate::clock::report_days(from, to, today)
            .map_err(|why| CallError::Invalid(why.into()))?;
        let start_of = |day: chrono::NaiveDate| {
            crate::clock::stamp(crate::clock::resolve_local(
                tz,
                day.and_hms_opt(0, 0, 0).unwrap_or_default(),
            ))
        };
        let (lo, hi) = (start_of(from), start_of(to + chrono::Duration::days(1)));
        let calls = self
            .inner
            .store
            .read(move |c| Ok::<_, CallError>(db::list(c, &lo, &hi, missed_only, 500)?))
            .await?;
        Ok(CallLog::of(from, to, calls))
    }
}

/// A stretch of the call log with its totals (the messenger's Calls view and Statistics).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallLog {
    pub from: String,
    pub to: String,
    pub total: usize,
    /// Answered and spoken (ended, under way, or cut off by a hub stop).
    pub answered: usize,
    /// Missed and abandoned: nobody answered before the guest gave up or the ring time
    /// ran out. Failed calls (the media never connected) are in neither count.
    pub missed: usize,
    pub average_wait_secs: Option<f64>,
    pub average_duration_secs: Option<f64>,
    pub calls: Vec<CallRecord>,
}

impl CallLog {
    fn of(from: chrono::NaiveDate, to: chrono::NaiveDate, calls: Vec<CallRecord>) -> CallLog {
        let average = |xs: Vec<i64>| {
            (!xs.is_empty()).then(|| xs.iter().sum::<i64>() as f64 / xs.len() as f64)
        };
        // Answered is a member and the guest who spoke: not an answer whose media never
        // connected (failed).
        let answered: Vec<&CallRecord> = calls
            .iter()
            .filter(|c| matches!(c.outcome.as_str(), "answered" | "connected" | "interrupted"))
            .collect();
        CallLog {
            from: from.to_string(),
            to: to.to_string(),
            total: calls.len(),
            answered: answered.len(),
            missed: calls
                .iter()
                .filter(|c| matches!(c.outcome.as_str(), "missed" | "abandoned"))
                .count(),
            average_wait_secs: average(answered.iter().filter_map(|c| c.wait_secs).collect()),
            average_duration_secs: average(
                answered.iter().filter_map(|c| c.duration_secs).collect(),
            ),
            calls,
        }
    }
}
