//! The delivery harness: guests that write bursts and reconnect as a browser would (keeping
//! their token and last sequence, resending what was not acknowledged by its client id), and
//! checks that the store holds every acknowledged message exactly once, in order.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::chat::{guest_connect, recv, recv_until, send, Endpoint, GuestState};
use crate::{Hub, HubOptions};

pub const WAIT: Duration = Duration::from_secs(10);

/// A stored message: dialogue, seq, id, author kind, private, client id.
pub type StoredMessage = (i64, i64, i64, String, bool, Option<String>);

/// A tiny deterministic generator: the same seed drops the same sockets on every run.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn chance(&mut self, one_in: u64) -> bool {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33).is_multiple_of(one_in)
    }
}

pub fn roomy_limits() -> HubOptions {
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
pub struct GuestRun {
    pub state: GuestState,
    /// The next message index to send (everything before it is acked).
    pub next: usize,
    pub acked: HashSet<String>,
    /// Acks across all guests, for the test to pick its moment.
    pub counter: Arc<AtomicUsize>,
}

impl GuestRun {
    pub fn new(counter: &Arc<AtomicUsize>) -> GuestRun {
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
pub async fn guest_burst(
    addr: Endpoint,
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
        let Ok(mut ws) =
            guest_connect(addr.clone(), key, &mut run.state, "https://hotel.example/").await
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
pub async fn guest_catch_up(addr: Endpoint, key: &str, state: &mut GuestState, last_seq: i64) {
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

/// Waits for every task, in order; each has two minutes.
pub async fn all<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        let done = tokio::time::timeout(Duration::from_secs(120), t).await;
        out.push(done.expect("the task finishes").unwrap());
    }
    out
}

pub fn store_messages(hub: &Hub) -> Vec<StoredMessage> {
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
pub fn assert_store_exact(hub: &Hub, guests: usize, n: usize) -> Vec<StoredMessage> {
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

/// The last sequence of dialogue `d` a guest sees in `rows` (private notes left out).
pub fn last_guest_seq(rows: &[StoredMessage], d: i64) -> i64 {
    rows.iter()
        .filter(|r| r.0 == d && !r.4)
        .map(|r| r.1)
        .max()
        .unwrap_or(0)
}

/// Reconnects each guest at `addr` and reads its dialogue up to the last message the store
/// holds for it (`rows`, from [`assert_store_exact`]); each must then have received every
/// message once, in order.
pub async fn guests_caught_up(
    addr: Endpoint,
    key: &str,
    runs: &mut [GuestRun],
    rows: &[StoredMessage],
    who: &str,
) {
    for run in runs {
        let d = run.state.dialogue_id.expect("a dialogue");
        let last_seq = last_guest_seq(rows, d);
        guest_catch_up(addr.clone(), key, &mut run.state, last_seq).await;
        crate::chat::assert_in_order_once(who, &run.state.received);
    }
}

/// A member of staff on the hub's LAN (`owner`, signed in at `url`) joining every dialogue
/// and answering each every 100 ms until `done`; the replies sent.
pub fn staff_answering(
    owner: reqwest::Client,
    url: String,
    done: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    tokio::spawn(async move {
        let mut sent = 0;
        let mut joined = HashSet::new();
        while !done.load(Ordering::SeqCst) {
            let mut ids = Vec::new();
            for view in ["unassigned", "mine"] {
                let list =
                    crate::get_json(&owner, &format!("{url}/api/v1/chat/dialogues?view={view}"))
                        .await
                        .unwrap_or_default();
                let found = list["dialogues"].as_array().into_iter().flatten();
                ids.extend(found.filter_map(|d| d["id"].as_i64()));
            }
            for d in ids {
                if joined.insert(d) {
                    let _ = owner
                        .post(format!("{url}/api/v1/chat/dialogues/{d}/join"))
                        .send()
                        .await;
                }
                let r = owner
                    .post(format!("{url}/api/v1/chat/dialogues/{d}/messages"))
                    .json(&json!({ "client_id": format!("desk-{d}-{sent}"), "body": format!("desk {sent}") }))
                    .send()
                    .await;
                // A kept-alive connection the hub closed as it was reused: the next round
                // sends it again with the same client id (kept once if it was kept).
                if let Ok(r) = r {
                    assert_eq!(r.status(), 201);
                    sent += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        sent
    })
}
