//! The forecast when Open-Meteo cannot be reached: the last one is kept and served with
//! its age and the reason; scenarios stop trusting it after three hours.

use e2e::standins::Sky;
use e2e::world::{athens, World};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_forecast_is_served_stale_with_its_age() {
    let mut w = World::new(athens(2026, 10, 20, 9, 0)).await;
    w.meteo.set(Sky {
        cloud_cover: 88.0,
        temperature: 15.5,
    });
    w.hub.walk_to(athens(2026, 10, 20, 9, 20)).await;
    let fresh = w.get("/weather").await;
    assert_eq!(fresh["stale"], false, "{fresh}");
    assert_eq!(fresh["forecast"]["current"]["cloud_cover"], 88.0);
    assert_eq!(
        fresh["forecast"]["hourly"].as_array().map(Vec::len),
        Some(72)
    );
    assert_eq!(fresh["forecast"]["daily"][0]["date"], "2026-10-20");
    let sun = w.get("/sun?date=2026-10-20").await;
    assert!(
        sun["sunset"]
            .as_str()
            .is_some_and(|s| s.starts_with("2026-10-20T18:")),
        "{sun}"
    );

    let lamp = w.tuya("Hall lamp", "switch", None).await;
    let cloudy = w
        .scenario("Lamp on when cloudy", json!({"triggers": [{"type": "manual"}],
            "conditions": [{"type": "weather", "metric": "cloud_cover", "op": "above", "threshold": 70}],
            "actions": [{"type": "device", "target": {"kind": "device", "device_id": lamp}, "set": {"on": true}}]}))
        .await;

    // The service goes down; four hours later the hub still serves what it had.
    w.meteo.go_down(true);
    w.hub.walk_to(athens(2026, 10, 20, 13, 20)).await;
    let stale = w.get("/weather").await;
    assert_eq!(stale["stale"], true, "{stale}");
    assert!(
        stale["age_seconds"]
            .as_i64()
            .is_some_and(|a| (4 * 3600 - 1200..=4 * 3600 + 1200).contains(&a)),
        "{stale}"
    );
    assert!(
        stale["error"].as_str().unwrap_or_default().contains("503"),
        "{stale}"
    );
    assert_eq!(
        stale["forecast"]["current"]["cloud_cover"], 88.0,
        "the old forecast is kept"
    );
    // …and the forecast hour stands in for "now": still cloudy by the forecast.
    w.run_now(cloudy).await;
    let run = &w.runs(cloudy).await[0];
    assert!(run["trace"].to_string().contains("it is 88"), "{run}");
    assert!(w.is_on(&lamp));

    // A day later nothing is trusted: the condition is false, and says why.
    w.hub.walk_to(athens(2026, 10, 21, 13, 30)).await;
    w.call_device_off(&lamp).await;
    w.run_now(cloudy).await;
    let run = &w.runs(cloudy).await[1];
    assert_eq!(run["status"], "skipped", "{run}");
    assert!(
        run["trace"]
            .to_string()
            .contains("unknown (no recent forecast)"),
        "{run}"
    );
    assert!(!w.is_on(&lamp));

    // Back online: fresh again within a refresh period.
    w.meteo.go_down(false);
    w.hub.walk_to(athens(2026, 10, 21, 13, 50)).await;
    let back = w.get("/weather").await;
    assert_eq!(
        (back["stale"].as_bool(), back["error"].is_null()),
        (Some(false), true),
        "{back}"
    );
    w.hub_stop().await;
}
