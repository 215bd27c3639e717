//! The Online Reception (GUEST-1…9): each unit's guest page at `/r/<slug>` with the blocks
//! the owner designs (`design.rs`), the guest services directory, weather and sun from the
//! hub's own cache, the chat tagged with the unit, in the guest's language (`words/`),
//! rendered on the hub (`page.rs`) for each visit, or as the editor's preview of a draft
//! (`visit.rs`), the guest's own stay behind a link (`stays.rs`), and the QR codes that
//! lead there (`qr.rs`), the weather at a guest's own position (`weather_api.rs`) and the plates and stickers they are printed on (`plates/`). The service [`Reception`] is the front door;
//! `db.rs` owns the SQL.

pub mod api;
mod db;
pub mod design;
mod page;
mod page_api;
pub mod plates;
pub mod qr;
mod stays;
mod visit;
mod weather_api;
mod weather_block;
pub mod words;

use std::sync::Arc;

use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bookings::{Bookings, Room};
use crate::chat::Chat;
use crate::clock::Clock;
use crate::store::{Store, StoreError};
use crate::team::Property;
use crate::weather::Weather;
use design::{Design, Text};
pub use qr::{svg as qr_svg, wifi_payload};
pub use stays::{LinkOutcome, Opened, StayLink};
pub use visit::Visit;

#[derive(Debug, thiserror::Error)]
pub enum ReceptionError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Taken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("too many attempts; try again in {0} s")]
    TooMany(u64),
    #[error("{0}")]
    Internal(String),
}

impl From<rusqlite::Error> for ReceptionError {
    fn from(e: rusqlite::Error) -> Self {
        ReceptionError::Store(e.into())
    }
}

/// A place of the guest services directory (GUEST-4).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// Given by the hub; ignored when sent.
    #[serde(default)]
    pub id: i64,
    /// One of taxi, restaurant, cafe, shop, pharmacy, hospital, parking, transport,
    /// beach, sight, other.
    pub category: String,
    pub name: Text,
    #[serde(default)]
    pub notes: Text,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    /// An http(s) URL, or empty.
    #[serde(default)]
    pub website: String,
    /// WGS 84 degrees; both or neither.
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
}

impl Place {
    fn check(&self) -> Result<(), ReceptionError> {
        let bad = |why: &str| Err(ReceptionError::Invalid(why.to_owned()));
        if !words::CATEGORIES.contains(&self.category.as_str()) {
            return bad("the category is one of taxi, restaurant, cafe, shop, pharmacy, hospital, parking, transport, beach, sight, other");
        }
        let name = self.name.text.trim();
        if name.is_empty() || name.chars().count() > 120 {
            return bad("a place has a name of 1 to 120 characters");
        }
        for (text, max) in [(&self.name, 120), (&self.notes, 1000)] {
            if text.text.chars().count() > max {
                return bad("the notes are longer than 1000 characters");
            }
            crate::language::check(&text.translations, max).map_err(ReceptionError::Invalid)?;
        }
        if self.address.chars().count() > 300 || self.phone.chars().count() > 40 {
            return bad("the address or phone is too long");
        }
        if !self
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            return bad("a phone number is digits, spaces, + - ( ) and dots");
        }
        if !self.website.is_empty()
            && !url::Url::parse(&self.website)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && self.website.len() <= 500)
        {
            return bad("the website is an http(s) address");
        }
        match (self.latitude, self.longitude) {
            (None, None) => Ok(()),
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Ok(())
            }
            _ => bad("a position is a latitude (−90…90) and a longitude (−180…180)"),
        }
    }
}

/// A unit's page and the stay under way there, if any.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitStay {
    pub page: UnitPage,
    pub stay: Option<crate::bookings::Reservation>,
}

/// What the page tells a guest about their last try to open their stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageNotice {
    None,
    /// The reference and surname opened nothing on this unit.
    StayNotFound,
    /// Too many wrong references from this address.
    TooMany,
}

/// A unit's guest page: where it is and what it is for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitPage {
    pub room_id: i64,
    pub room: String,
    pub kind: crate::bookings::RoomKind,
    pub slug: String,
    /// The page's path on the hub, `/r/<slug>`.
    pub path: String,
}

struct Inner {
    store: Store,
    clock: Clock,
    property: Property,
    weather: Weather,
    bookings: Bookings,
    chat: Arc<Chat>,
    /// Wrong booking references per client address.
    attempts: crate::ratelimit::FailureLimiter,
    /// Asks for the weather at a guest's position, per client address.
    positions: crate::ratelimit::FailureLimiter,
    /// The editor's unsaved designs.
    drafts: visit::Drafts,
    /// Where guests' phones reach the hub.
    addresses: Vec<String>,
}

