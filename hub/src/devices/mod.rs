//! DEV-1…5 in the hub: the registry of devices over `device-drivers`. It persists devices
//! (secrets sealed by `vault`), keeps one driver link per device, turns link changes into
//! events (stored state, MQTT topics, the admin app's live cards) and carries commands
//! from REST and MQTT to the devices. Protocol details stay in `device-drivers`; MQTT
//! topics and Home Assistant discovery are `mqtt.rs`; the REST API is `api.rs`.

pub mod api;
mod brand;
mod db;
mod discovery;
mod drivers;
mod error;
mod links;
pub mod mqtt;
mod naming;
pub mod vault;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use device_drivers::mqtt::{Event as MqttEvent, Family, Outgoing};
use device_drivers::{Command, Kind};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use utoipa::ToSchema;

use crate::clock::Clock;
use crate::store::Store;
pub use brand::{kinds, Brand, BrandSetup, KindInfo};
pub use db::DeviceRow;
use error::device_error;
pub use error::DeviceError;
use links::Running;
use vault::Vault;

/// More than a small hotel will ever have; the bound a misbehaving broker client meets.
pub const MAX_DEVICES: usize = 2000;

/// A device as the admin app and MQTT see it: the stored row and its link's status.
/// How often, and how far apart, a command follows a device's link being replaced under it.
const LINK_RETRIES: u32 = 10;
const LINK_RETRY_WAIT: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    #[serde(flatten)]
    pub row: DeviceRow,
    pub online: bool,
    /// Why it is offline, when it is.
    pub reason: Option<String>,
    pub capabilities: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum DeviceEvent {
    Changed(Box<DeviceView>),
    Removed(String),
}

/// Where LAN discovery may look. Tests and the demo keep it on loopback.
#[derive(Debug, Clone, Default)]
pub struct DiscoveryScope {
    /// Broadcast on the LAN (the appliance): the hub's own LAN address (for answers;
    /// unspecified if unknown) and the broadcast address. Off in the demo and in tests.
    pub lan: Option<(std::net::Ipv4Addr, std::net::Ipv4Addr)>,
    /// Interfaces for mDNS browsing (eWeLink); empty means all.
    pub interfaces: Vec<String>,
    /// Unicast probe targets per brand (the demo's emulators).
    pub unicast: BTreeMap<String, Vec<SocketAddr>>,
    pub duration: Duration,
}

struct Inner {
    store: Store,
    clock: Clock,
    vault: Vault,
    links: Mutex<HashMap<String, Running>>,
    events: broadcast::Sender<DeviceEvent>,
    /// Events sent so far (to know when a follower has seen them all).
    sent: std::sync::atomic::AtomicU64,
    scope: DiscoveryScope,
    /// Messages MQTT-family links want published; the broker side takes the receiver.
    mqtt_out: mpsc::Sender<Outgoing>,
    mqtt_out_rx: Mutex<Option<mpsc::Receiver<Outgoing>>>,
    /// Where each MQTT-family device's messages go: (family, its own id) → its link.
    mqtt_routes: Mutex<HashMap<(Family, String), mpsc::Sender<MqttEvent>>>,
    /// What MQTT devices said before they joined (a STATE before the LWT that makes the
    /// device): the last state and availability of each, handed to its link when it joins.
    early: Mutex<HashMap<(Family, String), Vec<MqttEvent>>>,
    /// One LAN scan at a time: scans listen on fixed ports.
    scanning: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
pub struct Devices {
    inner: Arc<Inner>,
}

fn capabilities(kind: Kind) -> Vec<String> {
    kind.capabilities()
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect()
}

/// What the owner asks to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewDeviceRequest {
    pub brand: String,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub room_id: Option<i64>,
    pub native_id: String,
    #[serde(default)]
    pub address: String,
    /// Protocol settings (for Tuya: `{"version":"3.4"}`, optional `map`).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// The local key, devicekey or token; for imports it comes from the brand's grant.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A room id the rooms table does not have fails its foreign key: the caller's mistake.
fn no_such_room(e: rusqlite::Error) -> DeviceError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY =>
        {
            DeviceError::Invalid("room_id: no such room".into())
        }
        _ => e.into(),
    }
}

fn valid_text(field: &'static str, text: &str, max: usize) -> Result<(), DeviceError> {
    if text.trim().is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(DeviceError::Invalid(format!(
            "{field} must be 1–{max} printable characters"
        )));
    }
    Ok(())
}

