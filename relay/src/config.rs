//! The relay's settings: a TOML file (`hub-relay run --config FILE`), every key optional.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RelayConfig {
    /// Where the registry (SQLite) and the relay's own certificate live.
    pub data_dir: PathBuf,
    /// The relay's address as browsers see it, without a path. A hub with id `<id>` is
    /// reached at the same scheme and port with `<id>.` before the host name, so the name
    /// needs a wildcard DNS record (names under `localhost` resolve by themselves). Empty:
    /// `http(s)://relay.localhost:<the port bound>`.
    pub public_url: String,
    /// Plain HTTP for browsers (behind a TLS-terminating proxy, or `*.localhost`).
    pub http_listen: Option<SocketAddr>,
    /// HTTPS for browsers, with `tls_cert`/`tls_key` (or the relay's own certificate).
    pub https_listen: Option<SocketAddr>,
    /// PEM files of a certificate for the public name and its wildcard, and its key. Without
    /// them the relay makes its own CA (`ca.pem` in `data_dir`), which hubs are then told
    /// to trust (the hub's `cloud.relay_ca`).
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The hub link: MQTT 3.1.1 over TLS, which hubs connect out to.
    pub link_listen: SocketAddr,
    /// The host name and port hubs use for the link, as the registration answer gives it.
    /// Empty: `localhost:<the port bound>`.
    pub link_address: String,
    /// Browser connections carried at once per hub.
    pub max_streams_per_hub: usize,
    /// New browser connections per address per minute, before the relay answers 429.
    pub connections_per_minute: u32,
    /// Registrations per address per hour.
    pub registrations_per_hour: u32,
    /// Owners' sign-ins, sign-ups, reset requests and claims per address per minute.
    pub sign_ins_per_minute: u32,
    /// Largest MQTT packet accepted from a hub, in bytes.
    pub max_packet_bytes: usize,
    /// How the relay sends owners their e-mail (address confirmation, password reset).
    pub mail: MailConfig,
    /// OpenID Connect providers owners may sign in with (`[[oidc]]` tables).
    pub oidc: Vec<OidcProvider>,
    /// This node's name: 1 to 32 lowercase letters and digits, unique among a cluster's
    /// nodes (it names the node's MQTT client and topics, and its heartbeat).
    pub node: String,
    /// Set, the node is one of a cluster: NATS carries the hub links, PostgreSQL keeps
    /// the state. Unset, the node embeds its broker and keeps its state in SQLite.
    pub cluster: Option<ClusterConfig>,
    /// Set, the relay hands hubs short-lived TURN credentials for calls off the hotel's LAN
    /// (and starts coturn when `[turn.server]` is set).
    pub turn: Option<TurnConfig>,
    /// Set, the relay runs a shared Telegram bot for hotels without one of their own
    /// (CLOUD-2): guests reach a hotel by its link, the relay forwards to that hotel's hub.
    pub gateway: Option<GatewayConfig>,
}

/// The shared gateway bot (`[gateway]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// The bot's token from @BotFather.
    pub telegram_token: String,
    /// Telegram Bot API (`<telegram_api>/bot<token>/<method>`), for a proxy or a stand-in.
    #[serde(default = "default_telegram_api")]
    pub telegram_api: String,
}

fn default_telegram_api() -> String {
    "https://api.telegram.org".into()
}

/// TURN for calls between a hub behind NAT and a browser on another network (`[turn]`):
/// credentials by the TURN REST API scheme coturn implements (`use-auth-secret`;
/// draft-uberti-behave-turn-rest-00 §2.2): user name `<unix expiry>:<hub id>`, password
/// base64(HMAC-SHA1(secret, user name)).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TurnConfig {
    /// The secret shared with the TURN server (coturn's `static-auth-secret`), at least 16
    /// characters; the same on every node of a cluster.
    pub secret: String,
    /// TURN URIs for browsers and hubs (RFC 7065), `turn:turn.example.com:3478?transport=udp`.
    pub urls: Vec<String>,
    /// How long a credential is valid, in seconds (hubs ask again at half of it).
    #[serde(default = "default_turn_ttl")]
    pub ttl_secs: u64,
    /// Start and watch over coturn with these settings.
    pub server: Option<TurnServerConfig>,
}

