//! Signed A/B system updates (APP-7). The appliance image has two root slots and RAUC;
//! this capability shows the running version and slots, takes a bundle (uploaded, or
//! fetched from a URL) and has RAUC verify and install it into the other slot, asks for the
//! reboot, and on the next start keeps the new slot only once the hub is healthy (store
//! open, web answering, broker up): it marks the booted slot good. A slot that never got
//! there is left on trial, the bootloader falls back to the other one, and the hub there
//! finds its install pending in a slot it did not boot: a rollback, recorded and shown.
//! The service [`Updates`] is the front door; `rauc.rs` speaks to RAUC, `db.rs` owns the SQL.

pub mod api;
mod db;
mod install;
mod rauc;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::watch;
use utoipa::ToSchema;

use crate::clock::Clock;
use crate::config::UpdatesConfig;
use crate::store::{Store, StoreError};
pub use rauc::RaucError;
use rauc::{Mark, Rauc};

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("this hub is not an appliance image with two system slots: updates are off")]
    Off,
    #[error("an update is already being received or installed")]
    Busy,
    #[error("{0}")]
    Invalid(String),
    #[error("the bundle is larger than the {0} bytes this hub takes")]
    TooLarge(u64),
    #[error("cannot keep the bundle: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot fetch the bundle: {0}")]
    Fetch(String),
    #[error(transparent)]
    Rauc(#[from] RaucError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for UpdateError {
    fn from(e: rusqlite::Error) -> Self {
        UpdateError::Store(e.into())
    }
}

/// What the updater is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Idle,
    /// The bundle's bytes are arriving.
    Receiving,
    /// RAUC is verifying and writing it.
    Installing,
    /// Written to the other slot; a reboot starts it.
    Installed,
    /// Refused or failed; `message` says why.
    Failed,
    Rebooting,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Operation {
    pub phase: Phase,
    /// 0–100, RAUC's own progress while installing.
    pub percent: u8,
    pub message: String,
    /// Bytes received so far while receiving.
    pub bytes: u64,
}

/// One thing that happened to an update.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdateEvent {
    pub at: String,
    /// `installed` (waiting for its reboot), `running` (booted healthily and kept),
    /// `rolled_back` or `refused`.
    pub kind: String,
    pub version: Option<String>,
    /// The slot's bootname (`A`, `B`).
    pub slot: Option<String>,
    pub detail: String,
}

/// An install that waits for its reboot.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    slot: String,
    bootname: String,
    version: Option<String>,
    from_slot: Option<String>,
    from_version: Option<String>,
    at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotView {
    /// RAUC's name (`rootfs.0`).
    pub name: String,
    /// The bootloader's name (`A`).
    pub bootname: String,
    /// `booted`, `active` or `inactive`.
    pub state: String,
    /// `good` or `bad`: whether the bootloader will start it.
    pub boot_status: String,
    pub version: Option<String>,
    pub installed_at: Option<String>,
}

/// Everything the admin app's System page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UpdateStatus {
    /// False on a hub that is not an appliance image.
    pub enabled: bool,
    /// The hub program's own version.
    pub hub_version: String,
    /// The system image's version.
    pub system_version: Option<String>,
    pub compatible: Option<String>,
    /// The booted slot's bootname.
    pub booted: Option<String>,
    /// The bootname the next boot tries first.
    pub next_boot: Option<String>,
    pub slots: Vec<SlotView>,
    pub operation: Operation,
    /// An installed update waits for a reboot.
    pub reboot_needed: bool,
    /// Newest first.
    pub history: Vec<UpdateEvent>,
    /// Why RAUC could not be asked, if it could not.
    pub problem: Option<String>,
}

struct Inner {
    store: Store,
    clock: Clock,
    rauc: Option<Rauc>,
    config: UpdatesConfig,
    dir: PathBuf,
    http: reqwest::Client,
    operation: Mutex<Operation>,
    busy: watch::Sender<bool>,
}

/// The front door.
#[derive(Clone)]
pub struct Updates {
    inner: Arc<Inner>,
}

const IDLE: Operation = Operation {
    phase: Phase::Idle,
    percent: 0,
    message: String::new(),
    bytes: 0,
};

