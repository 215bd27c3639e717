//! Documents scanned at check-in (DESK-5): during a call a receptionist asks the guest to
//! hold a passport or ID card to the kiosk's camera, and the still it takes is kept here,
//! encrypted on the hub (`crate::sealing`, the `scans.key` file, each image bound to its
//! row), attached to a reservation, shown only to owners and admins with every view logged,
//! and deleted a set number of days after the reservation's check-out (after it was taken
//! when none is attached). Nothing leaves the hub. The service [`Scans`] is the front door;
//! `db.rs` owns the SQL.

pub mod api;
mod db;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::bookings::Bookings;
use crate::clock::Clock;
use crate::sealing::{SealError, Sealer};
use crate::store::{Store, StoreError};
use crate::team::{Member, Role};

/// Days a scan is kept after check-out when the owner has not said, and the bounds.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;
pub const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
/// The largest image a kiosk may send, in bytes.
pub const MAX_SCAN_BYTES: usize = 8 * 1024 * 1024;
/// How often the retention job looks.
const SWEEP_EVERY: chrono::Duration = chrono::Duration::hours(1);

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("{0}")]
    Invalid(String),
    #[error("not found")]
    NotFound,
    #[error("only owners and admins see scanned documents")]
    Forbidden,
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("cannot keep the scan: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the reservation cannot be read: {0}")]
    Bookings(String),
}

impl From<rusqlite::Error> for ScanError {
    fn from(e: rusqlite::Error) -> Self {
        ScanError::Store(e.into())
    }
}

/// A scanned document's record (the image itself only through [`Scans::image`]).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Scan {
    pub id: i64,
    /// The call it was taken in.
    pub call_id: Option<i64>,
    /// The kiosk it was taken at.
    pub kiosk_name: String,
    /// Who asked for it (the member on the call).
    pub asked_by_name: String,
    pub taken_at: String,
    /// The image's size, in bytes.
    pub bytes: i64,
    pub reservation_id: Option<i64>,
    /// When the retention job deletes it.
    pub delete_after: String,
    /// When its image was deleted; the record stays.
    pub deleted_at: Option<String>,
    /// Everyone who has looked at it, oldest first.
    pub views: Vec<ScanView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScanView {
    pub member_name: String,
    pub at: String,
}

/// Where a scan comes from.
pub struct Origin {
    pub call_id: i64,
    pub kiosk_name: String,
    pub asked_by: i64,
    pub asked_by_name: String,
}

struct Inner {
    store: Store,
    clock: Clock,
    bookings: Bookings,
    sealer: Sealer,
    dir: PathBuf,
    retention_days: AtomicU32,
}

/// The front door.
#[derive(Clone)]
pub struct Scans {
    inner: Arc<Inner>,
}

/// Who may see scanned documents.
fn may_see(member: &Member) -> Result<(), ScanError> {
    match member.role {
        Role::Owner | Role::Admin => Ok(()),
        _ => Err(ScanError::Forbidden),
    }
}

impl Scans {
    /// Opens the scans' key file and folder in `data_dir`, making them on first start.
    pub async fn start(
        store: Store,
        clock: Clock,
        bookings: Bookings,
        data_dir: &std::path::Path,
    ) -> Result<Scans, ScanError> {
        let sealer = Sealer::open(data_dir, "scans.key")?;
        let dir = data_dir.join("scans");
        std::fs::create_dir_all(&dir)?;
        let days = store
            .read(|c| Ok::<_, ScanError>(db::retention_days(c)?))
            .await?;
        Ok(Scans {
            inner: Arc::new(Inner {
                store,
                clock,
                bookings,
                sealer,
                dir,
                retention_days: AtomicU32::new(days.unwrap_or(DEFAULT_RETENTION_DAYS)),
            }),
        })
    }

    pub fn retention_days(&self) -> u32 {
        self.inner.retention_days.load(Ordering::Relaxed)
    }

    pub async fn set_retention_days(&self, days: u32) -> Result<(), ScanError> {
        if !RETENTION_DAYS.contains(&days) {
            return Err(ScanError::Invalid(
                "scans are kept 1 to 3650 days after check-out".into(),
            ));
        }
        self.inner
            .store
            .write(move |c| Ok::<_, ScanError>(db::set_retention_days(c, days)?))
            .await?;
        self.inner.retention_days.store(days, Ordering::Relaxed);
        Ok(())
    }

    fn file(&self, id: i64) -> PathBuf {
        self.inner.dir.join(format!("{id}.scan"))
    }

    fn days(&self) -> chrono::Duration {
        chrono::Duration::days(i64::from(self.retention_days()))
    }