/// The coturn the relay starts (`[turn.server]`); it restarts it when it ends.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TurnServerConfig {
    /// The program: Debian's coturn installs `turnserver`.
    pub program: PathBuf,
    /// Where it listens for TURN over UDP and TCP.
    pub listen: SocketAddr,
    /// The address it relays media from (its relayed candidates); unset, the listening one.
    pub relay_ip: Option<std::net::IpAddr>,
    /// The relay's public address when it sits behind 1:1 NAT (coturn's `external-ip`).
    pub external_ip: Option<std::net::IpAddr>,
    /// The UDP ports it relays on.
    pub min_port: u16,
    pub max_port: u16,
    /// Peers it may relay to although their addresses are private, as `first-last` ranges
    /// (`10.98.0.0-10.98.0.255`). Otherwise private, shared (RFC 6598), loopback and
    /// link-local peers are refused: a TURN server must not reach into its own network.
    pub allowed_peers: Vec<String>,
}

impl Default for TurnServerConfig {
    fn default() -> Self {
        TurnServerConfig {
            program: PathBuf::from("turnserver"),
            listen: SocketAddr::from(([0, 0, 0, 0], 3478)),
            relay_ip: None,
            external_ip: None,
            min_port: 49152,
            max_port: 65535,
            allowed_peers: Vec::new(),
        }
    }
}

fn default_turn_ttl() -> u64 {
    12 * 3600
}

/// A cluster node's engines (`[cluster]`). Any node serves any hub, owner or guest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// PostgreSQL for the registry and the accounts, as a libpq connection string
    /// (`host=10.0.0.5 port=5432 user=relay dbname=relay`).
    pub postgres: String,
    /// Connections this node keeps open to PostgreSQL.
    #[serde(default = "default_connections")]
    pub postgres_connections: usize,
    /// The NATS servers' MQTT listeners (`host:port`), the nearest first: a hub's link
    /// goes to the first that answers.
    pub brokers: Vec<String>,
    /// The NATS user the relay signs in as (the hubs' own credentials stop at the guard).
    pub broker_username: String,
    pub broker_password: String,
}

fn default_connections() -> usize {
    4
}

/// An OpenID Connect provider: Google (`https://accounts.google.com`), or any other by its
/// issuer. Its redirect URI is `<public_url>/auth/oidc/<id>/callback`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// A short name for the address (`google`).
    pub id: String,
    /// What the sign-in button says (`Google`).
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Outgoing e-mail: an SMTP server, or a folder of `.eml` files (a pickup directory, for a
/// relay on one machine). Neither set: owners cannot sign up.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls` (default), `tls`, or `none` (a server on this machine).
    pub security: String,
    pub username: String,
    pub password: String,
    /// The sender, `Name <address>`.
    pub from: String,
    pub pickup_dir: Option<PathBuf>,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            data_dir: PathBuf::from("relay-data"),
            public_url: "http://relay.localhost:18080".into(),
            http_listen: Some(SocketAddr::from(([127, 0, 0, 1], 18080))),
            https_listen: None,
            tls_cert: None,
            tls_key: None,
            link_listen: SocketAddr::from(([127, 0, 0, 1], 18883)),
            link_address: "localhost:18883".into(),
            max_streams_per_hub: 256,
            connections_per_minute: 600,
            registrations_per_hour: 20,
            sign_ins_per_minute: 10,
            max_packet_bytes: 256 * 1024,
            mail: MailConfig::default(),
            oidc: Vec::new(),
            node: "relay".into(),
            cluster: None,
            turn: None,
            gateway: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: String,
        source: toml::de::Error,
    },
    #[error("{key}: {why}")]
    Invalid { key: &'static str, why: String },
}

