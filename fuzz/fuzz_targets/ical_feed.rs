//! A channel manager's iCal feed, as bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hub::bookings::parse_feed(data);
});
