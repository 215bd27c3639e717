//! LAN discovery on a small LAN of two network namespaces joined by a veth pair (the
//! hub's side 10.99.0.1, the devices' side 10.99.0.2), so no broadcast or multicast
//! leaves on the machine's real interface: Tuya announcements and 3.5 probes (our
//! emulator and tuyamock), miIO hellos, eWeLink mDNS; and sonofflan (PyPI) finding and
//! switching our eWeLink emulator, encrypted and DIY.

use e2e::netns::Namespace;
use e2e::{device_python, emulator_binary, workspace, LinePeer};
use serde_json::Value;

fn start_in(ns: &Namespace, program: &std::path::Path, args: &[&str]) -> LinePeer {
    let mut all: Vec<String> = ns.exec();
    all.push(program.display().to_string());
    all.extend(args.iter().map(|a| a.to_string()));
    let (first, rest) = all.split_first().unwrap();
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    LinePeer::start(std::path::Path::new(first), &rest).unwrap()
}

/// Runs our scanner inside `ns` and returns what it found.
fn scan(ns: &Namespace, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    let peer = start_in(ns, &emulator_binary(), &all);
    let mut found = Vec::new();
    loop {
        let line = peer.expect("");
        if line == "done" {
            return found;
        }
        if let Some(json) = line.strip_prefix("found ") {
            found.push(serde_json::from_str(json).unwrap());
        }
    }
}

#[test]
fn tuya_miio_and_ewelink_devices_are_found_on_a_namespace_lan() {
    let (hub, dev) = Namespace::pair(&format!("hhd{}", std::process::id()));
    let _tuya = start_in(
        &dev,
        &emulator_binary(),
        &[
            "tuya",
            "--id",
            "bfnetns0000000000tuya1",
            "--key",
            "0123456789abcdef",
            "--version",
            "3.4",
            "--listen",
            "10.99.0.2:6668",
            "--announce",
            "10.99.0.255:6667",
            "--announce-ip",
            "10.99.0.2",
        ],
    );
    let py = device_python().display().to_string();
    let script = workspace()
        .join("tests/peers/tuya_discoverable.py")
        .display()
        .to_string();
    let mock = start_in(
        &dev,
        std::path::Path::new(&py),
        &[
            &script,
            "3.5",
            "0123456789abcdef",
            "bfnetns0000000tuyamock",
            "10.99.0.2",
        ],
    );
    mock.expect("listening ");
    let miio = start_in(
        &dev,
        &emulator_binary(),
        &[
            "miio",
            "--token",
            "00112233445566778899aabbccddeeff",
            "--did",
            "4242",
            "--listen",
            "0.0.0.0:54321",
        ],
    );
    miio.expect("listening ");
    let sealed = start_in(
        &dev,
        &emulator_binary(),
        &[
            "ewelink",
            "--id",
            "1000netns1",
            "--key",
            "devkey-1",
            "--listen",
            "10.99.0.2:8081",
            "--mdns",
            "v1",
            "--mdns-ip",
            "10.99.0.2",
        ],
    );
    sealed.expect("listening ");
    let diy = start_in(
        &dev,
        &emulator_binary(),
        &[
            "ewelink",
            "--id",
            "1000netns2",
            "--listen",
            "10.99.0.2:8082",
            "--mdns",
            "v1",
            "--mdns-ip",
            "10.99.0.2",
        ],
    );
    diy.expect("listening ");

    let tuya = scan(
        &hub,
        &[
            "tuya",
            "--app-ip",
            "10.99.0.1",
            "--broadcast",
            "10.99.0.255",
            "--secs",
            "5",
        ],
    );
    let ours = tuya
        .iter()
        .find(|a| a["id"] == "bfnetns0000000000tuya1")
        .unwrap_or_else(|| panic!("{tuya:?}"));
    assert_eq!(ours["ip"], "10.99.0.2");
    assert_eq!(ours["version"], "3.4");
    let theirs = tuya
        .iter()
        .find(|a| a["id"] == "bfnetns0000000tuyamock")
        .unwrap_or_else(|| panic!("tuyamock answers the 3.5 probe: {tuya:?}"));
    assert_eq!(theirs["version"], "3.5");

    let found = scan(&hub, &["miio", "--broadcast", "10.99.0.255", "--secs", "2"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["device_id"], 4242);
    assert_eq!(found[0]["addr"], "10.99.0.2:54321");

    let found = scan(&hub, &["ewelink", "--iface", "v0", "--secs", "4"]);
    let one = found
        .iter()
        .find(|f| f["device_id"] == "1000netns1")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(one["addr"], "10.99.0.2:8081");
    assert_eq!(one["encrypted"], true);
    let two = found
        .iter()
        .find(|f| f["device_id"] == "1000netns2")
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(two["encrypted"], false);
}

#[test]
fn sonofflan_finds_and_switches_our_ewelink_emulator() {
    let (hub, dev) = Namespace::pair(&format!("hhs{}", std::process::id()));
    let py = device_python().display().to_string();
    let script = workspace()
        .join("tests/peers/sonofflan_client.py")
        .display()
        .to_string();
    for (id, key, port) in [
        ("1000sonof1", Some("devkey-sonoff"), "8081"),
        ("1000sonof2", None, "8082"),
    ] {
        let listen = format!("10.99.0.2:{port}");
        let mut args = vec![
            "ewelink",
            "--id",
            id,
            "--listen",
            &listen,
            "--mdns",
            "v1",
            "--mdns-ip",
            "10.99.0.2",
        ];
        if let Some(k) = key {
            args.extend_from_slice(&["--key", k]);
        }
        let mut device = start_in(&dev, &emulator_binary(), &args);
        device.expect("listening ");
        let mut client_args = vec![script.as_str(), id];
        client_args.extend(key);
        let client = start_in(&hub, std::path::Path::new(&py), &client_args);
        let result: Value = serde_json::from_str(&client.expect("result ")).unwrap();
        assert_eq!(result["before"], false, "{result}");
        assert_eq!(result["after"], true, "{result}");
        assert_eq!(result["encrypt"], key.is_some(), "{result}");
        device.say("state");
        assert!(device.expect("state ").contains(r#""switch":"on""#));
    }
}
