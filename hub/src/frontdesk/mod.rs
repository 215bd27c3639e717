//! The Remote Front Desk (DESK-1…5): lobby tablets ("kiosks") that an admin pairs with a
//! one-time code, each then holding a credential of its own (not a staff session, revoked
//! by deleting it), and the idle screen a kiosk shows (`idle.rs`): time, weather, the
//! Wi-Fi's and the Online Reception's codes. The service [`FrontDesk`] is the front door;
//! `db.rs` owns the SQL.

pub mod api;
pub mod call_ws;
mod db;
mod idle;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calls::{CallError, Calls};
use crate::clock::Clock;
use crate::reception::Reception;
use crate::scans::{Origin, ScanError, Scans};
use crate::secret;
use crate::store::{Store, StoreError};
use crate::team::Property;
use crate::weather::Weather;
pub use idle::IdleScreen;

/// How long a pairing code works, and how many wait at once.
const CODE_LIFE: Duration = Duration::from_secs(10 * 60);
const CODES_KEPT: usize = 8;
/// A kiosk's last sighting is written at most this often.
const SEEN_EVERY: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, thiserror::Error)]
pub enum FrontDeskError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error("too many attempts; try again in {0} s")]
    TooMany(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<CallError> for FrontDeskError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::NotFound => FrontDeskError::NotFound,
            CallError::Invalid(why) | CallError::Gone(why) => FrontDeskError::Invalid(why),
            other => FrontDeskError::Internal(other.to_string()),
        }
    }
}

impl From<ScanError> for FrontDeskError {
    fn from(e: ScanError) -> Self {
        match e {
            ScanError::Invalid(why) => FrontDeskError::Invalid(why),
            other => FrontDeskError::Internal(other.to_string()),
        }
    }
}

impl From<rusqlite::Error> for FrontDeskError {
    fn from(e: rusqlite::Error) -> Self {
        FrontDeskError::Store(e.into())
    }
}

/// A paired lobby tablet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Kiosk {
    pub id: i64,
    /// Where it stands, as the admin named it ("Lobby").
    pub name: String,
    pub paired_at: String,
    /// When it last asked the hub for anything (to the minute); none before.
    pub last_seen_at: Option<String>,
    pub screen: KioskScreen,
}

/// What one kiosk's idle screen offers (the admin app's settings per tablet).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KioskScreen {
    /// The Wi-Fi's name, password and join code.
    pub show_wifi: bool,
    /// The code of the hotel's guide (the property's guest page).
    pub show_guide: bool,
    /// Video and voice calls to reception (DESK-3).
    pub calls: bool,
    /// The owner's words under the clock ("Breakfast 7–10 in the garden"), up to 200
    /// characters; empty shows none.
    pub note: String,
}

impl Default for KioskScreen {
    fn default() -> Self {
        KioskScreen {
            show_wifi: true,
            show_guide: true,
            calls: true,
            note: String::new(),
        }
    }
}

/// A code an admin reads off the admin app and types on the tablet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairingCode {
    /// XXXX-XXXX, letters and digits without look-alikes; works once.
    pub code: String,
    /// The kiosk's name once paired.
    pub name: String,
    /// Seconds it still works.
    pub expires_in: u64,
}

struct Waiting {
    code: String,
    name: String,
    made: Instant,
}

struct Inner {
    store: Store,
    clock: Clock,
    property: Property,
    weather: Weather,
    reception: Reception,
    chat: Arc<crate::chat::Chat>,
    calls: Calls,
    scans: Scans,
    secure_addresses: Vec<String>,
    /// Kiosks revoked since start: their open call sockets close at once.
    revoked: tokio::sync::broadcast::Sender<i64>,
    codes: Mutex<Vec<Waiting>>,
    /// Wrong pairing codes per client address.
    attempts: crate::ratelimit::FailureLimiter,
}

#[derive(Clone)]
pub struct FrontDesk {
    inner: Arc<Inner>,
}

