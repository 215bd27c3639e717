//! A small pool of read-only connections; WAL lets them read while the writer commits.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::{open, StoreError};

pub(super) struct ReadPool {
    idle: Arc<Mutex<Vec<Connection>>>,
    permits: Arc<Semaphore>,
}

impl ReadPool {
    pub(super) fn open(path: &Path, size: usize) -> Result<ReadPool, StoreError> {
        let size = size.max(1);
        let conns = (0..size)
            .map(|_| open::open_read_connection(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ReadPool {
            idle: Arc::new(Mutex::new(conns)),
            permits: Arc::new(Semaphore::new(size)),
        })
    }

    pub(super) async fn run<T, E, F>(&self, query: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        // A permit guarantees an idle connection is waiting in the vector.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Closed)?;
        let idle = self.idle.clone();
        tokio::task::spawn_blocking(move || {
            let conn = lock(&idle).pop().ok_or(StoreError::Closed)?;
            // A panicking query must not take its connection out of the pool for good.
            let result = catch_unwind(AssertUnwindSafe(|| query(&conn)));
            lock(&idle).push(conn);
            drop(permit);
            result.unwrap_or(Err(StoreError::JobLost.into()))
        })
        .await
        .unwrap_or(Err(StoreError::JobLost.into()))
    }
}

fn lock(idle: &Mutex<Vec<Connection>>) -> std::sync::MutexGuard<'_, Vec<Connection>> {
    // A panic while holding the lock cannot leave the vector half-changed.
    idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
