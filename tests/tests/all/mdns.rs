//! mDNS interop: python-zeroconf browsing `_hotelhub._tcp` finds the hub and its port. Hub
//! and browser run inside a network namespace this test creates, so no multicast leaves on
//! the machine's real interface.

use std::process::Command;

use e2e::netns::Namespace;
use e2e::{python, run_ok, workspace, Hub, HubOptions};

#[test]
fn zeroconf_finds_the_hub_inside_a_namespace() {
    let name = format!("hh-mdns-{}", std::process::id());
    let ns = Namespace::create(&name);
    let prefix = vec!["ip".to_owned(), "netns".into(), "exec".into(), ns.0.clone()];
    let hub = Hub::start(HubOptions {
        demo: false,
        prefix: prefix.clone(),
        env: vec![
            ("HUB_MDNS__ENABLED".into(), "true".into()),
            ("HUB_MDNS__INTERFACES".into(), "[\"v0\"]".into()),
            ("HUB_WEB__HTTP_LISTEN".into(), "0.0.0.0:0".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    let out = run_ok(
        Command::new("ip")
            .args(["netns", "exec", &ns.0])
            .arg(python())
            .arg(workspace().join("tests/peers/mdns_browse.py"))
            .args(["--timeout", "20"]),
    )
    .unwrap();
    let line = out
        .lines()
        .find(|l| l.starts_with("found "))
        .unwrap_or_else(|| panic!("nothing found: {out}"));
    assert!(
        line.contains(&format!("port={}", hub.http.port())),
        "{line}"
    );
    assert!(line.contains("server=hub.local."), "{line}");
    assert!(line.contains("10.99.0.1"), "advertised on v0: {line}");
    assert!(line.contains("'version'"), "{line}");
}
