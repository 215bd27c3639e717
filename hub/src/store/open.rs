//! Opening connections with the durability pragmas, refusing damaged files, and the online
//! backup and restore that `hub backup` / `hub restore` use.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::StoreError;

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Page caches, in KiB (`PRAGMA cache_size` with a negative value). SQLite's default is
/// 2 MiB per connection, up to 10 MiB for five connections once they have read enough: a
/// Pi's memory for pages the kernel's page cache holds anyway.
const WRITER_CACHE_KIB: i64 = 1024;
const READER_CACHE_KIB: i64 = 256;

/// The connection the writer owns: WAL, `synchronous=FULL`, foreign keys on.
pub(super) fn open_write_connection(path: &Path) -> Result<Connection, StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(StoreError::io(dir))?;
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // The first statement that touches the file is where a damaged header shows.
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(|e| corrupt_or(e, path))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: format!("journal mode stayed {mode}"),
        });
    }
    conn.execute_batch(&format!(
        "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-{WRITER_CACHE_KIB};"
    ))?;
    Ok(conn)
}

pub(super) fn open_read_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys=ON; PRAGMA cache_size=-{READER_CACHE_KIB};"
    ))?;
    Ok(conn)
}

/// `quick_check` reads every page once: cheap for a hotel's store, and it turns a damaged
/// file into a refusal at start instead of errors in the middle of the night.
pub(super) fn check_integrity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check")
        .map_err(|e| corrupt_or(e, path))?;
    let lines: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| corrupt_or(e, path))?;
    if lines.len() == 1 && lines[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: lines.into_iter().take(3).collect::<Vec<_>>().join("; "),
        })
    }
}

fn corrupt_or(e: rusqlite::Error, path: &Path) -> StoreError {
    use rusqlite::ffi::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        _ => StoreError::Sqlite(e),
    }
}

/// Copies a consistent snapshot of the live store to `dest` with SQLite's online backup
/// API; the hub may keep writing meanwhile.
pub fn backup_to(store_path: &Path, dest: &Path) -> Result<(), StoreError> {
    let src = open_read_connection(store_path).map_err(|e| match e {
        StoreError::Sqlite(e) => corrupt_or(e, store_path),
        other => other,
    })?;
    copy_to(&src, dest)
}

/// Copies the database `src` is open on to `dest` as one standalone file, checked whole,
/// and on the disk (file and directory synced) before it takes `dest`'s name.
pub(super) fn copy_to(src: &Connection, dest: &Path) -> Result<(), StoreError> {
    let tmp = dest.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    if let Err(e) = copy_whole(src, &tmp) {
        // A disk too full for the copy must not stay fuller for the attempt.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, dest).map_err(StoreError::io(dest))?;
    sync_dir(dest)
}

fn copy_whole(src: &Connection, tmp: &Path) -> Result<(), StoreError> {
    src.backup(rusqlite::MAIN_DB, tmp, None)?;
    let check = Connection::open(tmp)?;
    check_integrity(&check, tmp)?;
    // A backup is a standalone file: fold the WAL so a copy of the one file is enough.
    check.execute_batch("PRAGMA journal_mode=DELETE;")?;
    drop(check);
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(StoreError::io(tmp))
}

/// The directory holding `path` (`.` for a bare file name).
pub(super) fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Syncs the directory holding `path`, so a rename in it survives a power cut.
pub(super) fn sync_dir(path: &Path) -> Result<(), StoreError> {
    let dir = dir_of(path);
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(StoreError::io(dir))
}

/// Replaces the store's content with a backup, after checking the backup is whole. The
/// caller makes sure no hub is running on the store.
pub fn restore_from(store_path: &Path, backup: &Path) -> Result<(), StoreError> {
    if !backup.is_file() {
        return Err(StoreError::Io {
            path: backup.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such backup file"),
        });
    }
    let src = Connection::open_with_flags(backup, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    check_integrity(&src, backup)?;
    // A damaged live file cannot be opened as a backup target: move it aside first.
    if store_path.exists() {
        let aside = store_path.with_extension("damaged");
        std::fs::rename(store_path, &aside).map_err(StoreError::io(store_path))?;
        for ext in ["db-wal", "db-shm"] {
            let _ = std::fs::remove_file(store_path.with_extension(ext));
        }
    }
    let mut dst = Connection::open(store_path)?;
    dst.restore(
        rusqlite::MAIN_DB,
        backup,
        None::<fn(rusqlite::backup::Progress)>,
    )?;
    check_integrity(&dst, store_path)?;
    dst.execute_batch("PRAGMA journal_mode=WAL;")?;
    Ok(())
}
