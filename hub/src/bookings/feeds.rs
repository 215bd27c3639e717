//! Channel managers' iCal feeds: a unit's feed set and imported at once, fetched with a
//! size bound and followed by UID (`ical.rs`), refreshed on a period; a failure is recorded
//! beside the feed and changes nothing. Methods of [`Bookings`].

use std::time::Duration;

use rusqlite::OptionalExtension;

use super::reservations::Times;
use super::{ical, unit_exists, BookingError, Bookings};

impl Bookings {
    /// Sets (or, with an empty URL, removes) a unit's feed; a set feed is imported at once.
    pub async fn set_feed(
        &self,
        unit_id: i64,
        url: String,
    ) -> Result<Option<ical::ImportReport>, BookingError> {
        let url = url.trim().to_owned();
        if !url.is_empty() {
            let parsed = url::Url::parse(&url)
                .map_err(|_| BookingError::Invalid("the feed is not a URL".into()))?;
            if !matches!(parsed.scheme(), "http" | "https") || url.len() > 1000 {
                return Err(BookingError::Invalid(
                    "the feed must be an http(s) URL of at most 1000 characters".into(),
                ));
            }
        }
        let stored = url.clone();
        self.inner
            .store
            .write(move |c| {
                unit_exists(c, unit_id)?;
                c.execute(
                    "UPDATE rooms SET ical_url = ?2, ical_error = '' WHERE id = ?1",
                    rusqlite::params![unit_id, stored],
                )?;
                Ok::<_, BookingError>(())
            })
            .await?;
        if url.is_empty() {
            return Ok(None);
        }
        self.import(unit_id).await.map(Some)
    }

    /// Fetches a unit's feed and follows it. A failure is recorded beside the feed and
    /// leaves its reservations as they were.
    pub async fn import(&self, unit_id: i64) -> Result<ical::ImportReport, BookingError> {
        let url: String = self
            .inner
            .store
            .read(move |c| {
                Ok::<_, BookingError>(
                    c.query_row("SELECT ical_url FROM rooms WHERE id = ?1", [unit_id], |r| {
                        r.get(0)
                    })
                    .optional()?,
                )
            })
            .await?
            .ok_or(BookingError::NotFound)?;
        if url.is_empty() {
            return Err(BookingError::Invalid("this unit has no iCal feed".into()));
        }
        let parsed = match self.fetch(&url).await {
            Ok(bytes) => ical::parse(&bytes).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let now = self.inner.clock.now();
        let zone = self.inner.property.zone();
        let result = self
            .inner
            .store
            .write(move |c| {
                let feed = match parsed {
                    Ok(p) => p,
                    Err(message) => {
                        c.execute(
                            "UPDATE rooms SET ical_error = ?2 WHERE id = ?1",
                            rusqlite::params![unit_id, message],
                        )?;
                        return Ok(Err(message));
                    }
                };
                let mut changes = Vec::new();
                let times = Times::load(c, zone)?;
                let report = ical::follow(c, unit_id, &feed, &times, now, &mut changes)?;
                Ok::<_, BookingError>(Ok((report, changes)))
            })
            .await?;
        match result {
            Ok((report, changes)) => {
                tracing::info!(unit = unit_id, ?report, "iCal feed imported.");
                self.publish(changes);
                Ok(report)
            }
            Err(message) => {
                tracing::warn!(unit = unit_id, error = %message, "iCal feed not imported.");
                Err(BookingError::Feed(message))
            }
        }
    }

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let mut response = self
            .inner
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("cannot fetch the feed: {}", without_url(&e)))?;
        if !response.status().is_success() {
            return Err(format!(
                "the feed answered HTTP {}",
                response.status().as_u16()
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("the feed broke off: {}", without_url(&e)))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > ical::MAX_FEED_BYTES {
                return Err(format!(
                    "the feed is larger than {} MiB",
                    ical::MAX_FEED_BYTES >> 20
                ));
            }
        }
        Ok(body)
    }

    /// Imports every unit's feed now and then every `period` (real time).
    pub fn spawn_refresher(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let units = me
                    .inner
                    .store
                    .read(|c| {
                        let mut s = c.prepare("SELECT id FROM rooms WHERE ical_url != ''")?;
                        let ids = s.query_map([], |r| r.get::<_, i64>(0))?;
                        Ok::<_, BookingError>(ids.collect::<Result<Vec<_>, _>>()?)
                    })
                    .await
                    .unwrap_or_default();
                for unit in units {
                    // Failures are recorded beside the feed and logged by `import`.
                    let _ = me.import(unit).await;
                }
            }
        })
    }
}

/// Feed URLs carry private tokens; errors name the failure, not the address.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "(the feed)");
    }
    text
}
