//! Tuya sessions, both ends and every version, fed arbitrary streams.
#![no_main]
use device_drivers::tuya::session::{ClientSession, DeviceSession};
use device_drivers::tuya::Version;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = *b"0123456789abcdef";
    for version in Version::ALL {
        let mut client = ClientSession::new(version, key);
        let _ = client.start(*b"clientnonce54321");
        let mut device = DeviceSession::new(version, key, *b"devicenonce12345");
        let mut rest = data;
        while let Ok(Some((_, used))) = client.decode(rest) {
            rest = &rest[used.max(1).min(rest.len())..];
        }
        let _ = device.decode(data);
    }
});
