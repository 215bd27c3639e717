//! The copy of the store taken just before a hub migrates it to a newer schema, kept while
//! that hub is on trial, and put back when an older hub finds the store migrated under it:
//! an update rolled back by the bootloader (APP-7) brings back the hub that knew the old
//! schema, and without the copy that hub could not open the store at all.
//!
//! Names beside the store (`hub.db`):
//! - `hub.db.schema-N.trial`: the store at schema N, taken before migrating it; an older
//!   hub that knows N puts it back;
//! - `hub.db.schema-N`: the same once the migrated hub has been healthy, kept (the newest
//!   only) for a restore by hand, never put back on its own: by then the hub has served
//!   people, and going back would lose what they wrote;
//! - `hub.db.schema-M.abandoned` (with its `-wal`): the migrated store a rollback set
//!   aside, for the engineer to look into.
//!
//! A hub that migrates and is rolled back has never been healthy (that is what triggers
//! the rollback: web, store and broker answering), so it has had little chance to take
//! anything in; what it took stays in the abandoned file rather than being merged back.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::open::{copy_to, dir_of, sync_dir};
use super::StoreError;

const TRIAL: &str = ".trial";

fn copy_path(store: &Path, version: i64, suffix: &str) -> PathBuf {
    with_suffix(store, &format!(".schema-{version}{suffix}"))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Copies the store, at schema `version`, to `hub.db.schema-<version>.trial` before the
/// first migration runs. Durable before it returns (the copy and its directory synced).
pub(super) fn take(conn: &Connection, store: &Path, version: i64) -> Result<(), StoreError> {
    let dest = copy_path(store, version, TRIAL);
    copy_to(conn, &dest)?;
    tracing::info!(copy = %dest.display(), version, "Copied the store before migrating it.");
    Ok(())
}

/// Whether a copy at schema `known` waits for a rolled-back hub.
pub(super) fn waiting(store: &Path, known: i64) -> bool {
    copy_path(store, known, TRIAL).is_file()
}

/// Sets the store migrated to schema `found` aside as `hub.db.schema-<found>.abandoned`
/// and puts the copy at schema `known` in its place. The store's connections are closed.
pub(super) fn put_back(store: &Path, known: i64, found: i64) -> Result<PathBuf, StoreError> {
    let copy = copy_path(store, known, TRIAL);
    let aside = copy_path(store, found, ".abandoned");
    for ext in ["", "-wal", "-shm"] {
        let (from, to) = (with_suffix(store, ext), with_suffix(&aside, ext));
        match std::fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !ext.is_empty() => {}
            Err(e) => return Err(StoreError::io(&from)(e)),
        }
    }
    std::fs::rename(&copy, store).map_err(StoreError::io(&copy))?;
    sync_dir(store)?;
    tracing::warn!(
        abandoned = %aside.display(), schema = found, back_to = known,
        "The store had been migrated by a newer hub that was rolled back: the copy from \
         before that migration is back in place, the migrated store set aside."
    );
    Ok(aside)
}

/// The migrated hub is healthy: its copy stops being one to put back. It stays as
/// `hub.db.schema-N` for a restore by hand, and older kept copies go. Returns the copy
/// kept, if there was a trial one.
pub(super) fn keep(store: &Path) -> Result<Option<PathBuf>, StoreError> {
    let Some(name) = store.file_name() else {
        return Ok(None);
    };
    let dir = dir_of(store);
    let prefix = format!("{}.schema-", name.to_string_lossy());
    let mut trials = Vec::new();
    let mut kept = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(StoreError::io(dir))? {
        let entry = entry.map_err(StoreError::io(dir))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&prefix) else {
            continue;
        };
        if let Some(v) = rest.strip_suffix(TRIAL).and_then(|v| v.parse::<i64>().ok()) {
            trials.push(v);
        } else if let Ok(v) = rest.parse::<i64>() {
            kept.push(v);
        }
    }
    // Two on trial: a hub that was never healthy migrated, then a newer one again. The
    // newest is the store's last state before this hub; the older is of no more use.
    let Some(&version) = trials.iter().max() else {
        return Ok(None);
    };
    let dest = copy_path(store, version, "");
    let from = copy_path(store, version, TRIAL);
    std::fs::rename(&from, &dest).map_err(StoreError::io(&from))?;
    let older_trials = trials
        .iter()
        .filter(|v| **v != version)
        .map(|v| copy_path(store, *v, TRIAL));
    let older_kept = kept
        .iter()
        .filter(|v| **v != version)
        .map(|v| copy_path(store, *v, ""));
    for old in older_trials.chain(older_kept) {
        std::fs::remove_file(&old).map_err(StoreError::io(&old))?;
    }
    sync_dir(store)?;
    tracing::info!(copy = %dest.display(), "The migrated store is healthy: the copy from before the migration is kept for a restore by hand.");
    Ok(Some(dest))
}

