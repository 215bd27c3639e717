//! Network namespaces a test makes for itself, so multicast and broadcast (mDNS, Tuya and
//! miIO discovery) never leave on the machine's real interface. Deleted on drop, pass or
//! fail. Needs root (CI runs as root).

use std::process::Command;

use crate::run_ok;

pub struct Namespace(pub String);

impl Namespace {
    pub(crate) fn add(name: &str) -> Namespace {
        let _ = Command::new("ip").args(["netns", "del", name]).output();
        run_ok(Command::new("ip").args(["netns", "add", name]))
            .expect("ip netns needs root (tests/run runs as root in CI)");
        let ns = Namespace(name.to_owned());
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    pub(crate) fn ip(&self, args: &[&str]) {
        run_ok(Command::new("ip").args(["-n", &self.0]).args(args)).unwrap();
    }

    /// One namespace holding both ends of a veth pair: v0 10.99.0.1 and v1 10.99.0.2.
    pub fn create(name: &str) -> Namespace {
        let ns = Namespace::add(name);
        ns.ip(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
        ns.ip(&["addr", "add", "10.99.0.1/24", "dev", "v0"]);
        ns.ip(&["addr", "add", "10.99.0.2/24", "dev", "v1"]);
        ns.ip(&["link", "set", "v0", "up"]);
        ns.ip(&["link", "set", "v1", "up"]);
        ns
    }

    /// Two namespaces joined by a veth pair, a small LAN: the hub's side (`v0`,
    /// 10.99.0.1) and the devices' side (`v1`, 10.99.0.2).
    pub fn pair(name: &str) -> (Namespace, Namespace) {
        let hub = Namespace::add(&format!("{name}-h"));
        let dev = Namespace::add(&format!("{name}-d"));
        hub.ip(&[
            "link", "add", "v0", "type", "veth", "peer", "name", "v1", "netns", &dev.0,
        ]);
        hub.ip(&["addr", "add", "10.99.0.1/24", "dev", "v0"]);
        dev.ip(&["addr", "add", "10.99.0.2/24", "dev", "v1"]);
        hub.ip(&["link", "set", "v0", "up"]);
        dev.ip(&["link", "set", "v1", "up"]);
        (hub, dev)
    }

    /// `ip netns exec <name>`, to put before a command.
    pub fn exec(&self) -> Vec<String> {
        vec!["ip".into(), "netns".into(), "exec".into(), self.0.clone()]
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}
