//! The hub's one typed configuration: a TOML file (every key optional, unknown keys refused),
//! `HUB_*` environment overrides on top, validated before anything starts. It does not
//! hold runtime state: settings staff edit in the admin app live in the store.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod appliance;
pub use appliance::{GpioBackend, GpioConfig, RelayLine, UpdatesConfig};

/// The commented default, printed by `hub config example`.
pub const EXAMPLE: &str = include_str!("../../hub.example.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {message}")]
    Parse { path: String, message: String },
    #[error("the environment variable {name} does not fit the config: {message}")]
    Env { name: String, message: String },
    #[error("config value {key}: {message}")]
    Invalid { key: &'static str, message: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub data_dir: PathBuf,
    pub web: WebConfig,
    pub broker: BrokerConfig,
    pub mdns: MdnsConfig,
    pub smtp: SmtpConfig,
    pub log: LogConfig,
    pub chat: ChatConfig,
    pub weather: WeatherConfig,
    pub bookings: BookingsConfig,
    pub calls: CallsConfig,
    pub cloud: CloudConfig,
    pub messengers: MessengersConfig,
    pub updates: UpdatesConfig,
    pub gpio: GpioConfig,
}

/// Where the messenger platforms' APIs are (CLOUD-2, CLOUD-3): their public hosts unless a
/// test or a proxy stands in.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MessengersConfig {
    /// Telegram Bot API (`<telegram_api>/bot<token>/<method>`).
    pub telegram_api: String,
    /// Viber REST bot API (`<viber_api>/pa/<method>`).
    pub viber_api: String,
    /// Meta's Graph API with its version, for WhatsApp Cloud API and Messenger
    /// (`<graph_api>/<id>/messages`).
    pub graph_api: String,
    /// The hub's public address for the platforms' webhooks when it is not the relay's
    /// (`https://hotel.example`); empty uses the address the relay gives the hub.
    pub public_url: String,
}

impl Default for MessengersConfig {
    fn default() -> Self {
        MessengersConfig {
            telegram_api: "https://api.telegram.org".into(),
            viber_api: "https://chatapi.viber.com".into(),
            graph_api: "https://graph.facebook.com/v21.0".into(),
            public_url: String::new(),
        }
    }
}

/// The link to the cloud relay (CLOUD-1): off until a relay's address is set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CloudConfig {
    /// The relay's web address (`https://relay.example`); empty keeps the hub off the cloud.
    pub relay: String,
    /// A PEM file of the CA that signed the relay's certificate, for a relay with its own
    /// CA (`hub-relay` writes `ca.pem`); without it the public web's roots are trusted.
    pub relay_ca: Option<PathBuf>,
    /// Seconds between looks at the figures the owners' dashboard shows (sent when they
    /// change), 1 to 3,600.
    pub summary_secs: u64,
    /// How the link goes out: `auto` tries MQTT over TLS on the relay's link port and, when
    /// that cannot connect, MQTT over a WebSocket on its HTTPS port (for networks that let
    /// only that port out), turn and turn about; `tls` or `websocket` keep to one.
    pub link_transport: LinkTransport,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkTransport {
    Auto,
    Tls,
    Websocket,
}

impl Default for CloudConfig {
    fn default() -> Self {
        CloudConfig {
            relay: String::new(),
            relay_ca: None,
            summary_secs: 30,
            link_transport: LinkTransport::Auto,
        }
    }
}

/// Calls through the hub (DESK-3); the ring time is the owner's, in the admin app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CallsConfig {
    /// Where the call media's UDP sockets bind: `0.0.0.0` is every interface but loopback
    /// (each a host candidate); one address binds only it (`127.0.0.1` for a hub whose
    /// browsers are on the same machine).
    pub media_address: std::net::IpAddr,
    /// Calls carried at once; each is two legs of media through the hub.
    pub max_calls: usize,
}

impl Default for CallsConfig {
    fn default() -> Self {
        CallsConfig {
            media_address: std::net::IpAddr::from([0, 0, 0, 0]),
            max_calls: 4,
        }
    }
}

