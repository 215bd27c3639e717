//! One driver link per device: started from its stored row, followed (every change
//! stored and announced), waited for at start, and MQTT-family devices' messages routed to
//! their links. Methods of [`Devices`].

use std::time::Duration;

use device_drivers::mqtt::{Event as MqttEvent, Family, Outgoing};
use device_drivers::{channel, Kind, LinkHandle};
use tokio::sync::mpsc;

use super::db::{self, DeviceRow};
use super::{drivers, naming, DeviceError, Devices, NewDeviceRequest};

/// An MQTT device's settings: the property names it described, when its family has them.
fn settings_with(properties: &serde_json::Value) -> serde_json::Value {
    if properties.is_null() {
        serde_json::json!({})
    } else {
        serde_json::json!({ "properties": properties })
    }
}

/// MQTT devices whose messages came before they joined that the hub remembers at once.
const EARLY_DEVICES: usize = 256;

/// A device's live link and the task that follows it.
pub(super) struct Running {
    handle: LinkHandle,
    watcher: tokio::task::JoinHandle<()>,
    /// An MQTT-family device: it comes to the broker when it will, the hub cannot dial it.
    waits_for_device: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.watcher.abort();
    }
}

impl Devices {
    /// A device moved (the demo's emulators get new ports each start): the one with
    /// `native_id` gets `address`, or every device of the brand whose API base starts with
    /// `old_base` gets `new_base`; each link starts afresh. How many moved.
    pub async fn relocate(
        &self,
        brand: super::Brand,
        native_id: Option<&str>,
        address: Option<&str>,
        base_url: Option<(&str, &str)>,
    ) -> Result<usize, DeviceError> {
        let (native_id, address) = (native_id.map(str::to_owned), address.map(str::to_owned));
        let base_url = base_url.map(|(o, n)| (o.to_owned(), n.to_owned()));
        let ids = self
            .inner
            .store
            .write(move |c| {
                Ok::<_, DeviceError>(db::relocate(
                    c,
                    brand,
                    native_id.as_deref(),
                    address.as_deref(),
                    base_url.as_ref().map(|(o, n)| (o.as_str(), n.as_str())),
                )?)
            })
            .await?;
        for id in &ids {
            let stale = self
                .inner
                .links
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(id);
            drop(stale);
            let row = self.get(id).await?.row;
            self.start_link(&row).await;
        }
        Ok(ids.len())
    }

