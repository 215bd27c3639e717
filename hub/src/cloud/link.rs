//! The link itself: register with the relay (`POST /api/v1/hubs`, the hub's public key and
//! name; once per start, again after a refusal), then hold an MQTT 3.1.1 session over TLS,
//! or over a WebSocket on the relay's HTTPS port where only that gets out (client id = hub
//! id, `clean_session = false`, password = a token signed with the hub's key), reconnecting
//! with back-off and a fresh token, and hand what arrives to the tunnel.

use std::sync::Arc;
use std::time::Duration;

use cloud_link::frame::MAX_BODY;
use cloud_link::{topics, HubKey};
use rumqttc::{
    AsyncClient, ConnectReturnCode, Event, MqttOptions, Packet, QoS, TlsConfiguration, Transport,
};
use serde::Deserialize;
use tokio::sync::watch;

use super::tunnel::Tunnel;
use super::{Cloud, LinkState};
use crate::config::LinkTransport;

/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

pub(super) struct Link {
    pub cloud: Cloud,
    pub key: Arc<HubKey>,
    pub property_name: String,
    pub tunnel: Tunnel,
    pub summary: super::SummarySource,
}

/// The summary is sent when it changed (looked at every `cloud.summary_secs`), and every
/// [`SUMMARY_REFRESH`] anyway (the dashboard says as of when).
const SUMMARY_REFRESH: Duration = Duration::from_secs(600);

/// The relay's answer to a registration.
#[derive(Debug, Deserialize)]
struct Registered {
    hub_id: String,
    public_url: String,
    /// `host:port` of the relay's MQTT-over-TLS listener.
    link: String,
    /// `wss://host[:port]/mqtt`: the same over a WebSocket on the relay's HTTPS port; empty
    /// when the relay offers none.
    #[serde(default)]
    link_websocket: String,
    /// Where owners sign in on the relay.
    #[serde(default)]
    relay_url: String,
}

#[derive(Debug, thiserror::Error)]
pub(super) enum LinkError {
    #[error("the relay's CA file {path}: {detail}")]
    Ca { path: String, detail: String },
    #[error("cannot reach the relay: {0}")]
    Http(String),
    #[error("the relay refused the registration: {0}")]
    Refused(String),
    #[error("the relay answered with a hub id that is not this hub's")]
    WrongId,
    #[error("the relay's link address {0:?} is not host:port")]
    BadLinkAddress(String),
    #[error("the relay refused the link ({0:?}); registering again")]
    NotAuthorized(ConnectReturnCode),
    #[error("the link dropped: {0}")]
    Connection(String),
}

