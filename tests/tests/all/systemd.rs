//! The systemd unit verifies, and the hub speaks the notify protocol it promises: READY=1
//! once it listens (Type=notify), watchdog pings when WATCHDOG_USEC asks for them.

use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::{hub_binary, run_ok, workspace, Hub, HubOptions};

#[test]
fn the_unit_file_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let unit = std::fs::read_to_string(workspace().join("systemd/hub.service")).unwrap();
    let unit = unit.replace("/usr/bin/hub", &hub_binary().display().to_string());
    let path = dir.path().join("hub.service");
    std::fs::write(&path, unit).unwrap();
    let out = run_ok(Command::new("systemd-analyze").args(["verify"]).arg(&path)).unwrap();
    assert!(
        !out.contains("hub.service:"),
        "systemd-analyze complained: {out}"
    );
}

#[test]
fn the_hub_notifies_ready_and_pings_the_watchdog() {
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    // systemd sets WATCHDOG_PID to the service's pid; `exec` keeps the shell's.
    let prefix = ["sh", "-c", "WATCHDOG_PID=$$ exec \"$0\" \"$@\""]
        .map(String::from)
        .to_vec();
    let hub = Hub::start(HubOptions {
        prefix,
        env: vec![
            ("NOTIFY_SOCKET".into(), socket_path.display().to_string()),
            ("WATCHDOG_USEC".into(), "400000".into()),
        ],
        ..HubOptions::default()
    })
    .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(seen.iter().any(|m: &String| m.contains("READY=1"))
        && seen.iter().any(|m| m.contains("WATCHDOG=1")))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no READY=1 and WATCHDOG=1 within 30 s: {seen:?}"
        );
        socket.set_read_timeout(Some(left)).unwrap();
        let n = socket
            .recv(&mut buf)
            .expect("the hub went quiet on the notify socket");
        seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        assert!(seen.len() < 50, "{seen:?}");
    }
    drop(hub);
}
