//! Durable writes per second through the store's writer, both under `synchronous=FULL`:
//! group commit (the hub's setting) against one transaction per write, with 1, 16 and 256
//! concurrent writers. Prints a table; every run is bounded in count.

use std::time::Instant;

use hub::store::{Store, StoreError, StoreOptions};

async fn rate(writers: usize, max_batch: usize, total: usize) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(
        &dir.path().join("bench.db"),
        StoreOptions {
            max_batch,
            ..StoreOptions::default()
        },
    )
    .expect("open the store");
    store
        .write(|c| {
            c.execute_batch("CREATE TABLE m (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
                .map_err(StoreError::from)
        })
        .await
        .expect("schema");
    let per_writer = total.div_ceil(writers);
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..per_writer {
                    let body =
                        format!("message {i} from writer {w}: a guest asks about late check-out");
                    store
                        .write(move |c| {
                            c.execute("INSERT INTO m (body) VALUES (?1)", [body])
                                .map_err(StoreError::from)
                        })
                        .await
                        .expect("a durable write");
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("writer task");
    }
    (per_writer * writers) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    println!("durable writes/s (WAL, synchronous=FULL), this machine");
    println!(
        "{:>8} {:>16} {:>16} {:>8}",
        "writers", "group commit", "one tx/write", "ratio"
    );
    for writers in [1usize, 16, 256] {
        // Counts chosen so each cell takes about a second here.
        let group = runtime.block_on(rate(
            writers,
            1024,
            if writers == 1 { 4_000 } else { 60_000 },
        ));
        let single = runtime.block_on(rate(writers, 1, 4_000));
        println!(
            "{writers:>8} {group:>16.0} {single:>16.0} {:>7.1}x",
            group / single
        );
    }
}