/// The services the Front Desk reads through.
pub struct Parts {
    pub store: Store,
    pub clock: Clock,
    pub property: Property,
    pub weather: Weather,
    pub reception: Reception,
    pub chat: Arc<crate::chat::Chat>,
    pub calls: Calls,
    pub scans: Scans,
    /// The hub's HTTPS origins on the LAN, where a tablet opens the kiosk (a camera needs
    /// a secure page); none with HTTPS off.
    pub secure_addresses: Vec<String>,
}

impl FrontDesk {
    pub fn new(parts: Parts) -> FrontDesk {
        let Parts {
            store,
            clock,
            property,
            weather,
            reception,
            chat,
            calls,
            scans,
            secure_addresses,
        } = parts;
        FrontDesk {
            inner: Arc::new(Inner {
                store,
                clock,
                property,
                weather,
                reception,
                chat,
                calls,
                scans,
                secure_addresses,
                revoked: tokio::sync::broadcast::channel(16).0,
                codes: Mutex::new(Vec::new()),
                attempts: crate::ratelimit::FailureLimiter::new(Duration::from_secs(15 * 60), 10),
            }),
        }
    }

    /// A one-time code that pairs a tablet as kiosk `name` (1 to 60 characters) within
    /// ten minutes; the codes are kept in memory only.
    pub fn pairing_code(&self, name: &str) -> Result<PairingCode, FrontDeskError> {
        let name = valid_name(name)?;
        let code = secret::new_setup_code();
        let mut codes = self.inner.codes.lock().unwrap_or_else(|p| p.into_inner());
        codes.retain(|w| w.made.elapsed() < CODE_LIFE);
        if codes.len() >= CODES_KEPT {
            codes.remove(0);
        }
        codes.push(Waiting {
            code: secret::normalize_setup_code(&code),
            name: name.clone(),
            made: Instant::now(),
        });
        Ok(PairingCode {
            code,
            name,
            expires_in: CODE_LIFE.as_secs(),
        })
    }

    /// The tablet at address `from` types `code`: a new kiosk and its credential (shown
    /// once, stored hashed). `Ok(None)` for a wrong or used code, which counts against
    /// `from` (ten a quarter of an hour).
    pub async fn pair(
        &self,
        code: &str,
        from: &str,
    ) -> Result<Option<(Kiosk, String)>, FrontDeskError> {
        let now = Instant::now();
        self.inner
            .attempts
            .check(from, now)
            .map_err(FrontDeskError::TooMany)?;
        let typed = secret::normalize_setup_code(code);
        let name = {
            let mut codes = self.inner.codes.lock().unwrap_or_else(|p| p.into_inner());
            codes.retain(|w| w.made.elapsed() < CODE_LIFE);
            let found = codes
                .iter()
                .position(|w| !typed.is_empty() && w.code == typed);
            found.map(|i| codes.remove(i).name)
        };
        let Some(name) = name else {
            self.inner.attempts.record_failure(from, now);
            return Ok(None);
        };
        let token = secret::new_token();
        let (hash, at) = (secret::token_hash(&token), self.inner.clock.now_text());
        let kiosk = self
            .inner
            .store
            .write(move |c| Ok::<_, FrontDeskError>(db::add(c, &name, &hash, &at)?))
            .await?;
        tracing::info!(kiosk = kiosk.id, name = %kiosk.name, "A kiosk was paired.");
        Ok(Some((kiosk, token)))
    }

    pub async fn kiosks(&self) -> Result<Vec<Kiosk>, FrontDeskError> {
        self.inner
            .store
            .read(|c| Ok::<_, FrontDeskError>(db::list(c)?))
            .await
    }

    /// Cuts a kiosk off at once: its credential stops working on its next request.
    pub async fn revoke(&self, id: i64) -> Result<(), FrontDeskError> {
        let found = self
            .inner
            .store
            .write(move |c| Ok::<_, FrontDeskError>(db::remove(c, id)?))
            .await?;
        if !found {
            return Err(FrontDeskError::NotFound);
        }
        tracing::info!(kiosk = id, "A kiosk was revoked.");
        let _ = self.inner.revoked.send(id);
        Ok(())
    }