impl RelayConfig {
    pub fn load(path: &std::path::Path) -> Result<RelayConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config: RelayConfig = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: shown,
            source,
        })?;
        // Empty, it follows the ports bound at start.
        if !config.public_url.is_empty() {
            config.public()?;
        }
        if !cloud_link::topics::is_label(&config.node) {
            return Err(ConfigError::Invalid {
                key: "node",
                why: "is 1 to 32 lowercase letters and digits".into(),
            });
        }
        if let Some(cluster) = &config.cluster {
            if cluster.brokers.is_empty() {
                return Err(ConfigError::Invalid {
                    key: "cluster.brokers",
                    why: "names at least one NATS server's MQTT listener".into(),
                });
            }
        }
        if let Some(turn) = &config.turn {
            if turn.secret.chars().count() < 16 {
                return Err(ConfigError::Invalid {
                    key: "turn.secret",
                    why: "has at least 16 characters".into(),
                });
            }
            if turn.urls.is_empty() || turn.urls.iter().any(|u| !u.starts_with("turn")) {
                return Err(ConfigError::Invalid {
                    key: "turn.urls",
                    why: "lists at least one turn: or turns: URI".into(),
                });
            }
        }
        Ok(config)
    }

    /// The public address, checked: scheme, host, optional port.
    pub fn public(&self) -> Result<PublicUrl, ConfigError> {
        let invalid = |why: &str| ConfigError::Invalid {
            key: "public_url",
            why: why.to_owned(),
        };
        let (scheme, rest) = self
            .public_url
            .split_once("://")
            .ok_or_else(|| invalid("needs http:// or https://"))?;
        if scheme != "http" && scheme != "https" {
            return Err(invalid("needs http:// or https://"));
        }
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(invalid("is a scheme and a host name with an optional port"));
        }
        let host = match authority.rsplit_once(':') {
            Some((h, p)) if p.parse::<u16>().is_ok() => h,
            _ => authority,
        };
        Ok(PublicUrl {
            scheme: scheme.to_owned(),
            authority: authority.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
        })
    }
}

/// [`RelayConfig::public_url`], read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    pub scheme: String,
    /// Host and port as in a `Host` header.
    pub authority: String,
    pub host: String,
}

impl PublicUrl {
    /// Where browsers reach hub `id`.
    pub fn of_hub(&self, id: &cloud_link::HubId) -> String {
        format!("{}://{id}.{}", self.scheme, self.authority)
    }

    /// The hub a `Host` header names, when it is `<hub id>.<the relay's host>`.
    pub fn hub_of_host(&self, host: &str) -> Option<cloud_link::HubId> {
        let host = host.trim().to_ascii_lowercase();
        let name = match host.rsplit_once(':') {
            Some((h, p)) if p.parse::<u16>().is_ok() => h.to_owned(),
            _ => host,
        };
        let label = name.strip_suffix(&self.host)?.strip_suffix('.')?;
        cloud_link::HubId::parse(label).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hubs_are_found_by_their_name_under_the_relays() {
        let config = RelayConfig::default();
        let public = config.public().unwrap();
        let id = cloud_link::HubId::parse("0123456789abcdef0123").unwrap();
        assert_eq!(
            public.of_hub(&id),
            "http://0123456789abcdef0123.relay.localhost:18080"
        );
        assert_eq!(
            public.hub_of_host("0123456789ABCDEF0123.relay.localhost:18080"),
            Some(id)
        );
        for other in [
            "relay.localhost:18080",
            "x.0123456789abcdef0123.relay.localhost",
            "0123456789abcdef0123.evil.example",
            "0123456789abcdef0123relay.localhost",
        ] {
            assert_eq!(public.hub_of_host(other), None, "{other}");
        }
        for bad in [
            "relay.example",
            "ftp://relay.example",
            "https://relay.example/path",
        ] {
            let c = RelayConfig {
                public_url: bad.into(),
                ..RelayConfig::default()
            };
            assert!(c.public().is_err(), "{bad}");
        }
    }
}
