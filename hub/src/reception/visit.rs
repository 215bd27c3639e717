//! A visit to a guest page: which page, in which language, with whose stay, and, for the
//! owner's editor, an unsaved design to preview (kept in memory a while, by an id only the
//! editor knows). Methods of [`Reception`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::design::Design;
use super::{db, page, words, PageNotice, Reception, ReceptionError};

/// What one request for a guest page brings.
pub struct Visit<'a> {
    pub slug: &'a str,
    /// The page's language switch, e.g. "ru".
    pub chosen: Option<&'a str>,
    /// The phone's `Accept-Language`.
    pub accept_language: &'a str,
    /// The token a stay link left in this browser.
    pub stay: Option<&'a str>,
    pub notice: PageNotice,
    /// What the guest typed in the stay form, `(reference, surname)`, shown again after a
    /// try that opened nothing.
    pub typed: Option<(&'a str, &'a str)>,
    /// A draft design's id from [`Reception::preview`].
    pub preview: Option<&'a str>,
}

/// Drafts the editor shows before they are saved: the last few, for a quarter of an hour.
#[derive(Default)]
pub(super) struct Drafts(Mutex<VecDeque<(String, Instant, Design)>>);

const DRAFTS_KEPT: usize = 16;
const DRAFT_LIFE: Duration = Duration::from_secs(15 * 60);

impl Drafts {
    fn put(&self, design: Design) -> String {
        let id = crate::secret::new_token();
        let mut drafts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        drafts.retain(|(_, at, _)| at.elapsed() < DRAFT_LIFE);
        if drafts.len() >= DRAFTS_KEPT {
            drafts.pop_front();
        }
        drafts.push_back((id.clone(), Instant::now(), design));
        id
    }

    fn get(&self, id: &str) -> Option<Design> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|(i, at, _)| i == id && at.elapsed() < DRAFT_LIFE)
            .map(|(_, _, d)| d.clone())
    }
}

impl Reception {
    /// Keeps an unsaved design for the editor's preview; its id, which a page request
    /// names as `preview`. Checked as a save would be.
    pub fn preview(&self, mut design: Design) -> Result<String, ReceptionError> {
        design.complete();
        design.check().map_err(|e| ReceptionError::Invalid(e.0))?;
        Ok(self.inner.drafts.put(design))
    }

    /// The design a visit shows: the draft it previews, else the saved one.
    async fn design_for(&self, preview: Option<&str>) -> Result<Design, ReceptionError> {
        match preview.and_then(|id| self.inner.drafts.get(id)) {
            Some(draft) => Ok(draft),
            None => self.design().await,
        }
    }

    /// The guest page a visit asks for, as HTML in the guest's language (the switch, else
    /// the phone's); with the guest's own stay when their token opens one on this unit.
    /// An empty slug is the property's own page (the lobby's and website's code: no unit,
    /// no stay). A preview shows no stay and starts no chat. `None` when no unit has that
    /// slug.
    pub async fn page(&self, visit: &Visit<'_>) -> Result<Option<String>, ReceptionError> {
        let words = words::choose(visit.chosen, visit.accept_language);
        let room = if visit.slug.is_empty() {
            None
        } else {
            match self.room_at(visit.slug).await? {
                Some(room) => Some(room),
                None => return Ok(None),
            }
        };
        let previewing = visit.preview.is_some();
        let (property, design, places) = (
            self.inner.property.current(),
            self.design_for(visit.preview).await?,
            self.places().await?,
        );
        let stay = if previewing { None } else { visit.stay };
        let reservation = match &room {
            Some(room) => self.stay_on(stay, room.id).await?,
            None => None,
        };
        let (forecast, sun) = (
            self.inner.weather.latest(),
            self.inner.weather.sun_day(None).ok(),
        );
        let widget_key = self.inner.chat.widget_key();
        let channels = if previewing {
            Vec::new()
        } else {
            let unit = room.as_ref().map(|r| (visit.slug, r.name.as_str()));
            self.inner.chat.channel_links(unit, words.tag)
        };
        let view = page::View {
            words,
            slug: visit.slug,
            room: room.as_ref(),
            property: &property,
            zone: self.inner.property.zone(),
            now: self.inner.clock.now(),
            design: &design,
            places: &places,
            forecast: forecast.as_ref(),
            sun: sun.as_ref(),
            widget_key: (!previewing).then_some(widget_key.as_str()),
            reservation: reservation.as_ref(),
            notice: visit.notice,
            typed: visit.typed,
            preview: visit.preview,
            channels: &channels,
        };
        Ok(Some(page::render(&view)))
    }

    /// The unit whose page is at `slug`.
    async fn room_at(&self, slug: &str) -> Result<Option<crate::bookings::Room>, ReceptionError> {
        let s = slug.to_owned();
        let Some(room_id) = self
            .inner
            .store
            .read(move |c| Ok::<_, ReceptionError>(db::room_of(c, &s)?))
            .await?
        else {
            return Ok(None);
        };
        Ok(self.rooms().await?.into_iter().find(|r| r.id == room_id))
    }

    /// The weather block for the guest's own position (GUEST-2) on the page at `slug`, in
    /// the guest's language: its forecast, or the property's with a word that it is not
    /// theirs. `None` when no unit has that slug or the design does not offer it.
    ///
    /// # Errors
    /// [`ReceptionError::TooMany`] past 20 asks in 10 minutes from one `client`;
    /// [`ReceptionError::Invalid`] for a position out of range.
    pub async fn weather_here(
        &self,
        visit: &Visit<'_>,
        client: &str,
        (lat, lon): (f64, f64),
    ) -> Result<Option<String>, ReceptionError> {
        self.inner
            .positions
            .hit(client, Instant::now())
            .map_err(ReceptionError::TooMany)?;
        let design = self.design().await?;
        if self.room_at(visit.slug).await?.is_none() || !design.weather_by_position {
            return Ok(None);
        }
        let own = match self.inner.weather.at(lat, lon).await {
            Ok(snapshot) => Some(snapshot),
            Err(e @ crate::weather::NearbyError::Position) => {
                return Err(ReceptionError::Invalid(e.to_string()))
            }
            Err(_) => None,
        };
        let hotel = self.inner.weather.latest();
        Ok(Some(super::weather_block::weather_here(
            words::choose(visit.chosen, visit.accept_language),
            visit.slug,
            (self.inner.property.zone(), self.inner.clock.now()),
            own.as_ref(),
            hotel.as_ref(),
        )))
    }

    /// The colours of the saved design, or of the draft `preview` names, as a style sheet.
    pub async fn theme(&self, preview: Option<&str>) -> Result<String, ReceptionError> {
        Ok(page::theme(&self.design_for(preview).await?))
    }

    /// The page shown for an address no unit has, in the guest's language.
    pub fn not_found(&self, chosen: Option<&str>, accept_language: &str) -> String {
        page::not_found(words::choose(chosen, accept_language))
    }

    /// The page a stay link leads to once its stay has ended, in the guest's language.
    pub fn link_expired(&self, accept_language: &str) -> String {
        let w = words::choose(None, accept_language);
        page::message(w, w.link_expired, w.link_expired_hint)
    }

    /// The page a link the hub never made leads to (cut short or mistyped).
    pub fn link_unknown(&self, accept_language: &str) -> String {
        let w = words::choose(None, accept_language);
        page::message(w, w.link_unknown, w.link_unknown_hint)
    }
}
