//! The real `hub-relay` binary for the tests: started in a temporary data directory on
//! loopback ports it picks, with its public name under `relay.localhost` (browsers resolve
//! such names to this machine by themselves; the Rust clients here are told to).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::{get_json, relay_binary, Hub};

pub struct Relay {
    pub child: Child,
    pub data: PathBuf,
    /// The browsers' listener (plain HTTP).
    pub http: SocketAddr,
    /// The hubs' listener (MQTT over TLS).
    pub link: SocketAddr,
    /// `http://relay.localhost:<port>`.
    pub public_url: String,
    extra: String,
    _dir: tempfile::TempDir,
}

impl Relay {
    pub fn start() -> anyhow::Result<Relay> {
        Relay::start_with("")
    }

    /// A relay whose config ends with `extra` (TOML tables such as `[mail]`).
    pub fn start_with(extra: &str) -> anyhow::Result<Relay> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().join("relay-data");
        let config = format!(
            "data_dir = {:?}\npublic_url = \"\"\nlink_address = \"\"\n\
             http_listen = \"127.0.0.1:0\"\nlink_listen = \"127.0.0.1:0\"\n{extra}",
            data.display().to_string()
        );
        let (child, http, link, public_url) = spawn(dir.path(), &config)?;
        Ok(Relay {
            child,
            http,
            link,
            public_url,
            data,
            extra: extra.to_owned(),
            _dir: dir,
        })
    }

    /// Kills the relay (SIGKILL) and starts it again on the same data and ports.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        let config = format!(
            "data_dir = {:?}\npublic_url = {:?}\nlink_address = \"localhost:{}\"\n\
             http_listen = \"{}\"\nlink_listen = \"{}\"\n{}",
            self.data.display().to_string(),
            self.public_url,
            self.link.port(),
            self.http,
            self.link,
            self.extra
        );
        let (child, _, _, _) = spawn(self._dir.path(), &config)?;
        self.child = child;
        Ok(())
    }

    /// The relay's own page or API at `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// What a hub's environment needs to link to this relay.
    pub fn hub_env(&self) -> Vec<(String, String)> {
        vec![
            ("HUB_CLOUD__RELAY".into(), self.url("")),
            (
                "HUB_CLOUD__RELAY_CA".into(),
                self.data.join("ca.pem").display().to_string(),
            ),
        ]
    }

    /// A client (with a cookie jar) that reaches `public_url` (a hub's address on this relay)
    /// at the relay's listener.
    pub fn client_for(&self, public_url: &str) -> reqwest::Client {
        let host = public_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split([':', '/']).next())
            .unwrap_or_default()
            .to_owned();
        reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&host, self.http)
            .build()
            .unwrap_or_default()
    }

    /// Kills the relay (SIGKILL).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until `hub`'s link to its relay is up (as its owner sees it in the admin app) and
/// returns the hub's public address there.
pub async fn linked(hub: &Hub, wait: Duration) -> anyhow::Result<String> {
    let owner = hub.signed_in("owner").await?;
    let deadline = Instant::now() + wait;
    loop {
        let status = get_json(&owner, &hub.url("/api/v1/admin/cloud")).await?;
        if status["state"] == "online" {
            return status["public_url"]
                .as_str()
                .map(str::to_owned)
                .context("online without a public address");
        }
        if Instant::now() > deadline {
            bail!("the hub's link did not come up: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts `hub-relay run` with `config` (written into `dir`); returns it with the addresses
/// it announced: browsers', hubs' and its public address.
fn spawn(
    dir: &std::path::Path,
    config: &str,
) -> anyhow::Result<(Child, SocketAddr, SocketAddr, String)> {
    spawn_in(&[], dir, config)
}

/// [`spawn`] with `prefix` before the command (`ip netns exec <name>`).
pub fn spawn_in(
    prefix: &[String],
    dir: &std::path::Path,
    config: &str,
) -> anyhow::Result<(Child, SocketAddr, SocketAddr, String)> {
    let path = dir.join("relay.toml");
    std::fs::write(&path, config)?;
    let mut command = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(relay_binary());
            c
        }
        None => Command::new(relay_binary()),
    };
    let mut child = command
        .args(["run", "--config"])
        .arg(&path)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HUB_RELAY_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start hub-relay")?;
    let seen = crate::announced(&mut child, "hub-relay: ready", Duration::from_secs(30))?;
    let listening = seen
        .into_iter()
        .find(|l| l.starts_with("hub-relay: listening "));
    let Some(listening) = listening else {
        let _ = child.kill();
        bail!("hub-relay did not announce its addresses");
    };
    let field = |name: &str| {
        listening
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .map(str::to_owned)
            .with_context(|| format!("no {name} in {listening}"))
    };
    Ok((
        child,
        field("http=")?.parse()?,
        field("link=")?.parse()?,
        field("public=")?,
    ))
}
