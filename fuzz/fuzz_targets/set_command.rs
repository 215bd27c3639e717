//! The uniform `set` body (MQTT and REST).
#![no_main]
use device_drivers::model::Command;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Command::parse_set(data);
});
