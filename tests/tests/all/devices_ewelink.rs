//! eWeLink LAN: our client switches our emulator in LAN mode (encrypted with the
//! devicekey) and in DIY mode, reports a wrong devicekey as a bad key, and follows a
//! device that is killed and restarted.

use std::net::SocketAddr;
use std::time::Duration;

use device_drivers::ewelink::{self, EwelinkConfig};
use device_drivers::model::Command;
use device_drivers::{DriverError, LinkHandle};
use e2e::devices::wait_for;
use e2e::{emulator_binary, LinePeer};

fn emulator(extra: &[&str]) -> (LinePeer, SocketAddr) {
    let mut args = vec!["ewelink", "--id", "1000abcdef"];
    args.extend_from_slice(extra);
    let peer = LinePeer::start(&emulator_binary(), &args).unwrap();
    let addr = peer.expect("listening ").parse().unwrap();
    (peer, addr)
}

fn client(addr: SocketAddr, key: Option<&str>) -> LinkHandle {
    let mut config = EwelinkConfig::new("1000abcdef", addr, key.map(str::to_owned));
    config.poll = Duration::from_millis(500);
    config.timeout = Duration::from_secs(2);
    ewelink::spawn(config)
}

#[tokio::test]
async fn our_client_switches_our_emulator_encrypted_and_diy() {
    for key in [Some("9b0810bc-557a-406c-8266-614767890531"), None] {
        let extra: Vec<&str> = key.map(|k| vec!["--key", k]).unwrap_or_default();
        let (mut device, addr) = emulator(&extra);
        let link = client(addr, key);
        wait_for(&link, "online", Duration::from_secs(10), |s| {
            s.online && s.state.on == Some(false)
        })
        .await;
        assert_eq!(
            link.command(Command::Power(true)).await.unwrap().on,
            Some(true),
            "{key:?}"
        );
        device.say("state");
        assert!(
            device.expect("state ").contains(r#""switch":"on""#),
            "{key:?}"
        );
        // A press on the device shows at the next poll.
        device.say(r#"press {"switch":"off"}"#);
        wait_for(&link, "the press", Duration::from_secs(5), |s| {
            s.state.on == Some(false)
        })
        .await;
        assert!(matches!(
            link.command(Command::Brightness(3)).await,
            Err(DriverError::Unsupported(_))
        ));
    }
}

#[tokio::test]
async fn a_wrong_devicekey_or_plain_request_is_a_bad_key() {
    let (_device, addr) = emulator(&["--key", "the-right-key"]);
    for key in [Some("a-wrong-key"), None] {
        let link = client(addr, key);
        wait_for(&link, "bad key", Duration::from_secs(10), |s| {
            s.reason.as_deref() == Some("bad key")
        })
        .await;
        assert!(
            matches!(
                link.command(Command::Power(true)).await,
                Err(DriverError::BadKey(_))
            ),
            "{key:?}"
        );
    }
}

#[tokio::test]
async fn a_killed_ewelink_device_goes_offline_and_comes_back() {
    let (device, addr) = emulator(&[]);
    let link = client(addr, None);
    wait_for(&link, "online", Duration::from_secs(10), |s| s.online).await;
    device.kill();
    wait_for(&link, "offline", Duration::from_secs(5), |s| !s.online).await;
    assert!(matches!(
        link.command(Command::Power(true)).await,
        Err(DriverError::Offline(_))
    ));
    let listen = addr.to_string();
    let (_device, _) = emulator(&["--listen", &listen]);
    wait_for(&link, "back online", Duration::from_secs(10), |s| s.online).await;
}
