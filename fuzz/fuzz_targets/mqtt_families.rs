//! Tasmota, Zigbee2MQTT and Shelly messages: the first line is the topic.
#![no_main]
use device_drivers::mqtt::Family;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let topic = String::from_utf8_lossy(&data[..split]);
    let payload = data.get(split + 1..).unwrap_or_default();
    for family in Family::ALL {
        let _ = family.decode(&topic, payload);
    }
});
