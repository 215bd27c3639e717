//! SCN-5 across restarts: a run waiting on a delay when the hub stops resumes once; a
//! scheduled time that passed while the hub was off runs once within the catch-up
//! window, is recorded as skipped beyond it, and nothing runs twice after more restarts.

use e2e::world::{athens, World};
use serde_json::json;

async fn statuses(w: &World, scenario: i64) -> Vec<String> {
    w.runs(scenario)
        .await
        .iter()
        .map(|r| {
            format!(
                "{} | {}",
                r["status"].as_str().unwrap_or_default(),
                r["reason"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarts_neither_lose_nor_double_runs() {
    let mut w = World::new(athens(2026, 10, 20, 9, 50)).await;
    let lamp = w.tuya("Lobby lamp", "switch", None).await;
    let sign = w.tuya("Sign", "switch", None).await;
    let pulse = w
        .scenario(
            "Lobby lamp for half an hour",
            json!({"triggers": [{"type": "time", "at": "10:00"}],
                "actions": [
                    {"type": "device", "target": {"kind": "device", "device_id": lamp}, "set": {"on": true}},
                    {"type": "delay", "seconds": 1800},
                    {"type": "device", "target": {"kind": "device", "device_id": lamp}, "set": {"on": false}}]}),
        )
        .await;
    let noon = w
        .scenario(
            "Sign on at noon",
            json!({"triggers": [{"type": "time", "at": "12:00"}],
                "actions": [{"type": "device", "target": {"kind": "device", "device_id": sign}, "set": {"on": true}}]}),
        )
        .await;

    // 10:00: the lamp goes on and the run waits on its delay; the hub stops at 10:10.
    w.hub.walk_to(athens(2026, 10, 20, 10, 10)).await;
    assert!(w.is_on(&lamp));
    assert_eq!(w.runs(pulse).await[0]["status"], "waiting");
    w.hub.stop().await;

    // Back at 12:20: the delay (due 10:30) and noon (12:00) both passed while off.
    w.hub.time.set(athens(2026, 10, 20, 12, 20));
    w.hub.restart().await.expect("the hub starts again");
    w.hub.settle().await;
    assert!(!w.is_on(&lamp), "the delayed half of the run happened");
    assert!(w.is_on(&sign), "noon was caught up");
    let p = statuses(&w, pulse).await;
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("done"), "{p:?}");
    let trace = w.runs(pulse).await[0]["trace"].to_string();
    assert!(trace.contains("resumed"), "{trace}");
    let n = statuses(&w, noon).await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(
        n[0].starts_with("done") && n[0].contains("caught up 20 min late"),
        "{n:?}"
    );

    // Another restart: nothing runs again.
    w.hub.restart().await.expect("the hub starts again");
    w.hub.walk_to(athens(2026, 10, 20, 12, 30)).await;
    assert_eq!(statuses(&w, pulse).await.len(), 1);
    assert_eq!(statuses(&w, noon).await.len(), 1);

    // Off overnight until 11:30 the next day: 10:00 was missed by 90 min, more than the
    // 60-minute window: recorded, not run. Noon runs on time.
    w.call_device_off(&sign).await;
    w.hub.stop().await;
    w.hub.time.set(athens(2026, 10, 21, 11, 30));
    w.hub.restart().await.expect("the hub starts again");
    w.hub.settle().await;
    assert!(
        !w.is_on(&lamp),
        "a run too late to be useful did not happen"
    );
    let p = statuses(&w, pulse).await;
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(
        p[1].starts_with("skipped") && p[1].contains("missed by 90 min"),
        "{p:?}"
    );
    w.hub.walk_to(athens(2026, 10, 21, 12, 1)).await;
    assert!(
        w.is_on(&sign),
        "{:?} {}",
        w.runs(noon).await,
        w.get("/admin/scenarios").await
    );
    assert_eq!(statuses(&w, noon).await.len(), 2);

    // Day three: a restart while the delay is still pending (not yet due).
    w.hub.walk_to(athens(2026, 10, 22, 10, 1)).await;
    assert!(w.is_on(&lamp));
    w.hub.stop().await;
    w.hub.time.set(athens(2026, 10, 22, 10, 15));
    w.hub.restart().await.expect("the hub starts again");
    w.hub.walk_to(athens(2026, 10, 22, 10, 29)).await;
    assert!(w.is_on(&lamp), "not before its time");
    w.hub.walk_to(athens(2026, 10, 22, 10, 31)).await;
    assert!(!w.is_on(&lamp));
    let p = statuses(&w, pulse).await;
    assert_eq!(p.len(), 3, "{p:?}");
    assert!(p[2].starts_with("done"), "{p:?}");
    w.hub.stop().await;
}