/// Where the forecast comes from (Open-Meteo's API, no key) and how often.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WeatherConfig {
    /// Open-Meteo, or a self-hosted copy or a paid plan's host.
    pub base_url: String,
    pub refresh_minutes: u32,
}

impl Default for WeatherConfig {
    fn default() -> Self {
        WeatherConfig {
            base_url: "https://api.open-meteo.com".into(),
            refresh_minutes: 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BookingsConfig {
    /// Minutes between imports of the units' iCal feeds.
    pub ical_refresh_minutes: u32,
}

impl Default for BookingsConfig {
    fn default() -> Self {
        BookingsConfig {
            ical_refresh_minutes: 30,
        }
    }
}

/// Limits on what guests (strangers) may do; the chat's behaviour is set in the admin app.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ChatConfig {
    /// Open guest sockets per client address.
    pub guest_sockets_per_address: usize,
    /// Guest messages per client address per minute.
    pub guest_messages_per_minute: u32,
    /// New guest connections per client address per minute.
    pub guest_connects_per_minute: u32,
    /// Frames of any kind one guest socket may send per 10 seconds.
    pub guest_frames_per_10s: u32,
    /// Largest attachment, in bytes.
    pub max_attachment_bytes: usize,
    /// An optional GeoIP2/GeoLite2 City database for the visitor card's location.
    pub geoip_database: Option<PathBuf>,
    /// Seconds between runs of the chat timers (auto-close, alerts).
    pub timer_period_secs: u64,
}

impl Default for ChatConfig {
    fn default() -> Self {
        ChatConfig {
            guest_sockets_per_address: 20,
            guest_messages_per_minute: 60,
            guest_connects_per_minute: 60,
            guest_frames_per_10s: 60,
            max_attachment_bytes: 10 * 1024 * 1024,
            geoip_database: None,
            timer_period_secs: 15,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    pub http_listen: SocketAddr,
    /// Empty turns HTTPS off.
    pub https_listen: Option<SocketAddr>,
    /// A certificate of your own (PEM); without one the hub issues its own from a local CA.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The host name staff and guests use; also the mDNS host (`<name>.local`).
    pub host_name: String,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    pub session_days: u32,
    /// Connections open at once over both listeners; fewer when the process's file limit
    /// is lower (256 handles are kept for everything else).
    pub max_connections: usize,
    /// Connections from one address on the LAN (an IPv6 /64 counts as one).
    pub max_connections_per_address: usize,
    /// Seconds a new connection may take to send its first request head (and TLS handshake).
    pub head_timeout_secs: u64,
    /// Seconds a connection with nothing in flight stays open.
    pub idle_timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerConfig {
    pub enabled: bool,
    pub listen: SocketAddr,
    pub max_connections: usize,
    pub max_payload_bytes: usize,
    /// Topic and payload bytes of the in-memory log per topic filter (what subscribers
    /// still reading it need) before a new segment starts and, past `max_segment_count`,
    /// the oldest is dropped. Each message costs about 220 bytes more than it counts, so
    /// small device messages take about 3× this; a message larger than a segment takes one
    /// of its own.
    pub max_segment_bytes: usize,
    pub max_segment_count: usize,
    pub allow_anonymous: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MdnsConfig {
    pub enabled: bool,
    /// Interface names to advertise on; empty means every interface but loopback.
    pub interfaces: Vec<String>,
}

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// Empty: no email; invite links are shown to the admin instead.
    pub host: String,
    pub port: u16,
    /// "starttls", "tls" or "none".
    pub security: String,
    pub username: String,
    pub password: String,
    pub from: String,
}

// Hand-written so that the password never reaches a log line.
impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("from", &self.from)
            .finish()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// A tracing filter, e.g. "info" or "hub=debug,rumqttd=warn".
    pub filter: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("hub-data"),
            web: WebConfig::default(),
            broker: BrokerConfig::default(),
            mdns: MdnsConfig::default(),
            smtp: SmtpConfig::default(),
            log: LogConfig::default(),
            chat: ChatConfig::default(),
            weather: WeatherConfig::default(),
            bookings: BookingsConfig::default(),
            calls: CallsConfig::default(),
            cloud: CloudConfig::default(),
            messengers: MessengersConfig::default(),
            updates: UpdatesConfig::default(),
            gpio: GpioConfig::default(),
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            http_listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            https_listen: Some(SocketAddr::from(([0, 0, 0, 0], 8443))),
            tls_cert: None,
            tls_key: None,
            host_name: "hub".into(),
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            session_days: 30,
            max_connections: 1024,
            max_connections_per_address: 64,
            head_timeout_secs: 10,
            idle_timeout_secs: 75,
        }
    }
}

impl Default for BrokerConfig {
    fn default() -> Self {
        // rumqttd's own defaults (10,010 connections, 10 × 100 MiB per filter) are sized for a
        // server; a Pi with 1 GiB wants a hotel's worth.
        BrokerConfig {
            enabled: true,
            listen: SocketAddr::from(([0, 0, 0, 0], 1883)),
            max_connections: 256,
            // Zigbee2MQTT's retained bridge/devices is ~100 KB for a small hotel and several
            // hundred KB for larger networks; segments grow only as data flows.
            max_payload_bytes: 1024 * 1024,
            // A filter's log keeps its segments once filled: at 256 KiB × 2, a burst of
            // small device messages (500 presses/s) left 9.5 MiB held by the hub's few
            // filters (heaptrack, the `writes` bench). 64 KiB × 2 is still about 5,000
            // switch messages, 10 s at that rate, for a subscriber that fell behind.
            max_segment_bytes: 64 * 1024,
            max_segment_count: 2,
            allow_anonymous: false,
        }
    }
}

impl Default for MdnsConfig {
    fn default() -> Self {
        MdnsConfig {
            enabled: true,
            interfaces: Vec::new(),
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 587,
            security: "starttls".into(),
            username: String::new(),
            password: String::new(),
            from: String::new(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            filter: "info,rumqttd=warn,rtc=error,rtc_dtls=error,rtc_ice=error".into(),
        }
    }
}

impl Config {
    /// Reads the file (if any), applies `HUB_*` overrides from `env`, and validates.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let (mut table, origin) = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                (table, path.display().to_string())
            }
            None => (toml::Table::new(), "(defaults)".to_owned()),
        };
        for (name, raw) in env {
            apply_env(&mut table, &name, &raw)?;
        }
        let config: Config =
            Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Parse {
                path: origin,
                message: e.to_string(),
            })?;
        config.validate()?;
        Ok(config)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_owned(),
            })
        };
        let host = &self.web.host_name;
        if host.is_empty()
            || host.len() > 63
            || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return invalid(
                "web.host_name",
                "use letters, digits and '-' (at most 63), like \"hub\"",
            );
        }
        if self.web.tls_cert.is_some() != self.web.tls_key.is_some() {
            return invalid(
                "web.tls_cert",
                "give tls_cert and tls_key together, or neither",
            );
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.web.max_body_bytes) {
            return invalid("web.max_body_bytes", "must be between 1 KiB and 64 MiB");
        }
        if !(1..=600).contains(&self.web.request_timeout_secs) {
            return invalid("web.request_timeout_secs", "must be between 1 and 600");
        }
        if !(self.weather.base_url.starts_with("http://")
            || self.weather.base_url.starts_with("https://"))
            || url::Url::parse(&self.weather.base_url).is_err()
        {
            return invalid("weather.base_url", "an http(s) URL");
        }
        for (key, value) in [
            ("messengers.telegram_api", &self.messengers.telegram_api),
            ("messengers.viber_api", &self.messengers.viber_api),
            ("messengers.graph_api", &self.messengers.graph_api),
        ] {
            if !url::Url::parse(value).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                return invalid(key, "an http(s) URL");
            }
        }
        if !self.messengers.public_url.is_empty()
            && !url::Url::parse(&self.messengers.public_url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        {
            return invalid("messengers.public_url", "the hub's public http(s) address");
        }
        if !self.cloud.relay.is_empty()
            && !url::Url::parse(&self.cloud.relay)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        {
            return invalid(
                "cloud.relay",
                "must be the relay's http:// or https:// address",
            );
        }
        appliance::validate(&self.updates, &self.gpio)?;
        if !(1..=3600).contains(&self.cloud.summary_secs) {
            return invalid("cloud.summary_secs", "must be between 1 and 3600");
        }
        if !(1..=32).contains(&self.calls.max_calls) {
            return invalid("calls.max_calls", "must be between 1 and 32");
        }
        if !(5..=24 * 60).contains(&self.weather.refresh_minutes) {
            return invalid("weather.refresh_minutes", "must be between 5 and 1440");
        }
        if !(5..=24 * 60).contains(&self.bookings.ical_refresh_minutes) {
            return invalid(
                "bookings.ical_refresh_minutes",
                "must be between 5 and 1440",
            );
        }
        if !(1..=365).contains(&self.web.session_days) {
            return invalid("web.session_days", "must be between 1 and 365");
        }
        let chat = &self.chat;
        if chat.guest_sockets_per_address == 0
            || chat.guest_messages_per_minute == 0
            || chat.guest_connects_per_minute == 0
            || chat.guest_frames_per_10s == 0
        {
            return invalid("chat", "guest limits must be above 0");
        }
        if !(1024..=256 * 1024 * 1024).contains(&chat.max_attachment_bytes) {
            return invalid(
                "chat.max_attachment_bytes",
                "must be between 1 KiB and 256 MiB",
            );
        }
        if !(1..=3600).contains(&chat.timer_period_secs) {
            return invalid("chat.timer_period_secs", "must be between 1 and 3600");
        }
        if self.broker.max_connections == 0 || self.broker.max_segment_count == 0 {
            return invalid(
                "broker",
                "max_connections and max_segment_count must be above 0",
            );
        }
        if self.broker.max_segment_bytes < 1024 {
            // rumqttd refuses (panics on) a segment under 1 KiB.
            return invalid("broker.max_segment_bytes", "must be at least 1024");
        }
        if !self.smtp.host.is_empty() {
            if !matches!(self.smtp.security.as_str(), "starttls" | "tls" | "none") {
                return invalid("smtp.security", "use \"starttls\", \"tls\" or \"none\"");
            }
            if self.smtp.from.parse::<lettre::message::Mailbox>().is_err() {
                return invalid(
                    "smtp.from",
                    "must be an address like \"Hotel <desk@example.com>\"",
                );
            }
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.filter).is_err() {
            return invalid("log.filter", "is not a valid tracing filter");
        }
        Ok(())
    }

    pub fn store_path(&self) -> PathBuf {
        self.data_dir.join("hub.db")
    }
}

/// `HUB_WEB__HTTP_LISTEN=0.0.0.0:80` sets `web.http_listen`: `__` separates the levels.
/// `HUB_CONFIG` names the file itself and is not a key.
fn apply_env(table: &mut toml::Table, name: &str, raw: &str) -> Result<(), ConfigError> {
    let Some(rest) = name.strip_prefix("HUB_") else {
        return Ok(());
    };
    if rest == "CONFIG" {
        return Ok(());
    }
    let keys: Vec<String> = rest.split("__").map(|k| k.to_ascii_lowercase()).collect();
    let env_err = |message: &str| ConfigError::Env {
        name: name.to_owned(),
        message: message.to_owned(),
    };
    if keys.iter().any(|k| k.is_empty()) {
        return Err(env_err("empty key segment"));
    }
    // A value that reads as TOML (a number, a bool, an array) keeps its type; anything else
    // is a string.
    let value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()));
    let (last, parents) = keys.split_last().ok_or_else(|| env_err("no key"))?;
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| env_err("names a value, not a section"))?;
    }
    current.insert(last.clone(), value);
    Ok(())
}

#[cfg(test)]
mod tests;
