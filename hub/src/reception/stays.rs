//! My reservation (GUEST-5): a stay shown on its unit's page to its guest only. The room's
//! code alone shows nobody's data; a stay is opened by the per-stay link the hotel sends
//! (`/s/<token>`, 256 random bits, stored hashed) or by the booking reference and surname
//! typed on the unit's own page, and either works only until the stay ends (check-out,
//! or at once when it is checked out or cancelled). Methods of [`Reception`].

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{db, Reception, ReceptionError};
use crate::bookings::{Reservation, Status};
use crate::secret;

/// A link the hotel sends a guest.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StayLink {
    /// The path on the hub, `/s/<token>`; shown once.
    pub path: String,
    /// When it stops working: the stay's check-out, RFC 3339.
    pub until: String,
}

/// A stay opened on a page: what the cookie carries back.
pub struct Opened {
    pub token: String,
    /// The unit's page path.
    pub path: String,
    /// Seconds the link still works.
    pub seconds_left: i64,
}

/// What a followed stay link leads to.
pub enum LinkOutcome {
    Opened(Opened),
    /// The stay it was made for has ended (checked out, cancelled, past check-out).
    Ended,
    /// No link the hub made: cut short in a message, or mistyped.
    Unknown,
}

/// When a stay stops opening: its check-out; `None` once it has ended.
fn open_until(r: &Reservation, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if matches!(r.status, Status::CheckedOut | Status::Cancelled) {
        return None;
    }
    crate::clock::parse(&r.check_out_at).filter(|end| *end > now)
}

/// The surname as guests type it: the last word of the name, any case.
fn surname_matches(guest_name: &str, typed: &str) -> bool {
    // In Latin letters without accents on both sides: a Russian guest types the surname in
    // Cyrillic that a channel booked in Latin, a German one without the umlaut.
    let plain = |s: &str| deunicode::deunicode(s.trim()).to_lowercase();
    let typed = plain(typed);
    !typed.is_empty()
        && guest_name
            .split_whitespace()
            .last()
            .is_some_and(|last| plain(last) == typed)
}

impl Reception {
    async fn reservation(&self, id: i64) -> Result<Option<Reservation>, ReceptionError> {
        self.inner
            .bookings
            .reservation(id)
            .await
            .map_err(|e| ReceptionError::Internal(e.to_string()))
    }

    async fn new_link(
        &self,
        r: &Reservation,
        until: DateTime<Utc>,
    ) -> Result<Opened, ReceptionError> {
        let token = secret::new_token();
        let (hash, id, now) = (
            secret::token_hash(&token),
            r.id,
            self.inner.clock.now_text(),
        );
        self.inner
            .store
            .write(move |c| Ok::<_, ReceptionError>(db::add_stay_link(c, &hash, id, &now)?))
            .await?;
        let path = self.page_of(r.unit_id).await?.path;
        Ok(Opened {
            token,
            path,
            seconds_left: (until - self.inner.clock.now()).num_seconds(),
        })
    }

    /// A new link to reservation `id` for its guest; refused once the stay has ended.
    pub async fn stay_link(&self, id: i64) -> Result<StayLink, ReceptionError> {
        let r = self
            .reservation(id)
            .await?
            .ok_or(ReceptionError::NotFound)?;
        let until = open_until(&r, self.inner.clock.now()).ok_or_else(|| {
            ReceptionError::Invalid(
                "this stay has ended: its guest page link would not open".into(),
            )
        })?;
        let opened = self.new_link(&r, until).await?;
        Ok(StayLink {
            path: format!("/s/{}", opened.token),
            until: crate::clock::stamp(until),
        })
    }

    /// The reservation a link was made for; `None` for a token the hub never made.
    async fn linked(&self, token: &str) -> Result<Option<i64>, ReceptionError> {
        if token.is_empty() || token.len() > 64 {
            return Ok(None);
        }
        let hash = secret::token_hash(token);
        self.inner
            .store
            .read(move |c| Ok::<_, ReceptionError>(db::stay_of(c, &hash)?))
            .await
    }

