//! TURN for calls off the hotel's LAN: the short-lived credentials the relay hands hubs, and
//! the coturn it starts and watches over when configured. A hub passes its credentials on
//! to the browsers in its calls; coturn checks them with the shared secret alone (TURN REST
//! API, draft-uberti-behave-turn-rest-00 §2.2; coturn's `use-auth-secret`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Serialize;

use crate::config::{TurnConfig, TurnServerConfig};

/// One entry of a WebRTC configuration's `iceServers` (W3C webrtc-pc §4.2.1
/// RTCIceServer): the URIs, and the credential for all of them.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IceServer {
    pub urls: Vec<String>,
    /// `<unix expiry>:<hub id>`.
    pub username: String,
    /// base64(HMAC-SHA1(secret, username)).
    pub credential: String,
}

/// A hub's TURN credentials: `{"ice_servers": [...], "expires_at": <unix seconds>}`.
#[derive(Debug, Clone, Serialize)]
pub struct Credentials {
    pub ice_servers: Vec<IceServer>,
    pub expires_at: i64,
}

/// What the relay knows to make credentials.
#[derive(Clone)]
pub struct Turn {
    config: TurnConfig,
}

impl Turn {
    pub fn new(config: TurnConfig) -> Turn {
        Turn { config }
    }

    /// Credentials for `hub`, valid `ttl_secs` from `now` (unix seconds).
    pub fn credentials(&self, hub: &cloud_link::HubId, now: i64) -> Credentials {
        let expires_at = now.saturating_add_unsigned(self.config.ttl_secs);
        let username = format!("{expires_at}:{hub}");
        Credentials {
            ice_servers: vec![IceServer {
                urls: self.config.urls.clone(),
                credential: password(&self.config.secret, &username),
                username,
            }],
            expires_at,
        }
    }
}

/// The password coturn expects for `username` under `use-auth-secret`.
fn password(secret: &str, username: &str) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes a key of any length; this branch cannot be reached.
        return String::new();
    };
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Peers coturn refuses unless `allowed_peers` lets them through: the ranges of RFC 1918,
/// RFC 6598 (shared, carrier NAT), RFC 3927 (link-local), "this network", loopback, and
/// their IPv6 counterparts (RFC 4193 unique local, RFC 4291 link-local).
const DENIED_PEERS: &[&str] = &[
    "0.0.0.0-0.255.255.255",
    "10.0.0.0-10.255.255.255",
    "100.64.0.0-100.127.255.255",
    "127.0.0.0-127.255.255.255",
    "169.254.0.0-169.254.255.255",
    "172.16.0.0-172.31.255.255",
    "192.168.0.0-192.168.255.255",
    "::1",
    "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
];

/// coturn's configuration file for `server`, `secret` and `realm`; its database, pid and
/// log files go in `dir`.
fn coturn_config(server: &TurnServerConfig, secret: &str, realm: &str, dir: &Path) -> String {
    let listen = server.listen.ip();
    let mut lines = vec![
        format!("listening-port={}", server.listen.port()),
        "use-auth-secret".into(),
        format!("static-auth-secret={secret}"),
        format!("realm={realm}"),
        format!("min-port={}", server.min_port),
        format!("max-port={}", server.max_port),
        // The relay's own TLS carries nothing for coturn: TURN over UDP and TCP only.
        "no-tls".into(),
        "no-dtls".into(),
        "no-cli".into(),
        "fingerprint".into(),
        "no-multicast-peers".into(),
        "no-software-attribute".into(),
        format!("userdb={}", dir.join("turndb").display()),
        format!("pidfile={}", dir.join("turnserver.pid").display()),
        format!("log-file={}", dir.join("turnserver.log").display()),
        "simple-log".into(),
    ];
    if !listen.is_unspecified() {
        lines.push(format!("listening-ip={listen}"));
    }
    if let Some(ip) = server
        .relay_ip
        .or((!listen.is_unspecified()).then_some(listen))
    {
        lines.push(format!("relay-ip={ip}"));
    }
    if let Some(ip) = server.external_ip {
        lines.push(format!("external-ip={ip}"));
    }
    lines.extend(DENIED_PEERS.iter().map(|r| format!("denied-peer-ip={r}")));
    lines.extend(
        server
            .allowed_peers
            .iter()
            .map(|r| format!("allowed-peer-ip={r}")),
    );
    lines.join("\n") + "\n"
}

/// Starts coturn with `config` and starts it again whenever it ends (after 1 s, up to 60 s
/// when it keeps failing). Its configuration file, holding the secret, is readable by the
/// relay's user only.
pub fn supervise(
    config: &TurnConfig,
    realm: &str,
    dir: &Path,
) -> std::io::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(server) = config.server.clone() else {
        return Ok(None);
    };
    let dir = dir.join("turn");
    std::fs::create_dir_all(&dir)?;
    let file: PathBuf = dir.join("turnserver.conf");
    write_private(&file, &coturn_config(&server, &config.secret, realm, &dir))?;
    Ok(Some(tokio::spawn(async move {
        let mut backoff = Duration::from_secs(1);
        loop {
            let mut command = std::process::Command::new(&server.program);
            command
                .arg("-c")
                .arg(&file)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null());
            os_sockets::end_with_parent(&mut command);
            let started = std::time::Instant::now();
            match tokio::process::Command::from(command)
                .kill_on_drop(true)
                .spawn()
            {
                Ok(mut child) => {
                    tracing::info!(listen = %server.listen, "coturn started.");
                    match child.wait().await {
                        Ok(status) => tracing::warn!(%status, "coturn ended."),
                        Err(e) => tracing::warn!(error = %e, "coturn could not be watched."),
                    }
                }
                Err(e) => tracing::error!(
                    program = %server.program.display(),
                    error = %e,
                    "coturn did not start."
                ),
            }
            if started.elapsed() > Duration::from_secs(60) {
                backoff = Duration::from_secs(1);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(60));
        }
    })))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected value is OpenSSL's:
    /// `printf 1433895918:bob | openssl dgst -sha1 -hmac north -binary | base64`.
    #[test]
    fn the_password_is_the_rest_api_hmac() {
        assert_eq!(
            password("north", "1433895918:bob"),
            "+qCJxktJhPsEAA0wfh7NCKO+G0M="
        );
    }

    #[test]
    fn private_peers_are_refused_unless_allowed() {
        let server = TurnServerConfig {
            listen: "10.98.0.40:3478".parse().unwrap(),
            allowed_peers: vec!["10.98.0.0-10.98.0.255".into()],
            ..TurnServerConfig::default()
        };
        let text = coturn_config(
            &server,
            "s3cret-s3cret-s3cret",
            "relay.example",
            Path::new("/x"),
        );
        assert!(text.contains("denied-peer-ip=10.0.0.0-10.255.255.255\n"));
        assert!(text.contains("allowed-peer-ip=10.98.0.0-10.98.0.255\n"));
        assert!(text.contains("listening-ip=10.98.0.40\nrelay-ip=10.98.0.40\n"));
        assert!(text.contains("use-auth-secret\nstatic-auth-secret=s3cret-s3cret-s3cret\n"));
    }
}
