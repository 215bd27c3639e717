//! `hub demo`'s plan: a property to try everything with — Seaview Guest House in Lisbon,
//! its rooms, a few chat shortcuts, an owner and an agent with one-time passwords printed
//! once, a guest in 102 and three example scenarios, all made through the services; its
//! emulated devices on loopback, a loopback forecast and its guest page (`reception.rs`).
//! Run again, it leaves the existing data alone.

mod devices;
mod reception;

use anyhow::Context;

use crate::bookings::{Bookings, RoomKind, Status, Stay};
use crate::broker::Credentials;
use crate::chat::Chat;
use crate::clock::Clock;
use crate::config::WeatherConfig;
use crate::devices::{Devices, DiscoveryScope};
use crate::plan::{Account, Plan};
use crate::reception::Reception;
use crate::scenarios::Scenarios;
use crate::secret;
use crate::team::{PropertySettings, Role, SeedMember, Team, Weekday, WorkingDay};
use devices::{settle_devices, start_devices, start_mqtt_devices, DemoDevices};

/// The demo, as a plan for `app::start`; holds its emulated devices while the hub runs.
#[derive(Default)]
pub struct Demo {
    devices: Option<DemoDevices>,
}

impl Plan for Demo {
    async fn seed(
        &mut self,
        team: &Team,
        bookings: &Bookings,
        chat: &Chat,
    ) -> anyhow::Result<Option<Vec<Account>>> {
        seed(team, bookings, chat).await
    }

    async fn devices(&mut self, scope: &mut DiscoveryScope) -> anyhow::Result<()> {
        let demo = start_devices()
            .await
            .context("cannot start the demo's emulated devices")?;
        // Discovery probes the emulators by unicast on loopback, never the LAN.
        scope.lan = None;
        scope.interfaces.clear();
        for (brand, addr) in &demo.probes {
            scope
                .unicast
                .entry((*brand).into())
                .or_default()
                .push(*addr);
        }
        scope.duration = std::time::Duration::from_secs(2);
        self.devices = Some(demo);
        Ok(())
    }

    async fn devices_up(&mut self, devices: &Devices, bookings: &Bookings) -> anyhow::Result<()> {
        match self.devices.as_ref() {
            Some(demo) => settle_devices(demo, devices, bookings)
                .await
                .context("the demo's devices could not join"),
            None => Ok(()),
        }
    }

    async fn broker_up(
        &mut self,
        addr: std::net::SocketAddr,
        credentials: &Credentials,
    ) -> anyhow::Result<()> {
        match self.devices.as_mut() {
            Some(demo) => start_mqtt_devices(demo, addr, credentials)
                .await
                .context("cannot start the demo's MQTT devices"),
            None => Ok(()),
        }
    }

    async fn weather(
        &mut self,
        config: &mut WeatherConfig,
    ) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
        // The demo's forecast comes from loopback unless an address was configured.
        if config.base_url != WeatherConfig::default().base_url {
            return Ok(Vec::new());
        }
        let (url, task) = start_forecast()
            .await
            .context("cannot start the demo's forecast")?;
        config.base_url = url;
        Ok(vec![task])
    }

    async fn reception_up(&mut self, reception: &Reception) -> anyhow::Result<()> {
        reception::furnish(reception)
            .await
            .context("cannot make the demo's guest page")
    }

    async fn started(
        &mut self,
        scenarios: &Scenarios,
        bookings: &Bookings,
        devices: &Devices,
        clock: &Clock,
    ) -> anyhow::Result<()> {
        seed_scenarios(scenarios, bookings, devices, clock)
            .await
            .context("cannot make the demo's scenarios")?;
        group_outside_lights(devices.clone(), scenarios.clone());
        Ok(())
    }
}

const ROOMS: &[&str] = &["101", "102", "103", "201", "202", "Garden Villa"];

/// Canned answers for the Team Messenger (type `/` and the code).
const SHORTCUTS: &[(&str, &str)] = &[
    (
        "breakfast",
        "Breakfast is served from 7:30 to 10:30 in the garden room.",
    ),
    (
        "checkout",
        "Check-out is until 11:00; we are happy to keep your luggage after that.",
    ),
    (
        "parking",
        "Parking is free for guests, in front of the house.",
    ),
    (
        "taxi",
        "We can call you a taxi: tell us the time and where you are going.",
    ),
];

