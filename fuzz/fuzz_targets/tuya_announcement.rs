//! Tuya discovery datagrams.
#![no_main]
use device_drivers::tuya::discovery::{decode_announcement, is_probe};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_announcement(data, std::net::Ipv4Addr::LOCALHOST.into());
    let _ = is_probe(data);
});
