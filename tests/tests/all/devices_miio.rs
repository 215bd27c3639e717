//! miIO interop both ways (python-miio's simulator driven by our client, python-miio's
//! client driving our emulator) and link robustness against a killed device.

use std::net::SocketAddr;
use std::time::Duration;

use device_drivers::miio::{self, packet, MiioConfig, Prop, PropMap};
use device_drivers::model::{Command, Kind};
use device_drivers::DriverError;
use e2e::devices::wait_for;
use e2e::{emulator_binary, LinePeer};

const TOKEN: &str = "00112233445566778899aabbccddeeff";

// Neither half uses UDP 54321: python-miio's simulator and our emulator each take a free
// port from the OS and say which, and python-miio's client (which knows only 54321) is
// pointed at ours; nothing else on the machine can be in the way.
#[tokio::test]
async fn python_miio_and_our_miio_drive_each_other() {
    // 1. Our client drives python-miio's simulator (a zhimi fan: power and speed level).
    let simulator = LinePeer::python("miio_simulator.py", &[]).unwrap();
    let port: u16 = simulator.expect("listening ").parse().unwrap();
    let map = PropMap {
        power: Some(Prop {
            name: "power".into(),
            setter: Some("set_power".into()),
        }),
        brightness: Some(Prop {
            name: "speed_level".into(),
            setter: Some("set_speed_level".into()),
        }),
        ..PropMap::default()
    };
    let mut config = MiioConfig::new(SocketAddr::from(([127, 0, 0, 1], port)), [0; 16], map);
    config.poll = Duration::from_millis(500);
    let link = miio::spawn(config);
    wait_for(
        &link,
        "the simulator's state",
        Duration::from_secs(20),
        |s| s.online && s.state.on == Some(true),
    )
    .await;
    assert_eq!(
        link.command(Command::Power(false)).await.unwrap().on,
        Some(false)
    );
    assert_eq!(
        link.command(Command::Brightness(40))
            .await
            .unwrap()
            .brightness,
        Some(40)
    );
    drop(link);
    drop(simulator);

    // 2. python-miio's client drives our emulator.
    let mut device = LinePeer::start(
        &emulator_binary(),
        &[
            "miio",
            "--token",
            TOKEN,
            "--did",
            "305419896",
            "--props",
            r#"{"power":"off","bright":40}"#,
            "--listen",
            "127.0.0.1:0",
        ],
    )
    .unwrap();
    let addr: SocketAddr = device.expect("listening ").parse().unwrap();
    let port = addr.port().to_string();
    let client = LinePeer::python("miio_client.py", &["127.0.0.1", &port, TOKEN]).unwrap();
    let result: serde_json::Value = serde_json::from_str(&client.expect("result ")).unwrap();
    assert_eq!(result["before"], serde_json::json!(["off", 40]), "{result}");
    assert_eq!(result["set"], serde_json::json!(["ok"]), "{result}");
    assert_eq!(result["after"], serde_json::json!(["on", 40]), "{result}");
    assert_eq!(result["model"], "chuangmi.plug.m1");
    device.say("props");
    assert_eq!(device.expect("props "), r#"{"bright":40,"power":"on"}"#);
}

#[tokio::test]
async fn a_killed_miio_device_goes_offline_and_comes_back() {
    let token = packet::parse_token(TOKEN).unwrap();
    let start = |listen: &str| {
        let peer = LinePeer::start(
            &emulator_binary(),
            &[
                "miio",
                "--token",
                TOKEN,
                "--did",
                "7",
                "--props",
                r#"{"power":"on","bright":80}"#,
                "--listen",
                listen,
            ],
        )
        .unwrap();
        let addr: SocketAddr = peer.expect("listening ").parse().unwrap();
        (peer, addr)
    };
    let (device, addr) = start("127.0.0.1:0");
    let mut config = MiioConfig::new(addr, token, PropMap::for_kind(Kind::Dimmer));
    config.poll = Duration::from_millis(500);
    config.timeout = Duration::from_millis(500);
    let link = miio::spawn(config);
    wait_for(&link, "online", Duration::from_secs(10), |s| {
        s.online && s.state.brightness == Some(80)
    })
    .await;
    assert_eq!(
        link.command(Command::Brightness(30))
            .await
            .unwrap()
            .brightness,
        Some(30)
    );

    device.kill();
    wait_for(&link, "offline", Duration::from_secs(5), |s| !s.online).await;
    assert!(matches!(
        link.command(Command::Power(false)).await,
        Err(DriverError::Offline(_))
    ));

    let (_device, _) = start(&addr.to_string());
    wait_for(&link, "back online", Duration::from_secs(10), |s| s.online).await;
}