    /// The stay behind `token` while it lasts: `None` for an unknown or ended one.
    async fn live_stay(
        &self,
        token: &str,
    ) -> Result<Option<(Reservation, DateTime<Utc>)>, ReceptionError> {
        let Some(id) = self.linked(token).await? else {
            return Ok(None);
        };
        let now = self.inner.clock.now();
        Ok(self
            .reservation(id)
            .await?
            .and_then(|r| open_until(&r, now).map(|until| (r, until))))
    }

    /// What a link a guest followed opens: their stay (its unit's page and how long the
    /// link works), a stay that has ended, or nothing the hub ever made.
    pub async fn open_link(&self, token: &str) -> Result<LinkOutcome, ReceptionError> {
        let Some(id) = self.linked(token).await? else {
            return Ok(LinkOutcome::Unknown);
        };
        let now = self.inner.clock.now();
        let Some((r, until)) = self
            .reservation(id)
            .await?
            .and_then(|r| open_until(&r, now).map(|until| (r, until)))
        else {
            return Ok(LinkOutcome::Ended);
        };
        let path = self.page_of(r.unit_id).await?.path;
        Ok(LinkOutcome::Opened(Opened {
            token: token.to_owned(),
            path,
            seconds_left: (until - now).num_seconds(),
        }))
    }

    /// The stay `token` opens on room `room_id`'s page: never another unit's.
    pub(super) async fn stay_on(
        &self,
        token: Option<&str>,
        room_id: i64,
    ) -> Result<Option<Reservation>, ReceptionError> {
        let Some(token) = token else { return Ok(None) };
        Ok(self
            .live_stay(token)
            .await?
            .map(|(r, _)| r)
            .filter(|r| r.unit_id == room_id))
    }

    /// A guest on unit `slug`'s page opens their stay with its booking reference (the
    /// channel's or the hub's number) and surname. `Ok(None)` when nothing matches (and
    /// the attempt counts against `from`, the client's address: ten a quarter of an hour).
    pub async fn open_by_reference(
        &self,
        slug: &str,
        reference: &str,
        surname: &str,
        from: &str,
    ) -> Result<Option<Opened>, ReceptionError> {
        let now = Instant::now();
        if let Err(secs) = self.inner.attempts.check(from, now) {
            return Err(ReceptionError::TooMany(secs));
        }
        let reference = reference.trim().trim_start_matches('#');
        let Some(page) = self.pages().await?.into_iter().find(|p| p.slug == slug) else {
            return Ok(None);
        };
        let at = self.inner.clock.now();
        // From yesterday (a stay under way) to the furthest the bookings list reaches.
        let stays = self
            .inner
            .bookings
            .between(
                None,
                Some(&(at.date_naive() + chrono::Duration::days(399)).to_string()),
            )
            .await
            .map_err(|e| ReceptionError::Internal(e.to_string()))?;
        let found = stays.into_iter().find(|r| {
            r.unit_id == page.room_id
                && !reference.is_empty()
                && (r.id.to_string() == reference || r.external_id.as_deref() == Some(reference))
                && surname_matches(&r.guest_name, surname)
        });
        match found.and_then(|r| open_until(&r, at).map(|until| (r, until))) {
            Some((r, until)) => Ok(Some(self.new_link(&r, until).await?)),
            None => {
                self.inner.attempts.record_failure(from, now);
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_surname_is_the_last_word_in_any_case() {
        assert!(surname_matches("Maria Papadopoulou", " papadopoulou "));
        assert!(!surname_matches("Maria Papadopoulou", "Maria"));
        assert!(!surname_matches("Maria Papadopoulou", ""));
        assert!(surname_matches("Ivan Ivanov", "Иванов"));
        assert!(surname_matches("Maria Papadopoulou", "Παπαδοπούλου"));
        assert!(surname_matches("Jörg Müller", "muller"));
        assert!(!surname_matches("Ivan Ivanov", "Петров"));
    }
}