#[derive(Clone)]
pub struct Reception {
    inner: Arc<Inner>,
}

/// Lower-case letters and digits without the ones read alike (0/o, 1/l/i).
const SLUG_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// A new unit's slug: readable, with a random tail (about 30 bits) so that the next
/// room's address cannot be guessed from this one's ("room-102-k3m9qz").
fn new_slug(room: &Room) -> String {
    let mut rng = rand::thread_rng();
    let tail: String = (0..6)
        .map(|_| SLUG_ALPHABET[rng.gen_range(0..SLUG_ALPHABET.len())] as char)
        .collect();
    let name: String = room
        .name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let kind = serde_json::to_value(room.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unit".into());
    let name: String = name.chars().take(40).collect();
    if name.is_empty() {
        format!("{kind}-{tail}")
    } else {
        format!("{kind}-{name}-{tail}")
    }
}

/// An owner's slug: 3 to 64 lower-case letters, digits and dashes.
fn check_slug(slug: &str) -> Result<(), ReceptionError> {
    let ok = (3..=64).contains(&slug.len())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ReceptionError::Invalid(
            "A page address is 3 to 64 lower-case letters, digits and dashes".into(),
        ))
    }
}

/// The services the Online Reception reads through.
pub struct Parts {
    pub store: Store,
    pub clock: Clock,
    pub property: Property,
    pub weather: Weather,
    pub bookings: Bookings,
    pub chat: Arc<Chat>,
}

impl Reception {
    /// `addresses`: where guests' phones reach the hub (`http://192.168.1.20:8080`), the
    /// first being the one QR codes use unless asked otherwise.
    pub fn new(parts: Parts, addresses: Vec<String>) -> Reception {
        let Parts {
            store,
            clock,
            property,
            weather,
            bookings,
            chat,
        } = parts;
        Reception {
            inner: Arc::new(Inner {
                store,
                clock,
                property,
                weather,
                bookings,
                chat,
                addresses,
                attempts: crate::ratelimit::FailureLimiter::new(
                    std::time::Duration::from_secs(15 * 60),
                    10,
                ),
                positions: crate::ratelimit::FailureLimiter::new(
                    std::time::Duration::from_secs(10 * 60),
                    20,
                ),
                drafts: visit::Drafts::default(),
            }),
        }
    }

    /// The rooms, villas and cars, as bookings keeps them.
    async fn rooms(&self) -> Result<Vec<Room>, ReceptionError> {
        self.inner
            .bookings
            .rooms()
            .await
            .map_err(|e| ReceptionError::Internal(e.to_string()))
    }

    /// Unit `room_id`'s page.
    pub async fn page_of(&self, room_id: i64) -> Result<UnitPage, ReceptionError> {
        self.pages()
            .await?
            .into_iter()
            .find(|p| p.room_id == room_id)
            .ok_or(ReceptionError::NotFound)
    }

    /// Every unit's page, a new unit getting its slug on the way.
    pub async fn pages(&self) -> Result<Vec<UnitPage>, ReceptionError> {
        let rooms = self.rooms().await?;
        let mut slugs = self
            .inner
            .store
            .read(|c| Ok::<_, ReceptionError>(db::slugs(c)?))
            .await?;
        let missing: Vec<(i64, String)> = rooms
            .iter()
            .filter(|r| !slugs.iter().any(|(id, _)| *id == r.id))
            .map(|r| (r.id, new_slug(r)))
            .collect();
        if !missing.is_empty() {
            self.inner
                .store
                .write(move |c| {
                    for (id, slug) in &missing {
                        db::ensure_slug(c, *id, slug)?;
                    }
                    Ok::<_, ReceptionError>(())
                })
                .await?;
            slugs = self
                .inner
                .store
                .read(|c| Ok::<_, ReceptionError>(db::slugs(c)?))
                .await?;
        }
        Ok(rooms
            .into_iter()
            .filter_map(|r| {
                let slug = slugs.iter().find(|(id, _)| *id == r.id)?.1.clone();
                Some(UnitPage {
                    room_id: r.id,
                    room: r.name,
                    kind: r.kind,
                    path: format!("/r/{slug}"),
                    slug,
                })
            })
            .collect())
    }

