//! What the benches share: the release demo hub on free loopback ports, a signed-in
//! session, RSS from /proc and percentiles.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

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

/// The hub binary to measure: this build's, or `BENCH_HUB_BINARY` (not `HUB_…`, which the
/// hub reads as its own settings) to measure another build
/// (an older commit's, for before-and-after figures) with the same bench.
pub fn hub_binary() -> std::path::PathBuf {
    std::env::var_os("BENCH_HUB_BINARY")
        .map(Into::into)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_hub").into())
}

/// `hub demo` on `data`, every listener on loopback port 0: the OS picks a free port as
/// the hub binds it, so nothing can take it between the choice and the bind. Where it
/// listens is in its `hub: listening` line ([`announced`]).
pub fn demo_command(data: &Path) -> Command {
    hub_command(data, "demo")
}

/// `hub <mode>` (`run` or `demo`) on `data`, as [`demo_command`] sets it up.
pub fn hub_command(data: &Path, mode: &str) -> Command {
    let mut cmd = Command::new(hub_binary());
    cmd.arg(mode)
        .env("HUB_DATA_DIR", data)
        .env("HUB_WEB__HTTP_LISTEN", "127.0.0.1:0")
        .env("HUB_WEB__HTTPS_LISTEN", "127.0.0.1:0")
        .env("HUB_BROKER__LISTEN", "127.0.0.1:0")
        .env("HUB_MDNS__ENABLED", "false")
        .env("HUB_LOG__FILTER", "warn")
        .stdout(Stdio::piped());
    cmd
}

/// Reads a started hub's stdout up to `hub: ready`: its HTTP port (from `hub: listening
/// http=…`) and the demo credentials by role.
pub fn announced(child: &mut Child) -> (u16, HashMap<String, (String, String)>) {
    let out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut port = None;
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
        if let Some(rest) = line.strip_prefix("hub: listening ") {
            port = rest
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix("http="))
                .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
                .map(|a| a.port());
        }
        if line.starts_with("hub: ready") {
            break;
        }
    }
    (port.expect("the hub says where it listens"), creds)
}

/// The release demo hub on free loopback ports, with the chat's per-stranger limits
/// lifted (benches are the only clients).
pub fn start_hub() -> Hub {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut child = demo_command(&dir.path().join("hub-data"))
        .env("HUB_CHAT__GUEST_SOCKETS_PER_ADDRESS", "5000")
        .env("HUB_CHAT__GUEST_MESSAGES_PER_MINUTE", "10000000")
        .env("HUB_CHAT__GUEST_CONNECTS_PER_MINUTE", "10000000")
        .env("HUB_CHAT__GUEST_FRAMES_PER_10S", "10000000")
        .spawn()
        .expect("start the hub");
    let (port, creds) = announced(&mut child);
    Hub {
        child,
        port,
        owner: creds.get("owner").cloned().expect("owner credentials"),
        agent: creds.get("agent").cloned().expect("agent credentials"),
        _dir: dir,
    }
}

/// The proportional set size (KiB): resident pages, each shared one divided among the
/// processes that map it (`/proc/PID/smaps_rollup`).
pub fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Pss:")?
                    .split_whitespace()
                    .next()?
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
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