#[cfg(test)]
mod tests {
    use super::super::migrate::MIGRATIONS;
    use super::super::{Store, StoreError, StoreOptions};
    use super::*;

    const KNOWN: i64 = MIGRATIONS.len() as i64;

    fn schema(path: &Path) -> i64 {
        Connection::open(path)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    fn notes(path: &Path) -> Vec<String> {
        let conn = Connection::open(path).unwrap();
        let mut stmt = conn
            .prepare("SELECT body FROM test_notes ORDER BY rowid")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    fn write_note(path: &Path, body: &str) {
        Connection::open(path)
            .unwrap()
            .execute_batch(&format!(
                "CREATE TABLE IF NOT EXISTS test_notes(body TEXT); \
                 INSERT INTO test_notes VALUES ('{body}');"
            ))
            .unwrap();
    }

    /// A store as the hub before the last migration left it.
    fn store_one_migration_behind(path: &Path) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL;").unwrap();
        for (version, (_, sql)) in MIGRATIONS[..MIGRATIONS.len() - 1].iter().enumerate() {
            let version = version + 1;
            conn.execute_batch(&format!("{sql}\n; PRAGMA user_version = {version};"))
                .unwrap();
        }
    }

    #[test]
    fn migrating_an_existing_store_copies_it_first_and_a_fresh_one_not() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.db");
        drop(Store::open(&fresh, StoreOptions::default()).unwrap());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".schema-"))
            .collect();
        assert!(names.is_empty(), "a fresh store was copied: {names:?}");

        let path = dir.path().join("hub.db");
        store_one_migration_behind(&path);
        write_note(&path, "before the update");
        drop(Store::open(&path, StoreOptions::default()).unwrap());
        let copy = copy_path(&path, KNOWN - 1, TRIAL);
        assert_eq!(schema(&copy), KNOWN - 1);
        assert_eq!(notes(&copy), ["before the update"]);
        assert_eq!(schema(&path), KNOWN);
        // A standalone file: no write-ahead log beside it.
        assert!(!with_suffix(&copy, "-wal").exists());
    }

    #[test]
    fn an_older_hub_puts_the_copy_back_and_sets_the_migrated_store_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        drop(Store::open(&path, StoreOptions::default()).unwrap());
        write_note(&path, "written by this hub");
        // A newer hub copies the store, migrates it, writes, and is rolled back.
        take(&Connection::open(&path).unwrap(), &path, KNOWN).unwrap();
        write_note(&path, "written by the newer hub");
        Connection::open(&path)
            .unwrap()
            .execute_batch(&format!("PRAGMA user_version = {};", KNOWN + 1))
            .unwrap();

        let store = Store::open(&path, StoreOptions::default()).unwrap();
        drop(store);
        assert_eq!(schema(&path), KNOWN);
        assert_eq!(notes(&path), ["written by this hub"]);
        assert!(!waiting(&path, KNOWN));
        let aside = copy_path(&path, KNOWN + 1, ".abandoned");
        assert_eq!(schema(&aside), KNOWN + 1);
        assert_eq!(
            notes(&aside),
            ["written by this hub", "written by the newer hub"]
        );
    }

    #[test]
    fn a_kept_copy_is_never_put_back_and_only_the_newest_stays() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        drop(Store::open(&path, StoreOptions::default()).unwrap());
        let conn = Connection::open(&path).unwrap();
        take(&conn, &path, KNOWN - 2).unwrap();
        std::fs::rename(
            copy_path(&path, KNOWN - 2, TRIAL),
            copy_path(&path, KNOWN - 2, ""),
        )
        .unwrap();
        take(&conn, &path, KNOWN - 1).unwrap();
        take(&conn, &path, KNOWN).unwrap();
        assert_eq!(keep(&path).unwrap(), Some(copy_path(&path, KNOWN, "")));
        assert!(copy_path(&path, KNOWN, "").is_file());
        for gone in [
            copy_path(&path, KNOWN - 2, ""),
            copy_path(&path, KNOWN - 1, TRIAL),
            copy_path(&path, KNOWN, TRIAL),
        ] {
            assert!(!gone.exists(), "{} is still there", gone.display());
        }
        assert_eq!(keep(&path).unwrap(), None);

        conn.execute_batch(&format!("PRAGMA user_version = {};", KNOWN + 1))
            .unwrap();
        drop(conn);
        let err = Store::open(&path, StoreOptions::default()).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
        assert!(
            err.to_string().contains(&format!("hub.db.schema-{KNOWN}")),
            "{err}"
        );
        assert_eq!(schema(&path), KNOWN + 1);
    }
}
