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

/// Field case openmeteo-13: Open-Meteo's 429 when a daily limit is hit. The last forecast
/// is kept and served with its age and this reason; a unit's guest page still shows it
/// with its age, and its places and chat, while the service refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_limit_keeps_the_last_forecast_on_the_api_and_the_guest_page() {
    let w = World::new(athens(2026, 10, 20, 9, 0)).await;
    w.meteo.set(Sky {
        cloud_cover: 10.0,
        temperature: 23.0,
    });
    w.hub.walk_to(athens(2026, 10, 20, 9, 20)).await;
    assert_eq!(w.get("/weather").await["stale"], false);
    let room = w.call("POST", "/admin/rooms", &json!({"name": "12"})).await;
    w.call(
        "POST",
        "/admin/reception/places",
        &json!({"category": "pharmacy", "name": {"text": "Pharmacy Syntagma"}}),
    )
    .await;
    let pages = w.get("/admin/reception/pages").await;
    let path = pages
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["room_id"] == room["id"])
        .and_then(|p| p["path"].as_str())
        .expect("room 12 has a page")
        .to_owned();

    let body = std::fs::read_to_string(
        e2e::workspace().join("tests/field-cases/openmeteo-13-daily-limit-429.json"),
    )
    .unwrap();
    w.meteo.refuse(Some((429, &body)));
    w.hub.walk_to(athens(2026, 10, 20, 14, 20)).await;
    let stale = w.get("/weather").await;
    assert_eq!(stale["stale"], true, "{stale}");
    assert!(
        stale["error"]
            .as_str()
            .is_some_and(|e| e.contains("Daily API request limit exceeded")),
        "the reason Open-Meteo gave: {stale}"
    );
    assert_eq!(stale["forecast"]["current"]["temperature"], 23.0, "kept");

    let html = e2e::client()
        .get(format!("{}{path}", w.hub.url))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("23°"), "the last forecast: {html}");
    assert!(html.contains("updated 5 h ago"), "its age");
    assert!(
        html.contains("We could not get a newer forecast"),
        "and that it is old"
    );
    assert!(html.contains("Pharmacy Syntagma"), "the directory");
    assert!(html.contains("/widget.js"), "the chat");
}

/// GUEST-2: a car's guest asks for the weather where they are. The hub fetches it for the
/// position rounded to 0.1° (neighbours share one fetch, the exact position never leaves
/// the hub), keeps it, falls back to the hotel's weather with a word when the service is
/// down, refuses what is not a position, and limits how often one address asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_gets_the_weather_where_they_are_once_per_rounded_position() {
    let w = World::new(athens(2026, 10, 20, 9, 0)).await;
    w.meteo.set(Sky {
        cloud_cover: 10.0,
        temperature: 23.0,
    });
    w.meteo.set_at(
        40.6,
        22.9,
        Sky {
            cloud_cover: 95.0,
            temperature: 7.4,
        },
    );
    w.hub.walk_to(athens(2026, 10, 20, 9, 20)).await;
    let pages = w.get("/admin/reception/pages").await;
    let path = pages[0]["path"].as_str().unwrap().to_owned();
    let guest = e2e::client();
    let ask = |lat: &str, lon: &str, lang: &str| {
        let url = format!(
            "{}{path}/weather?lat={lat}&lon={lon}&lang={lang}",
            w.hub.url
        );
        let guest = guest.clone();
        async move {
            let r = guest.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    assert_eq!(
        ask("40.6401", "22.9444", "en").await.0,
        404,
        "off by default"
    );
    let mut design = w.get("/admin/reception/design").await;
    design["weather_by_position"] = json!(true);
    w.call("PUT", "/admin/reception/design", &design).await;
    let page = guest
        .get(format!("{}{path}", w.hub.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"weather-here\"") && page.contains("/guest/weather-here.js"));

    let before = w.meteo.requests();
    let (status, html) = ask("40.6401", "22.9444", "ru").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Погода там, где вы") && html.contains("7°"),
        "{html}"
    );
    assert_eq!(
        w.meteo.asked().last(),
        Some(&(40.6, 22.9)),
        "only the rounded position"
    );
    assert_eq!(w.meteo.requests(), before + 1);
    let (_, near) = ask("40.58", "22.92", "en").await;
    assert!(
        near.contains("Weather where you are") && near.contains("7°"),
        "{near}"
    );
    assert_eq!(
        w.meteo.requests(),
        before + 1,
        "a neighbour shares the fetch"
    );

    // The service goes down: a new position gets the hotel's weather, said to be so; the
    // kept one still answers, older.
    w.meteo.go_down(true);
    w.hub.walk_to(athens(2026, 10, 20, 11, 0)).await;
    let (status, volos) = ask("39.36", "22.94", "en").await;
    assert_eq!(status, 200);
    assert!(
        volos.contains("cannot be fetched now") && volos.contains("23°"),
        "{volos}"
    );
    let (_, kept) = ask("40.6401", "22.9444", "en").await;
    assert!(kept.contains("7°"), "{kept}");

    let (status, bad) = ask("95", "22.9", "en").await;
    assert_eq!(status, 400);
    assert!(bad.contains("did not share"), "{bad}");
    assert_eq!(ask("NaN", "22.9", "en").await.0, 400);

    // One address asking again and again is stopped within the limit (20 in 10 minutes).
    let mut refused = None;
    for n in 0..25 {
        let (status, text) = ask("40.6", "22.9", "en").await;
        if status == 429 {
            refused = Some((n, text));
            break;
        }
    }
    let (n, text) = refused.expect("refused within 25 asks");
    assert!(n < 20 && text.contains("Too many"), "{n}: {text}");
    w.hub_stop().await;
}
