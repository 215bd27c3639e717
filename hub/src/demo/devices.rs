//! The demo's emulated devices on loopback: four Tuya (one a two-gang switch), a miIO lamp, an eWeLink plug, a
//! SmartThings account and Tasmota, Zigbee2MQTT and Shelly clients of the hub's broker,
//! with their keys granted.

use crate::bookings::Bookings;
use crate::devices::{Brand, Devices, NewDeviceRequest};

/// Room 102's water heater (the thermostat), which a seed scenario switches.
pub(super) const HEATER: &str = "bfdemo102thermostat01";

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
    (
        DEMO_TWO_GANG,
        "demokeycorridor2",
        "3.4",
        "switch",
        "Corridor lights",
        r#"{"1":false,"2":false,"7":0,"8":0}"#,
    ),
];

/// The demo's two-gang wall switch: its grant carries the model tinytuya's devices.json
/// gives such a switch (Tuya category "kg"), so importing it makes one switch per gang.
const DEMO_TWO_GANG: &str = "bfdemocorridor2gang01";

fn two_gang_model() -> serde_json::Value {
    let countdown = serde_json::json!({"unit": "s", "min": 0, "max": 86400, "scale": 0, "step": 1});
    serde_json::json!({
        "name": "Corridor lights",
        "category": "kg",
        "mapping": {
            "1": {"code": "switch_1", "type": "Boolean", "values": {}},
            "2": {"code": "switch_2", "type": "Boolean", "values": {}},
            "7": {"code": "countdown_1", "type": "Integer", "values": countdown},
            "8": {"code": "countdown_2", "type": "Integer", "values": countdown},
        }
    })
}

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
    pub(super) mqtt: Option<device_drivers::emulator::mqtt::RunningMqtt>,
    _smartthings: device_drivers::emulator::smartthings::RunningSmartThings,
    _tuya: Vec<device_drivers::emulator::tuya::RunningTuya>,
    _miio: device_drivers::emulator::miio::RunningMiio,
    _ewelink: device_drivers::emulator::ewelink::RunningEwelink,
    /// Unicast discovery targets per brand.
    pub(super) probes: Vec<(&'static str, std::net::SocketAddr)>,
    /// Where each device listens this time: stored devices are moved there.
    addresses: Vec<(Brand, String, String)>,
    smartthings_url: String,
    tuya_keys: serde_json::Map<String, serde_json::Value>,
}

/// Starts the emulated devices on loopback (new ports each start).
pub(super) async fn start_devices() -> anyhow::Result<DemoDevices> {
    use device_drivers::emulator::{miio, tuya};
    use device_drivers::tuya::{crypto, Version};
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let mut running = Vec::new();
    let mut probes = Vec::new();
    let mut tuya_keys = serde_json::Map::new();
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
        addresses.push((Brand::Tuya, id.to_string(), r.addr.to_string()));
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
    addresses.push((Brand::Miio, did.to_string(), lamp.addr.to_string()));
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
    addresses.push((
        Brand::Ewelink,
        sonoff_id.to_string(),
        sonoff.addr.to_string(),
    ));
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
    Ok(DemoDevices {
        smartthings_url: smartthings.base_url.clone(),
        _tuya: running,
        _miio: lamp,
        _ewelink: sonoff,
        _smartthings: smartthings,
        mqtt: None,
        probes,
        addresses,
        tuya_keys,
    })
}

/// Through the registry: grants the emulators' keys (the SmartThings one follows its new
/// address), imports the thermostat and the Sonoff plug into a new demo, and moves the
/// stored devices to where the emulators listen this time.
pub(super) async fn settle_devices(
    demo: &DemoDevices,
    devices: &Devices,
    bookings: &Bookings,
) -> anyhow::Result<()> {
    let new_demo = devices.grant(Brand::Tuya).await?.is_none();
    let (did, token, ..) = DEMO_MIIO;
    let (sonoff_id, sonoff_key) = DEMO_EWELINK;
    let grants = [
        (
            Brand::Tuya,
            serde_json::json!({
                "keys": demo.tuya_keys,
                "models": { DEMO_TWO_GANG: two_gang_model() },
            }),
        ),
        (
            Brand::Miio,
            serde_json::json!({ "keys": { did.to_string(): token } }),
        ),
        (
            Brand::Ewelink,
            serde_json::json!({ "keys": { sonoff_id: sonoff_key } }),
        ),
    ];
    for (brand, grant) in grants {
        if devices.grant(brand).await?.is_none() {
            devices.put_grant(brand, &grant).await?;
        }
    }
    devices
        .put_grant(
            Brand::SmartThings,
            &serde_json::json!({ "token": DEMO_SMARTTHINGS_TOKEN, "base_url": demo.smartthings_url }),
        )
        .await?;
    devices
        .relocate(
            Brand::SmartThings,
            None,
            None,
            Some(("http://127.0.0.1:", &demo.smartthings_url)),
        )
        .await?;
    if new_demo {
        let rooms = bookings.rooms().await?;
        let room = |name: &str| rooms.iter().find(|r| r.name == name).map(|r| r.id);
        let (native_id, key, version, kind, name, _) = DEMO_TUYA[0];
        let address = demo.addresses[0].2.clone();
        devices
            .add(NewDeviceRequest {
                brand: Brand::Tuya.as_str().into(),
                kind: kind.into(),
                name: name.into(),
                room_id: room("102"),
                native_id: native_id.into(),
                address,
                settings: serde_json::json!({ "version": version }),
                secret: Some(key.into()),
            })
            .await?;
        let address = demo
            .addresses
            .iter()
            .find(|(b, ..)| *b == Brand::Ewelink)
            .map(|(.., a)| a.clone())
            .unwrap_or_default();
        devices
            .add(NewDeviceRequest {
                brand: Brand::Ewelink.as_str().into(),
                kind: "switch".into(),
                name: "Room 201 towel rail".into(),
                room_id: room("201"),
                native_id: sonoff_id.into(),
                address,
                settings: serde_json::json!({}),
                secret: Some(sonoff_key.into()),
            })
            .await?;
    }
    for (brand, native_id, address) in &demo.addresses {
        devices
            .relocate(*brand, Some(native_id), Some(address), None)
            .await?;
    }
    Ok(())
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