    /// Moves a unit's page to `slug`; the old address stops answering.
    pub async fn set_slug(&self, room_id: i64, slug: &str) -> Result<UnitPage, ReceptionError> {
        let slug = slug.trim().to_owned();
        check_slug(&slug)?;
        self.page_of(room_id).await?;
        let s = slug.clone();
        let moved = self
            .inner
            .store
            .write(move |c| Ok::<_, ReceptionError>(db::set_slug(c, room_id, &s)?))
            .await?;
        if !moved {
            return Err(ReceptionError::Taken(format!(
                "another unit's page is at {slug}"
            )));
        }
        self.page_of(room_id).await
    }

    pub async fn design(&self) -> Result<Design, ReceptionError> {
        let mut design = self
            .inner
            .store
            .read(|c| Ok::<_, ReceptionError>(db::design(c)?))
            .await?
            .unwrap_or_default();
        design.complete();
        Ok(design)
    }

    pub async fn put_design(&self, mut design: Design) -> Result<Design, ReceptionError> {
        design.complete();
        design.check().map_err(|e| ReceptionError::Invalid(e.0))?;
        let (d, now) = (design.clone(), self.inner.clock.now_text());
        self.inner
            .store
            .write(move |c| Ok::<_, ReceptionError>(db::put_design(c, &d, &now)?))
            .await?;
        Ok(design)
    }

    pub async fn places(&self) -> Result<Vec<Place>, ReceptionError> {
        self.inner
            .store
            .read(|c| Ok::<_, ReceptionError>(db::places(c)?))
            .await
    }

    /// Adds a place at the end of the directory (at most 200 places).
    pub async fn add_place(&self, mut place: Place) -> Result<Place, ReceptionError> {
        place.check()?;
        if self.places().await?.len() >= 200 {
            return Err(ReceptionError::Invalid(
                "the directory holds at most 200 places".into(),
            ));
        }
        let (p, now) = (place.clone(), self.inner.clock.now_text());
        place.id = self
            .inner
            .store
            .write(move |c| Ok::<_, ReceptionError>(db::add_place(c, &p, &now)?))
            .await?;
        Ok(place)
    }

    pub async fn edit_place(&self, id: i64, mut place: Place) -> Result<Place, ReceptionError> {
        place.check()?;
        place.id = id;
        let p = place.clone();
        let found = self
            .inner
            .store
            .write(move |c| Ok::<_, ReceptionError>(db::edit_place(c, id, &p)?))
            .await?;
        found.then_some(place).ok_or(ReceptionError::NotFound)
    }

    pub async fn delete_place(&self, id: i64) -> Result<(), ReceptionError> {
        let found = self
            .inner
            .store
            .write(move |c| Ok::<_, ReceptionError>(db::delete_place(c, id)?))
            .await?;
        found.then_some(()).ok_or(ReceptionError::NotFound)
    }

    /// Puts the directory in the order of `ids`.
    pub async fn order_places(&self, ids: Vec<i64>) -> Result<Vec<Place>, ReceptionError> {
        if ids.len() > 200 {
            return Err(ReceptionError::Invalid("at most 200 places".into()));
        }
        self.inner
            .store
            .write(move |c| Ok::<_, ReceptionError>(db::order_places(c, &ids)?))
            .await?;
        self.places().await
    }

    /// The unit whose page is at `slug` and who stays there now, for the staff's visitor
    /// card (GUEST-8): a guest writing from this page is most likely that guest.
    pub async fn unit_now(&self, slug: &str) -> Result<UnitStay, ReceptionError> {
        let page = self
            .pages()
            .await?
            .into_iter()
            .find(|p| p.slug == slug)
            .ok_or(ReceptionError::NotFound)?;
        let occupancy = self
            .inner
            .bookings
            .occupancy()
            .await
            .map_err(|e| ReceptionError::Internal(e.to_string()))?;
        let stay = occupancy
            .units
            .into_iter()
            .find(|u| u.id == page.room_id)
            .and_then(|u| u.reservation);
        Ok(UnitStay { page, stay })
    }

    /// Where guests' phones reach the hub (`http://<LAN address>:<port>`), for QR codes and
    /// links: the hub's own addresses on the LAN.
    pub fn addresses(&self) -> &[String] {
        &self.inner.addresses
    }

    /// The design's Wi-Fi payload, when a network is set.
    pub async fn wifi_payload(&self) -> Result<Option<String>, ReceptionError> {
        Ok(self.design().await?.wifi.as_ref().map(qr::wifi_payload))
    }
}
