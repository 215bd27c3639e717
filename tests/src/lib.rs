//! The end-to-end harness: builds and starts the real `hub` binary in a temporary data
//! directory on loopback ports, reads the addresses it announces, and offers an HTTP client
//! with a cookie jar. The tests in `tests/` drive it with real peers.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// The workspace root (the folder holding `Cargo.lock`).
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `hub` binary, built once per test process with the same profile as the tests.
pub fn hub_binary() -> PathBuf {
    built_binaries().join("hub")
}

/// The `hub-relay` binary (the cloud relay).
pub fn relay_binary() -> PathBuf {
    built_binaries().join("hub-relay")
}

/// The `device-emulator` binary (emulated Tuya, eWeLink and miIO devices).
pub fn emulator_binary() -> PathBuf {
    built_binaries().join("device-emulator")
}

/// Builds the workspace's binaries once per test process; returns their folder.
fn built_binaries() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace().join("target"));
            let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            cargo
                .args(["build", "--quiet", "-p", "hub", "--bin", "hub"])
                .args(["-p", "device-drivers", "--bin", "device-emulator"])
                .args(["-p", "relay", "--bin", "hub-relay"])
                .current_dir(workspace());
            // The test runner sets these for this crate; a build script (ring's) that
            // watches them would see a change and rebuild the hub in every test process.
            for (name, _) in std::env::vars_os() {
                let name = name.to_string_lossy();
                let per_crate = [
                    "CARGO_MANIFEST_",
                    "CARGO_PKG_",
                    "CARGO_CRATE_",
                    "CARGO_BIN_",
                    "CARGO_PRIMARY_",
                    "CARGO_TARGET_TMPDIR",
                ];
                if per_crate.iter().any(|p| name.starts_with(p)) {
                    cargo.env_remove(name.as_ref());
                }
            }
            let status = cargo.status();
            assert!(
                matches!(status, Ok(s) if s.success()),
                "building the hub, relay and emulator binaries failed"
            );
            target.join("debug")
        })
        .clone()
}

/// The Python venv that `tests/run` makes under `target/`.
pub fn python() -> PathBuf {
    workspace().join("target/test-venv/bin/python")
}

/// The second venv, for the device peers (tuyamock, tinytuya, python-miio, sonofflan),
/// whose pins (zeroconf < 0.40) clash with the first.
pub fn device_python() -> PathBuf {
    workspace().join("target/device-venv/bin/python")
}

/// The venv with Home Assistant itself, for validating MQTT discovery.
pub fn ha_python() -> PathBuf {
    workspace().join("target/ha-venv/bin/python")
}

/// The Python of the venv with the newest Home Assistant this machine's Python 3.13 runs
/// (`tests/peers/requirements-ha-current.txt`), made by `tests/run`.
pub fn ha_current_python() -> PathBuf {
    workspace().join("target/ha-current-venv/bin/python")
}

pub mod chat;
pub mod cluster;
pub mod delivery;
pub mod devices;
pub mod inproc;
pub mod messengers;
pub mod netns;
mod peer;
pub mod rauc;
pub mod relay;
pub mod standins;
pub mod wait;
pub mod world;

pub use peer::{LinePeer, Peer};
pub use wait::eventually;

pub struct Hub {
    pub child: Child,
    pub data: PathBuf,
    pub http: SocketAddr,
    pub https: Option<SocketAddr>,
    pub mqtt: Option<SocketAddr>,
    /// `(role, email, password)` from a demo run.
    pub credentials: Vec<(String, String, String)>,
    pub setup_code: Option<String>,
    /// "http", or "https" for staff off loopback (the hub asks them for TLS): then
    /// [`Hub::url`] is the HTTPS listener and [`Hub::signed_in`] trusts the hub's own CA.
    pub scheme: &'static str,
    /// The environment it was started with; a restart keeps it.
    env: Vec<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

pub struct HubOptions {
    pub demo: bool,
    pub env: Vec<(String, String)>,
    pub data: Option<PathBuf>,
    /// Wrap the command, e.g. `["ip", "netns", "exec", "x"]`.
    pub prefix: Vec<String>,
}

impl Default for HubOptions {
    fn default() -> Self {
        HubOptions {
            demo: true,
            env: Vec::new(),
            data: None,
            prefix: Vec::new(),
        }
    }
}

impl Hub {
    pub fn start_demo() -> anyhow::Result<Hub> {
        Hub::start(HubOptions::default())
    }

