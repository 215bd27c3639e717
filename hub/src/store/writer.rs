//! The one writer thread and its group commit: every job queued while a transaction is
//! open joins it, each inside its own savepoint, and all of them are answered after the
//! single COMMIT (one fsync for the batch under `synchronous=FULL`).
//!
//! Work that can be re-read or re-derived after a power cut (a device's reported state, an
//! event-run's trace) is written *soon*: it joins one transaction held open for up to
//! [`SOON_WINDOW`], which commits with `synchronous=NORMAL` (no fsync; in WAL mode the file
//! stays consistent and the frames reach the disk with the next durable commit or
//! checkpoint, sqlite.org/pragma.html#pragma_synchronous). A durable job first commits
//! what is open, so order is kept. On an SD card this turns a write and an fsync per device
//! event into one write of each changed page per window.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use super::{StoreError, StoreOptions};

/// Called once the batch's fate is known: `Ok` after COMMIT, `Err` when it failed.
type Completion = Box<dyn FnOnce(Result<(), &str>) + Send>;
/// Runs the caller's closure; says whether it succeeded (so a failure is rolled back to its
/// savepoint) and hands back what answers the caller once the batch's fate is known.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// The longest a soon write waits before its transaction commits (it may be lost to a power
/// cut within this time, never half-written).
pub const SOON_WINDOW: Duration = Duration::from_secs(1);
/// Soon jobs one open transaction takes before it commits early.
const SOON_MOST: usize = 10_000;

enum Queued {
    /// Answered after a commit with fsync.
    Durable(Job),
    /// Joins the soon transaction.
    Soon(Job),
    /// Commits the soon transaction (without an fsync) and answers: a reader who must see
    /// the soon writes asks for this first. `to_disk`: then checkpoints the WAL, which
    /// syncs it (the hub stopping).
    Settle {
        answer: oneshot::Sender<()>,
        to_disk: bool,
    },
}

/// The transaction soon jobs are gathering in.
struct Soon {
    due: tokio::time::Instant,
    completions: Vec<Completion>,
}

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
    tx: mpsc::Sender<Queued>,
    counters: Arc<Counters>,
}

impl Writer {
    pub(super) fn start(conn: Connection, options: &StoreOptions) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel::<Queued>(options.queue_capacity.max(1));
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
        self.enqueue(Queued::Durable(boxed)).await?;
        // A dropped sender means the job panicked; the writer rolled it back and went on.
        reply_rx.await.unwrap_or(Err(StoreError::JobLost.into()))
    }

    /// Queues `job` to be written soon (see the module doc) and returns once it is queued;
    /// a failure is logged with `what` (e.g. "a device's state").
    pub(super) async fn submit_soon<E, F>(&self, what: &'static str, job: F)
    where
        E: std::fmt::Display + Send + 'static,
        F: FnOnce(&Connection) -> Result<(), E> + Send + 'static,
    {
        let boxed: Job = Box::new(move |conn: &Connection| {
            let outcome = job(conn).map_err(|e| e.to_string());
            let succeeded = outcome.is_ok();
            let done: Completion = Box::new(move |committed: Result<(), &str>| {
                if let Err(why) = outcome.as_ref().map_err(String::as_str).and(committed) {
                    tracing::warn!(what, error = why, "A deferred write was not stored.");
                }
            });
            (succeeded, done)
        });
        if self.enqueue(Queued::Soon(boxed)).await.is_err() {
            tracing::warn!(what, "A deferred write came after the store shut down.");
        }
    }

    /// Returns once every write queued before it is visible to readers, and with `to_disk`
    /// on the disk too.
    pub(super) async fn settle(&self, to_disk: bool) -> Result<(), StoreError> {
        let (answer, rx) = oneshot::channel();
        self.enqueue(Queued::Settle { answer, to_disk }).await?;
        rx.await.map_err(|_| StoreError::Closed)
    }

    async fn enqueue(&self, queued: Queued) -> Result<(), StoreError> {
        self.counters.queue_depth.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(queued).await.is_err() {
            self.counters.queue_depth.fetch_sub(1, Ordering::Relaxed);
            return Err(StoreError::Closed);
        }
        Ok(())
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

fn run(conn: Connection, mut rx: mpsc::Receiver<Queued>, max_batch: usize, counters: &Counters) {
    // The thread's own clock for the soon window: a runtime of one thread, timers only.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "The store writer cannot start its timer; nothing can be written.");
            return;
        }
    };
    let mut batch: Vec<Queued> = Vec::with_capacity(max_batch.min(1024));
    let mut soon: Option<Soon> = None;
    loop {
        let first = match &soon {
            None => rt.block_on(rx.recv()),
            // The timer must be made inside the runtime it runs on.
            Some(open) => {
                match rt.block_on(async { tokio::time::timeout_at(open.due, rx.recv()).await }) {
                    Ok(next) => next,
                    Err(_) => {
                        commit_soon(&conn, soon.take(), counters);
                        continue;
                    }
                }
            }
        };
        let Some(first) = first else { break };
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
        // Counted before the batch answers its callers: one who reads the stats after their
        // answer sees their own job in them.
        counters
            .jobs
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        if batch.iter().any(|q| matches!(q, Queued::Durable(_))) {
            // What is open goes first, so the durable batch lands after it in order.
            commit_soon(&conn, soon.take(), counters);
            let started = Instant::now();
            let mut settled = Vec::new();
            let jobs: Vec<Job> = batch
                .drain(..)
                .filter_map(|q| match q {
                    Queued::Durable(job) | Queued::Soon(job) => Some(job),
                    Queued::Settle { answer, to_disk } => {
                        settled.push((answer, to_disk));
                        None
                    }
                })
                .collect();
            commit_batch(&conn, jobs.into_iter());
            counted(counters, started);
            for (answer, to_disk) in settled {
                settle(&conn, answer, to_disk);
            }
            continue;
        }
        for queued in batch.drain(..) {
            match queued {
                Queued::Durable(job) | Queued::Soon(job) => {
                    if soon.is_none() {
                        soon = begin_soon(&conn);
                    }
                    // Without a transaction the job is dropped unrun: logged as not stored.
                    if let Some(open) = soon.as_mut() {
                        open.completions.extend(run_in_savepoint(&conn, job));
                    }
                }
                Queued::Settle { answer, to_disk } => {
                    commit_soon(&conn, soon.take(), counters);
                    settle(&conn, answer, to_disk);
                }
            }
        }
        if soon
            .as_ref()
            .is_some_and(|s| s.completions.len() >= SOON_MOST)
        {
            commit_soon(&conn, soon.take(), counters);
        }
    }
    commit_soon(&conn, soon.take(), counters);
    tracing::debug!("The store writer stopped: every handle was dropped.");
}

