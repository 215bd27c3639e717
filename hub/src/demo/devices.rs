//! The demo's emulated devices on loopback: three Tuya, a miIO lamp, an eWeLink plug, a
//! SmartThings account and Tasmota, Zigbee2MQTT and Shelly clients of the hub's broker,
//! with their keys granted.

use crate::clock::Clock;
use crate::store::Store;

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
pub(super) struct DemoDevices {
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
pub(super) async fn start_devices(
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
pub(super) async fn start_mqtt_devices(
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
