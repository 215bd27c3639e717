//! Scans on a real store and data directory, with a manual clock for the retention job.

use super::*;
use crate::bookings::{RoomKind, Status, Stay};
use crate::store::StoreOptions;
use crate::team::{Availability, Property};

/// A JPEG's first bytes and a marker to look for in the data directory.
fn jpeg() -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    bytes.extend_from_slice(b"JFIF\0 PASSPORT P<UTOERIKSSON<<ANNA<MARIA");
    bytes.extend(std::iter::repeat_n(0x55, 4096));
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

async fn scans(dir: &std::path::Path, clock: Clock) -> (Scans, Bookings, Member, Member) {
    let store = Store::open(&dir.join("hub.db"), StoreOptions::default()).unwrap();
    let property = Property::start(store.clone(), clock.clone()).await.unwrap();
    let bookings = Bookings::start(store.clone(), clock.clone(), property)
        .await
        .unwrap();
    let scans = Scans::start(store.clone(), clock, bookings.clone(), dir)
        .await
        .unwrap();
    let agent =
        crate::team::test_member(&store, "a@example.org", "Ana", Availability::Online).await;
    let mut owner =
        crate::team::test_member(&store, "o@example.org", "Olivia", Availability::Online).await;
    owner.role = Role::Owner;
    (scans, bookings, agent, owner)
}

fn origin(asked_by: &Member) -> Origin {
    Origin {
        call_id: 7,
        kiosk_name: "Lobby".into(),
        asked_by: asked_by.id,
        asked_by_name: asked_by.name.clone(),
    }
}

#[tokio::test]
async fn a_scan_is_sealed_on_disk_shown_only_to_owners_and_every_view_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let (scans, _, agent, owner) = scans(dir.path(), Clock::system()).await;
    let refused = scans.store(b"GIF89a".to_vec(), origin(&agent)).await;
    assert!(matches!(refused, Err(ScanError::Invalid(_))));
    let scan = scans.store(jpeg(), origin(&agent)).await.unwrap();
    let on_disk = std::fs::read(dir.path().join(format!("scans/{}.scan", scan.id))).unwrap();
    assert!(!on_disk.starts_with(&[0xFF, 0xD8]));
    assert!(!on_disk.windows(8).any(|w| w == b"PASSPORT"));
    assert!(matches!(
        scans.image(scan.id, &agent).await,
        Err(ScanError::Forbidden)
    ));
    assert!(matches!(
        scans.list(&agent).await,
        Err(ScanError::Forbidden)
    ));
    assert_eq!(scans.image(scan.id, &owner).await.unwrap(), jpeg());
    let listed = scans.list(&owner).await.unwrap();
    assert_eq!(listed[0].views.len(), 1);
    assert_eq!(listed[0].views[0].member_name, "Olivia");
    assert_eq!(listed[0].asked_by_name, "Ana");
    // Another scan's file in its place does not open: each image is bound to its row.
    let second = scans.store(jpeg(), origin(&agent)).await.unwrap();
    std::fs::copy(
        dir.path().join(format!("scans/{}.scan", scan.id)),
        dir.path().join(format!("scans/{}.scan", second.id)),
    )
    .unwrap();
    assert!(scans.image(second.id, &owner).await.is_err());
}

#[tokio::test]
async fn the_retention_job_deletes_a_scan_on_time_after_check_out() {
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::Utc::now();
    let (clock, time) = Clock::manual(start);
    let (scans, bookings, agent, owner) = scans(dir.path(), clock).await;
    assert_eq!(scans.retention_days(), DEFAULT_RETENTION_DAYS);
    let loose = scans.store(jpeg(), origin(&agent)).await.unwrap();
    let room = bookings.add_room("101", RoomKind::Room).await.unwrap();
    let today = start.date_naive();
    let stay = bookings
        .add(
            room.id,
            Stay {
                guest_name: "Anna Eriksson".into(),
                email: String::new(),
                phone: String::new(),
                notes: String::new(),
                check_in: Some(today),
                check_out: Some(today + chrono::Duration::days(10)),
            },
            Status::Booked,
            false,
        )
        .await
        .unwrap();
    let kept = scans.store(jpeg(), origin(&agent)).await.unwrap();
    scans.attach(kept.id, stay.id, &owner).await.unwrap();

    time.advance(chrono::Duration::days(29));
    assert_eq!(scans.sweep().await.unwrap(), 0);
    time.advance(chrono::Duration::days(2));
    assert_eq!(
        scans.sweep().await.unwrap(),
        1,
        "30 days after it was taken"
    );
    assert!(!dir.path().join(format!("scans/{}.scan", loose.id)).exists());
    assert!(matches!(
        scans.image(loose.id, &owner).await,
        Err(ScanError::NotFound)
    ));
    // The stay's scan lasts until 30 days after its check-out, ten days after arrival.
    time.advance(chrono::Duration::days(8));
    assert_eq!(scans.sweep().await.unwrap(), 0);
    time.advance(chrono::Duration::days(2));
    assert_eq!(scans.sweep().await.unwrap(), 1);
    let records = scans.list(&owner).await.unwrap();
    assert!(
        records.iter().all(|s| s.deleted_at.is_some()),
        "the records stay"
    );
    assert_eq!(records.len(), 2);
}