impl Updates {
    /// The updater over `config`, keeping bundles in `data_dir/updates` (the data
    /// partition: a bundle never fills the read-only root).
    pub async fn start(
        store: Store,
        clock: Clock,
        config: &UpdatesConfig,
        data_dir: &std::path::Path,
    ) -> Result<Updates, UpdateError> {
        let dir = data_dir.join("updates");
        if !config.rauc.is_empty() {
            // A bundle left by a stop half-way is of no use now.
            let _ = tokio::fs::remove_dir_all(&dir).await;
            tokio::fs::create_dir_all(&dir).await?;
        }
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| UpdateError::Fetch(e.to_string()))?;
        Ok(Updates {
            inner: Arc::new(Inner {
                store,
                clock,
                rauc: (!config.rauc.is_empty()).then(|| Rauc::new(PathBuf::from(&config.rauc))),
                config: config.clone(),
                dir,
                http,
                operation: Mutex::new(IDLE),
                busy: watch::channel(false).0,
            }),
        })
    }

    pub fn enabled(&self) -> bool {
        self.inner.rauc.is_some()
    }

    /// True while a bundle is received, installed or the box restarts (the status LED).
    pub fn busy(&self) -> watch::Receiver<bool> {
        self.inner.busy.subscribe()
    }

    fn rauc(&self) -> Result<&Rauc, UpdateError> {
        self.inner.rauc.as_ref().ok_or(UpdateError::Off)
    }

    fn operation(&self) -> Operation {
        match self.inner.operation.lock() {
            Ok(o) => o.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn set(&self, phase: Phase, percent: u8, message: impl Into<String>, bytes: u64) {
        let op = Operation {
            phase,
            percent,
            message: message.into(),
            bytes,
        };
        match self.inner.operation.lock() {
            Ok(mut o) => *o = op,
            Err(p) => *p.into_inner() = op,
        }
        let busy = matches!(
            phase,
            Phase::Receiving | Phase::Installing | Phase::Rebooting
        );
        self.inner.busy.send_replace(busy);
    }

    /// Claims the updater for a new bundle.
    fn begin(&self) -> Result<(), UpdateError> {
        self.rauc()?;
        let mut op = match self.inner.operation.lock() {
            Ok(o) => o,
            Err(p) => p.into_inner(),
        };
        if matches!(
            op.phase,
            Phase::Receiving | Phase::Installing | Phase::Rebooting
        ) {
            return Err(UpdateError::Busy);
        }
        *op = Operation {
            phase: Phase::Receiving,
            ..IDLE
        };
        drop(op);
        self.inner.busy.send_replace(true);
        Ok(())
    }

    pub async fn status(&self) -> Result<UpdateStatus, UpdateError> {
        let history = self.read(db::history).await?;
        let pending = self.read(db::pending).await?;
        let system_version = tokio::fs::read_to_string(&self.inner.config.version_file)
            .await
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let mut out = UpdateStatus {
            enabled: self.enabled(),
            hub_version: env!("CARGO_PKG_VERSION").into(),
            system_version,
            compatible: None,
            booted: None,
            next_boot: None,
            slots: Vec::new(),
            operation: self.operation(),
            reboot_needed: false,
            history,
            problem: None,
        };
        let Some(rauc) = &self.inner.rauc else {
            return Ok(out);
        };
        match rauc.status().await {
            Ok(s) => {
                let slots = s.slots();
                out.next_boot = s
                    .boot_primary
                    .as_deref()
                    .and_then(|p| slots.iter().find(|x| x.name == p))
                    .map(|x| x.bootname.clone());
                out.reboot_needed = pending.is_some_and(|p| s.booted.as_ref() != Some(&p.bootname));
                if out.system_version.is_none() {
                    out.system_version = s.booted_slot().and_then(|b| b.version);
                }
                out.compatible = s.compatible;
                out.booted = s.booted;
                out.slots = slots
                    .into_iter()
                    .map(|x| SlotView {
                        name: x.name,
                        bootname: x.bootname,
                        state: x.state,
                        boot_status: x.boot_status,
                        version: x.version,
                        installed_at: x.installed_at,
                    })
                    .collect();
            }
            Err(e) => out.problem = Some(e.to_string()),
        }
        Ok(out)
    }

    async fn read<T: Send + 'static>(
        &self,
        query: fn(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<T, UpdateError> {
        self.inner
            .store
            .read(move |c| -> Result<T, UpdateError> { Ok(query(c)?) })
            .await
    }

    async fn record(&self, event: UpdateEvent) -> Result<(), UpdateError> {
        self.inner
            .store
            .write(move |c| -> Result<(), UpdateError> { Ok(db::record(c, &event.at, &event)?) })
            .await
    }

    /// Asks the box to restart (the image's path unit reboots when the file appears).
    pub async fn reboot(&self) -> Result<Operation, UpdateError> {
        self.rauc()?;
        if self.operation().phase == Phase::Installing {
            return Err(UpdateError::Busy);
        }
        let path = &self.inner.config.reboot_request;
        tokio::fs::write(path, format!("{}\n", self.inner.clock.now_text())).await?;
        tracing::info!("Restart asked for by the admin app.");
        self.set(Phase::Rebooting, 100, "Restarting", 0);
        Ok(self.operation())
    }

    /// The hub is healthy: keep the booted slot (mark it good), and settle a pending
    /// install: running in its slot, or rolled back when the box booted the other one.
    pub async fn healthy(&self) -> Result<(), UpdateError> {
        let rauc = self.rauc()?;
        let status = rauc.status().await?;
        let booted = status.booted_slot();
        let pending = self.read(db::pending).await?;
        let now = self.inner.clock.now_text();
        let event = match (&pending, &booted) {
            (Some(p), Some(b)) if p.bootname == b.bootname => {
                rauc.mark(Mark::Good("booted")).await?;
                Some(UpdateEvent {
                    at: now,
                    kind: "running".into(),
                    version: p.version.clone(),
                    slot: Some(b.bootname.clone()),
                    detail: format!(
                        "Version {} started healthily in slot {} and is kept.",
                        p.version.as_deref().unwrap_or("?"),
                        b.bootname
                    ),
                })
            }
            (Some(p), _) => {
                rauc.mark(Mark::Good("booted")).await?;
                rauc.mark(Mark::Bad(&p.slot)).await?;
                let back = booted.as_ref().map(|b| b.bootname.as_str()).unwrap_or("?");
                Some(UpdateEvent {
                    at: now,
                    kind: "rolled_back".into(),
                    version: p.version.clone(),
                    slot: Some(p.bootname.clone()),
                    detail: format!(
                        "Version {} in slot {} did not start healthily, so the box went back \
                         to slot {back}{}.",
                        p.version.as_deref().unwrap_or("?"),
                        p.bootname,
                        p.from_version
                            .as_deref()
                            .map(|v| format!(" (version {v})"))
                            .unwrap_or_default()
                    ),
                })
            }
            (None, _) => {
                if booted.as_ref().is_some_and(|b| b.boot_status != "good") {
                    tracing::info!("Marking the booted slot good.");
                }
                rauc.mark(Mark::Good("booted")).await?;
                None
            }
        };
        if let Some(event) = event {
            if event.kind == "rolled_back" {
                tracing::warn!(detail = %event.detail, "An update was rolled back.");
            } else {
                tracing::info!(detail = %event.detail, "An update is kept.");
            }
            self.inner
                .store
                .write(move |c| -> Result<(), UpdateError> {
                    db::clear_pending(c)?;
                    Ok(db::record(c, &event.at, &event)?)
                })
                .await?;
        }
        Ok(())
    }

    /// The hub did not become healthy in time. On a slot on trial (booted from a pending
    /// install) it asks for the reboot that makes the bootloader fall back.
    pub async fn unhealthy(&self, why: &str) -> Result<bool, UpdateError> {
        let rauc = self.rauc()?;
        let status = rauc.status().await?;
        let pending = self.read(db::pending).await?;
        let on_trial = pending.is_some_and(|p| status.booted.as_ref() == Some(&p.bootname));
        if on_trial {
            tracing::error!(%why, "The updated system is not healthy; restarting to fall back.");
            tokio::fs::write(
                &self.inner.config.reboot_request,
                format!("unhealthy: {why}\n"),
            )
            .await?;
        }
        Ok(on_trial)
    }

    /// The health deadline, in seconds, from the config.
    pub fn health_deadline(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.inner.config.health_deadline_secs)
    }
}
