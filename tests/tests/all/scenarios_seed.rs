//! The owner's three example scenarios, driven through a week in Athens that contains the
//! autumn clock change (25 October 2026, 04:00 EEST → 03:00 EET), with a stay arriving by
//! an Airbnb-style iCal feed and one by the PMS webhook, cloud cover from a stand-in that
//! answers like Open-Meteo, and the commands checked on the emulated devices themselves.

use e2e::standins::{airbnb, Sky};
use e2e::world::{athens, World};
use serde_json::json;

use e2e::world::athens_time as local;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_scenarios_run_through_a_week_with_a_clock_change() {
    let mut w = World::new(athens(2026, 10, 22, 9, 0)).await;
    let lamp_a = w.tuya("Garden lamps", "switch", None).await;
    let lamp_b = w.tuya("Path lights", "switch", None).await;
    let heater = w
        .tuya("Room 102 water heater", "water_heater", Some("102"))
        .await;
    let r102 = w.rooms["102"];
    w.call(
        "PUT",
        "/admin/device-groups/Outside%20lights",
        &json!({"device_ids": [lamp_a, lamp_b]}),
    )
    .await;

    let sunset = w
        .scenario(
            "Outside lights before sunset",
            json!({"triggers": [{"type": "sun", "event": "sunset", "offset_minutes": -10}],
                "conditions": [{"type": "occupancy", "of": "any"}],
                "actions": [{"type": "device", "target": {"kind": "group", "name": "Outside lights"}, "set": {"on": true}}]}),
        )
        .await;
    let night = w
        .scenario(
            "Lights off at 01:00",
            json!({"triggers": [{"type": "time", "at": "01:00"}],
                "actions": [{"type": "device", "target": {"kind": "group", "name": "Outside lights"}, "set": {"on": false}}]}),
        )
        .await;
    let water = w
        .scenario(
            "Room 102 water while booked and cloudy",
            json!({"mode": "queued",
                "triggers": [{"type": "occupancy", "unit_id": r102},
                    {"type": "weather", "metric": "cloud_cover", "direction": "crosses", "threshold": 70}],
                "actions": [{"type": "if",
                    "conditions": [{"type": "unit_occupied", "unit_id": r102},
                        {"type": "weather", "metric": "cloud_cover", "op": "above", "threshold": 70}],
                    "then": [{"type": "device", "target": {"kind": "device", "device_id": heater}, "set": {"on": true}}],
                    "else": [{"type": "device", "target": {"kind": "device", "device_id": heater}, "set": {"on": false}}]}]}),
        )
        .await;
    // 03:30 happens twice in Athens on the 25th: it must run once.
    let check = w
        .scenario(
            "Night check 03:30",
            json!({"triggers": [{"type": "time", "at": "03:30"}],
                "actions": [{"type": "notify", "text": "Night check: doors and pool gate"}]}),
        )
        .await;

    // Room 101 is let on Airbnb: 23 → 26 October (check-in 15:00, check-out 11:00).
    w.feeds.set(
        "101",
        200,
        &airbnb(&[("a1@airbnb.com", "20261023", "20261026")]),
    );
    let report = w.follow_feed("101").await;
    assert_eq!(
        (report["added"].as_u64(), report["skipped"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    let secret = w.webhook_secret().await;

    // Thursday 22nd: nobody is staying, so sunset leaves the lights off.
    w.hub.walk_to(athens(2026, 10, 22, 20, 0)).await;
    assert!(!w.is_on(&lamp_a) && !w.is_on(&lamp_b));
    let runs = w.runs(sunset).await;
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "skipped");
    assert!(
        runs[0]["trace"].to_string().contains("0 of 2 occupied"),
        "{}",
        runs[0]["trace"]
    );

    // Friday 23rd: the Airbnb guest arrives at 15:00; 10 min before sunset the lights go on.
    w.hub.walk_to(athens(2026, 10, 23, 15, 1)).await;
    let occupancy = w.get("/occupancy").await;
    assert_eq!(occupancy["occupied"], 1, "{occupancy}");
    w.hub.walk_to(athens(2026, 10, 23, 18, 0)).await;
    assert!(!w.is_on(&lamp_a), "not yet: sunset is at about 18:37");
    w.hub.walk_to(athens(2026, 10, 23, 18, 40)).await;
    assert!(
        w.is_on(&lamp_a) && w.is_on(&lamp_b),
        "the outside lights are on before sunset"
    );
    let fired = w.started(sunset, 1).await;
    assert!(fired.starts_with("23 18:2"), "fired at {fired}");

    // Saturday 24th, 01:00: lights off.
    w.hub.walk_to(athens(2026, 10, 24, 0, 59)).await;
    assert!(w.is_on(&lamp_a));
    w.hub.walk_to(athens(2026, 10, 24, 1, 1)).await;
    assert!(
        !w.is_on(&lamp_a) && !w.is_on(&lamp_b),
        "lights off at 01:00"
    );

    // The PMS books room 102 (24 → 27) and checks the guest in early, at noon.
    w.hub.walk_to(athens(2026, 10, 24, 10, 0)).await;
    let (status, r) = w
        .pms(
            &secret,
            &json!({"reservation_id": "PMS-7781", "unit": "102", "status": "confirmed",
            "guest": {"name": "Jan Novak", "email": "jan@example.com"},
            "check_in": "2026-10-24", "check_out": "2026-10-27"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    w.hub.walk_to(athens(2026, 10, 24, 12, 0)).await;
    let (status, r) = w
        .pms(
            &secret,
            &json!({"reservation_id": "PMS-7781", "status": "checked_in"}),
        )
        .await;
    assert_eq!(
        (status, r["status"].as_str()),
        (200, Some("checked_in")),
        "{r}"
    );
    w.hub.walk_to(athens(2026, 10, 24, 12, 30)).await;
    assert!(!w.is_on(&heater), "occupied but sunny: no heating");
    assert!(w.runs(water).await.last().expect("a run")["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("became occupied"));

    // Clouds come in: the heater goes on within a forecast period (15 min); they clear: off.
    w.meteo.set(Sky {
        cloud_cover: 85.0,
        temperature: 16.0,
    });
    w.hub.walk_to(athens(2026, 10, 24, 12, 50)).await;
    assert!(w.is_on(&heater), "booked and cloudy: heating");
    w.meteo.set(Sky {
        cloud_cover: 30.0,
        temperature: 19.0,
    });
    w.hub.walk_to(athens(2026, 10, 24, 13, 10)).await;
    assert!(!w.is_on(&heater), "the sky cleared: no heating");

    // Sunset on the 24th, then 01:00 and 03:30 on the day the clocks go back.
    w.hub.walk_to(athens(2026, 10, 24, 18, 40)).await;
    assert!(w.is_on(&lamp_a));
    w.meteo.set(Sky {
        cloud_cover: 90.0,
        temperature: 14.0,
    });
    w.hub.walk_to(athens(2026, 10, 25, 1, 5)).await;
    assert!(!w.is_on(&lamp_a), "lights off at 01:00");
    assert!(w.is_on(&heater), "clouds again at night, guest in: heating");
    // Walk across the repeated hour (03:00–04:00 happens twice) to mid-morning.
    w.hub.walk_to(athens(2026, 10, 25, 10, 0)).await;
    let checks = w.runs(check).await;
    let on_25: Vec<String> = checks
        .iter()
        .map(|r| local(r["started_at"].as_str().unwrap_or_default()))
        .filter(|t| t.starts_with("25 "))
        .collect();
    assert_eq!(
        on_25,
        ["25 03:30 EEST"],
        "03:30 runs once on the clock-change day"
    );

    // The Airbnb stay is extended by a day (same UID); a second stay appears, then is
    // withdrawn (its event vanishes): cancelled.
    w.feeds.set(
        "101",
        200,
        &airbnb(&[
            ("a1@airbnb.com", "20261023", "20261027"),
            ("b2@airbnb.com", "20261029", "20261031"),
        ]),
    );
    let report = w.refresh_feed("101").await;
    assert_eq!(
        (report["moved"].as_u64(), report["added"].as_u64()),
        (Some(1), Some(1)),
        "{report}"
    );
    w.feeds.set(
        "101",
        200,
        &airbnb(&[("a1@airbnb.com", "20261023", "20261027")]),
    );
    // Missing once is kept (Airbnb sometimes answers short); missing twice is cancelled.
    let report = w.refresh_feed("101").await;
    assert_eq!(report["cancelled"].as_u64(), Some(0), "{report}");
    let report = w.refresh_feed("101").await;
    assert_eq!(report["cancelled"].as_u64(), Some(1), "{report}");

    // Sunset on the 25th is an hour earlier by the clock (EET).
    w.hub.walk_to(athens(2026, 10, 25, 17, 40)).await;
    assert!(w.is_on(&lamp_a), "lights on before the (earlier) sunset");
    let fired = w.started(sunset, -1).await;
    assert!(fired.starts_with("25 17:2"), "fired at {fired}");

    // Monday 26th: the PMS checks 102 out at 10:30, still cloudy: the heater stops.
    w.hub.walk_to(athens(2026, 10, 26, 10, 30)).await;
    assert!(w.is_on(&heater));
    let (status, _) = w
        .pms(
            &secret,
            &json!({"reservation_id": "PMS-7781", "status": "checked_out"}),
        )
        .await;
    assert_eq!(status, 200);
    w.hub.walk_to(athens(2026, 10, 26, 10, 35)).await;
    assert!(!w.is_on(&heater), "checked out: no heating");
    // 101 stays (extended) until the 27th at 11:00.
    w.hub.walk_to(athens(2026, 10, 26, 18, 0)).await;
    assert!(w.is_on(&lamp_a), "101 still occupied on the 26th");
    w.hub.walk_to(athens(2026, 10, 27, 11, 5)).await;
    assert_eq!(w.get("/occupancy").await["occupied"], 0);
    w.hub.walk_to(athens(2026, 10, 28, 12, 0)).await;

    // The history, run by run: nothing missed, nothing doubled.
    let statuses = |runs: &[serde_json::Value]| {
        runs.iter()
            .map(|r| {
                format!(
                    "{} {}",
                    local(r["started_at"].as_str().unwrap_or_default()),
                    r["status"].as_str().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
    };
    let s = statuses(&w.runs(sunset).await);
    assert_eq!(s.len(), 6, "one sunset a day, 22nd to 27th: {s:?}");
    let done: Vec<_> = s.iter().filter(|r| r.ends_with("done")).collect();
    assert_eq!(done.len(), 4, "occupied 23rd–26th: {s:?}");
    assert!(
        s[0].ends_with("skipped") && s[5].ends_with("skipped"),
        "{s:?}"
    );
    let n = statuses(&w.runs(night).await);
    assert_eq!(n.len(), 6, "01:00 on the 23rd to the 28th: {n:?}");
    assert!(
        n.iter()
            .all(|r| r.contains(" 01:00 ") && r.ends_with("done")),
        "{n:?}"
    );
    let c = statuses(&w.runs(check).await);
    assert_eq!(c.len(), 6, "03:30 on the 23rd to the 28th: {c:?}");
    // Every run of the water scenario left a trace that says why, naming the device.
    for r in w.runs(water).await {
        let trace = r["trace"].as_array().cloned().unwrap_or_default();
        assert!(trace.iter().any(|s| s["kind"] == "condition"), "{r}");
        assert!(
            trace.iter().any(|s| s["kind"] == "action"
                && s["what"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("\"Room 102 water heater\": turn")),
            "{r}"
        );
    }
    assert!(
        w.meteo.requests() > 400,
        "the forecast was refreshed every 15 minutes: {}",
        w.meteo.requests()
    );
    w.hub.stop().await;
}
