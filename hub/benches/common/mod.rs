//! What the benches share: the release demo hub on free loopback ports, a signed-in
//! session, RSS from /proc and percentiles.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub struct Hub {
    pub child: Child,
    pub port: u16,
    pub owner: (String, String),
    pub agent: (String, String),
    _dir: tempfile::TempDir,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release demo hub on free loopback ports, with the chat's per-stranger limits
/// lifted (benches are the only clients).
pub fn start_hub() -> Hub {
    use std::io::BufRead;
    let dir = tempfile::tempdir().expect("a temp dir");
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hub"))
        .arg("demo")
        .env("HUB_DATA_DIR", dir.path().join("hub-data"))
        .env("HUB_WEB__HTTP_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "HUB_WEB__HTTPS_LISTEN",
            format!("127.0.0.1:{}", free_port()),
        )
        .env("HUB_BROKER__LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("HUB_MDNS__ENABLED", "false")
        .env("HUB_LOG__FILTER", "warn")
        .env("HUB_CHAT__GUEST_SOCKETS_PER_ADDRESS", "5000")
        .env("HUB_CHAT__GUEST_MESSAGES_PER_MINUTE", "10000000")
        .env("HUB_CHAT__GUEST_CONNECTS_PER_MINUTE", "10000000")
        .env("HUB_CHAT__GUEST_FRAMES_PER_10S", "10000000")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the hub");
    let out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut creds = HashMap::new();
    for line in out.lines().map_while(Result::ok) {
        if let Some(rest) = line.strip_prefix("credentials: ") {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            if parts.len() == 3 {
                creds.insert(
                    parts[0].to_owned(),
                    (parts[1].to_owned(), parts[2].to_owned()),
                );
            }
        }
        if line.starts_with("hub: ready") {
            break;
        }
    }
    Hub {
        child,
        port,
        owner: creds.get("owner").cloned().expect("owner credentials"),
        agent: creds.get("agent").cloned().expect("agent credentials"),
        _dir: dir,
    }
}

pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// A signed-in session cookie (`hub_session=…`).
pub async fn cookie(port: u16, (email, password): &(String, String)) -> String {
    let r = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("sign in");
    let c = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("hub_session="))
        .expect("a session cookie");
    c.split(';').next().unwrap_or_default().to_owned()
}

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}
