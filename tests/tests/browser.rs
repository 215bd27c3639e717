//! The admin app in a real browser (Debian chromium driven by playwright-core): set-up with
//! the code, owner sign-in, invite, the invitee joins in a second context, the agent cannot
//! open team settings. The walk itself is `tests/browser/admin-flow.mjs`.

use std::process::Command;

use e2e::{run_ok, workspace, Hub, HubOptions};

#[test]
fn setup_invite_and_roles_in_chromium() {
    let hub = Hub::start(HubOptions {
        demo: false,
        ..HubOptions::default()
    })
    .unwrap();
    let code = hub
        .setup_code
        .clone()
        .expect("a fresh hub prints its set-up code");
    let shots = workspace().join("target/screenshots");
    let out = run_ok(
        Command::new("node")
            .arg(workspace().join("tests/browser/admin-flow.mjs"))
            .arg(hub.url(""))
            .arg(&code)
            .arg(&shots),
    )
    .unwrap();
    assert!(out.contains("admin flow ok"), "{out}");
}
