//! `hub demo`'s plan: a property to try everything with — Seaview Guest House in Lisbon,
//! its rooms, a few chat shortcuts, an owner and an agent with one-time passwords printed
//! once, a guest in 102 and three example scenarios, all made through the services; its
//! emulated devices on loopback and a loopback forecast. Run again, it leaves the existing
//! data alone.

use anyhow::Context;

use crate::bookings::{Bookings, RoomKind, Status, Stay};
use crate::broker::Credentials;
use crate::chat::Chat;
use crate::clock::Clock;
use crate::config::WeatherConfig;
use crate::devices::{Devices, DiscoveryScope};
use crate::plan::{Account, Plan};
use crate::scenarios::Scenarios;
use crate::secret;
use crate::store::Store;
use crate::team::{PropertySettings, Role, SeedMember, Team, Weekday, WorkingDay};

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

    async fn devices(
        &mut self,
        store: &Store,
        clock: &Clock,
        vault: &crate::devices::vault::Vault,
        scope: &mut DiscoveryScope,
    ) -> anyhow::Result<()> {
        let demo = start_devices(store, clock, vault)
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

    async fn started(
        &mut self,
        scenarios: &Scenarios,
        bookings: &Bookings,
        devices: &Devices,
        clock: &Clock,
    ) -> anyhow::Result<()> {
        seed_scenarios(scenarios, bookings, clock)
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
            unanswered_alert_minutes: 5,
            languages: vec!["en".into(), "pt".into()],
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

/// The demo's emulated Tuya devices, on loopback: `(native id, local key, version, kind,
/// name, data points)`. The thermostat is imported from the start; the others wait in
/// "discover".
const DEMO_TUYA: &[(&str, &str, &str, &str, &str, &str)] = &[
    (
        "bfdemo102thermostat01",
        "demokey102thermo",
        "3.5",
        "thermostat",
        "Room 102 heating",
        r#"{"1":true,"2":42,"3":40}"#,
    ),
    (
        "bfdemolobbylamp000001",
        "demokeylobbylamp",
        "3.3",
        "light",
        "Lobby lamp",
        r#"{"20":false,"22":500}"#,
    ),
    (
        "bfdemo101plug00000001",
        "demokey101plug00",
        "3.4",
        "switch",
        "Room 101 kettle plug",
        r#"{"1":false,"19":0}"#,
    ),
];

/// The demo's emulated miIO lamp: `(device id, token, model, properties)`.
const DEMO_MIIO: (u32, &str, &str, &str) = (
    318001,
    "5a1c0ffee0ddba11feedfacecafebeef",
    "yeelink.light.lamp1",
    r#"{"power":"off","bright":60}"#,
);

/// The demo's emulated eWeLink (Sonoff) plug in LAN mode: `(device id, devicekey)`. It is
/// imported from the start: eWeLink devices are found by mDNS, which the demo keeps off.
const DEMO_EWELINK: (&str, &str) = ("1000d3m0a1", "5f0e4c3a-demo-4b1d-9c2e-0a1b2c3d4e5f");

/// The demo's SmartThings account, served on loopback in place of the cloud API.
const DEMO_SMARTTHINGS_TOKEN: &str = "demo-smartthings-token";

/// The demo's emulated devices while the hub runs, and where discovery finds them.
struct DemoDevices {
    mqtt: Option<device_drivers::emulator::mqtt::RunningMqtt>,
    _smartthings: device_drivers::emulator::smartthings::RunningSmartThings,
    _tuya: Vec<device_drivers::emulator::tuya::RunningTuya>,
    _miio: device_drivers::emulator::miio::RunningMiio,
    _ewelink: device_drivers::emulator::ewelink::RunningEwelink,
    /// Unicast discovery targets per brand.
    pub probes: Vec<(&'static str, std::net::SocketAddr)>,
}

/// Starts the emulated devices on loopback (new ports each start), grants their keys,
/// points stored demo devices at the new ports, and imports the thermostat if the demo
/// is new.
async fn start_devices(
    store: &Store,
    clock: &Clock,
    vault: &crate::devices::vault::Vault,
) -> anyhow::Result<DemoDevices> {
    use device_drivers::emulator::{miio, tuya};
    use device_drivers::tuya::{crypto, Version};
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut running = Vec::new();
    let mut probes = Vec::new();
    let mut tuya_keys = serde_json::Map::new();
    // (brand, native id, address) to re-point stored devices at.
    let mut addresses = Vec::new();
    for (id, key, version, _, _, dps) in DEMO_TUYA {
        let mut device = tuya::TuyaDevice::new(
            id,
            crypto::parse_local_key(key)?,
            Version::parse(version).unwrap_or(Version::V33),
            serde_json::from_str(dps)?,
        );
        device.probe_listen = Some(loopback);
        let r = tuya::start(device).await?;
        probes.extend(r.probe_addr.map(|a| ("tuya", a)));
        addresses.push(("tuya", id.to_string(), r.addr.to_string()));
        tuya_keys.insert(id.to_string(), serde_json::Value::from(*key));
        running.push(r);
    }
    let (did, token, model, props) = DEMO_MIIO;
    let lamp = miio::start(miio::MiioDevice {
        device_id: did,
        token: device_drivers::miio::packet::parse_token(token)?,
        model: model.into(),
        props: serde_json::from_str(props)?,
        listen: loopback,
    })
    .await?;
    probes.push(("miio", lamp.addr));
    addresses.push(("miio", did.to_string(), lamp.addr.to_string()));
    let (sonoff_id, sonoff_key) = DEMO_EWELINK;
    let sonoff = device_drivers::emulator::ewelink::start(
        device_drivers::emulator::ewelink::EwelinkDevice {
            device_id: sonoff_id.into(),
            devicekey: Some(sonoff_key.into()),
            device_type: "plug".into(),
            state: serde_json::from_str(r#"{"switch":"off","startup":"off","rssi":-55}"#)?,
            listen: loopback,
            announce: None,
        },
    )
    .await?;
    addresses.push(("ewelink", sonoff_id.to_string(), sonoff.addr.to_string()));
    let smartthings = device_drivers::emulator::smartthings::start(
        loopback,
        DEMO_SMARTTHINGS_TOKEN,
        [
            (
                "7c1d5a52-0d3e-4e53-9c11-demo00000001",
                "Garden lights",
                true,
            ),
            ("7c1d5a52-0d3e-4e53-9c11-demo00000002", "Pool pump", false),
        ]
        .into_iter()
        .map(|(id, label, dimmable)| {
            let device = device_drivers::emulator::smartthings::StDevice {
                label: label.into(),
                dimmable,
                on: false,
                level: 60,
            };
            (id.to_owned(), device)
        })
        .collect(),
    )
    .await?;
    // The account's address changes with every start: the grant follows it.
    let smartthings_grant = vault.seal(
        &serde_json::json!({ "token": DEMO_SMARTTHINGS_TOKEN, "base_url": smartthings.base_url })
            .to_string(),
    );
    let smartthings_url = smartthings.base_url.clone();
    let sonoff_secret = vault.seal(sonoff_key);
    let sonoff_address = sonoff.addr.to_string();

    let grants = [
        (
            "tuya",
            vault.seal(&serde_json::json!({ "keys": tuya_keys }).to_string()),
        ),
        (
            "miio",
            vault.seal(&serde_json::json!({ "keys": { did.to_string(): token } }).to_string()),
        ),
        (
            "ewelink",
            vault.seal(&serde_json::json!({ "keys": { sonoff_id: sonoff_key } }).to_string()),
        ),
    ];
    let now = clock.now_text();
    let (first_id, first_key, first_version, first_kind, first_name, _) = DEMO_TUYA[0];
    let first_secret = vault.seal(first_key);
    let first_address = addresses[0].2.clone();
    store
        .write(move |c| {
            let new_demo = crate::devices::db::grant(c, "tuya")?.is_none();
            for (brand, sealed) in &grants {
                if crate::devices::db::grant(c, brand)?.is_none() {
                    crate::devices::db::put_grant(c, brand, sealed, &now)?;
                }
            }
            if new_demo {
                let room: Option<i64> = c
                    .query_row("SELECT id FROM rooms WHERE name = '102'", [], |r| r.get(0))
                    .ok();
                crate::devices::db::insert(
                    c,
                    &crate::devices::db::NewDevice {
                        id: "ddemo102heat",
                        brand: crate::devices::Brand::Tuya,
                        kind: device_drivers::Kind::parse(first_kind)
                            .unwrap_or(device_drivers::Kind::Thermostat),
                        name: first_name,
                        room_id: room,
                        native_id: first_id,
                        address: &first_address,
                        settings: &serde_json::json!({ "version": first_version }),
                        secret: Some(&first_secret),
                        now: &now,
                    },
                )?;
            }
            if new_demo {
                let room: Option<i64> = c
                    .query_row("SELECT id FROM rooms WHERE name = '201'", [], |r| r.get(0))
                    .ok();
                crate::devices::db::insert(
                    c,
                    &crate::devices::db::NewDevice {
                        id: "ddemo201rail",
                        brand: crate::devices::Brand::Ewelink,
                        kind: device_drivers::Kind::Switch,
                        name: "Room 201 towel rail",
                        room_id: room,
                        native_id: sonoff_id,
                        address: &sonoff_address,
                        settings: &serde_json::json!({}),
                        secret: Some(&sonoff_secret),
                        now: &now,
                    },
                )?;
            }
            crate::devices::db::put_grant(c, "smartthings", &smartthings_grant, &now)?;
            c.execute(
                "UPDATE devices SET settings = json_set(settings, '$.base_url', ?1)
                 WHERE brand = 'smartthings' AND settings ->> '$.base_url' LIKE 'http://127.0.0.1:%'",
                [&smartthings_url],
            )?;
            for (brand, id, address) in &addresses {
                c.execute(
                    "UPDATE devices SET address = ?3 WHERE brand = ?1 AND native_id = ?2",
                    rusqlite::params![brand, id, address],
                )?;
            }
            Ok::<_, crate::store::StoreError>(())
        })
        .await?;
    Ok(DemoDevices {
        _tuya: running,
        _miio: lamp,
        _ewelink: sonoff,
        _smartthings: smartthings,
        mqtt: None,
        probes,
    })
}

/// The demo's Tasmota plug, Zigbee2MQTT bulb and Shelly relay: MQTT clients of the
/// hub's own broker, signing in with a demo credential made afresh at every start (the
/// store keeps only its hash). They join the registry by announcing themselves.
async fn start_mqtt_devices(
    demo: &mut DemoDevices,
    addr: std::net::SocketAddr,
    credentials: &crate::broker::Credentials,
) -> anyhow::Result<()> {
    use device_drivers::emulator::mqtt::{start, MqttDevice};
    let secret = credentials
        .renew("demo-devices", "The demo's emulated MQTT devices")
        .await?;
    demo.mqtt = Some(start(
        addr,
        "demo-devices",
        &secret,
        vec![
            MqttDevice::Tasmota {
                topic: "tasmota_D3A101".into(),
                name: "Room 101 fan".into(),
            },
            MqttDevice::Zigbee2mqttBulb {
                name: "terrace_bulb".into(),
            },
            MqttDevice::Shelly {
                prefix: "shellyplus1-d3a0c0ffee01".into(),
            },
        ],
    ));
    Ok(())
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
    clock: &Clock,
) -> anyhow::Result<()> {
    if !scenarios.list().await?.is_empty() {
        return Ok(());
    }
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
                    "then": [{"type": "device", "target": {"kind": "device", "device_id": "ddemo102heat"}, "set": {"on": true}}],
                    "else": [{"type": "device", "target": {"kind": "device", "device_id": "ddemo102heat"}, "set": {"on": false}}]}]
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
