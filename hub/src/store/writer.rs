//! The one writer thread and its group commit: every job queued while a transaction is
//! open joins it, each inside its own savepoint, and all of them are answered after the
//! single COMMIT (one fsync for the batch under `synchronous=FULL`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, StoreOptions};

/// Called once the batch's fate is known: `Ok` after COMMIT, `Err` when it failed.
type Completion = Box<dyn FnOnce(Result<(), &str>) + Send>;
/// Runs the caller's closure; says whether it succeeded (so a failure is rolled back to its
/// savepoint) and hands back what answers the caller once the batch's fate is known.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// Figures the `/metrics` endpoint reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriterStats {
    pub queue_depth: usize,
    pub commits: u64,
    pub jobs: u64,
    pub commit_micros_total: u64,
    pub last_commit_micros: u64,
}

#[derive(Default)]
struct Counters {
    queue_depth: AtomicUsize,
    commits: AtomicU64,
    jobs: AtomicU64,
    commit_micros_total: AtomicU64,
    last_commit_micros: AtomicU64,
}

pub(super) struct Writer {
    tx: mpsc::Sender<Job>,
    counters: Arc<Counters>,
}

impl Writer {
    pub(super) fn start(conn: Connection, options: &StoreOptions) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>(options.queue_capacity.max(1));
        let counters = Arc::new(Counters::default());
        let thread_counters = counters.clone();
        let max_batch = options.max_batch.max(1);
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(conn, rx, max_batch, &thread_counters))
            .map_err(|source| StoreError::Io {
                path: "store-writer thread".into(),
                source,
            })?;
        Ok(Writer { tx, counters })
    }

    pub(super) async fn submit<T, E, F>(&self, job: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    {
        let (reply_tx, reply_rx) = oneshot::channel::<Result<T, E>>();
        let boxed: Job = Box::new(move |conn: &Connection| {
            let outcome = job(conn);
            let succeeded = outcome.is_ok();
            let done: Completion = Box::new(move |committed: Result<(), &str>| {
                let answer = match (outcome, committed) {
                    (Ok(value), Ok(())) => Ok(value),
                    (Ok(_), Err(why)) => Err(StoreError::CommitFailed(why.to_owned()).into()),
                    (Err(e), _) => Err(e),
                };
                let _ = reply_tx.send(answer);
            });
            (succeeded, done)
        });
        self.counters.queue_depth.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(boxed).await.is_err() {
            self.counters.queue_depth.fetch_sub(1, Ordering::Relaxed);
            return Err(StoreError::Closed.into());
        }
        // A dropped sender means the job panicked; the writer rolled it back and went on.
        reply_rx.await.unwrap_or(Err(StoreError::JobLost.into()))
    }

    pub(super) fn stats(&self) -> WriterStats {
        let c = &self.counters;
        WriterStats {
            queue_depth: c.queue_depth.load(Ordering::Relaxed),
            commits: c.commits.load(Ordering::Relaxed),
            jobs: c.jobs.load(Ordering::Relaxed),
            commit_micros_total: c.commit_micros_total.load(Ordering::Relaxed),
            last_commit_micros: c.last_commit_micros.load(Ordering::Relaxed),
        }
    }
}

fn run(conn: Connection, mut rx: mpsc::Receiver<Job>, max_batch: usize, counters: &Counters) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch.min(1024));
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        counters
            .queue_depth
            .fetch_sub(batch.len(), Ordering::Relaxed);
        let started = Instant::now();
        // Counted before the batch answers its callers: one who reads the stats after their
        // answer sees their own job in them.
        counters
            .jobs
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        commit_batch(&conn, batch.drain(..));
        let micros = started.elapsed().as_micros() as u64;
        counters.commits.fetch_add(1, Ordering::Relaxed);
        counters
            .commit_micros_total
            .fetch_add(micros, Ordering::Relaxed);
        counters.last_commit_micros.store(micros, Ordering::Relaxed);
    }
    tracing::debug!("The store writer stopped: every handle was dropped.");
}

fn commit_batch(conn: &Connection, jobs: impl Iterator<Item = Job>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        tracing::error!(error = %e, "Could not begin a write transaction.");
        // Dropping the jobs unrun answers each caller with `JobLost`.
        return;
    }
    let completions: Vec<Completion> = jobs.filter_map(|job| run_in_savepoint(conn, job)).collect();
    let committed = conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        tracing::error!(error = %e, "A group commit failed; its jobs are answered with the error.");
        e.to_string()
    });
    for done in completions {
        done(committed.as_ref().map(|_| ()).map_err(String::as_str));
    }
}

/// Runs one job between SAVEPOINT and RELEASE, rolling back only its own changes when it
/// fails or panics. Returns the completion to call after COMMIT (none when the job could not
/// run or panicked: dropping it answers the caller with `JobLost`).
fn run_in_savepoint(conn: &Connection, job: Job) -> Option<Completion> {
    if let Err(e) = conn.execute_batch("SAVEPOINT job") {
        tracing::error!(error = %e, "Could not open a savepoint for a store job.");
        return None;
    }
    match catch_unwind(AssertUnwindSafe(|| job(conn))) {
        Ok((true, done)) => {
            let _ = conn.execute_batch("RELEASE job");
            Some(done)
        }
        Ok((false, done)) => {
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            Some(done)
        }
        Err(_) => {
            tracing::error!("A store job panicked; its changes were rolled back.");
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Store, StoreError, StoreOptions};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), StoreOptions::default()).unwrap();
        store
            .write(|c| {
                c.execute_batch("CREATE TABLE t (v TEXT UNIQUE)")
                    .map_err(StoreError::from)
            })
            .await
            .unwrap();
        (dir, store)
    }

    async fn count(store: &Store) -> i64 {
        store
            .read(|c| {
                c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .map_err(StoreError::from)
            })
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_job_does_not_fail_its_batch_mates() {
        let (_dir, store) = store().await;
        let mut handles = Vec::new();
        for i in 0..200 {
            let s = store.clone();
            handles.push(tokio::spawn(async move {
                // Every tenth job inserts a row and then fails on a duplicate.
                s.write(move |c| {
                    c.execute("INSERT INTO t VALUES (?1)", [format!("v{i}")])?;
                    if i % 10 == 0 {
                        c.execute("INSERT INTO t VALUES (?1)", [format!("v{i}")])?;
                    }
                    Ok::<_, StoreError>(i)
                })
                .await
            }));
        }
        let mut ok = 0;
        for h in handles {
            if h.await.unwrap().is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, 180);
        // The failed jobs' first inserts were rolled back with their savepoints.
        assert_eq!(count(&store).await, 180);
        let stats = store.writer_stats();
        assert_eq!(stats.jobs, 201);
        assert_eq!(stats.queue_depth, 0);
    }

    #[tokio::test]
    async fn a_panicking_job_is_answered_and_rolled_back() {
        let (_dir, store) = store().await;
        let r: Result<(), StoreError> = store
            .write(|c| {
                c.execute("INSERT INTO t VALUES ('x')", [])?;
                panic!("a bug in a job");
            })
            .await;
        assert!(matches!(r, Err(StoreError::JobLost)));
        assert_eq!(count(&store).await, 0);
        store
            .write(|c| {
                c.execute("INSERT INTO t VALUES ('y')", [])
                    .map_err(StoreError::from)
            })
            .await
            .unwrap();
        assert_eq!(count(&store).await, 1);
    }
}
