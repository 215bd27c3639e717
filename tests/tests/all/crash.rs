//! Acknowledged means durable: concurrent writes through the API, `kill -9` mid-stream, and
//! every write that was answered 2xx is there after the restart; the file passes
//! `PRAGMA integrity_check`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use e2e::{eventually, get_json, Hub};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let hub = Hub::start_demo().unwrap();
    let owner = hub.signed_in("owner").await.unwrap();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut writers = Vec::new();
    for w in 0..16 {
        let (client, url, acked) = (owner.clone(), hub.url("/api/v1/admin/rooms"), acked.clone());
        writers.push(tokio::spawn(async move {
            // Bounded: at most 2,000 writes each, and the hub dies long before.
            for i in 0..2000 {
                let name = format!("crash-{w}-{i}");
                match client
                    .post(&url)
                    .json(&serde_json::json!({ "name": name }))
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().push(name),
                    Ok(r) => panic!("a write was refused: {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    // Killed mid-stream: once as many writes are acknowledged as asserted below, with all
    // sixteen writers still going.
    eventually(
        "50 acknowledged writes",
        Duration::from_secs(60),
        async || {
            let n = acked.lock().unwrap().len();
            (n >= 50).then_some(()).ok_or(n)
        },
    )
    .await;
    let data = hub.data.clone();
    let hub = hub.restart(true).unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 50,
        "only {} writes were acknowledged before the kill",
        acked.len()
    );

    let owner = hub.signed_in("owner").await.unwrap();
    let rooms: Value = get_json(&owner, &hub.url("/api/v1/rooms")).await.unwrap();
    let present: std::collections::HashSet<&str> = rooms
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|n| !present.contains(n.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes were lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );

    let conn = rusqlite::Connection::open(data.join("hub.db")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    eprintln!(
        "{} acknowledged writes before kill -9, all present after restart",
        acked.len()
    );
}