    pub fn start(options: HubOptions) -> anyhow::Result<Hub> {
        let (dir, data) = match options.data {
            Some(d) => (None, d),
            None => {
                let dir = tempfile::tempdir()?;
                let data = dir.path().join("hub-data");
                (Some(dir), data)
            }
        };
        let binary = hub_binary();
        let mut cmd = match options.prefix.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(&binary);
                c
            }
            None => Command::new(&binary),
        };
        cmd.arg(if options.demo { "demo" } else { "run" })
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HUB_DATA_DIR", &data)
            .env("HUB_WEB__HTTP_LISTEN", "127.0.0.1:0")
            .env("HUB_WEB__HTTPS_LISTEN", "127.0.0.1:0")
            .env("HUB_BROKER__LISTEN", "127.0.0.1:0")
            .env("HUB_MDNS__ENABLED", "false")
            // webrtc-rs warns of every call's ordinary set-up steps.
            .env(
                "HUB_LOG__FILTER",
                "warn,rtc_dtls=error,rtc_ice=error,rtc=error",
            )
            // Traffic stays on this machine: the forecast service is loopback's discard port
            // (refused at once) unless a test brings its own stand-in.
            .env("HUB_WEATHER__BASE_URL", "http://127.0.0.1:9")
            .envs(options.env.clone())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn().context("cannot start the hub")?;
        let seen = announced(&mut child, "hub: ready", Duration::from_secs(60))?;
        let mut listening = None;
        let mut credentials = Vec::new();
        let mut setup_code = None;
        for line in &seen {
            if let Some(rest) = line.strip_prefix("credentials: ") {
                if let [role, email, password] = rest.split_whitespace().collect::<Vec<_>>()[..] {
                    credentials.push((role.to_owned(), email.to_owned(), password.to_owned()));
                }
            }
            if let Some(i) = line.find("set-up code ") {
                setup_code = Some(line[i + 12..].trim().to_owned());
            }
            if line.starts_with("hub: listening ") {
                listening = Some(line.clone());
            }
        }
        let Some(listening) = listening else {
            let _ = child.kill();
            bail!("the hub did not announce its addresses; it printed: {seen:?}");
        };
        let field = |name: &str| -> Option<SocketAddr> {
            listening
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix(name))
                .and_then(|v| v.parse().ok())
        };
        let http = field("http=").context("no http address")?;
        Ok(Hub {
            child,
            data,
            http,
            https: field("https="),
            mqtt: field("mqtt="),
            credentials,
            setup_code,
            scheme: "http",
            env: options.env,
            _dir: dir,
        })
    }

    pub fn url(&self, path: &str) -> String {
        match (self.scheme, self.https) {
            ("https", Some(https)) => format!("https://{https}{path}"),
            _ => format!("http://{}{path}", self.http),
        }
    }

    pub fn password_of(&self, role: &str) -> (String, String) {
        self.credentials
            .iter()
            .find(|(r, _, _)| r == role)
            .map(|(_, e, p)| (e.clone(), p.clone()))
            .unwrap_or_default()
    }

    /// A client signed in as the demo member with this role.
    pub async fn signed_in(&self, role: &str) -> anyhow::Result<reqwest::Client> {
        let client = if self.scheme == "https" {
            // The hub's certificate is from its own CA, made at its first start.
            reqwest::Client::builder()
                .cookie_store(true)
                .timeout(Duration::from_secs(30))
                .danger_accept_invalid_certs(true)
                .build()?
        } else {
            client()
        };
        let (email, password) = self.password_of(role);
        let r = client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("sign-in as {role} failed: {}", r.status());
        }
        Ok(client)
    }

    /// Kills this hub (SIGKILL) and starts a new one on the same data directory.
    pub fn restart(mut self, demo: bool) -> anyhow::Result<Hub> {
        self.kill_hard();
        let dir = self._dir.take();
        let mut next = Hub::start(HubOptions {
            demo,
            data: Some(self.data.clone()),
            env: self.env.clone(),
            ..HubOptions::default()
        })?;
        next._dir = dir;
        next.credentials = std::mem::take(&mut self.credentials);
        Ok(next)
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

/// What a started program printed on stdout up to the line `ready` (or the deadline); the
/// rest of its output is read and dropped, so it never blocks on a full pipe.
pub fn announced(child: &mut Child, ready: &str, wait: Duration) -> anyhow::Result<Vec<String>> {
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        // Read to the end, past the reader's interest: a full pipe would stop the program.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + wait;
    let mut seen = Vec::new();
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if line == ready {
            break;
        }
        seen.push(line);
    }
    Ok(seen)
}

/// GET `url` and parse the JSON answer.
pub async fn get_json(client: &reqwest::Client, url: &str) -> anyhow::Result<serde_json::Value> {
    Ok(client
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Runs a helper and fails with its output when it fails.
pub fn run_ok(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd
        .output()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("{cmd:?} failed ({}):\n{text}", out.status);
    }
    Ok(text)
}
