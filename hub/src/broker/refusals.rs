//! Which MQTT clients the broker refused or dropped, and why, for the admin app. rumqttd
//! tells only its log (an error event in its `remote_link` span, whose `client_id` it
//! records at CONNECT); a tracing layer reads those events into a short list.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
use utoipa::ToSchema;

/// The most refusals kept; older ones drop off.
const KEPT: usize = 50;

/// One client the broker turned away or dropped.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Refusal {
    /// UTC, RFC 3339.
    pub at: String,
    /// The client id it gave at CONNECT; empty when it never got that far.
    pub client_id: String,
    /// Why, in words ("wrong username or password", "a message over the size limit").
    pub reason: String,
}

fn list() -> &'static Mutex<VecDeque<Refusal>> {
    static LIST: OnceLock<Mutex<VecDeque<Refusal>>> = OnceLock::new();
    LIST.get_or_init(|| Mutex::new(VecDeque::with_capacity(KEPT)))
}

/// The latest refusals, newest first.
pub fn recent() -> Vec<Refusal> {
    list()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .rev()
        .cloned()
        .collect()
}

fn remember(client_id: String, raw: &str) {
    let Some(reason) = reason_of(raw) else { return };
    let mut list = list().lock().unwrap_or_else(|p| p.into_inner());
    if list.len() == KEPT {
        list.pop_front();
    }
    list.push_back(Refusal {
        at: crate::clock::stamp(chrono::Utc::now()),
        client_id,
        reason,
    });
}

/// rumqttd's error (its `Debug` text) in words; `None` for a client that simply left.
fn reason_of(raw: &str) -> Option<String> {
    let known = [
        ("InvalidAuth", "wrong username or password"),
        (
            "ZeroKeepAlive",
            "it asked for no keep-alive (0), which this broker does not accept",
        ),
        (
            "InvalidClientId",
            "an empty client id with a persistent session",
        ),
        (
            "PayloadSizeLimitExceeded",
            "a message over the broker's size limit ([broker] max_payload_bytes)",
        ),
        // The same limit, as rumqttd reports it when it meets it mid-read.
        (
            "Payload size has been exceeded",
            "a message over the broker's size limit ([broker] max_payload_bytes)",
        ),
        ("PayloadRequired", "a message without its payload"),
        ("Elapsed", "no CONNECT within 5 seconds"),
        ("NotConnectPacket", "its first packet was not a CONNECT"),
        ("InvalidProtocol", "not MQTT 3.1.1"),
        ("MalformedPacket", "a malformed MQTT packet"),
    ];
    if raw.contains("ConnectionAborted") || raw.contains("UnexpectedEof") {
        return None;
    }
    Some(
        known
            .iter()
            .find(|(k, _)| raw.contains(k))
            .map_or_else(|| raw.chars().take(160).collect(), |(_, w)| (*w).to_owned()),
    )
}

/// The client id a `remote_link` span recorded.
struct ClientId(String);

#[derive(Default)]
struct Fields {
    client_id: Option<String>,
    error: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "client_id" {
            self.client_id = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        match field.name() {
            "client_id" => self.client_id = Some(text.trim_matches('"').to_owned()),
            "error" => self.error = Some(text),
            _ => {}
        }
    }
}

/// The tracing layer that keeps the broker's refusals; installed beside the log's.
pub struct RefusalLayer;

impl<S> Layer<S> for RefusalLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != "remote_link" {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let (Some(span), Some(client)) = (ctx.span(id), fields.client_id) {
            span.extensions_mut().insert(ClientId(client));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let (Some(span), Some(client)) = (ctx.span(id), fields.client_id) {
            if span.metadata().name() == "remote_link" {
                span.extensions_mut().replace(ClientId(client));
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let meta = event.metadata();
        if *meta.level() != Level::ERROR || !meta.target().starts_with("rumqttd") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let Some(error) = fields.error else { return };
        let client_id = ctx
            .event_scope(event)
            .and_then(|scope| {
                scope
                    .into_iter()
                    .find_map(|span| span.extensions().get::<ClientId>().map(|c| c.0.clone()))
            })
            .unwrap_or_default();
        remember(client_id, &error);
    }
}

#[cfg(test)]
mod tests {
    use super::reason_of;

    #[test]
    fn rumqttd_errors_read_as_words() {
        assert_eq!(
            reason_of("Network(PayloadSizeLimitExceeded(98304))").as_deref(),
            Some("a message over the broker's size limit ([broker] max_payload_bytes)")
        );
        assert_eq!(
            reason_of(
                r#"Network(Io(Custom { kind: InvalidData, error: "Payload size has been exceeded by 95868 bytes" }))"#
            ),
            reason_of("Network(PayloadSizeLimitExceeded(98304))")
        );
        assert_eq!(
            reason_of("InvalidAuth").as_deref(),
            Some("wrong username or password")
        );
        assert_eq!(reason_of("Io(Custom { kind: ConnectionAborted })"), None);
    }
}
