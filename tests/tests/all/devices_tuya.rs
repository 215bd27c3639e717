//! Tuya interop both ways and link robustness: our client against tuyamock (PyPI) for
//! every version, tinytuya (the reference client) against our emulator, and our client
//! against our emulator killed, restarted and robbed of its one connection.

use std::net::SocketAddr;
use std::time::Duration;

use device_drivers::model::{Command, Kind};
use device_drivers::tuya::{self, crypto, DpMap, TuyaConfig, Version};
use device_drivers::{DriverError, LinkHandle};
use e2e::devices::wait_for;
use e2e::{emulator_binary, LinePeer};

const KEY: &str = "0123456789abcdef";
const ID: &str = "bf00112233445566778899";

fn client(port: u16, version: Version, heartbeat: Duration) -> LinkHandle {
    let mut config = TuyaConfig::new(
        ID,
        SocketAddr::from(([127, 0, 0, 1], port)),
        crypto::parse_local_key(KEY).unwrap(),
        version,
        DpMap::for_kind(Kind::Dimmer),
    );
    config.heartbeat = heartbeat;
    config.timeout = Duration::from_secs(3);
    tuya::spawn(config)
}

fn emulator(version: Version, extra: &[&str]) -> (LinePeer, u16) {
    emulator_with(version, r#"{"1":false,"2":505}"#, extra)
}

/// Our emulator holding `dps`.
fn emulator_with(version: Version, dps: &str, extra: &[&str]) -> (LinePeer, u16) {
    let mut args = vec![
        "tuya",
        "--id",
        ID,
        "--key",
        KEY,
        "--version",
        version.as_str(),
        "--dps",
        dps,
    ];
    args.extend_from_slice(extra);
    let peer = LinePeer::start(&emulator_binary(), &args).unwrap();
    let addr: SocketAddr = peer.expect("listening ").parse().unwrap();
    (peer, addr.port())
}

#[tokio::test]
async fn our_client_drives_tuyamock_on_every_version() {
    for version in Version::ALL {
        let mut mock = LinePeer::python(
            "tuya_mock.py",
            &[version.as_str(), KEY, ID, r#"{"1": false, "2": 505}"#],
        )
        .unwrap();
        let port: u16 = mock.expect("listening ").parse().unwrap();
        let link = client(port, version, Duration::from_secs(10));
        wait_for(&link, "first status", Duration::from_secs(10), |s| {
            s.online && s.state.on == Some(false)
        })
        .await;
        assert_eq!(link.snapshot().state.brightness, Some(50), "{version:?}");

        let state = link.command(Command::Power(true)).await.unwrap();
        assert_eq!(state.on, Some(true), "{version:?}");
        let state = link.command(Command::Brightness(80)).await.unwrap();
        assert_eq!(state.brightness, Some(80), "{version:?}");
        mock.say("dps");
        let dps: serde_json::Value = serde_json::from_str(&mock.expect("dps ")).unwrap();
        assert_eq!(dps["1"], true, "{version:?}: tuyamock's own state");
        assert_eq!(dps["2"], 802, "{version:?}: tuyamock's own state");

        // The device reports a change by itself (someone pressed its button).
        mock.say(r#"push {"1": false}"#);
        assert_eq!(mock.expect("pushed "), "True");
        wait_for(&link, "pushed update", Duration::from_secs(5), |s| {
            s.state.on == Some(false)
        })
        .await;
    }
}

#[tokio::test]
async fn our_client_reads_device22_devices_their_own_way() {
    // tuyamock's "device22" refuses the standard query with "data unvalid" (3.3 and 3.4).
    for version in [Version::V33, Version::V34] {
        let mut mock = LinePeer::python(
            "tuya_mock.py",
            &[
                version.as_str(),
                KEY,
                ID,
                r#"{"1": true, "2": 300}"#,
                "dev22",
            ],
        )
        .unwrap();
        let port: u16 = mock.expect("listening ").parse().unwrap();
        let link = client(port, version, Duration::from_secs(10));
        wait_for(&link, "device22 status", Duration::from_secs(10), |s| {
            s.online && s.state.on == Some(true) && s.state.brightness == Some(29)
        })
        .await;
        assert_eq!(
            link.command(Command::Power(false)).await.unwrap().on,
            Some(false),
            "{version:?}"
        );
        mock.say("dps");
        let dps: serde_json::Value = serde_json::from_str(&mock.expect("dps ")).unwrap();
        assert_eq!(dps["1"], false, "{version:?}");
    }
}

#[tokio::test]
async fn tinytuya_drives_our_emulator_on_every_version() {
    for version in Version::ALL {
        let (mut device, port) = emulator(version, &[]);
        let port = port.to_string();
        let py =
            LinePeer::python("tinytuya_client.py", &[&port, version.as_str(), ID, KEY]).unwrap();
        let result: serde_json::Value = serde_json::from_str(&py.expect("result ")).unwrap();
        assert_eq!(result["status"]["dps"]["1"], false, "{version:?}: {result}");
        assert_eq!(result["status"]["dps"]["2"], 505, "{version:?}: {result}");
        assert_eq!(result["set"]["dps"]["1"], true, "{version:?}: {result}");
        device.say("dps");
        assert_eq!(
            device.expect("dps "),
            r#"{"1":true,"2":505}"#,
            "{version:?}"
        );
    }
}

#[tokio::test]
async fn a_killed_device_goes_offline_and_comes_back_by_itself() {
    let version = Version::V34;
    let (device, port) = emulator(version, &[]);
    let link = client(port, version, Duration::from_secs(1));
    wait_for(&link, "online", Duration::from_secs(10), |s| s.online).await;

    device.kill();
    wait_for(&link, "offline after a kill", Duration::from_secs(3), |s| {
        !s.online
    })
    .await;
    match link.command(Command::Power(true)).await {
        Err(DriverError::Offline(reason)) => assert!(!reason.is_empty()),
        other => panic!("a command to an offline device must fail clearly, got {other:?}"),
    }

    let listen = format!("127.0.0.1:{port}");
    let (_device, _) = emulator(version, &["--listen", &listen]);
    wait_for(&link, "back online", Duration::from_secs(15), |s| s.online).await;
    assert_eq!(
        link.command(Command::Power(true)).await.unwrap().on,
        Some(true)
    );
}

#[tokio::test]
async fn a_device_that_goes_silent_is_offline_within_the_heartbeat_window() {
    // The emulator drops connections idle for 1 s only if we stop talking; here the
    // device is frozen instead (SIGSTOP): the socket stays open but nothing answers.
    let version = Version::V33;
    let (device, port) = emulator(version, &[]);
    let link = client(port, version, Duration::from_secs(1));
    wait_for(&link, "online", Duration::from_secs(10), |s| s.online).await;
    let pid = device_pid(&device);
    let _ = std::process::Command::new("kill")
        .args(["-STOP", &pid])
        .status();
    // heartbeat 1 s + timeout 3 s, then one failed reconnect.
    wait_for(
        &link,
        "offline while frozen",
        Duration::from_secs(12),
        |s| !s.online,
    )
    .await;
    let _ = std::process::Command::new("kill")
        .args(["-CONT", &pid])
        .status();
    wait_for(
        &link,
        "online after thawing",
        Duration::from_secs(15),
        |s| s.online,
    )
    .await;
}

fn device_pid(device: &LinePeer) -> String {
    device.pid().to_string()
}

#[tokio::test]
async fn a_second_client_stealing_the_connection_is_survived() {
    let version = Version::V35;
    let (mut device, port) = emulator(version, &[]);
    let link = client(port, version, Duration::from_secs(2));
    wait_for(&link, "online", Duration::from_secs(10), |s| s.online).await;

    // tinytuya takes the device's one connection (the emulator drops ours for it).
    let port_text = port.to_string();
    let py = LinePeer::python(
        "tinytuya_client.py",
        &[&port_text, version.as_str(), ID, KEY],
    )
    .unwrap();
    let result: serde_json::Value = serde_json::from_str(&py.expect("result ")).unwrap();
    assert_eq!(result["set"]["dps"]["1"], true, "{result}");
    drop(py);

    // We reconnect by ourselves, see the other client's change, and still obey.
    wait_for(
        &link,
        "the other client's change",
        Duration::from_secs(15),
        |s| s.online && s.state.on == Some(true),
    )
    .await;
    assert_eq!(
        link.command(Command::Power(false)).await.unwrap().on,
        Some(false)
    );
    device.say("connections");
    let connections: usize = device.expect("connections ").parse().unwrap();
    assert!(
        connections >= 3,
        "ours, tinytuya's, ours again: {connections}"
    );
}

/// The links to a two-gang switch's gangs share the device's one connection (a second would
/// rob the first of it): each reads and sets its own point, and one leaving does not disturb
/// the other.
#[tokio::test]
async fn the_gangs_of_one_device_share_its_one_connection() {
    let version = Version::V35;
    let (mut device, port) = emulator_with(version, r#"{"1":false,"2":true}"#, &[]);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let gang = |dp: &str| {
        let map = DpMap {
            power: Some(dp.to_owned()),
            ..DpMap::default()
        };
        tuya::spawn(TuyaConfig::new(
            ID,
            addr,
            crypto::parse_local_key(KEY).unwrap(),
            version,
            map,
        ))
    };
    let (one, two) = (gang("1"), gang("2"));
    wait_for(&one, "gang 1 reads", Duration::from_secs(10), |s| {
        s.online && s.state.on == Some(false)
    })
    .await;
    wait_for(&two, "gang 2 reads", Duration::from_secs(10), |s| {
        s.online && s.state.on == Some(true)
    })
    .await;

    assert_eq!(
        two.command(Command::Power(false)).await.unwrap().on,
        Some(false)
    );
    assert_eq!(one.snapshot().state.on, Some(false));
    assert_eq!(
        one.command(Command::Power(true)).await.unwrap().on,
        Some(true)
    );
    assert_eq!(two.snapshot().state.on, Some(false), "gang 2 did not move");
    device.say("dps");
    assert_eq!(device.expect("dps "), r#"{"1":true,"2":false}"#);

    drop(one);
    assert_eq!(
        two.command(Command::Power(true)).await.unwrap().on,
        Some(true)
    );
    device.say("connections");
    assert_eq!(
        device.expect("connections "),
        "1",
        "one connection served both"
    );
}

#[tokio::test]
async fn a_wrong_key_is_reported_as_a_bad_key() {
    let version = Version::V34;
    let (_device, port) = emulator(version, &[]);
    let mut config = TuyaConfig::new(
        ID,
        SocketAddr::from(([127, 0, 0, 1], port)),
        *b"fedcba9876543210",
        version,
        DpMap::for_kind(Kind::Switch),
    );
    config.timeout = Duration::from_secs(2);
    let link = tuya::spawn(config);
    wait_for(&link, "a bad-key verdict", Duration::from_secs(10), |s| {
        s.reason.as_deref() == Some("bad key")
    })
    .await;
    assert!(matches!(
        link.command(Command::Power(true)).await,
        Err(DriverError::BadKey(_))
    ));
}
