//! An Open-Meteo forecast answer.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hub::weather::openmeteo::parse(data);
});
