//! No loss, no doubles: guests and staff write in bursts while their sockets are dropped at
//! random moments (before and after the ack) and reconnect with what a real client keeps;
//! afterwards each side holds every stored message exactly once, in order, and the store
//! holds each client id once. A second test kills the hub with SIGKILL mid-burst.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::chat::{
    assert_in_order_once, edit_chat_settings, recv, recv_until, send, session_cookie, team_connect,
    widget_key, Socket, TeamState,
};
use e2e::delivery::{
    all, assert_store_exact, guest_burst, guest_catch_up, guests_caught_up, last_guest_seq,
    roomy_limits, store_messages, GuestRun, Lcg, WAIT,
};
use e2e::{eventually, Hub};
use serde_json::json;

/// A member of staff: joins the dialogues of its share, answers every third guest message,
/// and drops its socket at random; resends what was not acked after reconnecting.
async fn staff_run(
    addr: SocketAddr,
    cookie: String,
    role: &'static str,
    share: i64,
    guests_done: Arc<AtomicBool>,
    guest_messages: usize,
) -> TeamState {
    let hub_url = format!("http://{addr}");
    let http = reqwest::Client::new();
    let mut state = TeamState::default();
    let mut rng = Lcg(share as u64 + 17);
    // Done only when the guests are and every guest message has been seen (and answered).
    let mut seen_guest = HashSet::new();
    let mut joined = HashSet::new();
    let mut pending: VecDeque<(String, i64, String)> = VecDeque::new();
    'connect: loop {
        let mut ws: Socket = team_connect(addr, &cookie, &mut state).await.unwrap();
        loop {
            let mut frames = Vec::new();
            if let Some((cid, d, body)) = pending.front().cloned() {
                if !joined.contains(&d) {
                    let r = http
                        .post(format!("{hub_url}/api/v1/chat/dialogues/{d}/join"))
                        .header("cookie", &cookie)
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{role} joins {d}: {}", r.status());
                    joined.insert(d);
                }
                if send(
                    &mut ws,
                    json!({"type":"send","client_id":cid,"dialogue_id":d,"body":body}),
                )
                .await
                .is_err()
                {
                    continue 'connect;
                }
                if rng.chance(6) {
                    continue 'connect;
                }
                let got = recv_until(
                    &mut ws,
                    WAIT,
                    |v| frames.push(v.clone()),
                    |v| {
                        v["type"] == "ack" && v["client_id"] == cid.as_str() || v["type"] == "error"
                    },
                )
                .await;
                match got {
                    Ok(v) if v["type"] == "ack" => {
                        pending.pop_front();
                    }
                    Ok(v) => panic!("{role}: {v}"),
                    Err(_) => continue 'connect,
                }
            } else {
                match recv(&mut ws, Duration::from_millis(700)).await {
                    Ok(v) => frames.push(v),
                    Err(_)
                        if guests_done.load(Ordering::SeqCst)
                            && seen_guest.len() >= guest_messages =>
                    {
                        return state
                    }
                    // Quiet (or closed): resume on a fresh socket, as a client would.
                    Err(_) => continue 'connect,
                }
            }
            for v in &frames {
                state.absorb(v);
                let m = &v["message"];
                if v["type"] == "message" && m["author_kind"] == "guest" {
                    seen_guest.insert(m["id"].as_i64().unwrap());
                    let (d, seq) = (
                        m["dialogue_id"].as_i64().unwrap(),
                        m["seq"].as_i64().unwrap(),
                    );
                    if d % 2 == share && seq % 3 == 0 {
                        pending.push_back((
                            format!("{role}-{d}-{seq}"),
                            d,
                            format!("answer to {seq}"),
                        ));
                    }
                }
            }
            if rng.chance(10) {
                continue 'connect;
            }
        }
    }
}

