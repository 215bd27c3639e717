//! A PMS webhook body (after its signature) and the signature check itself.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hub::bookings::read_pms_update(data);
    let header = String::from_utf8_lossy(data);
    let _ = hub::bookings::verify_pms_signature("secret", data, Some(&header));
});
