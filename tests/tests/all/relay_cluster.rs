//! The relay as a cluster (issue 16): three `nats-server` nodes with MQTT and JetStream, two
//! `hub-relay` nodes sharing PostgreSQL, two hubs, each in a network namespace of its own.
//! Each hub links to a different relay; each hub's guests come in through the other one.
//! Under traffic both ways, one NATS node and one relay node are killed: the hubs link
//! again, the summaries' work moves to the surviving node, and every acknowledged message is
//! on the other side once, in order. The time to recover is printed.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::chat::{widget_key, Endpoint};
use e2e::cluster::{nats, postgres, psql, Fabric, Process};
use e2e::delivery::{
    all, assert_store_exact, guest_burst, guests_caught_up, roomy_limits, staff_answering, GuestRun,
};
use e2e::relay::{linked, spawn_in};
use e2e::{eventually, Hub};

const NATS: [&str; 3] = ["10.98.0.11", "10.98.0.12", "10.98.0.13"];
const PG: &str = "10.98.0.20";
const RELAYS: [&str; 2] = ["10.98.0.31", "10.98.0.32"];
const PASSWORD: &str = "nats-secret-for-the-test";
const GUESTS: usize = 2;
const N: usize = 60;

/// A relay node's config: its own address, its nearest NATS node first.
fn relay_config(data: &std::path::Path, node: &str, ip: &str, pg: &str, nearest: usize) -> String {
    let brokers: Vec<String> = (0..3)
        .map(|k| format!("\"{}:1883\"", NATS[(nearest + k) % 3]))
        .collect();
    format!(
        "node = \"{node}\"\ndata_dir = {:?}\npublic_url = \"http://relay.cluster:8080\"\n\
         http_listen = \"{ip}:8080\"\nlink_listen = \"{ip}:8883\"\n\
         link_address = \"relay.cluster:8883\"\n\
         [cluster]\npostgres = \"{pg}\"\nbrokers = [{}]\n\
         broker_username = \"relay\"\nbroker_password = \"{PASSWORD}\"\n",
        data.display().to_string(),
        brokers.join(", ")
    )
}

/// The node `hub` is linked to, as PostgreSQL has it.
fn linked_node(hub: &str) -> Option<String> {
    psql(
        PG,
        &format!("SELECT linked_node FROM hubs WHERE id = '{hub}'"),
    )
    .ok()?
    .into_iter()
    .next()?
    .into_iter()
    .next()
    .filter(|n| !n.is_empty())
}