/// Creates the demo property unless an owner exists; returns the new accounts.
async fn seed(
    team: &Team,
    bookings: &Bookings,
    chat: &Chat,
) -> anyhow::Result<Option<Vec<Account>>> {
    if team.owner_exists().await? {
        return Ok(None);
    }
    let owner_pw = secret::new_password();
    let agent_pw = secret::new_password();
    team.property()
        .save(PropertySettings {
            name: "Seaview Guest House".into(),
            logo_url: String::new(),
            time_zone: "Europe/Lisbon".into(),
            latitude: Some(38.7139),
            longitude: Some(-9.1334),
            working_hours: [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ]
            .into_iter()
            .map(|day| WorkingDay {
                day,
                open: "08:00".into(),
                close: "22:00".into(),
            })
            .collect(),
            out_of_hours_text: "Reception is closed now. Leave a message and we answer from 8:00."
                .into(),
            out_of_hours_texts: [
                (
                    "pt",
                    "A receção está fechada. Deixe uma mensagem e respondemos a partir das 8:00.",
                ),
                (
                    "ru",
                    "Ресепшен сейчас закрыт. Оставьте сообщение, мы ответим с 8:00.",
                ),
            ]
            .map(|(tag, text)| (tag.to_owned(), text.to_owned()))
            .into(),
            unanswered_alert_minutes: 5,
            languages: vec!["en".into(), "pt".into(), "ru".into()],
        })
        .await?;
    let existing: Vec<String> = bookings
        .rooms()
        .await?
        .into_iter()
        .map(|r| r.name)
        .collect();
    for room in ROOMS.iter().filter(|r| !existing.iter().any(|e| e == *r)) {
        let kind = if room.contains("Villa") {
            RoomKind::Villa
        } else {
            RoomKind::Room
        };
        bookings.add_room(room, kind).await?;
    }
    let codes: Vec<String> = chat
        .shortcuts()
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect();
    for (code, body) in SHORTCUTS
        .iter()
        .filter(|(c, _)| !codes.iter().any(|e| e == c))
    {
        chat.create_shortcut(code, body).await?;
    }
    // Last: while no owner exists, a start after a crash seeds again.
    team.seed_members(vec![
        SeedMember {
            email: "owner@demo.hotel",
            name: "Olivia Owner",
            nickname: "Olivia",
            role: Role::Owner,
            password: owner_pw.clone(),
        },
        SeedMember {
            email: "agent@demo.hotel",
            name: "Andre Agent",
            nickname: "Andre",
            role: Role::Agent,
            password: agent_pw.clone(),
        },
    ])
    .await?;
    Ok(Some(vec![
        Account {
            role: Role::Owner,
            email: "owner@demo.hotel",
            password: owner_pw,
        },
        Account {
            role: Role::Agent,
            email: "agent@demo.hotel",
            password: agent_pw,
        },
    ]))
}

/// The demo's forecast: an Open-Meteo-shaped answer on loopback (the demo never calls
/// the internet), with clouds that come and go through the day.
async fn start_forecast() -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    use axum::extract::Query;
    async fn forecast(
        Query(q): Query<std::collections::HashMap<String, String>>,
    ) -> axum::Json<serde_json::Value> {
        let now = chrono::Utc::now().timestamp();
        let hour0 = now - now.rem_euclid(3600);
        let cloud = |t: i64| ((t / 3600) % 24 * 37 % 100) as f64;
        let temp = |t: i64| 14.0 + ((t / 3600) % 24) as f64 * 0.4;
        let hours: Vec<i64> = (0..72).map(|h| hour0 + h * 3600).collect();
        let days: Vec<i64> = (0..3)
            .map(|d| hour0 - hour0.rem_euclid(86_400) + d * 86_400)
            .collect();
        axum::Json(serde_json::json!({
            "latitude": q.get("latitude").and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0),
            "longitude": q.get("longitude").and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0),
            "utc_offset_seconds": 0,
            "timezone": q.get("timezone").cloned().unwrap_or_default(),
            "current": {"time": now - now.rem_euclid(900), "interval": 900,
                "temperature_2m": temp(now), "cloud_cover": cloud(now), "weather_code": 2},
            "hourly": {"time": hours, "temperature_2m": hours.iter().map(|t| temp(*t)).collect::<Vec<_>>(),
                "cloud_cover": hours.iter().map(|t| cloud(*t)).collect::<Vec<_>>(),
                "weather_code": hours.iter().map(|_| 2).collect::<Vec<_>>()},
            "daily": {"time": days, "weather_code": [2, 3, 1],
                "temperature_2m_max": [22.0, 21.0, 23.0], "temperature_2m_min": [13.0, 12.5, 14.0]}
        }))
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = axum::Router::new().route("/v1/forecast", axum::routing::get(forecast));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((url, task))
}

