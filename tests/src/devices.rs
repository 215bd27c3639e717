//! Helpers the device tests share: waiting on a driver link's snapshot, and JSON calls.

use std::time::Duration;

use device_drivers::{LinkHandle, Snapshot};
use serde_json::Value;

/// Waits until the link's snapshot satisfies `ok`; panics (naming `what`) after `limit`.
pub async fn wait_for(
    link: &LinkHandle,
    what: &str,
    limit: Duration,
    ok: impl Fn(&Snapshot) -> bool,
) {
    let mut watch = link.watch();
    let result = tokio::time::timeout(limit, async {
        loop {
            if ok(&watch.borrow_and_update()) {
                return;
            }
            if watch.changed().await.is_err() {
                panic!("the link ended while waiting for {what}");
            }
        }
    })
    .await;
    assert!(
        result.is_ok(),
        "{what} did not happen within {limit:?}: {:?}",
        link.snapshot()
    );
}

/// POSTs `body` and reads the JSON answer; panics on a failure status.
pub async fn post_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: &str,
    body: &Value,
) -> T {
    let r = client
        .post(url)
        .json(body)
        .send()
        .await
        .expect("the hub answers");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {url}: {status}: {v}");
    serde_json::from_value(v).expect("the answer's shape")
}

/// Polls the hub's device list until the device whose `native_id` is `native` satisfies
/// `ok`; returns it. Panics after 20 s.
pub async fn wait_device(
    client: &reqwest::Client,
    hub: &crate::Hub,
    native: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    crate::eventually(
        &format!("{native} getting there"),
        Duration::from_secs(20),
        async || {
            let list: Vec<Value> = client
                .get(hub.url("/api/v1/devices"))
                .send()
                .await
                .expect("the hub answers")
                .json()
                .await
                .expect("a device list");
            match list.into_iter().find(|d| d["native_id"] == native) {
                Some(d) if ok(&d) => Ok(d),
                found => Err(found),
            }
        },
    )
    .await
}
