//! Tuya framing: any bytes under every seal are a frame, "need more" or an error.
#![no_main]
use device_drivers::tuya::frame::{decode, Seal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = *b"0123456789abcdef";
    for seal in [Seal::Crc, Seal::Hmac(&key), Seal::Gcm(&key)] {
        let _ = decode(data, seal, true);
        let _ = decode(data, seal, false);
    }
});
