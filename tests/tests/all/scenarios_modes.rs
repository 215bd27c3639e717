//! Run modes (single, restart, queued, parallel with a maximum), enable/disable, and the
//! actions that talk to people: a notice to staff and a message into the guest's chat,
//! found through the reservation's e-mail.

use std::time::Duration;

use e2e::chat::{guest_connect, recv_until, send, GuestState};
use e2e::world::{athens, World};
use serde_json::{json, Value};

fn pulse(lamp: &str, mode: &str) -> Value {
    json!({"mode": mode, "max": 2, "triggers": [{"type": "manual"}], "actions": [
        {"type": "device", "target": {"kind": "device", "device_id": lamp}, "set": {"on": true}},
        {"type": "delay", "seconds": 60},
        {"type": "device", "target": {"kind": "device", "device_id": lamp}, "set": {"on": false}}]})
}

async fn statuses(w: &World, id: i64) -> Vec<String> {
    w.runs(id)
        .await
        .iter()
        .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_modes_decide_what_a_second_trigger_does() {
    let mut w = World::new(athens(2026, 10, 20, 9, 0)).await;
    let lamp = w.tuya("Hall lamp", "switch", None).await;
    let single = w.scenario("single", pulse(&lamp, "single")).await;
    let restart = w.scenario("restart", pulse(&lamp, "restart")).await;
    let queued = w.scenario("queued", pulse(&lamp, "queued")).await;
    let parallel = w.scenario("parallel", pulse(&lamp, "parallel")).await;

    // Single: a second trigger while the first waits is dropped, and says so.
    assert!(w.run_now(single).await.is_some());
    assert!(w.run_now(single).await.is_none());
    assert_eq!(statuses(&w, single).await, ["waiting", "skipped"]);
    assert!(w.runs(single).await[1]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("single mode"));

    // Restart: the first is stopped, the second waits.
    w.run_now(restart).await;
    w.run_now(restart).await;
    assert_eq!(statuses(&w, restart).await, ["stopped", "waiting"]);

    // Queued: the second waits its turn and starts when the first ends.
    w.run_now(queued).await;
    assert!(w.run_now(queued).await.is_none());
    assert_eq!(statuses(&w, queued).await, ["waiting"]);

    // Parallel with max 2: a third is dropped.
    w.run_now(parallel).await;
    w.run_now(parallel).await;
    assert!(w.run_now(parallel).await.is_none());
    assert_eq!(
        statuses(&w, parallel).await,
        ["waiting", "waiting", "skipped"]
    );

    w.hub.walk_to(athens(2026, 10, 20, 9, 1)).await;
    assert_eq!(statuses(&w, single).await, ["done", "skipped"]);
    assert_eq!(statuses(&w, restart).await, ["stopped", "done"]);
    assert_eq!(
        statuses(&w, queued).await,
        ["done", "waiting"],
        "the queued run started"
    );
    assert_eq!(statuses(&w, parallel).await, ["done", "done", "skipped"]);
    w.hub.walk_to(athens(2026, 10, 20, 9, 2)).await;
    assert_eq!(statuses(&w, queued).await, ["done", "done"]);
    assert!(!w.is_on(&lamp));

    // Disabled: its time passes without a run; enabled again, it runs.
    let timed = w
        .scenario("at 09:30", json!({"triggers": [{"type": "time", "at": "09:30"}],
            "actions": [{"type": "device", "target": {"kind": "device", "device_id": lamp}, "set": {"on": true}}]}))
        .await;
    let mut s = w.get(&format!("/admin/scenarios/{timed}")).await;
    s["enabled"] = json!(false);
    let body = json!({"name": s["name"], "enabled": false, "definition": s["definition"]});
    w.call("PUT", &format!("/admin/scenarios/{timed}"), &body)
        .await;
    w.hub.walk_to(athens(2026, 10, 20, 9, 31)).await;
    assert!(w.runs(timed).await.is_empty() && !w.is_on(&lamp));
    let body = json!({"name": s["name"], "enabled": true, "definition": s["definition"]});
    w.call("PUT", &format!("/admin/scenarios/{timed}"), &body)
        .await;
    w.hub.walk_to(athens(2026, 10, 21, 9, 31)).await;
    assert_eq!(statuses(&w, timed).await, ["done"]);
    assert!(w.is_on(&lamp));
    w.hub_stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_writes_to_the_guest_and_tells_the_team() {
    let w = World::new(athens(2026, 10, 20, 9, 0)).await;
    let key = w.get("/chat/widget").await["widget_key"]
        .as_str()
        .expect("a widget key")
        .to_owned();
    // The guest wrote from the hotel's site and left an e-mail address.
    let hub: std::net::SocketAddr = w
        .hub
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("an address");
    let mut state = GuestState::default();
    let mut ws = guest_connect(hub, &key, &mut state, "https://hotel.example/")
        .await
        .expect("a socket");
    send(
        &mut ws,
        json!({"type": "set_user", "name": "Ana Silva", "email": "Ana.Silva@example.com"}),
    )
    .await
    .expect("sent");
    send(
        &mut ws,
        json!({"type": "send", "client_id": "c1", "body": "Can we check in early?"}),
    )
    .await
    .expect("sent");
    recv_until(
        &mut ws,
        Duration::from_secs(10),
        |v| state.absorb(v),
        |v| v["client_id"] == "c1",
    )
    .await
    .expect("acked");
    let welcome = w
        .scenario("Welcome on check-in", json!({"triggers": [{"type": "booking", "event": "checked_in"}],
            "actions": [
                {"type": "message_guest", "to": {"kind": "trigger_reservation"}, "text": "Welcome! Your room is ready; Wi-Fi: Seaview / sunset42"},
                {"type": "notify", "text": "A guest checked in"}]}))
        .await;
    w.check_in(
        "101",
        "Ana Silva",
        "ana.silva@example.com",
        ("2026-10-20", "2026-10-22"),
    )
    .await;
    let got = recv_until(
        &mut ws,
        Duration::from_secs(10),
        |v| state.absorb(v),
        |v| v.to_string().contains("Your room is ready"),
    )
    .await
    .expect("the guest got the welcome");
    assert_eq!(got["message"]["author_kind"], "bot", "{got}");
    let runs = w.runs(welcome).await;
    assert_eq!(runs[0]["status"], "done", "{runs:?}");
    assert!(
        runs[0]["trace"]
            .to_string()
            .contains("written into dialogue"),
        "{runs:?}"
    );

    // A guest without a chat: the step says so, the run records a failure.
    w.check_in(
        "102",
        "Jan Novak",
        "jan@example.com",
        ("2026-10-20", "2026-10-21"),
    )
    .await;
    let runs = w.runs(welcome).await;
    assert_eq!(runs[1]["status"], "failed", "{runs:?}");
    assert!(
        runs[1]["trace"]
            .to_string()
            .contains("Jan Novak has no chat with the hotel yet"),
        "{runs:?}"
    );
    w.hub_stop().await;
}
