//! eWeLink request/reply bodies and TXT data, encrypted or not.
#![no_main]
use device_drivers::ewelink::{crypto, data_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = data_of(&body, Some("devicekey"));
        let _ = data_of(&body, None);
    }
    let (a, b) = text.split_at(text.len() / 2);
    let _ = crypto::decrypt("devicekey", a, b);
});