    /// Keeps a JPEG the kiosk took: sealed to disk (written and synced before the row
    /// commits), then its record.
    pub async fn store(&self, jpeg: Vec<u8>, origin: Origin) -> Result<Scan, ScanError> {
        if jpeg.len() > MAX_SCAN_BYTES {
            return Err(ScanError::Invalid("a scan is at most 8 MiB".into()));
        }
        // JPEG's start-of-image marker and the first segment's marker (ITU T.81 B.1.1.2).
        if jpeg.len() < 4 || jpeg[..3] != [0xFF, 0xD8, 0xFF] {
            return Err(ScanError::Invalid("a scan is a JPEG image".into()));
        }
        let now = self.inner.clock.now();
        let (taken_at, delete_after) = (
            crate::clock::stamp(now),
            crate::clock::stamp(now + self.days()),
        );
        let size = jpeg.len() as i64;
        let id = self
            .inner
            .store
            .write(move |c| {
                Ok::<_, ScanError>(db::add(c, &origin, &taken_at, size, &delete_after)?)
            })
            .await?;
        let sealed = self.inner.sealer.seal(&jpeg, &id.to_be_bytes());
        if let Err(e) = write_synced(&self.file(id), &sealed) {
            // No image, no record.
            let _ = self
                .inner
                .store
                .write(move |c| Ok::<_, ScanError>(db::forget(c, id)?))
                .await;
            return Err(e.into());
        }
        tracing::info!(scan = id, bytes = size, "A document was scanned.");
        self.get(id).await
    }

    async fn get(&self, id: i64) -> Result<Scan, ScanError> {
        self.inner
            .store
            .read(move |c| Ok::<_, ScanError>(db::get(c, id)?))
            .await?
            .ok_or(ScanError::NotFound)
    }

    /// Every scan's record, newest first, for an owner or admin.
    pub async fn list(&self, member: &Member) -> Result<Vec<Scan>, ScanError> {
        may_see(member)?;
        self.inner
            .store
            .read(|c| Ok::<_, ScanError>(db::list(c)?))
            .await
    }

    /// The image of scan `id` for an owner or admin; the view is logged (committed) first.
    pub async fn image(&self, id: i64, member: &Member) -> Result<Vec<u8>, ScanError> {
        may_see(member)?;
        let scan = self.get(id).await?;
        if scan.deleted_at.is_some() {
            return Err(ScanError::NotFound);
        }
        let (member_id, name, at) = (member.id, member.name.clone(), self.inner.clock.now_text());
        self.inner
            .store
            .write(move |c| Ok::<_, ScanError>(db::viewed(c, id, member_id, &name, &at)?))
            .await?;
        let sealed = std::fs::read(self.file(id))?;
        Ok(self.inner.sealer.open_sealed(&sealed, &id.to_be_bytes())?)
    }

    /// Attaches scan `id` to reservation `reservation_id`: it is then kept until the
    /// retention period after that stay's check-out.
    pub async fn attach(
        &self,
        id: i64,
        reservation_id: i64,
        member: &Member,
    ) -> Result<Scan, ScanError> {
        may_see(member)?;
        let reservation = self
            .inner
            .bookings
            .reservation(reservation_id)
            .await
            .map_err(|e| ScanError::Bookings(e.to_string()))?
            .ok_or_else(|| ScanError::Invalid("no such reservation".into()))?;
        let check_out = crate::clock::parse(&reservation.check_out_at)
            .ok_or_else(|| ScanError::Bookings("the stay has no check-out time".into()))?;
        let until = crate::clock::stamp(check_out + self.days());
        self.inner
            .store
            .write(move |c| Ok::<_, ScanError>(db::attach(c, id, reservation_id, &until)?))
            .await?;
        self.get(id).await
    }

    /// The retention job, once: every scan past its time loses its image (the file is
    /// removed, then the record marked). An attached scan's time follows its stay's
    /// check-out as it is now. Returns how many were deleted.
    pub async fn sweep(&self) -> Result<usize, ScanError> {
        let now = self.inner.clock.now();
        let kept = self
            .inner
            .store
            .read(|c| Ok::<_, ScanError>(db::kept(c)?))
            .await?;
        let mut deleted = 0;
        for (id, reservation_id, delete_after) in kept {
            let due = match reservation_id {
                Some(r) => match self.inner.bookings.reservation(r).await {
                    Ok(Some(stay)) => {
                        crate::clock::parse(&stay.check_out_at).map(|out| out + self.days())
                    }
                    // The reservation is gone: the time it had stands.
                    Ok(None) => crate::clock::parse(&delete_after),
                    Err(e) => return Err(ScanError::Bookings(e.to_string())),
                },
                None => crate::clock::parse(&delete_after),
            };
            if due.is_some_and(|t| t <= now) {
                self.delete(id, now).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    async fn delete(&self, id: i64, now: DateTime<Utc>) -> Result<(), ScanError> {
        match std::fs::remove_file(self.file(id)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        let at = crate::clock::stamp(now);
        self.inner
            .store
            .write(move |c| Ok::<_, ScanError>(db::deleted(c, id, &at)?))
            .await?;
        tracing::info!(
            scan = id,
            "A scanned document was deleted at the end of its retention."
        );
        Ok(())
    }

    /// Runs the retention job every hour by the hub's clock.
    pub fn spawn_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let scans = self.clone();
        tokio::spawn(async move {
            let mut moves = scans.inner.clock.moves();
            loop {
                moves.borrow_and_update();
                if let Err(e) = scans.sweep().await {
                    tracing::warn!(error = %e, "The scans' retention job failed; it runs again within the hour.");
                }
                let next = scans.inner.clock.now() + SWEEP_EVERY;
                let cap = std::time::Duration::from_secs(600);
                scans.inner.clock.sleep_until(&mut moves, next, cap).await;
            }
        })
    }
}

fn write_synced(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests;
