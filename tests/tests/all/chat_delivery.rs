//! No loss, no doubles: guests and staff write in bursts while their sockets are dropped at
//! random moments (before and after the ack) and reconnect with what a real client keeps;
//! afterwards each side holds every stored message exactly once, in order, and the store
//! holds each client id once. A second test kills the hub with SIGKILL mid-burst.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::chat::{
    assert_in_order_once, edit_chat_settings, guest_connect, recv, recv_until, send,
    session_cookie, team_connect, widget_key, GuestState, Socket, TeamState,
};
use e2e::{eventually, Hub, HubOptions};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

/// A tiny deterministic generator: the same seed drops the same sockets on every run.
struct Lcg(u64);

impl Lcg {
    fn chance(&mut self, one_in: u64) -> bool {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33).is_multiple_of(one_in)
    }
}

fn roomy_limits() -> HubOptions {
    HubOptions {
        env: vec![
            (
                "HUB_CHAT__GUEST_MESSAGES_PER_MINUTE".into(),
                "1000000".into(),
            ),
            (
                "HUB_CHAT__GUEST_CONNECTS_PER_MINUTE".into(),
                "1000000".into(),
            ),
            ("HUB_CHAT__GUEST_FRAMES_PER_10S".into(), "1000000".into()),
        ],
        ..HubOptions::default()
    }
}

/// What a guest's run left behind.
struct GuestRun {
    state: GuestState,
    /// The next message index to send (everything before it is acked).
    next: usize,
    acked: HashSet<String>,
    /// Acks across all guests, for the test to pick its moment.
    counter: Arc<AtomicUsize>,
}

impl GuestRun {
    fn new(counter: &Arc<AtomicUsize>) -> GuestRun {
        GuestRun {
            state: GuestState::default(),
            next: 0,
            acked: HashSet::new(),
            counter: counter.clone(),
        }
    }
}

/// Sends messages `run.next..n`, dropping the socket at random; returns on completion or
/// when the hub is gone (the run can then continue against a new hub).
async fn guest_burst(
    addr: SocketAddr,
    key: &str,
    idx: usize,
    n: usize,
    drop_one_in: u64,
    run: &mut GuestRun,
) -> bool {
    let mut rng = Lcg(idx as u64 * 7919 + run.next as u64);
    let mut failures = 0;
    'connect: loop {
        if run.next == n {
            return true;
        }
        let Ok(mut ws) = guest_connect(addr, key, &mut run.state, "https://hotel.example/").await
        else {
            failures += 1;
            if failures > 3 {
                return false;
            }
            // A moment between attempts, as a client would (not a wait for anything):
            // four failures in a row mean the hub is gone.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        loop {
            if run.next == n {
                return true;
            }
            let cid = format!("g{idx}-{}", run.next);
            if send(&mut ws, json!({"type":"send","client_id":cid,"body":format!("guest {idx} says {}", run.next)})).await.is_err() {
                continue 'connect;
            }
            if drop_one_in > 0 && rng.chance(drop_one_in) {
                continue 'connect; // dropped before the ack arrived
            }
            let state = &mut run.state;
            match recv_until(
                &mut ws,
                WAIT,
                |v| state.absorb(v),
                |v| v["type"] == "ack" && v["client_id"] == cid.as_str(),
            )
            .await
            {
                Ok(_) => {
                    run.acked.insert(cid);
                    run.next += 1;
                    run.counter.fetch_add(1, Ordering::SeqCst);
                }
                Err(_) => continue 'connect,
            }
            if drop_one_in > 0 && rng.chance(drop_one_in * 2) {
                continue 'connect; // dropped after the ack
            }
        }
    }
}

/// Reconnects and reads until the guest holds its dialogue up to `last_seq`.
async fn guest_catch_up(addr: SocketAddr, key: &str, state: &mut GuestState, last_seq: i64) {
    let mut ws = guest_connect(addr, key, state, "https://hotel.example/")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while state.last_seq < last_seq {
        let v = recv(&mut ws, deadline.saturating_duration_since(Instant::now()))
            .await
            .unwrap_or_else(|e| panic!("guest stuck at {} of {last_seq}: {e}", state.last_seq));
        state.absorb(&v);
    }
}

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

/// Waits for every task, in order; each has two minutes.
async fn all<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        let done = tokio::time::timeout(Duration::from_secs(120), t).await;
        out.push(done.expect("the task finishes").unwrap());
    }
    out
}

fn store_messages(hub: &Hub) -> Vec<(i64, i64, i64, String, bool, Option<String>)> {
    let conn = rusqlite::Connection::open_with_flags(
        hub.data.join("hub.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare("SELECT dialogue_id, seq, id, author_kind, private, client_id FROM messages ORDER BY dialogue_id, seq")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// Every stored client id once, each guest's `n` messages all there, each dialogue's
/// sequence 1, 2, 3… with no hole.
fn assert_store_exact(
    hub: &Hub,
    guests: usize,
    n: usize,
) -> Vec<(i64, i64, i64, String, bool, Option<String>)> {
    let rows = store_messages(hub);
    let mut client_ids = HashSet::new();
    let mut last: HashMap<i64, i64> = HashMap::new();
    for (d, seq, _, _, _, cid) in &rows {
        if let Some(cid) = cid {
            assert!(
                client_ids.insert(cid.clone()),
                "client id {cid} stored twice"
            );
        }
        let prev = last.insert(*d, *seq).unwrap_or(0);
        assert_eq!(*seq, prev + 1, "dialogue {d}: a hole before seq {seq}");
    }
    for g in 0..guests {
        for i in 0..n {
            assert!(
                client_ids.contains(&format!("g{g}-{i}")),
                "guest {g} message {i} was lost"
            );
        }
    }
    rows
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
                guest_burst(addr, &key, idx, N, 7, &mut run).await,
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
        let last_seq = rows
            .iter()
            .filter(|r| r.0 == d && !r.4)
            .map(|r| r.1)
            .max()
            .unwrap_or(0);
        guest_catch_up(hub.http, &key, &mut run.state, last_seq).await;
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
            guest_burst(addr, &key, idx, N, 0, &mut run).await;
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
                guest_burst(addr, &key, idx, N, 0, &mut run).await,
                "guest {idx} finishes after the restart"
            );
            run
        }));
    }
    let mut runs = all(tasks).await;
    let rows = assert_store_exact(&hub, GUESTS, N);
    for run in &mut runs {
        let d = run.state.dialogue_id.expect("a dialogue");
        let last_seq = rows
            .iter()
            .filter(|r| r.0 == d && !r.4)
            .map(|r| r.1)
            .max()
            .unwrap_or(0);
        guest_catch_up(hub.http, &key, &mut run.state, last_seq).await;
        assert_in_order_once("guest", &run.state.received);
    }
}
