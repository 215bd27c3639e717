//! eWeLink / Sonoff LAN mode: mDNS `_ewelink._tcp` announcements whose TXT carries the
//! state (encrypted unless in DIY mode), and `POST /zeroconf/<command>` on port 8081.
//! `crypto` (AES-CBC with MD5(devicekey)), this module's sans-IO message shapes, the
//! client (`client`) and mDNS discovery (`discovery`).

pub mod client;
pub mod crypto;
pub mod discovery;

use serde_json::{json, Map, Value};

pub use client::{spawn, EwelinkConfig};

pub const PORT: u16 = 8081;
pub const SERVICE: &str = "_ewelink._tcp.local.";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EwelinkError {
    #[error("malformed eWeLink data: {0}")]
    Malformed(&'static str),
    #[error("bad key: the devicekey does not match the device's")]
    BadKey,
    #[error("the device answered error {0}")]
    Device(i64),
}

/// The request body for `command` with `data`: encrypted with `devicekey`, or plain in
/// DIY mode.
pub fn request(device_id: &str, sequence: u64, data: &Value, devicekey: Option<&str>) -> Value {
    match devicekey {
        Some(key) => {
            let (sealed, iv) = crypto::encrypt(key, data.to_string().as_bytes());
            json!({"sequence": sequence.to_string(), "deviceid": device_id, "selfApikey": "123",
                   "encrypt": true, "iv": iv, "data": sealed})
        }
        None => {
            json!({"sequence": sequence.to_string(), "deviceid": device_id, "encrypt": false, "data": data})
        }
    }
}

/// The `data` of a request or reply: a JSON object, a JSON text (some clients send that
/// in DIY mode), or base64 ciphertext with an `iv`.
pub fn data_of(body: &Value, devicekey: Option<&str>) -> Result<Map<String, Value>, EwelinkError> {
    let data = body.get("data").ok_or(EwelinkError::Malformed("no data"))?;
    let object = match data {
        Value::Object(o) => o.clone(),
        Value::String(s)
            if body.get("encrypt") == Some(&Value::Bool(true)) || body.get("iv").is_some() =>
        {
            let key = devicekey.ok_or(EwelinkError::BadKey)?;
            let iv = body
                .get("iv")
                .and_then(Value::as_str)
                .ok_or(EwelinkError::Malformed("encrypted data without an iv"))?;
            let plain = crypto::decrypt(key, s, iv)?;
            serde_json::from_slice(&plain)
                .map_err(|_| EwelinkError::Malformed("data is not a JSON object"))?
        }
        Value::String(s) => serde_json::from_str(s)
            .map_err(|_| EwelinkError::Malformed("data is not a JSON object"))?,
        _ => return Err(EwelinkError::Malformed("data is not an object")),
    };
    Ok(object)
}

/// A reply's error code (0 is success).
pub fn error_of(body: &Value) -> i64 {
    body.get("error").and_then(Value::as_i64).unwrap_or(0)
}

/// The state object carried in TXT `data1`…`data4` (joined), decrypted with `iv` when the
/// device is encrypted.
pub fn txt_state(
    txt: &std::collections::HashMap<String, String>,
    devicekey: Option<&str>,
) -> Result<Map<String, Value>, EwelinkError> {
    let joined: String = ["data1", "data2", "data3", "data4"]
        .iter()
        .filter_map(|k| txt.get(*k))
        .cloned()
        .collect();
    let encrypted = txt.get("encrypt").map(String::as_str) == Some("true");
    let body = if encrypted {
        json!({"encrypt": true, "iv": txt.get("iv").cloned().unwrap_or_default(), "data": joined})
    } else {
        json!({"data": joined})
    };
    data_of(&body, devicekey)
}

/// Splits a state object into TXT `data1`…`data4` chunks of at most 249 bytes.
pub fn txt_chunks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut n = 1;
    while !rest.is_empty() && n <= 4 {
        let mut cut = rest.len().min(249);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push((format!("data{n}"), rest[..cut].to_owned()));
        rest = &rest[cut..];
        n += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn requests_round_trip_encrypted_and_diy() {
        let data = json!({"switch": "on"});
        let sealed = request("1000abcdef", 1, &data, Some("key"));
        assert_eq!(data_of(&sealed, Some("key")).unwrap()["switch"], "on");
        assert_eq!(data_of(&sealed, Some("other")), Err(EwelinkError::BadKey));
        let plain = request("1000abcdef", 1, &data, None);
        assert_eq!(data_of(&plain, None).unwrap()["switch"], "on");
        let as_text = json!({"deviceid": "x", "data": "{\"switch\":\"off\"}"});
        assert_eq!(data_of(&as_text, None).unwrap()["switch"], "off");
    }

    proptest! {
        #[test]
        fn encrypted_requests_round_trip(key in "[ -~]{1,40}", value in "[ -~]{0,200}", n in 0u64..1_000_000) {
            let data = json!({"switch": value, "n": n});
            let body = request("1000abcdef", n, &data, Some(&key));
            let back = data_of(&body, Some(&key)).unwrap();
            prop_assert_eq!(Value::Object(back), data);
        }

        #[test]
        fn arbitrary_bodies_are_errors_not_panics(s in ".{0,200}", iv in ".{0,30}") {
            let _ = data_of(&json!({"encrypt": true, "iv": iv, "data": s}), Some("k"));
            let _ = data_of(&json!({"data": s}), None);
            let _ = crypto::decrypt("k", &s, &iv);
        }
    }
}