/// The owner's three example scenarios (issue seed) and a guest in room 102 from
/// yesterday, for a demo without scenarios yet.
async fn seed_scenarios(
    scenarios: &Scenarios,
    bookings: &Bookings,
    devices: &Devices,
    clock: &Clock,
) -> anyhow::Result<()> {
    if !scenarios.list().await?.is_empty() {
        return Ok(());
    }
    let heater = devices
        .list()
        .await?
        .into_iter()
        .find(|d| d.row.native_id == devices::HEATER)
        .map(|d| d.row.id)
        .unwrap_or_default();
    let today = clock.now().date_naive();
    let r102 = bookings
        .rooms()
        .await?
        .into_iter()
        .find(|r| r.name == "102")
        .ok_or_else(|| anyhow::anyhow!("the demo has no room 102"))?
        .id;
    bookings
        .add(
            r102,
            Stay {
                guest_name: "Maria Papadopoulou".into(),
                email: "maria@example.com".into(),
                check_in: Some(today - chrono::Duration::days(1)),
                check_out: Some(today + chrono::Duration::days(3)),
                ..Default::default()
            },
            Status::CheckedIn,
            false,
        )
        .await?;
    let seeds = [
        (
            "Outside lights 10 min before sunset",
            serde_json::json!({
                "triggers": [{"type": "sun", "event": "sunset", "offset_minutes": -10}],
                "conditions": [{"type": "occupancy", "of": "any"}],
                "actions": [{"type": "device", "target": {"kind": "group", "name": "Outside lights"}, "set": {"on": true}}]
            }),
        ),
        (
            "Lights off at 01:00",
            serde_json::json!({
                "triggers": [{"type": "time", "at": "01:00"}],
                "actions": [{"type": "device", "target": {"kind": "group", "name": "Outside lights"}, "set": {"on": false}}]
            }),
        ),
        (
            "Room 102 water: on while booked and cloudy",
            serde_json::json!({
                "mode": "queued",
                "triggers": [
                    {"type": "occupancy", "unit_id": r102},
                    {"type": "weather", "metric": "cloud_cover", "direction": "crosses", "threshold": 70}
                ],
                "actions": [{"type": "if",
                    "conditions": [{"type": "unit_occupied", "unit_id": r102},
                                   {"type": "weather", "metric": "cloud_cover", "op": "above", "threshold": 70}],
                    "then": [{"type": "device", "target": {"kind": "device", "device_id": heater}, "set": {"on": true}}],
                    "else": [{"type": "device", "target": {"kind": "device", "device_id": heater}, "set": {"on": false}}]}]
            }),
        ),
    ];
    for (name, definition) in seeds {
        let definition = serde_json::from_value(definition)?;
        scenarios.save(None, name, true, definition).await?;
    }
    Ok(())
}

/// Puts the demo's Zigbee2MQTT terrace bulb in the "Outside lights" group once it has
/// joined (it announces itself on the broker shortly after start).
fn group_outside_lights(devices: crate::devices::Devices, scenarios: Scenarios) {
    tokio::spawn(async move {
        let mut events = devices.subscribe();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let found = devices
                .list()
                .await
                .unwrap_or_default()
                .into_iter()
                .find(|d| d.row.native_id == "terrace_bulb");
            if let Some(d) = found {
                let grouped = scenarios
                    .groups()
                    .await
                    .map(|g| g.iter().any(|g| g.name == "Outside lights"));
                if let Ok(false) = grouped {
                    if let Err(e) = scenarios.set_group("Outside lights", vec![d.row.id]).await {
                        tracing::warn!(error = %e, "The demo's outside lights were not grouped.");
                    }
                }
                return;
            }
            // Joining is a device event: wait for the next one rather than poll.
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) | Err(_) => return,
            }
        }
    });
}
