//! Schema migrations: the SQL files in `hub/migrations/`, applied in order, the schema
//! version kept in `PRAGMA user_version`.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// Every migration, in order. A unit test checks that each file in `hub/migrations/` is here.
pub(super) const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_foundation.sql",
        include_str!("../../migrations/0001_foundation.sql"),
    ),
    (
        "0002_chat.sql",
        include_str!("../../migrations/0002_chat.sql"),
    ),
    (
        "0003_devices.sql",
        include_str!("../../migrations/0003_devices.sql"),
    ),
    (
        "0004_scenarios.sql",
        include_str!("../../migrations/0004_scenarios.sql"),
    ),
    (
        "0005_presence.sql",
        include_str!("../../migrations/0005_presence.sql"),
    ),
    (
        "0006_push.sql",
        include_str!("../../migrations/0006_push.sql"),
    ),
    (
        "0007_translations.sql",
        include_str!("../../migrations/0007_translations.sql"),
    ),
    (
        "0008_feeds.sql",
        include_str!("../../migrations/0008_feeds.sql"),
    ),
    (
        "0009_reception.sql",
        include_str!("../../migrations/0009_reception.sql"),
    ),
    (
        "0010_stays.sql",
        include_str!("../../migrations/0010_stays.sql"),
    ),
    (
        "0011_plates.sql",
        include_str!("../../migrations/0011_plates.sql"),
    ),
    (
        "0012_kiosks.sql",
        include_str!("../../migrations/0012_kiosks.sql"),
    ),
    (
        "0013_calls.sql",
        include_str!("../../migrations/0013_calls.sql"),
    ),
    (
        "0014_scans.sql",
        include_str!("../../migrations/0014_scans.sql"),
    ),
    (
        "0015_kiosk_screen.sql",
        include_str!("../../migrations/0015_kiosk_screen.sql"),
    ),
    (
        "0016_messengers.sql",
        include_str!("../../migrations/0016_messengers.sql"),
    ),
    (
        "0017_updates.sql",
        include_str!("../../migrations/0017_updates.sql"),
    ),
];

pub(super) fn apply(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    if current > known {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: current,
            known,
        });
    }
    // A fresh store has nothing to go back to; an existing one is copied first, so a hub
    // that knew only this schema can still open it if the update is rolled back.
    if current > 0 && current < known {
        super::trial::take(conn, path, current)?;
    }
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        // The version bump shares the transaction, so a crash never leaves half a step.
        let script = format!("BEGIN IMMEDIATE; {sql}\n; PRAGMA user_version = {version}; COMMIT;");
        if let Err(source) = conn.execute_batch(&script) {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(StoreError::Migration { name, source });
        }
        tracing::info!(migration = name, version, "Applied a schema migration.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(n, _)| *n).collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn migrations_apply_once_and_are_idempotent_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        apply(&conn, &path).unwrap();
        apply(&conn, &path).unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 999").unwrap();
        assert!(matches!(
            apply(&conn, &path),
            Err(StoreError::TooNew { found: 999, .. })
        ));
    }
}
