//! The link's MQTT topics. A hub publishes only under `hubs/<its id>/up/` and subscribes only
//! under `hubs/<its id>/down/`; the relay enforces both (a hub's credential never reaches
//! another hub's topics).
//!
//! - `hubs/<hub>/down/<node>/<stream>`: relay node `<node>` to the hub, one browser
//!   connection `<stream>`;
//! - `hubs/<hub>/up/<node>/<stream>`: the hub's answer, addressed to the node that holds the
//!   browser (each relay node subscribes to `hubs/+/up/<node>/#`);
//! - `hubs/<hub>/up/summary`: the hub's figures for its owners' dashboard;
//! - `relays/links/<hub>`: between relay nodes, the hub's link began or ended.
//!
//! Levels use no `.`, `+`, `#` or spaces, so they map one to one onto NATS subjects
//! (nats.docs mqtt/README.md "Topics and subjects").

use crate::credential::HubId;

/// What the hub subscribes to.
pub fn down_filter(hub: &HubId) -> String {
    format!("hubs/{hub}/down/#")
}

/// What relay node `node` subscribes to.
pub fn up_filter(node: &str) -> String {
    format!("hubs/+/up/{node}/#")
}

pub fn down(hub: &HubId, node: &str, stream: &str) -> String {
    format!("hubs/{hub}/down/{node}/{stream}")
}

pub fn up(hub: &HubId, node: &str, stream: &str) -> String {
    format!("hubs/{hub}/up/{node}/{stream}")
}

/// A stream's place: which hub, which relay node, which browser connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StreamTopic {
    pub hub: HubId,
    pub node: String,
    pub stream: String,
}

/// Reads `hubs/<hub>/<direction>/<node>/<stream>` for `direction` "up" or "down".
pub fn parse(topic: &str, direction: &str) -> Option<StreamTopic> {
    let mut levels = topic.split('/');
    let ("hubs", Some(hub), Some(dir), Some(node), Some(stream), None) = (
        levels.next()?,
        levels.next(),
        levels.next(),
        levels.next(),
        levels.next(),
        levels.next(),
    ) else {
        return None;
    };
    (dir == direction && is_label(node) && is_label(stream)).then_some(())?;
    Some(StreamTopic {
        hub: HubId::parse(hub).ok()?,
        node: node.to_owned(),
        stream: stream.to_owned(),
    })
}

/// Where a hub publishes its summary for its owners' dashboard (JSON).
pub fn summary(hub: &HubId) -> String {
    format!("hubs/{hub}/up/summary")
}

/// The hub a summary topic belongs to.
pub fn parse_summary(topic: &str) -> Option<HubId> {
    let hub = topic.strip_prefix("hubs/")?.strip_suffix("/up/summary")?;
    HubId::parse(hub).ok()
}

/// Where relay nodes tell each other that hub `hub`'s link began or ended; the payload is
/// that moment (unix ms, decimal). The hub drops its carried connections with each link,
/// so the connections carried to it from before then are over, on whichever node.
/// Hubs can neither publish nor subscribe here.
pub fn link_notice(hub: &HubId) -> String {
    format!("relays/links/{hub}")
}

/// What each relay node subscribes to for the link notices.
pub fn link_notice_filter() -> String {
    "relays/links/+".into()
}

/// The hub a link notice is about.
pub fn parse_link_notice(topic: &str) -> Option<HubId> {
    HubId::parse(topic.strip_prefix("relays/links/")?).ok()
}

/// Whether hub `hub` may publish on `topic`: its streams' answers and its summary.
pub fn hub_may_publish(hub: &HubId, topic: &str) -> bool {
    parse(topic, "up").is_some_and(|t| t.hub == *hub) || parse_summary(topic).as_ref() == Some(hub)
}

/// Whether hub `hub` may subscribe to `filter`: its own downlink, nothing wider.
pub fn hub_may_subscribe(hub: &HubId, filter: &str) -> bool {
    filter == down_filter(hub)
}

/// Node and stream names: 1–32 lowercase letters and digits.
pub fn is_label(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hub_reaches_only_its_own_topics() {
        let a = HubId::parse("0123456789abcdef0123").unwrap();
        let b = HubId::parse("fedcba9876543210fedc").unwrap();
        assert!(hub_may_publish(&a, &up(&a, "n1", "s1")));
        assert!(hub_may_publish(&a, &summary(&a)));
        assert!(!hub_may_publish(&a, &summary(&b)));
        assert!(!hub_may_publish(&a, "hubs/+/up/summary"));
        assert_eq!(parse_summary(&summary(&b)), Some(b.clone()));
        assert!(!hub_may_publish(&a, &up(&b, "n1", "s1")));
        assert!(!hub_may_publish(&a, &down(&a, "n1", "s1")));
        assert!(!hub_may_publish(&a, "hubs/+/up/n1/s1"));
        assert!(!hub_may_publish(&a, &format!("hubs/{a}/up/n1/s1/extra")));
        assert!(!hub_may_publish(&a, &format!("hubs/{a}/up/n.1/s1")));
        assert!(hub_may_subscribe(&a, &down_filter(&a)));
        for wider in [
            "#",
            "hubs/#",
            "hubs/+/down/#",
            &down_filter(&b),
            "hubs/+/up/n1/#",
        ] {
            assert!(!hub_may_subscribe(&a, wider), "{wider}");
        }
        let t = parse(&down(&b, "n9", "abc"), "down").unwrap();
        assert_eq!(
            (t.hub, t.node.as_str(), t.stream.as_str()),
            (b, "n9", "abc")
        );
    }
}
