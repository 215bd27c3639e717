//! SmartThings documents (status, device lists) read into our model.
#![no_main]
use device_drivers::smartthings::{kind_of, state_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = state_of(&doc);
        let caps: Vec<&str> = doc
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str())
            .collect();
        let _ = kind_of(&caps);
    }
});