    /// Waits (at most `limit`) until every link the hub dials has connected or failed
    /// once, so what runs right after a start finds devices that are there online.
    pub async fn links_settled(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline {
            let pending = self
                .inner
                .links
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .values()
                .filter(|r| !r.waits_for_device)
                .any(|r| {
                    let s = r.handle.snapshot();
                    !s.online && s.reason.is_none()
                });
            if !pending {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub(super) async fn start_link(&self, row: &DeviceRow) {
        let id = row.id.clone();
        let sealed = match self
            .inner
            .store
            .read({
                let id = id.clone();
                move |c| Ok::<_, crate::store::StoreError>(db::secret(c, &id)?)
            })
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(device = %id, error = %e, "Cannot read the device's secret.");
                return;
            }
        };
        let secret = match sealed.map(|s| self.inner.vault.open_secret(&s)).transpose() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(device = %id, error = %e, "Cannot open the device's secret.");
                return;
            }
        };
        let handle = match drivers::start(row, secret.as_deref()) {
            Ok(h) => h,
            Err(drivers::LinkSetupError::NotLan) if Family::parse(row.brand.as_str()).is_some() => {
                let Some(family) = Family::parse(row.brand.as_str()) else {
                    return;
                };
                let (handle, route) = device_drivers::mqtt::spawn(
                    family,
                    row.native_id.clone(),
                    row.kind,
                    row.settings.get("properties").cloned().unwrap_or_default(),
                    self.inner.mqtt_out.clone(),
                    Duration::from_secs(5),
                );
                self.inner
                    .mqtt_routes
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert((family, row.native_id.clone()), route);
                handle
            }
            Err(drivers::LinkSetupError::NotLan) => return,
            Err(e) => {
                tracing::warn!(device = %id, error = %e, "The device cannot be linked.");
                return;
            }
        };
        let watcher = tokio::spawn(watch_link(self.clone(), id.clone(), handle.clone()));
        let old = self
            .inner
            .links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                id,
                Running {
                    handle,
                    watcher,
                    waits_for_device: Family::parse(row.brand.as_str()).is_some(),
                },
            );
        drop(old);
    }

    pub(super) fn link(&self, id: &str) -> Option<LinkHandle> {
        self.inner
            .links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .map(|r| r.handle.clone())
    }

    /// The broker side's end of the MQTT-family links' outgoing messages (taken once).
    pub fn take_mqtt_outgoing(&self) -> Option<mpsc::Receiver<Outgoing>> {
        self.inner
            .mqtt_out_rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Routes one decoded MQTT-family event: devices that announce themselves join the
    /// registry (they signed in to the broker with credentials an admin made).
    pub async fn mqtt_event(&self, family: Family, event: MqttEvent) {
        let route = |device: &str| self.route(family, device);
        match &event {
            MqttEvent::Announce {
                device,
                kind,
                name,
                described,
                properties,
            } => {
                if route(device).is_some() {
                    if *described {
                        self.redescribe(family, device, *kind, name.as_deref(), properties)
                            .await;
                    }
                    return;
                }
                let request = NewDeviceRequest {
                    brand: family.brand().to_owned(),
                    kind: kind.as_str().to_owned(),
                    name: naming::announced(family, name.as_deref(), device, *kind),
                    room_id: None,
                    native_id: device.clone(),
                    address: String::new(),
                    settings: settings_with(properties),
                    secret: None,
                };
                match self.add(request).await {
                    Ok(_) => {
                        if let (base, Some(_)) = channel::split_channel(device) {
                            self.name_first_channel(family, base).await;
                        }
                    }
                    Err(DeviceError::AlreadyListed) => {}
                    Err(e) => tracing::warn!(device, error = %e, "An MQTT device could not join."),
                }
                let early = self
                    .inner
                    .early
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&(family, device.clone()));
                if let (Some(early), Some(r)) = (early, route(device)) {
                    for e in early {
                        let _ = r.send(e).await;
                    }
                }
            }
            // A device's availability is each of its channels'.
            MqttEvent::Availability { device, .. } => {
                let routes =
                    self.routes_where(|f, id| f == family && channel::is_channel_of(id, device));
                if routes.is_empty() {
                    self.keep_early(family, device, &event);
                }
                for r in routes {
                    let _ = r.send(event.clone()).await;
                }
            }
            MqttEvent::State { device, .. } => match route(device) {
                Some(r) => {
                    let _ = r.send(event.clone()).await;
                }
                None => self.keep_early(family, device, &event),
            },
            MqttEvent::Bridge { .. } => {
                for r in self.routes_where(|f, _| f == family) {
                    let _ = r.send(event.clone()).await;
                }
            }
        }
    }

    /// A device already listed described itself (a discovery config after its LWT, in any
    /// order): its kind follows the description, and so does its name unless staff renamed
    /// it. The link starts afresh as the new kind, carrying over what the old one knew.
    async fn redescribe(
        &self,
        family: Family,
        native: &str,
        kind: Kind,
        name: Option<&str>,
        properties: &serde_json::Value,
    ) {
        let Some(row) = self.by_native(family, native).await else {
            return;
        };
        let new_name = if has_guessed_name(family, native, &row) {
            naming::announced(family, name, native, kind)
        } else {
            row.name.clone()
        };
        let settings = settings_with(properties);
        if row.kind == kind && row.name == new_name && row.settings == settings {
            return;
        }
        let (id, stored_name, stored) = (row.id.clone(), new_name.clone(), settings.clone());
        let saved = self
            .inner
            .store
            .write(move |c| {
                Ok::<_, DeviceError>(db::redescribe(c, &id, kind, &stored_name, &stored)?)
            })
            .await;
        if let Err(e) = saved {
            tracing::warn!(device = %row.id, error = %e, "A device's new description was not saved.");
            return;
        }
        tracing::info!(device = %row.id, from = row.kind.as_str(), to = kind.as_str(), "A device described itself anew.");
        // The old link keeps serving until the new one takes its place in `start_link`: a
        // command in between would otherwise find no link at all.
        let known = self.link(&row.id).map(|h| h.snapshot());
        let row = DeviceRow {
            kind,
            name: new_name,
            settings,
            ..row
        };
        self.start_link(&row).await;
        // The retained LWT and the last state came to the old link: the new one hears them.
        if let (Some(known), Some(route)) = (known, self.route(family, native)) {
            let device = native.to_owned();
            let _ = route
                .send(MqttEvent::Availability {
                    device: device.clone(),
                    online: known.online,
                })
                .await;
            let _ = route
                .send(MqttEvent::State {
                    device,
                    state: known.state,
                })
                .await;
        }
        if let Ok(view) = self.get(&row.id).await {
            self.announce(view);
        }
    }

    /// Keeps the last state and availability of a device that has not joined yet; at most
    /// [`EARLY_DEVICES`] such devices, so a stranger's topics cannot fill memory.
    fn keep_early(&self, family: Family, device: &str, event: &MqttEvent) {
        let mut early = self.inner.early.lock().unwrap_or_else(|p| p.into_inner());
        let key = (family, device.to_owned());
        if !early.contains_key(&key) && early.len() >= EARLY_DEVICES {
            return;
        }
        let kept = early.entry(key).or_default();
        let same_kind = |e: &MqttEvent| std::mem::discriminant(e) == std::mem::discriminant(event);
        kept.retain(|e| !same_kind(e));
        kept.push(event.clone());
    }

    /// The stored MQTT device with this family's native id, if there is one.
    async fn by_native(&self, family: Family, native: &str) -> Option<DeviceRow> {
        let key = (family.brand(), native.to_owned());
        self.inner
            .store
            .read(move |c| Ok::<_, DeviceError>(db::by_native(c, key.0, &key.1)?))
            .await
            .ok()
            .flatten()
    }

    /// A device showed a second channel: its first, still under the name guessed for the
    /// whole device, is named as a channel too ("… channel 1"), so the two read alike.
    async fn name_first_channel(&self, family: Family, device: &str) {
        let Some(row) = self.by_native(family, device).await else {
            return;
        };
        if !has_guessed_name(family, device, &row) {
            return;
        }
        let name = naming::first_channel(family, device, row.kind);
        if let Err(e) = self.edit(&row.id, &name, row.room_id).await {
            tracing::warn!(device = %row.id, error = %e, "A first channel could not be named.");
        }
    }

    /// State changes the hub fell too far behind to follow, over the links running now
    /// (each link counts its own, and the log names the device).
    pub fn changes_dropped(&self) -> u64 {
        self.inner
            .links
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .map(|r| r.handle.dropped())
            .sum()
    }

    /// The routes of the MQTT devices `keep` chooses by family and native id.
    fn routes_where(&self, keep: impl Fn(Family, &str) -> bool) -> Vec<mpsc::Sender<MqttEvent>> {
        self.inner
            .mqtt_routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|((f, id), _)| keep(*f, id))
            .map(|(_, r)| r.clone())
            .collect()
    }

    fn route(&self, family: Family, native: &str) -> Option<mpsc::Sender<MqttEvent>> {
        self.inner
            .mqtt_routes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(family, native.to_owned()))
            .cloned()
    }

    /// A device's state is what it reports again when asked: it is written soon, batched
    /// with the other devices' (one page write per window on an SD card, not one fsync
    /// per change).
    pub(super) async fn save_state(&self, id: &str, state: serde_json::Value) {
        let id = id.to_owned();
        self.inner
            .store
            .write_soon("a device's state", move |c| db::save_state(c, &id, &state))
            .await;
    }
}

