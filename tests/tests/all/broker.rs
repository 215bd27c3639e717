//! Broker interop: real third-party clients (paho-mqtt from PyPI, mosquitto_pub/sub from
//! Debian) sign in with device credentials made through the API; wrong ones are refused.

use std::process::Command;
use std::time::Duration;

use e2e::{eventually, python, run_ok, workspace, Hub};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn third_party_clients_use_the_embedded_broker_with_device_credentials() {
    let hub = Hub::start_demo().unwrap();
    let mqtt = hub.mqtt.expect("the broker is on");
    let owner = hub.signed_in("owner").await.unwrap();
    let made: Value = owner
        .post(hub.url("/api/v1/admin/device-credentials"))
        .json(&serde_json::json!({ "username": "tasmota-101", "label": "Room 101 plug" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let password = made["password"]
        .as_str()
        .expect("the password is shown once")
        .to_owned();
    let port = mqtt.port().to_string();
    // The setup page tells devices the port the broker really listens on.
    let endpoint: Value = owner
        .get(hub.url("/api/v1/admin/broker"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (endpoint["enabled"].as_bool(), endpoint["port"].as_u64()),
        (Some(true), Some(u64::from(mqtt.port()))),
        "{endpoint}"
    );
    assert_eq!(endpoint["reachable_on_lan"], mqtt.ip().is_unspecified());

    let out = run_ok(
        Command::new(python())
            .arg(workspace().join("tests/peers/mqtt_interop.py"))
            .args([
                "--port",
                &port,
                "--user",
                "tasmota-101",
                "--password",
                &password,
            ]),
    )
    .unwrap();
    assert!(out.contains("paho interop ok"), "{out}");
    // MQTT 3.1.1 §3.1.3.1: an empty client id with a clean session is the broker's to
    // assign (as Mosquitto does), not a reason to refuse.
    let anonymous_id = run_ok(Command::new(python()).arg("-c").arg(format!(
        "import paho.mqtt.client as m\n\
         c = m.Client(m.CallbackAPIVersion.VERSION2, client_id='', clean_session=True)\n\
         c.username_pw_set('tasmota-101', '{password}')\n\
         c.connect('127.0.0.1', {port}, 30)\n\
         c.loop_start()\n\
         c.publish('test/empty-id', 'hello', qos=1).wait_for_publish(5)\n\
         print('published' if c.is_connected() else 'refused')\n\
         c.disconnect()\n"
    )))
    .unwrap();
    assert!(anonymous_id.contains("published"), "{anonymous_id}");

    let login = Some(("tasmota-101", password.as_str()));
    let mut sub = mosquitto("mosquitto_sub", &port, login)
        .args([
            "-t",
            "test/mosquitto",
            "-C",
            "1",
            "-W",
            "15",
            "-i",
            "mosq-sub",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("mosquitto_sub (Debian mosquitto-clients) is installed by tests/run");
    // What is published before mosquitto_sub has subscribed is not for it: publish until
    // it has had its one message and left (or given up after its 15 s).
    eventually(
        "mosquitto_sub ending",
        Duration::from_secs(20),
        async || {
            run_ok(mosquitto("mosquitto_pub", &port, login).args([
                "-t",
                "test/mosquitto",
                "-m",
                "hello",
                "-i",
                "mosq-pub",
            ]))
            .unwrap();
            sub.try_wait().unwrap()
        },
    )
    .await;
    let out = sub.wait_with_output().unwrap();
    assert!(out.status.success(), "mosquitto_sub got nothing");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "hello");

    assert!(
        !publishes(&port, Some(("tasmota-101", "wrong"))),
        "a wrong password was accepted"
    );
    assert!(!publishes(&port, None), "an anonymous client was accepted");

    // Revoked credentials stop working at once.
    let id = made["credential"]["id"].as_i64().unwrap();
    owner
        .delete(hub.url(&format!("/api/v1/admin/device-credentials/{id}")))
        .send()
        .await
        .unwrap();
    assert!(
        !publishes(&port, Some(("tasmota-101", &password))),
        "a revoked credential was accepted"
    );
}

/// A mosquitto client command aimed at the hub's broker, signed in with `login` if given.
fn mosquitto(program: &str, port: &str, login: Option<(&str, &str)>) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(["-h", "127.0.0.1", "-p", port]);
    if let Some((user, password)) = login {
        cmd.args(["-u", user, "-P", password]);
    }
    cmd
}

/// Whether mosquitto_pub gets a message through with these credentials (none: anonymous).
fn publishes(port: &str, login: Option<(&str, &str)>) -> bool {
    mosquitto("mosquitto_pub", port, login)
        .args(["-t", "test/x", "-m", "probe"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}