    /// Renames kiosk `id` and sets what its idle screen offers; the tablet shows it within
    /// its next minute's refresh.
    pub async fn set_screen(
        &self,
        id: i64,
        name: &str,
        screen: KioskScreen,
    ) -> Result<Kiosk, FrontDeskError> {
        let name = valid_name(name)?;
        let note = screen.note.trim().to_owned();
        if note.chars().count() > 200 || note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(FrontDeskError::Invalid(
                "the note is up to 200 characters of text".into(),
            ));
        }
        let screen = KioskScreen { note, ..screen };
        let found = self
            .inner
            .store
            .write(move |c| Ok::<_, FrontDeskError>(db::set_screen(c, id, &name, &screen)?))
            .await?;
        if !found {
            return Err(FrontDeskError::NotFound);
        }
        self.kiosks()
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or(FrontDeskError::NotFound)
    }

    /// Revoked kiosks' ids as they are revoked.
    pub fn revocations(&self) -> tokio::sync::broadcast::Receiver<i64> {
        self.inner.revoked.subscribe()
    }

    /// Where a tablet opens the kiosk: the hub's HTTPS on the LAN (camera and microphone need
    /// a secure page), else its plain HTTP guest addresses.
    pub fn kiosk_addresses(&self) -> Vec<String> {
        let origins = if self.inner.secure_addresses.is_empty() {
            self.inner.reception.addresses().to_vec()
        } else {
            self.inner.secure_addresses.clone()
        };
        origins.into_iter().map(|o| format!("{o}/kiosk/")).collect()
    }

    /// The calls a kiosk places (DESK-3).
    pub fn calls(&self) -> &Calls {
        &self.inner.calls
    }

    /// `kiosk` brings the document scan (a JPEG) the member on call `call_id` asked for;
    /// the scan's id.
    pub async fn scan(
        &self,
        kiosk: &Kiosk,
        call_id: i64,
        jpeg: Vec<u8>,
    ) -> Result<i64, FrontDeskError> {
        let asker = self.inner.calls.scan_arriving(call_id, kiosk.id)?;
        let origin = Origin {
            call_id,
            kiosk_name: asker.kiosk_name,
            asked_by: asker.member_id,
            asked_by_name: asker.member_name,
        };
        let scan = self.inner.scans.store(jpeg, origin).await?;
        self.inner.calls.scan_arrived(call_id, scan.id);
        Ok(scan.id)
    }

    /// The kiosk a credential belongs to, noting when it was last seen.
    pub async fn kiosk_of(&self, token: &str) -> Result<Option<Kiosk>, FrontDeskError> {
        let hash = secret::token_hash(token);
        let Some(mut kiosk) = self
            .inner
            .store
            .read(move |c| Ok::<_, FrontDeskError>(db::by_token(c, &hash)?))
            .await?
        else {
            return Ok(None);
        };
        let now = self.inner.clock.now();
        let stale = kiosk
            .last_seen_at
            .as_deref()
            .and_then(crate::clock::parse)
            .is_none_or(|t| now - t >= SEEN_EVERY);
        if stale {
            let (id, at) = (kiosk.id, crate::clock::stamp(now));
            kiosk.last_seen_at = Some(at.clone());
            self.inner
                .store
                .write(move |c| Ok::<_, FrontDeskError>(db::seen(c, id, &at)?))
                .await?;
        }
        Ok(Some(kiosk))
    }
}

/// A kiosk's name, trimmed: 1 to 60 characters, no control characters.
fn valid_name(name: &str) -> Result<String, FrontDeskError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(FrontDeskError::Invalid(
            "a kiosk's name is 1 to 60 characters, like \"Lobby\"".into(),
        ));
    }
    Ok(name.to_owned())
}