fn summary_seq(hub: &str) -> i64 {
    psql(
        PG,
        &format!("SELECT summary_seq FROM hubs WHERE id = '{hub}'"),
    )
    .ok()
    .and_then(|rows| rows.first()?.first()?.parse().ok())
    .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_loses_a_nats_node_and_a_relay_under_traffic_and_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut fabric = Fabric::new("hc", "10.98.0").unwrap();
    let mut brokers: Vec<Process> = Vec::new();
    for (i, ip) in NATS.iter().enumerate() {
        let prefix = fabric.member(&format!("n{i}"), ip, &[]).unwrap();
        brokers.push(nats(&prefix, dir.path(), &format!("n{i}"), ip, &NATS, PASSWORD).unwrap());
    }
    let pg_dir = dir.path().join("pg");
    std::fs::create_dir_all(&pg_dir).unwrap();
    let pg_prefix = fabric.member("pg", PG, &[]).unwrap();
    let (_pg, conninfo) = postgres(&pg_prefix, &pg_dir, PG).unwrap();

    // Both relays answer to one name, as a DNS name with two addresses would; they share
    // one CA, so a hub trusts either.
    let mut relays: Vec<Process> = Vec::new();
    let mut data_dirs: Vec<std::path::PathBuf> = Vec::new();
    for (i, ip) in RELAYS.iter().enumerate() {
        let node = format!("r{}", i + 1);
        let data = dir.path().join(&node);
        std::fs::create_dir_all(&data).unwrap();
        if i > 0 {
            for file in ["ca.pem", "ca.key"] {
                std::fs::copy(data_dirs[0].join(file), data.join(file)).unwrap();
            }
        }
        let prefix = fabric.member(&node, ip, &[]).unwrap();
        let config = relay_config(&data, &node, ip, &conninfo, i);
        let node_dir = dir.path().join(format!("{node}-run"));
        std::fs::create_dir_all(&node_dir).unwrap();
        let (child, ..) = spawn_in(&prefix, &node_dir, &config).unwrap();
        relays.push(Process(Some(child)));
        data_dirs.push(data);
    }
    let ca = data_dirs[0].join("ca.pem");

    // The relays' name has both addresses; a resolver puts first the one sharing the
    // longest prefix with the asking host (RFC 6724 rule 9, which glibc applies), so hub A
    // (.30) tries relay 1 (.31) first and hub B (.33) relay 2 (.32).
    let mut hubs = Vec::new();
    for (i, ip) in ["10.98.0.30", "10.98.0.33"].iter().enumerate() {
        let hosts = [
            format!("{} relay.cluster", RELAYS[0]),
            format!("{} relay.cluster", RELAYS[1]),
        ];
        let hosts: Vec<&str> = hosts.iter().map(String::as_str).collect();
        let prefix = fabric.member(&format!("hub{i}"), ip, &hosts).unwrap();
        let mut options = roomy_limits();
        options.prefix = prefix;
        options.env.extend([
            ("HUB_WEB__HTTP_LISTEN".into(), format!("{ip}:0")),
            ("HUB_WEB__HTTPS_LISTEN".into(), format!("{ip}:0")),
            (
                "HUB_CLOUD__RELAY".into(),
                "http://relay.cluster:8080".into(),
            ),
            ("HUB_CLOUD__RELAY_CA".into(), ca.display().to_string()),
            ("HUB_CLOUD__SUMMARY_SECS".into(), "1".into()),
        ]);
        let mut hub = Hub::start(options).unwrap();
        // Off loopback, the hub takes staff only over HTTPS.
        hub.scheme = "https";
        hubs.push(hub);
    }
    let mut ids = Vec::new();
    let mut publics = Vec::new();
    for hub in &hubs {
        let public = linked(hub, Duration::from_secs(60)).await.unwrap();
        let host = public.split("://").nth(1).unwrap().to_owned();
        ids.push(host.split('.').next().unwrap().to_owned());
        publics.push(host);
    }
    assert_eq!(linked_node(&ids[0]).as_deref(), Some("r1"));
    assert_eq!(linked_node(&ids[1]).as_deref(), Some("r2"));

    // Hub A's guests come in through relay 2, hub B's through relay 1; when a relay is
    // gone a browser takes the name's other address.
    let counter = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    let mut keys = Vec::new();
    for (h, hub) in hubs.iter().enumerate() {
        let owner = hub.signed_in("owner").await.unwrap();
        let key = widget_key(&owner, hub).await.unwrap();
        keys.push(key.clone());
        let ways: Vec<Endpoint> = [RELAYS[1 - h], RELAYS[h]]
            .iter()
            .map(|ip| Endpoint {
                addr: format!("{ip}:8080").parse().unwrap(),
                host: publics[h].clone(),
            })
            .collect();
        for g in 0..GUESTS {
            let (key, ways, counter) = (key.clone(), ways.clone(), counter.clone());
            tasks.push(tokio::spawn(async move {
                let mut run = GuestRun::new(&counter);
                let deadline = Instant::now() + Duration::from_secs(120);
                let mut way = 0;
                while !guest_burst(ways[way].clone(), &key, g, N, 0, &mut run).await {
                    assert!(
                        Instant::now() < deadline,
                        "guest {g} never got through again"
                    );
                    way = (way + 1) % ways.len();
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                run
            }));
        }
    }
    let staff_done = Arc::new(AtomicBool::new(false));
    let mut staff = Vec::new();
    for hub in &hubs {
        let owner = hub.signed_in("owner").await.unwrap();
        staff.push(staff_answering(owner, hub.url(""), staff_done.clone()));
    }
    let total = 2 * GUESTS * N;
    eventually(
        "a third of the bursts",
        Duration::from_secs(90),
        async || {
            let acks = counter.load(Ordering::SeqCst);
            (acks >= total / 3).then_some(()).ok_or(acks)
        },
    )
    .await;

    // Relay 1's nearest NATS node and relay 2 die together.
    let summary_before = summary_seq(&ids[1]);
    brokers[0].kill();
    relays[1].kill();
    let killed = Instant::now();
    let cut_at = counter.load(Ordering::SeqCst);
    assert!(
        cut_at < total,
        "the kill came mid-burst ({cut_at} acknowledged)"
    );
    let mut moved = [None, None];
    eventually(
        "both hubs linked to relay 1",
        Duration::from_secs(90),
        async || {
            for (h, id) in ids.iter().enumerate() {
                if moved[h].is_none()
                    && linked_node(id).as_deref() == Some("r1")
                    && (h == 0 || summary_seq(id) > summary_before)
                {
                    moved[h] = Some(killed.elapsed());
                }
            }
            moved.iter().all(Option::is_some).then_some(()).ok_or(moved)
        },
    )
    .await;
    eventually("acks again", Duration::from_secs(90), async || {
        let acks = counter.load(Ordering::SeqCst);
        (acks > cut_at + GUESTS).then_some(()).ok_or(acks)
    })
    .await;
    let acked_again = killed.elapsed();
    let mut runs = all(tasks).await;
    let done = killed.elapsed();
    staff_done.store(true, Ordering::SeqCst);
    for task in staff {
        assert!(task.await.unwrap() > 0, "staff answered during the bursts");
    }
    println!(
        "cluster: NATS node n0 and relay r2 killed at {cut_at} of {total} acks; hub A linked again after {:?}, \
         hub B (on r1, its summary kept by r1) after {:?}; guests acknowledged again after {acked_again:?}; \
         all {total} acknowledged after {done:?}",
        moved[0].unwrap_or_default(),
        moved[1].unwrap_or_default(),
    );
    // The survivor's metrics tell its operator a node is gone.
    let metrics = format!("http://{}:8080/metrics", RELAYS[0]);
    eventually(
        "one live node in r1's metrics",
        Duration::from_secs(30),
        async || {
            let text = reqwest::get(&metrics).await.map_err(|e| e.to_string())?;
            let text = text.text().await.map_err(|e| e.to_string())?;
            text.contains("\nrelay_nodes_alive 1\n")
                .then_some(())
                .ok_or(text)
        },
    )
    .await;
    let survivor = |h: usize| Endpoint {
        addr: format!("{}:8080", RELAYS[0]).parse().unwrap(),
        host: publics[h].clone(),
    };
    let (a_runs, b_runs) = runs.split_at_mut(GUESTS);
    for (h, runs) in [a_runs, b_runs].into_iter().enumerate() {
        let rows = assert_store_exact(&hubs[h], GUESTS, N);
        guests_caught_up(survivor(h), &keys[h], runs, &rows, "guest outside").await;
    }
}