impl Link {
    pub(super) async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut registered: Option<Registered> = None;
        let mut backoff = Duration::from_secs(1);
        let mut over_websocket = self.cloud.config.link_transport == LinkTransport::Websocket;
        loop {
            let attempt = async {
                let reg = match registered.take() {
                    Some(r) => r,
                    None => self.register().await.map_err(|e| (e, false))?,
                };
                let outcome = self.session(&reg, over_websocket).await;
                let offers_websocket = !reg.link_websocket.is_empty();
                registered = Some(reg);
                outcome.map_err(|e| (e, offers_websocket))
            };
            let outcome = tokio::select! {
                o = attempt => o,
                _ = stop.wait_for(|s| *s) => return,
            };
            // A link that came up and later dropped starts its back-off afresh: a relay
            // node lost in a cluster is replaced within a second or two.
            let was_up = outcome.is_ok() || self.cloud.status().state == LinkState::Online;
            if was_up {
                backoff = Duration::from_secs(1);
            }
            match outcome {
                Ok(()) => {}
                Err((e, offers_websocket)) => {
                    if matches!(e, LinkError::NotAuthorized(_)) {
                        registered = None;
                    }
                    // A way out that never connected may be blocked: try the other.
                    if !was_up
                        && matches!(e, LinkError::Connection(_))
                        && self.cloud.config.link_transport == LinkTransport::Auto
                        && (over_websocket || offers_websocket)
                    {
                        over_websocket = !over_websocket;
                        backoff = Duration::from_secs(1);
                    }
                    tracing::warn!(error = %e, "The cloud link is down.");
                    self.cloud
                        .set_state(LinkState::Offline, Some(e.to_string()));
                }
            }
            // Spread reconnects of many hubs after a relay restart.
            let jitter = Duration::from_millis(rand::random::<u64>() % 500);
            tokio::select! {
                () = tokio::time::sleep(backoff + jitter) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn register(&self) -> Result<Registered, LinkError> {
        let client = relay_client(&self.cloud.config)?;
        let url = format!(
            "{}/api/v1/hubs",
            self.cloud.config.relay.trim_end_matches('/')
        );
        let answer = client
            .post(&url)
            .json(&serde_json::json!({
                "public_key": self.key.public_key_text(),
                "name": self.property_name,
            }))
            .send()
            .await
            .map_err(|e| LinkError::Http(e.to_string()))?;
        if !answer.status().is_success() {
            let status = answer.status();
            let text = answer.text().await.unwrap_or_default();
            return Err(LinkError::Refused(format!(
                "{status}: {}",
                text.chars().take(200).collect::<String>()
            )));
        }
        let reg: Registered = answer
            .json()
            .await
            .map_err(|e| LinkError::Http(e.to_string()))?;
        if reg.hub_id != self.key.id().as_str() {
            return Err(LinkError::WrongId);
        }
        self.cloud.update(|s| {
            s.public_url = Some(reg.public_url.clone());
            s.relay_public = (!reg.relay_url.is_empty()).then(|| reg.relay_url.clone());
        });
        Ok(reg)
    }

    /// One MQTT session, until it drops: over TLS to the link port, or over a WebSocket
    /// to the relay's HTTPS port.
    async fn session(&self, reg: &Registered, over_websocket: bool) -> Result<(), LinkError> {
        let id = self.key.id();
        let tls = TlsConfiguration::Rustls(Arc::new(self.tls()?));
        let websocket = over_websocket && !reg.link_websocket.is_empty();
        let mut options = if websocket {
            // rumqttc takes the host and port from the URL.
            let mut o = MqttOptions::new(id.to_string(), reg.link_websocket.clone(), 443);
            o.set_transport(Transport::Wss(tls));
            o
        } else {
            let (host, port) = reg
                .link
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
                .ok_or_else(|| LinkError::BadLinkAddress(reg.link.clone()))?;
            let mut o = MqttOptions::new(id.to_string(), host, port);
            o.set_transport(Transport::Tls(tls));
            o
        };
        let now = chrono::Utc::now().timestamp();
        options
            .set_credentials(id.to_string(), self.key.token(now))
            .set_clean_session(false)
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(2 * MAX_BODY, 2 * MAX_BODY);
        let (client, mut events) = AsyncClient::new(options, 256);
        // Each frame is a browser's request or answer, waited on: no Nagle delay.
        events.network_options.set_tcp_nodelay(true);
        self.cloud.set_state(LinkState::Connecting, None);
        let mut summaries: Option<tokio::task::JoinHandle<()>> = None;
        let ended = loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    if ack.code != ConnectReturnCode::Success {
                        break Err(LinkError::NotAuthorized(ack.code));
                    }
                    if let Err(e) = client
                        .subscribe(topics::down_filter(&id), QoS::AtLeastOnce)
                        .await
                    {
                        break Err(LinkError::Connection(e.to_string()));
                    }
                    tracing::info!(hub = %id, websocket, "The cloud link is up.");
                    self.cloud.update(|s| {
                        s.transport = Some(if websocket {
                            LinkTransport::Websocket
                        } else {
                            LinkTransport::Tls
                        });
                    });
                    self.cloud.set_state(LinkState::Online, None);
                    if let Some(old) = summaries.take() {
                        old.abort();
                    }
                    summaries = Some(tokio::spawn(send_summaries(
                        client.clone(),
                        topics::summary(&id),
                        self.summary.clone(),
                        Duration::from_secs(self.cloud.config.summary_secs),
                    )));
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    self.tunnel.deliver(&client, &p.topic, &p.payload);
                }
                // A cluster's broker refuses subscriptions while it elects a leader: a link
                // without its downlink would carry nothing, so it starts again.
                Ok(Event::Incoming(Packet::SubAck(ack)))
                    if ack
                        .return_codes
                        .iter()
                        .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure)) =>
                {
                    break Err(LinkError::Connection(
                        "the relay refused the subscription to this hub's topics".into(),
                    ));
                }
                Ok(_) => {}
                Err(rumqttc::ConnectionError::ConnectionRefused(code)) => {
                    break Err(LinkError::NotAuthorized(code))
                }
                Err(e) => break Err(LinkError::Connection(e.to_string())),
            }
        };
        // Connections carried over this session cannot continue on the next one.
        self.tunnel.end_all();
        if let Some(task) = summaries {
            task.abort();
        }
        ended
    }

    fn tls(&self) -> Result<rustls::ClientConfig, LinkError> {
        let mut roots = rustls::RootCertStore::empty();
        match relay_ca(&self.cloud.config)? {
            Some(pem) => {
                use rustls::pki_types::pem::PemObject;
                for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
                    let added = cert
                        .map_err(|e| e.to_string())
                        .and_then(|c| roots.add(c).map_err(|e| e.to_string()));
                    added.map_err(|detail| LinkError::Ca {
                        path: "relay_ca".into(),
                        detail,
                    })?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        Ok(rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth())
    }
}

/// The relay's CA (PEM) when one is configured.
fn relay_ca(config: &crate::config::CloudConfig) -> Result<Option<Vec<u8>>, LinkError> {
    let Some(path) = config.relay_ca.as_ref() else {
        return Ok(None);
    };
    std::fs::read(path).map(Some).map_err(|e| LinkError::Ca {
        path: path.display().to_string(),
        detail: e.to_string(),
    })
}

/// An HTTP client for the relay's own API, trusting its CA when one is configured.
pub(super) fn relay_client(
    config: &crate::config::CloudConfig,
) -> Result<reqwest::Client, LinkError> {
    let mut client = reqwest::Client::builder().timeout(Duration::from_secs(20));
    if let Some(pem) = relay_ca(config)? {
        let ca = reqwest::Certificate::from_pem(&pem).map_err(|e| LinkError::Ca {
            path: "relay_ca".into(),
            detail: e.to_string(),
        })?;
        client = client.add_root_certificate(ca);
    }
    client.build().map_err(|e| LinkError::Http(e.to_string()))
}

/// Sends the summary at once, then whenever it changes (looked at every `every`) and every
/// [`SUMMARY_REFRESH`] regardless; `seq` is the hub's clock in ms, so the relay keeps the
/// newest whatever order they arrive in.
async fn send_summaries(
    client: AsyncClient,
    topic: String,
    source: super::SummarySource,
    every: Duration,
) {
    let mut last: Option<(super::Summary, std::time::Instant)> = None;
    loop {
        if let Some(now) = source().await {
            let due = last.is_none_or(|(s, at)| s != now || at.elapsed() >= SUMMARY_REFRESH);
            if due {
                let mut body = serde_json::to_value(now).unwrap_or_default();
                body["seq"] = chrono::Utc::now().timestamp_millis().into();
                let sent = client
                    .publish(&topic, QoS::AtLeastOnce, false, body.to_string())
                    .await;
                if sent.is_err() {
                    return;
                }
                last = Some((now, std::time::Instant::now()));
            }
        }
        tokio::time::sleep(every).await;
    }
}