/// Answers a settle once nothing is open; a checkpoint first when it asks for the disk.
fn settle(conn: &Connection, answer: oneshot::Sender<()>, to_disk: bool) {
    if to_disk {
        if let Err(e) = conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!(error = %e, "The write-ahead log could not be checkpointed.");
        }
    }
    let _ = answer.send(());
}

fn counted(counters: &Counters, started: Instant) {
    let micros = started.elapsed().as_micros() as u64;
    counters.commits.fetch_add(1, Ordering::Relaxed);
    counters
        .commit_micros_total
        .fetch_add(micros, Ordering::Relaxed);
    counters.last_commit_micros.store(micros, Ordering::Relaxed);
}

/// Opens the transaction soon jobs gather in, to commit without an fsync.
fn begin_soon(conn: &Connection) -> Option<Soon> {
    match conn.execute_batch("PRAGMA synchronous=NORMAL; BEGIN IMMEDIATE") {
        Ok(()) => Some(Soon {
            due: tokio::time::Instant::now() + SOON_WINDOW,
            completions: Vec::new(),
        }),
        Err(e) => {
            tracing::error!(error = %e, "Could not begin a deferred write transaction.");
            restore_full(conn);
            None
        }
    }
}

/// Commits the soon transaction, if one is open, and puts `synchronous=FULL` back for the
/// durable writes that follow.
fn commit_soon(conn: &Connection, soon: Option<Soon>, counters: &Counters) {
    let Some(soon) = soon else { return };
    let started = Instant::now();
    let committed = conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        tracing::error!(error = %e, "A deferred commit failed; its writes are lost.");
        e.to_string()
    });
    restore_full(conn);
    for done in soon.completions {
        done(committed.as_ref().map(|_| ()).map_err(String::as_str));
    }
    counted(counters, started);
}

fn restore_full(conn: &Connection) {
    if let Err(e) = conn.execute_batch("PRAGMA synchronous=FULL") {
        tracing::error!(error = %e, "Could not put synchronous=FULL back; writes may not survive a power cut.");
    }
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

    async fn synchronous(store: &Store) -> i64 {
        store
            .write(|c| {
                c.query_row("PRAGMA synchronous", [], |r| r.get(0))
                    .map_err(StoreError::from)
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn soon_writes_commit_within_the_window_and_leave_durability_on() {
        let (_dir, store) = store().await;
        let started = std::time::Instant::now();
        for i in 0..50 {
            store
                .write_soon("a test row", move |c| {
                    c.execute("INSERT INTO t VALUES (?1)", [format!("s{i}")])
                        .map(|_| ())
                })
                .await;
        }
        assert_eq!(
            count(&store).await,
            0,
            "not committed before the window ends"
        );
        while count(&store).await < 50 {
            assert!(
                started.elapsed() < super::SOON_WINDOW * 3,
                "committed within the window"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(
            synchronous(&store).await,
            2,
            "FULL again for durable writes"
        );
    }

    #[tokio::test]
    async fn a_durable_write_commits_the_soon_ones_before_it_in_order() {
        let (_dir, store) = store().await;
        store
            .write_soon("a test row", |c| {
                c.execute("INSERT INTO t VALUES ('first')", []).map(|_| ())
            })
            .await;
        // A failing soon job is rolled back alone.
        store
            .write_soon("a test row", |c| {
                c.execute("INSERT INTO t VALUES ('first')", []).map(|_| ())
            })
            .await;
        let seen: i64 = store
            .write(|c| {
                c.execute("INSERT INTO t VALUES ('second')", [])?;
                c.query_row("SELECT count(*) FROM t WHERE v = 'first'", [], |r| r.get(0))
                    .map_err(StoreError::from)
            })
            .await
            .unwrap();
        assert_eq!(seen, 1, "the durable job sees the soon one before it");
        assert_eq!(
            count(&store).await,
            2,
            "both committed by the durable write"
        );
        assert_eq!(synchronous(&store).await, 2);
    }

    #[tokio::test]
    async fn soon_writes_are_committed_when_the_store_closes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        {
            let store = Store::open(&path, StoreOptions::default()).unwrap();
            store
                .write(|c| {
                    c.execute_batch("CREATE TABLE t (v TEXT)")
                        .map_err(StoreError::from)
                })
                .await
                .unwrap();
            store
                .write_soon("a test row", |c| {
                    c.execute("INSERT INTO t VALUES ('kept')", []).map(|_| ())
                })
                .await;
        }
        // The writer thread commits as it stops; wait for it through a fresh open.
        let mut rows = 0;
        for _ in 0..100 {
            let conn = rusqlite::Connection::open(&path).unwrap();
            rows = conn
                .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
                .unwrap_or(0);
            if rows == 1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(rows, 1);
    }
}
