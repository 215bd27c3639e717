//! A scenario as the admin API receives it: read, checked, described.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = serde_json::from_slice::<hub::scenarios::model::Definition>(data) {
        if d.validate().is_ok() {
            for t in &d.triggers {
                let _ = t.describe();
            }
        }
    }
});
