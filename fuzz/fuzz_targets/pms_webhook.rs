//! A PMS webhook body (after its signature) and the signature check itself.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hub::bookings::webhook::read(data);
    let header = String::from_utf8_lossy(data);
    let _ = hub::bookings::webhook::verify("secret", data, Some(&header));
});