/// Turns on "agents see others" so both staff see every dialogue.
async fn everyone_sees_everything(hub: &Hub, owner: &reqwest::Client) {
    edit_chat_settings(owner, hub, |s| s["agents_see_others"] = json!(true))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_drops_lose_nothing_and_double_nothing() {
    const GUESTS: usize = 5;
    const N: usize = 40;
    let hub = Hub::start(roomy_limits()).unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    everyone_sees_everything(&hub, &owner).await;
    let key = widget_key(&owner, &hub).await.unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let mut staff = Vec::new();
    for (share, role) in [(0, "owner"), (1, "agent")] {
        let cookie = session_cookie(&hub, role).await.unwrap();
        staff.push(tokio::spawn(staff_run(
            hub.http,
            cookie,
            role,
            share,
            done.clone(),
            GUESTS * N,
        )));
    }
    let mut guests = Vec::new();
    for idx in 0..GUESTS {
        let key = key.clone();
        let addr = hub.http;
        guests.push(tokio::spawn(async move {
            let mut run = GuestRun::new(&Arc::default());
            assert!(
                guest_burst(addr.into(), &key, idx, N, 7, &mut run).await,
                "guest {idx} could not finish"
            );
            run
        }));
    }
    let mut runs = Vec::new();
    for g in guests {
        runs.push(
            tokio::time::timeout(Duration::from_secs(120), g)
                .await
                .expect("guests finish")
                .unwrap(),
        );
    }
    done.store(true, Ordering::SeqCst);
    let mut teams = Vec::new();
    for s in staff {
        teams.push(
            tokio::time::timeout(Duration::from_secs(120), s)
                .await
                .expect("staff finish")
                .unwrap(),
        );
    }

    let rows = assert_store_exact(&hub, GUESTS, N);
    // Staff answer every guest message whose sequence is a multiple of three, once: how
    // many that is depends on how sends interleaved, so the count is read from the store.
    let staff_replies = rows.iter().filter(|r| r.3 == "staff").count();
    let asked = rows
        .iter()
        .filter(|r| r.3 == "guest" && r.1 % 3 == 0)
        .count();
    assert!(asked > 0, "guests wrote at multiples of three");
    assert_eq!(staff_replies, asked, "staff answered each once");
    // Staff: every message of every dialogue, once, in order (the baseline predates them).
    for (role, team) in ["owner", "agent"].iter().zip(teams.iter_mut()) {
        let cookie = session_cookie(&hub, role).await.unwrap();
        let mut ws = team_connect(hub.http, &cookie, team).await.unwrap();
        let want: HashSet<i64> = rows.iter().map(|r| r.2).collect();
        let deadline = Instant::now() + Duration::from_secs(20);
        while !want
            .iter()
            .all(|id| team.received.iter().any(|r| r.2 == *id))
            && Instant::now() < deadline
        {
            if let Ok(v) = recv(&mut ws, Duration::from_millis(500)).await {
                team.absorb(&v);
            }
        }
        assert_in_order_once(role, &team.received);
        let got: HashSet<i64> = team.received.iter().map(|r| r.2).collect();
        assert_eq!(got, want, "{role} holds every stored message");
    }
    // Guests: every non-private message of their dialogue, once, in order.
    for run in &mut runs {
        let d = run.state.dialogue_id.expect("the guest has a dialogue");
        let want: Vec<i64> = rows
            .iter()
            .filter(|r| r.0 == d && !r.4)
            .map(|r| r.2)
            .collect();
        let last_seq = last_guest_seq(&rows, d);
        guest_catch_up(hub.http.into(), &key, &mut run.state, last_seq).await;
        assert_in_order_once("guest", &run.state.received);
        let got: Vec<i64> = run.state.received.iter().map(|r| r.2).collect();
        assert_eq!(
            got, want,
            "guest of dialogue {d} holds its dialogue exactly"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_burst_loses_no_acknowledged_message() {
    const GUESTS: usize = 4;
    const N: usize = 400;
    let hub = Hub::start(roomy_limits()).unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let key = widget_key(&owner, &hub).await.unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for idx in 0..GUESTS {
        let key = key.clone();
        let addr = hub.http;
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            let mut run = GuestRun::new(&counter);
            guest_burst(addr.into(), &key, idx, N, 0, &mut run).await;
            run
        }));
    }
    // Mid-burst: after a few hundred acks, with every guest still sending.
    eventually("300 acks", Duration::from_secs(60), async || {
        let acks = counter.load(Ordering::SeqCst);
        (acks >= 300).then_some(()).ok_or(acks)
    })
    .await;
    let mut hub = hub;
    hub.kill_hard();
    let runs = all(tasks).await;
    let acked_before: usize = runs.iter().map(|r| r.acked.len()).sum();
    assert!(
        acked_before > 0 && acked_before < GUESTS * N,
        "the kill came mid-burst ({acked_before} acked)"
    );
    println!("acknowledged before SIGKILL: {acked_before}");

    let hub = hub.restart(true).unwrap();
    // Everything acknowledged before the kill is there, once.
    let rows = store_messages(&hub);
    let stored: Vec<String> = rows.iter().filter_map(|r| r.5.clone()).collect();
    for run in &runs {
        for cid in &run.acked {
            assert_eq!(
                stored.iter().filter(|s| *s == cid).count(),
                1,
                "{cid} acknowledged, so stored once"
            );
        }
    }
    // The guests carry on against the restarted hub: the unacked one is resent by id.
    let mut tasks = Vec::new();
    for (idx, mut run) in runs.into_iter().enumerate() {
        let (addr, key) = (hub.http, key.clone());
        tasks.push(tokio::spawn(async move {
            assert!(
                guest_burst(addr.into(), &key, idx, N, 0, &mut run).await,
                "guest {idx} finishes after the restart"
            );
            run
        }));
    }
    let mut runs = all(tasks).await;
    let rows = assert_store_exact(&hub, GUESTS, N);
    guests_caught_up(hub.http.into(), &key, &mut runs, &rows, "guest").await;
}