/// Follows one link: every availability or state change is stored and announced.
async fn watch_link(devices: Devices, id: String, link: LinkHandle) {
    // Every change, in order: two flips between two looks are two events, not none.
    let Some(mut changes) = link.take_changes() else {
        return;
    };
    let mut dropped = 0;
    while let Some(snapshot) = changes.recv().await {
        if link.dropped() > dropped {
            dropped = link.dropped();
            tracing::warn!(device = %id, dropped, "State changes were dropped: the hub fell too far behind this device.");
        }
        let state = serde_json::to_value(&snapshot.state).unwrap_or_default();
        // Announced first, with this change's state: scenarios and MQTT react without
        // waiting for the stored copy's commit, which only seeds cards at start.
        match devices.get(&id).await {
            Ok(mut view) => {
                view.online = snapshot.online;
                view.reason = snapshot.reason.clone();
                if !snapshot.state.is_empty() {
                    view.row.state = state.clone();
                }
                devices.announce(view)
            }
            Err(_) => return,
        }
        if snapshot.online {
            devices.save_state(&id, state).await;
        }
    }
}

/// Whether `row` still has the name guessed from its native id alone (staff did not rename
/// it, and it gave no name of its own).
fn has_guessed_name(family: Family, native: &str, row: &DeviceRow) -> bool {
    row.name == naming::announced(family, None, native, row.kind)
}
