//! The SQLite mechanism: opening and checking the file, migrations, the single writer with
//! group commit, and the read-only connection pool. It owns no queries of its own: each
//! capability keeps its SQL beside its code (`team/db.rs`, …) and runs it through
//! [`Store::write`] or [`Store::read`].

mod migrate;
mod open;
mod reader;
mod trial;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use open::{backup_to, restore_from};
pub use writer::{WriterStats, SOON_WINDOW};

/// What can go wrong with the store itself (not with a capability's rules).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the store at {path} is damaged ({detail}); stop the hub and restore the last backup \
         with `hub restore BACKUP_FILE` (backups are made with `hub backup FILE`)"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error(
        "the store at {path} was written by a newer hub (schema {found}, this hub knows \
         {known}): start the newer hub, or restore a backup this version made with \
         `hub restore BACKUP_FILE` (a newer hub that migrated the store kept the one it \
         started from beside it, as {path}.schema-{known})"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("the commit failed: {0}")]
    CommitFailed(String),
    #[error("the write job failed before it could answer")]
    JobLost,
    #[error("the store is shut down")]
    Closed,
    #[error("cannot open {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StoreError {
    /// For `map_err`: an I/O failure on `path`.
    pub(super) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
        move |source| StoreError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Tunables; the defaults suit the appliance.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most jobs that share one transaction. 1 means one transaction per write (the
    /// benchmark's baseline).
    pub max_batch: usize,
    /// Jobs that may wait for the writer before callers feel back-pressure.
    pub queue_capacity: usize,
    pub readers: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_batch: 1024,
            queue_capacity: 8192,
            readers: 4,
        }
    }
}

/// The handle every capability shares; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: writer::Writer,
    readers: reader::ReadPool,
}

impl Store {
    /// Opens (creating if needed) the store, refuses a damaged file, applies migrations and
    /// starts the writer thread.
    pub fn open(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
        let conn = match Self::open_migrated(path) {
            // A rolled-back update: the hub that migrated the store never got healthy.
            Err(StoreError::TooNew { found, known, .. }) if trial::waiting(path, known) => {
                trial::put_back(path, known, found)?;
                Self::open_migrated(path)?
            }
            other => other?,
        };
        let writer = writer::Writer::start(conn, &options)?;
        let readers = reader::ReadPool::open(path, options.readers)?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer,
                readers,
            }),
        })
    }

    fn open_migrated(path: &Path) -> Result<rusqlite::Connection, StoreError> {
        let conn = open::open_write_connection(path)?;
        open::check_integrity(&conn, path)?;
        migrate::apply(&conn, path)?;
        Ok(conn)
    }

    /// This hub has been healthy on the store it migrated: the copy from before the
    /// migration is no longer put back by an older hub, only kept for a restore by hand
    /// (see `trial.rs`). Returns that copy's path, if this start migrated.
    pub async fn keep_migrated(&self) -> Result<Option<PathBuf>, StoreError> {
        let path = self.inner.path.clone();
        tokio::task::spawn_blocking(move || trial::keep(&path))
            .await
            .map_err(|_| StoreError::JobLost)?
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `job` inside the writer's current transaction and answers only after the
    /// transaction has committed to disk. A job that returns an error is rolled back to its
    /// own savepoint; the other jobs in the batch still commit.
    pub async fn write<T, E, F>(&self, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, E> + Send + 'static,
    {
        self.inner.writer.submit(job).await
    }

    /// Queues `job` to be written within [`SOON_WINDOW`], in one transaction with the other
    /// soon writes and committed without an fsync (see `writer.rs`): for what the hub can
    /// re-read or re-derive after a power cut (a device's reported state, an event-run's
    /// trace), never for what was acknowledged to a person. Returns once queued, in order
    /// with every other write; a failure is logged with `what`.
    pub async fn write_soon<E, F>(&self, what: &'static str, job: F)
    where
        E: std::fmt::Display + Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<(), E> + Send + 'static,
    {
        self.inner.writer.submit_soon(what, job).await
    }

    /// Returns once every soon write queued before it is visible to readers (commits them
    /// now, still without an fsync): for reads that show history a person just caused.
    pub async fn settle(&self) -> Result<(), StoreError> {
        self.inner.writer.settle(false).await
    }

    /// Commits the soon writes and checkpoints the write-ahead log under
    /// `synchronous=FULL`, which puts every committed write on the disk: the last thing the
    /// hub does as it stops.
    pub async fn flush_to_disk(&self) -> Result<(), StoreError> {
        self.inner.writer.settle(true).await
    }

    /// Runs `query` on a read-only connection off the async runtime. Sees every write that
    /// has been acknowledged.
    pub async fn read<T, E, F>(&self, query: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T, E> + Send + 'static,
    {
        self.inner.readers.run(query).await
    }

    pub fn writer_stats(&self) -> WriterStats {
        self.inner.writer.stats()
    }
}
