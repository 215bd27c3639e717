//! LAN discovery on a small LAN of two network namespaces joined by a veth pair (the
//! hub's side 10.99.0.1, the devices' side 10.99.0.2), so no broadcast or multicast
//! leaves on the machine's real interface: Tuya announcements and 3.5 probes (our
//! emulator and tuyamock), miIO hellos, eWeLink mDNS; the hub itself (in `run` mode)
//! discovering, importing and switching there; and sonofflan (PyPI) finding and switching
//! our eWeLink emulator, encrypted and DIY.

use e2e::netns::Namespace;
use e2e::{device_python, emulator_binary, workspace, Hub, HubOptions, LinePeer};
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
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let line = peer.expect_by("", deadline);
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

#[test]
fn the_hub_discovers_imports_and_switches_devices_on_its_lan() {
    let (hub_ns, dev) = Namespace::pair(&format!("hhl{}", std::process::id()));
    let id = "bflan00000000000tuya01";
    let key = "0123456789abcdef";
    let _tuya = start_in(
        &dev,
        &emulator_binary(),
        &[
            "tuya",
            "--id",
            id,
            "--key",
            key,
            "--version",
            "3.3",
            "--listen",
            "10.99.0.2:6668",
            "--announce",
            "10.99.0.255:6667",
            "--announce-ip",
            "10.99.0.2",
        ],
    );
    let miio = start_in(
        &dev,
        &emulator_binary(),
        &[
            "miio",
            "--token",
            "00112233445566778899aabbccddeeff",
            "--did",
            "777",
            "--listen",
            "0.0.0.0:54321",
        ],
    );
    miio.expect("listening ");
    let sonoff = start_in(
        &dev,
        &emulator_binary(),
        &[
            "ewelink",
            "--id",
            "1000lan001",
            "--listen",
            "10.99.0.2:8081",
            "--mdns",
            "v1",
            "--mdns-ip",
            "10.99.0.2",
        ],
    );
    sonoff.expect("listening ");

    // The appliance's way: `run` mode, its LAN interface named; discovery broadcasts on
    // that interface's subnet.
    let hub = Hub::start(HubOptions {
        demo: false,
        prefix: hub_ns.exec(),
        env: vec![
            ("HUB_MDNS__INTERFACES".into(), "[\"v0\"]".into()),
            ("HUB_WEB__HTTP_LISTEN".into(), "127.0.0.1:0".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    let code = hub
        .setup_code
        .clone()
        .expect("a fresh hub prints its set-up code");
    let py = device_python().display().to_string();
    let script = workspace()
        .join("tests/peers/hub_lan_discover.py")
        .display()
        .to_string();
    let base = format!("https://{}", hub.https.expect("HTTPS is on"));
    let driver = start_in(
        &hub_ns,
        std::path::Path::new(&py),
        &[&script, &base, &code, id, key],
    );
    let tuya: Value = serde_json::from_str(&driver.expect("found tuya ")).unwrap();
    let ours = tuya
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["native_id"] == id)
        .unwrap_or_else(|| panic!("{tuya}"));
    assert_eq!(ours["address"], "10.99.0.2");
    assert_eq!(ours["has_key"], true);
    let miio: Value = serde_json::from_str(&driver.expect("found miio ")).unwrap();
    assert_eq!(miio[0]["native_id"], "777", "{miio}");
    assert_eq!(miio[0]["address"], "10.99.0.2:54321", "{miio}");
    let ewelink: Value = serde_json::from_str(&driver.expect("found ewelink ")).unwrap();
    assert_eq!(ewelink[0]["native_id"], "1000lan001", "{ewelink}");
    assert_eq!(ewelink[0]["settings"]["diy"], true, "{ewelink}");
    let switched: Value = serde_json::from_str(&driver.expect("switched ")).unwrap();
    assert_eq!(switched["state"]["on"], true, "{switched}");
}