impl Devices {
    /// Loads every stored device and starts its link.
    pub async fn start(
        store: Store,
        clock: Clock,
        vault: Vault,
        scope: DiscoveryScope,
    ) -> Result<Devices, crate::store::StoreError> {
        let (events, _) = broadcast::channel(1024);
        let (mqtt_out, mqtt_out_rx) = mpsc::channel(256);
        let devices = Devices {
            inner: Arc::new(Inner {
                store,
                clock,
                vault,
                links: Mutex::new(HashMap::new()),
                events,
                sent: std::sync::atomic::AtomicU64::new(0),
                scope,
                mqtt_out,
                mqtt_out_rx: Mutex::new(Some(mqtt_out_rx)),
                mqtt_routes: Mutex::new(HashMap::new()),
                early: Mutex::new(HashMap::new()),
                scanning: tokio::sync::Mutex::new(()),
            }),
        };
        let rows = devices
            .inner
            .store
            .read(|c| Ok::<_, crate::store::StoreError>(db::list(c)?))
            .await?;
        for row in rows {
            devices.start_link(&row).await;
        }
        Ok(devices)
    }

    fn send(&self, event: DeviceEvent) {
        if self.inner.events.send(event).is_ok() {
            self.inner
                .sent
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Events sent to subscribers so far.
    pub fn events_sent(&self) -> u64 {
        self.inner.sent.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Drops every link (their clients end); for a hub that stops.
    pub fn shutdown(&self) {
        let links =
            std::mem::take(&mut *self.inner.links.lock().unwrap_or_else(|p| p.into_inner()));
        drop(links);
        self.inner
            .mqtt_routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<DeviceEvent> {
        self.inner.events.subscribe()
    }

    fn view(&self, mut row: DeviceRow) -> DeviceView {
        let snapshot = self.link(&row.id).map(|l| l.snapshot());
        let capabilities = capabilities(row.kind);
        // The link's state is newer than the stored copy, which is written after it.
        if let Some(s) = snapshot.as_ref().filter(|s| !s.state.is_empty()) {
            row.state = serde_json::to_value(&s.state).unwrap_or(row.state);
        }
        DeviceView {
            online: snapshot.as_ref().is_some_and(|s| s.online),
            reason: snapshot.and_then(|s| s.reason),
            capabilities,
            row,
        }
    }

    pub async fn list(&self) -> Result<Vec<DeviceView>, DeviceError> {
        let rows = self
            .inner
            .store
            .read(|c| Ok::<_, DeviceError>(db::list(c)?))
            .await?;
        Ok(rows.into_iter().map(|r| self.view(r)).collect())
    }

    pub async fn get(&self, id: &str) -> Result<DeviceView, DeviceError> {
        let id = id.to_owned();
        let row = self
            .inner
            .store
            .read(move |c| Ok::<_, DeviceError>(db::get(c, &id)?))
            .await?
            .ok_or(DeviceError::NotFound)?;
        Ok(self.view(row))
    }

    fn announce(&self, view: DeviceView) {
        self.send(DeviceEvent::Changed(Box::new(view)));
    }

    pub async fn add(&self, req: NewDeviceRequest) -> Result<DeviceView, DeviceError> {
        let brand =
            Brand::parse(&req.brand).ok_or_else(|| DeviceError::Invalid("unknown brand".into()))?;
        let kind =
            Kind::parse(&req.kind).ok_or_else(|| DeviceError::Invalid("unknown kind".into()))?;
        valid_text("name", &req.name, 80)?;
        valid_text("device id", &req.native_id, 128)?;
        if req.address.len() > 128 {
            return Err(DeviceError::Invalid("the address is too long".into()));
        }
        let settings = if req.settings.is_null() {
            serde_json::json!({})
        } else {
            req.settings.clone()
        };
        if settings.to_string().len() > 8 * 1024 {
            return Err(DeviceError::Invalid("the settings are too large".into()));
        }
        let secret = req.secret.as_deref().filter(|s| !s.is_empty());
        if secret.is_some_and(|s| s.len() > 4096) {
            return Err(DeviceError::Invalid("the key is too long".into()));
        }
        let id = format!("d{}", &hex::encode(rand::random::<[u8; 5]>()));
        let row = DeviceRow {
            id: id.clone(),
            brand,
            kind,
            name: req.name.trim().to_owned(),
            room_id: req.room_id,
            native_id: req.native_id.trim().to_owned(),
            address: req.address.trim().to_owned(),
            settings,
            state: serde_json::json!({}),
            created_at: self.inner.clock.now_text(),
            has_secret: secret.is_some(),
        };
        // Check the settings by building the link's config before storing anything.
        if let Err(drivers::LinkSetupError::Invalid(why)) = drivers::check(&row, secret) {
            return Err(DeviceError::Invalid(why));
        }
        // MQTT devices join by themselves: a broker client must not be able to fill the
        // registry without end.
        let count = self
            .inner
            .links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len();
        if count >= MAX_DEVICES {
            return Err(DeviceError::Full);
        }
        let sealed = secret.map(|s| self.inner.vault.seal(s));
        let stored = row.clone();
        let inserted = self
            .inner
            .store
            .write(move |c| {
                db::insert(
                    c,
                    &db::NewDevice {
                        id: &stored.id,
                        brand: stored.brand,
                        kind: stored.kind,
                        name: &stored.name,
                        room_id: stored.room_id,
                        native_id: &stored.native_id,
                        address: &stored.address,
                        settings: &stored.settings,
                        secret: sealed.as_deref(),
                        now: &stored.created_at,
                    },
                )
                .map_err(no_such_room)
            })
            .await?;
        if !inserted {
            return Err(DeviceError::AlreadyListed);
        }
        tracing::info!(device = %id, brand = %row.brand, "Device added.");
        self.start_link(&row).await;
        let view = self.view(row);
        self.announce(view.clone());
        Ok(view)
    }

    pub async fn edit(
        &self,
        id: &str,
        name: &str,
        room_id: Option<i64>,
    ) -> Result<DeviceView, DeviceError> {
        valid_text("name", name, 80)?;
        let (key, name) = (id.to_owned(), name.trim().to_owned());
        let found = self
            .inner
            .store
            .write(move |c| db::rename(c, &key, &name, room_id).map_err(no_such_room))
            .await?;
        if !found {
            return Err(DeviceError::NotFound);
        }
        let view = self.get(id).await?;
        self.announce(view.clone());
        Ok(view)
    }

    pub async fn delete(&self, id: &str) -> Result<(), DeviceError> {
        let row = self.get(id).await?.row;
        let key = id.to_owned();
        let found = self
            .inner
            .store
            .write(move |c| Ok::<_, DeviceError>(db::delete(c, &key)?))
            .await?;
        if !found {
            return Err(DeviceError::NotFound);
        }
        let running = self
            .inner
            .links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        drop(running);
        if let Some(family) = Family::parse(row.brand.as_str()) {
            self.inner
                .mqtt_routes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&(family, row.native_id));
        }
        self.send(DeviceEvent::Removed(id.to_owned()));
        tracing::info!(device = %id, "Device deleted.");
        Ok(())
    }

    /// Carries out `commands` in order; returns the device as it is afterwards.
    pub async fn command(&self, id: &str, commands: &[Command]) -> Result<DeviceView, DeviceError> {
        let view = self.get(id).await?;
        let kind = view.row.kind;
        for command in commands {
            if !kind.capabilities().contains(&command.capability()) {
                return Err(DeviceError::Unsupported(format!(
                    "a {} cannot do {command:?}",
                    kind.as_str()
                )));
            }
        }
        let mut link = self.link(id).ok_or_else(|| DeviceError::Driver {
            code: "device_offline",
            message: "the device has no working link (check its key and address)".into(),
        })?;
        for command in commands {
            let mut tries = 0;
            let done = loop {
                match link.command(*command).await {
                    // The link was replaced under the command (the device described itself
                    // anew, sometimes several times in a burst of announcements): the next
                    // one carries it, once it is in place.
                    Err(device_drivers::link::DriverError::Closed) if tries < LINK_RETRIES => {
                        tries += 1;
                        tokio::time::sleep(LINK_RETRY_WAIT).await;
                        match self.link(id) {
                            Some(next) => link = next,
                            None => break Err(device_drivers::link::DriverError::Closed),
                        }
                    }
                    other => break other,
                }
            };
            done.map_err(device_error)?;
        }
        self.get(id).await
    }

    /// Opens a brand's grant (the keys or token the owner gave).
    pub async fn grant(&self, brand: Brand) -> Result<Option<serde_json::Value>, DeviceError> {
        let b = brand.as_str();
        let sealed = self
            .inner
            .store
            .read(move |c| Ok::<_, DeviceError>(db::grant(c, b)?))
            .await?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let text = self
            .inner
            .vault
            .open_secret(&sealed)
            .map_err(|e| DeviceError::Internal(e.to_string()))?;
        Ok(serde_json::from_str(&text).ok())
    }

    pub async fn put_grant(
        &self,
        brand: Brand,
        grant: &serde_json::Value,
    ) -> Result<(), DeviceError> {
        let sealed = self.inner.vault.seal(&grant.to_string());
        let (b, now) = (brand.as_str(), self.inner.clock.now_text());
        self.inner
            .store
            .write(move |c| Ok::<_, DeviceError>(db::put_grant(c, b, &sealed, &now)?))
            .await?;
        tracing::info!(%brand, "Access granted for a brand.");
        Ok(())
    }

    pub async fn granted_brands(&self) -> Result<Vec<String>, DeviceError> {
        self.inner
            .store
            .read(|c| Ok::<_, DeviceError>(db::granted_brands(c)?))
            .await
    }

    pub fn scope(&self) -> &DiscoveryScope {
        &self.inner.scope
    }

    /// Held for the length of a LAN scan; a second admin's scan waits for the first.
    pub async fn scan_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.scanning.lock().await
    }
}
