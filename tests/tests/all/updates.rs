//! Signed A/B updates through the hub's admin API against Debian's real RAUC (APP-7), on
//! the rig of `e2e::rauc` (slots that are files, GRUB's A/B choice in a backend script):
//! bundles signed with another key or with one flipped byte are refused with RAUC's
//! reason; a good one lands in the other slot, the restart boots it and the hub keeps it
//! once healthy; one whose system never gets healthy is rolled back by the next boot and
//! the hub there reports it. The same story with a real bootloader, kernel and reboot is
//! `tests/appliance/run`'s VM.

use std::time::{Duration, Instant};

use e2e::rauc::Rig;
use e2e::{Hub, HubOptions};
use serde_json::Value;

async fn updates(client: &reqwest::Client, hub: &Hub) -> Value {
    e2e::get_json(client, &hub.url("/api/v1/admin/updates"))
        .await
        .expect("the updates' status")
}

/// Waits until the updater leaves receiving/installing; its status then.
async fn settled(client: &reqwest::Client, hub: &Hub) -> Value {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let s = updates(client, hub).await;
        let phase = s["operation"]["phase"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !matches!(phase.as_str(), "receiving" | "installing") {
            return s;
        }
        assert!(Instant::now() < until, "the install did not finish: {s}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn upload(client: &reqwest::Client, hub: &Hub, bundle: &std::path::Path) -> Value {
    let bytes = std::fs::read(bundle).expect("the bundle");
    let r = client
        .post(hub.url("/api/v1/admin/updates/bundle"))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .expect("the upload is answered");
    assert_eq!(r.status(), 202, "{:?}", r.text().await);
    settled(client, hub).await
}

/// Waits until the newest event of the history is `kind` (the hub records it just after it
/// marks the slot); the status then.
async fn latest(client: &reqwest::Client, hub: &Hub, kind: &str) -> Value {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        let s = updates(client, hub).await;
        if s["history"][0]["kind"] == kind {
            return s;
        }
        assert!(Instant::now() < until, "no {kind} event: {s}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for the hub's health probe to keep the booted slot.
async fn kept(rig: &Rig, slot: &str) {
    let until = Instant::now() + Duration::from_secs(30);
    while !rig.kept(slot) {
        assert!(Instant::now() < until, "slot {slot} was never marked good");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn start(rig: &Rig, data: &std::path::Path, version: &str) -> Hub {
    std::fs::write(rig.path().join("version"), format!("{version}\n")).unwrap();
    let env = vec![
        ("DBUS_SYSTEM_BUS_ADDRESS".into(), rig.bus_address.clone()),
        ("HUB_UPDATES__RAUC".into(), rig.rauc().display().to_string()),
        (
            "HUB_UPDATES__REBOOT_REQUEST".into(),
            rig.path().join("reboot").display().to_string(),
        ),
        (
            "HUB_UPDATES__VERSION_FILE".into(),
            rig.path().join("version").display().to_string(),
        ),
    ];
    Hub::start(HubOptions {
        env,
        data: Some(data.to_path_buf()),
        ..HubOptions::default()
    })
    .expect("the hub starts")
}

/// The same hub (data, settings, the demo's credentials) after a "reboot" into a slot of
/// `version`.
fn restart(hub: Hub, rig: &Rig, version: &str) -> Hub {
    std::fs::write(rig.path().join("version"), format!("{version}\n")).unwrap();
    hub.restart(true).expect("the hub starts again")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundles_are_verified_installed_kept_or_rolled_back() {
    let mut rig = Rig::new().expect("the RAUC rig");
    let data = rig.path().join("hub-data");
    let good = rig.bundle("2", "release").unwrap();
    let broken = rig.bundle("3", "release").unwrap();
    let foreign = rig.bundle("2", "foreign").unwrap();
    let mut flipped = std::fs::read(&good).unwrap();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let flipped_path = rig.path().join("flipped.raucb");
    std::fs::write(&flipped_path, flipped).unwrap();

    assert_eq!(rig.boot().unwrap(), "A");
    let hub = start(&rig, &data, "1");
    let owner = hub.signed_in("owner").await.unwrap();
    kept(&rig, "A").await;
    let s = updates(&owner, &hub).await;
    assert_eq!(s["enabled"], true);
    assert_eq!(s["booted"], "A");
    assert_eq!(s["system_version"], "1");
    assert_eq!(s["compatible"], e2e::rauc::COMPATIBLE);
    assert_eq!(s["slots"].as_array().map(Vec::len), Some(2), "{s}");

    // Staff who are not admins may not see or touch it.
    let agent = hub.signed_in("agent").await.unwrap();
    let r = agent
        .get(hub.url("/api/v1/admin/updates"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // Another signer, then one flipped byte: refused, with RAUC's reason, nothing written.
    let s = upload(&owner, &hub, &foreign).await;
    assert_eq!(s["operation"]["phase"], "failed", "{s}");
    let why = s["operation"]["message"].as_str().unwrap_or_default();
    assert!(why.contains("signature verification failed"), "{why}");
    let s = upload(&owner, &hub, &flipped_path).await;
    assert_eq!(s["operation"]["phase"], "failed", "{s}");
    assert_eq!(s["history"][0]["kind"], "refused");
    assert_eq!(s["history"][1]["kind"], "refused");
    assert_eq!(s["next_boot"], "A");
    assert!(std::fs::read(rig.path().join("b.img"))
        .unwrap()
        .iter()
        .all(|b| *b == 0));

    // The good bundle goes into B; the restart is asked for through the image's file.
    let s = upload(&owner, &hub, &good).await;
    assert_eq!(s["operation"]["phase"], "installed", "{s}");
    assert_eq!(s["operation"]["percent"], 100);
    assert_eq!(s["reboot_needed"], true);
    assert_eq!(s["next_boot"], "B");
    assert_eq!(s["history"][0]["kind"], "installed");
    assert_eq!(s["history"][0]["version"], "2");
    let r = owner
        .post(hub.url("/api/v1/admin/updates/reboot"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    assert!(rig.path().join("reboot").exists());

    // "Reboot": B is tried, the hub there is healthy and keeps it.
    let mut hub = hub;
    hub.kill_hard();
    assert_eq!(rig.boot().unwrap(), "B");
    assert!(!rig.kept("B"), "B is on trial until the hub keeps it");
    let hub = restart(hub, &rig, "2");
    let owner = hub.signed_in("owner").await.unwrap();
    kept(&rig, "B").await;
    let s = latest(&owner, &hub, "running").await;
    assert_eq!(s["booted"], "B");
    assert_eq!(s["system_version"], "2");
    assert_eq!(s["reboot_needed"], false);
    assert_eq!(s["history"][0]["kind"], "running", "{s}");

    // Version 3 goes into A, whose system never becomes healthy: no hub ever keeps A, so
    // the boot after falls back to B, and the hub there reports the rollback.
    let s = upload(&owner, &hub, &broken).await;
    assert_eq!(s["operation"]["phase"], "installed", "{s}");
    assert_eq!(s["next_boot"], "A");
    let mut hub = hub;
    hub.kill_hard();
    assert_eq!(rig.boot().unwrap(), "A");
    assert_eq!(rig.boot().unwrap(), "B", "the untried slot was not skipped");
    let hub = restart(hub, &rig, "2");
    let owner = hub.signed_in("owner").await.unwrap();
    kept(&rig, "B").await;
    let s = latest(&owner, &hub, "rolled_back").await;
    assert_eq!(s["history"][0]["version"], "3");
    assert_eq!(s["booted"], "B");
    let a = s["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["bootname"] == "A")
        .cloned();
    assert_eq!(
        a.map(|a| a["boot_status"].clone()),
        Some(Value::from("bad")),
        "{s}"
    );
}

#[tokio::test]
async fn a_hub_that_is_no_appliance_says_so() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let s = updates(&owner, &hub).await;
    assert_eq!(s["enabled"], false);
    assert!(s["hub_version"].as_str().is_some());
    let r = owner
        .post(hub.url("/api/v1/admin/updates/bundle"))
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let text = r.text().await.unwrap();
    assert!(text.contains("not an appliance"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_updates_from_the_system_section_in_chromium() {
    let mut rig = Rig::new().expect("the RAUC rig");
    let good = rig.bundle("2", "release").unwrap();
    let foreign = rig.bundle("2", "foreign").unwrap();
    assert_eq!(rig.boot().unwrap(), "A");
    let hub = start(&rig, &rig.path().join("hub-data"), "1");
    kept(&rig, "A").await;
    let (email, password) = hub.password_of("owner");
    let path = |p: &std::path::Path| p.display().to_string();
    crate::browser::run_script(
        "system-update.mjs",
        vec![hub.url(""), email, password, path(&foreign), path(&good)],
        "system update ok",
    )
    .await;
    assert!(
        rig.path().join("reboot").exists(),
        "the restart was asked for"
    );
}
