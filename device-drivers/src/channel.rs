//! One device per channel: the id a channel of a device with several (a Shelly Plus 2PM's
//! `switch:1`, a Sonoff 4CH's `POWER2`, a Zigbee2MQTT endpoint `l2`, a two-gang Tuya wall
//! switch's `switch_2`) is known by.

/// Separates a device's id from one of its channels in the channel's own id
/// (`shellyplus2pm-b0b21c10a478#1`, `sonoff_4ch#2`, `kitchen_switch#l1`,
/// `bf0a1b2c3d4e5f607182#2`). A device with several channels is one device per channel; the
/// first channel keeps the device's own id, so a one-channel device is unchanged. `#` is
/// never part of a topic level a device publishes on (MQTT 3.1.1 §4.7.1.2), and Tuya device
/// ids are letters and digits, so no device id contains it.
pub const CHANNEL_MARK: char = '#';

/// The id of `device`'s channel `channel` in the protocol's own numbering.
pub fn channel_id(device: &str, channel: &str) -> String {
    format!("{device}{CHANNEL_MARK}{channel}")
}

/// A channel's id split into the device's id and the channel (`None`: the first channel).
pub fn split_channel(id: &str) -> (&str, Option<&str>) {
    match id.split_once(CHANNEL_MARK) {
        Some((device, channel)) => (device, Some(channel)),
        None => (id, None),
    }
}

/// Whether `id` names `device` itself or one of its channels.
pub fn is_channel_of(id: &str, device: &str) -> bool {
    split_channel(id).0 == device
}
