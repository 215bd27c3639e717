//! eWeLink request/reply bodies and TXT data, encrypted or not.
#![no_main]
use device_drivers::ewelink::{crypto, data_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = data_of(&body, Some("devicekey"));
        let _ = data_of(&body, None);
    }
    let (a, b) = data.split_at(data.len() / 2);
    let _ = crypto::decrypt(
        "devicekey",
        &String::from_utf8_lossy(a),
        &String::from_utf8_lossy(b),
    );
});
