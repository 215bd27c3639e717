//! The name a device gets when it announces itself: MQTT families send topics and friendly
//! names made for machines ("terrace_bulb", "tasmota_D3A101", "shellyplus1-d3a0c0ffee01",
//! "0x00158d0001a2b3c4"), and staff should read words. Staff rename freely afterwards.

use device_drivers::channel;
use device_drivers::mqtt::Family;
use device_drivers::Kind;

/// The name an MQTT device or channel `native` gets from what it announced: [`readable`],
/// and for a channel its number ("Shelly Plus 2 PM A478 channel 2") unless the channel was
/// given a name of its own (a Tasmota relay's "fn").
pub(super) fn announced(family: Family, name: Option<&str>, native: &str, kind: Kind) -> String {
    let (device, channel) = channel::split_channel(native);
    let named = readable(name, device, family.brand(), kind.as_str());
    match channel {
        Some(channel) if given(name, family.brand()).is_none_or(|n| n == device) => {
            numbered(&named, &family.channel_label(channel))
        }
        _ => named,
    }
}

/// The name of a device's first channel, which keeps the device's own id: what
/// [`announced`] gives the device, with the first channel's number (Shelly's `switch:0`
/// and Tasmota's `POWER1` are both "channel 1").
pub(super) fn first_channel(family: Family, device: &str, kind: Kind) -> String {
    numbered(&readable(None, device, family.brand(), kind.as_str()), "1")
}

/// `base` with a channel's number, within the 80 characters a name may have.
pub(super) fn numbered(base: &str, label: &str) -> String {
    let label = format!(" channel {label}");
    let keep = 80usize.saturating_sub(label.chars().count());
    base.chars().take(keep).collect::<String>() + &label
}

/// A name a person gave: not empty, and not the one the firmware gives until someone does
/// (Tasmota's "dn" and relay names are "Tasmota", "Tasmota2"…: no better than the topic).
fn given<'a>(name: Option<&'a str>, brand: &str) -> Option<&'a str> {
    let by_default = |n: &str| {
        n.get(..brand.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(brand))
            && n[brand.len()..].chars().all(|c| c.is_ascii_digit())
    };
    name.map(str::trim)
        .filter(|n| !n.is_empty() && !by_default(n))
}

/// A readable name from what a device of `brand` (e.g. "tasmota") and `kind` (e.g.
/// "switch") announced: its own `name` when a person wrote one (it has a space), else words
/// from the name or the topic `device`, with a serial number shortened to its last four
/// characters ("Shelly Plus 1 EE01", "Tasmota switch D3A101", "Zigbee dimmer B3C4").
pub(super) fn readable(name: Option<&str>, device: &str, brand: &str, kind: &str) -> String {
    let given = given(name, brand);
    if let Some(n) = given.filter(|n| n.contains(' ')) {
        return n.to_owned();
    }
    let raw = given.unwrap_or(device);
    let mut words = Vec::new();
    let mut serial = None;
    for token in raw.split(['_', '-', '.']).filter(|t| !t.is_empty()) {
        if is_serial(token) {
            serial = Some(token.trim_start_matches("0x").to_ascii_uppercase());
        } else {
            words.extend(split_digits(token));
        }
    }
    let only_brand = words.len() == 1 && words[0].eq_ignore_ascii_case(brand);
    if words.is_empty() || only_brand {
        let family = if brand == "zigbee2mqtt" {
            "zigbee"
        } else {
            brand
        };
        words = vec![family.to_owned(), kind.replace('_', " ")];
    }
    if let Some(s) = serial {
        let tail = s
            .len()
            .saturating_sub(if s.len() > 6 { 4 } else { s.len() });
        words.push(s[tail..].to_owned());
    }
    let mut text = words.join(" ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text.chars().take(80).collect()
}

/// A hardware serial or address: "0x…" or six or more hex digits with a digit among them.
fn is_serial(token: &str) -> bool {
    let hex = token.trim_start_matches("0x");
    (token.starts_with("0x") && !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
        || (token.len() >= 6
            && token.chars().all(|c| c.is_ascii_hexdigit())
            && token.chars().any(|c| c.is_ascii_digit()))
}

/// "shellyplus1pm" → "Shelly", "Plus", "1", "PM"; "bulb" → "bulb".
fn split_digits(token: &str) -> Vec<String> {
    if let Some(model) = token.strip_prefix("shelly").filter(|m| !m.is_empty()) {
        let mut out = vec!["Shelly".to_owned()];
        let mut part = String::new();
        let mut digits = false;
        for c in model.chars() {
            if !part.is_empty() && c.is_ascii_digit() != digits {
                out.push(model_word(&part));
                part.clear();
            }
            digits = c.is_ascii_digit();
            part.push(c);
        }
        out.push(model_word(&part));
        return out;
    }
    vec![token.to_owned()]
}

fn model_word(part: &str) -> String {
    match part {
        "pm" | "em" | "rgbw" => part.to_ascii_uppercase(),
        _ => {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_names_read_as_words() {
        let cases = [
            (None, "terrace_bulb", "zigbee2mqtt", "light", "Terrace bulb"),
            (
                None,
                "0x00158d0001a2b3c4",
                "zigbee2mqtt",
                "dimmer",
                "Zigbee dimmer B3C4",
            ),
            (
                Some("Tasmota"),
                "tasmota_D3A101",
                "tasmota",
                "switch",
                "Tasmota switch D3A101",
            ),
            (
                None,
                "shellyplus1-d3a0c0ffee01",
                "shelly",
                "switch",
                "Shelly Plus 1 EE01",
            ),
            (
                None,
                "shellyplus1pm-a8032ab12345",
                "shelly",
                "switch",
                "Shelly Plus 1 PM 2345",
            ),
            (
                Some("Kitchen Lamp"),
                "tasmota_1",
                "tasmota",
                "light",
                "Kitchen Lamp",
            ),
            (
                Some("hall_bulb"),
                "hall_bulb",
                "zigbee2mqtt",
                "light",
                "Hall bulb",
            ),
            (None, "", "shelly", "switch", "Shelly switch"),
        ];
        for (name, device, brand, kind, want) in cases {
            assert_eq!(readable(name, device, brand, kind), want, "{device}");
        }
    }

    #[test]
    fn channels_are_numbered_unless_named() {
        let shelly = announced(
            Family::Shelly,
            None,
            "shellyplus2pm-b0b21c10a478#1",
            Kind::Switch,
        );
        assert_eq!(shelly, "Shelly Plus 2 PM A478 channel 2");
        let relay = announced(
            Family::Tasmota,
            Some("Stairs"),
            "sonoff_4ch#2",
            Kind::Switch,
        );
        assert_eq!(relay, "Stairs");
        assert_eq!(
            first_channel(Family::Shelly, "shellyplus2pm-b0b21c10a478", Kind::Switch),
            "Shelly Plus 2 PM A478 channel 1"
        );
        let unnamed = announced(
            Family::Tasmota,
            Some("Tasmota2"),
            "sonoff_4ch#2",
            Kind::Switch,
        );
        assert_eq!(unnamed, "Sonoff 4ch channel 2");
        let gang = announced(
            Family::Zigbee2mqtt,
            Some("hall_switch"),
            "hall_switch#l2",
            Kind::Switch,
        );
        assert_eq!(gang, "Hall switch channel l2");
    }
}
