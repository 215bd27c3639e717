//! miIO packets, with the all-zero token and another.
#![no_main]
use device_drivers::miio::packet::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode(data, &[0; 16]);
    let _ = decode(data, &[0x5a; 16]);
});
