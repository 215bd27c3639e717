//! eWeLink LAN ciphers: AES-128-CBC with `MD5(devicekey)`, a random 16-byte IV, PKCS7 and
//! base64, as the devices and the eWeLink app use them.

use aes::cipher::{
    block_padding::NoPadding, block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit,
};
use base64::Engine;
use md5::{Digest, Md5};

use super::EwelinkError;

fn key(devicekey: &str) -> [u8; 16] {
    Md5::digest(devicekey.as_bytes()).into()
}

/// Returns `(base64 ciphertext, base64 iv)`.
pub fn encrypt(devicekey: &str, plain: &[u8]) -> (String, String) {
    let iv: [u8; 16] = rand::random();
    let sealed = cbc::Encryptor::<aes::Aes128>::new(&key(devicekey).into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plain);
    let b64 = base64::engine::general_purpose::STANDARD;
    (b64.encode(sealed), b64.encode(iv))
}

/// Decrypts and tolerates the stray bytes some firmware leaves before the padding
/// (AlexxIT/SonoffLAN #1160): whatever follows the JSON is dropped.
pub fn decrypt(devicekey: &str, data_b64: &str, iv_b64: &str) -> Result<Vec<u8>, EwelinkError> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let data = b64
        .decode(data_b64.trim())
        .map_err(|_| EwelinkError::Malformed("data is not base64"))?;
    let iv: [u8; 16] = b64
        .decode(iv_b64.trim())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(EwelinkError::Malformed("iv is not 16 bytes of base64"))?;
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return Err(EwelinkError::Malformed("data is not whole AES blocks"));
    }
    let plain = cbc::Decryptor::<aes::Aes128>::new(&key(devicekey).into(), &iv.into())
        .decrypt_padded_vec_mut::<NoPadding>(&data)
        .map_err(|_| EwelinkError::Malformed("data is not whole AES blocks"))?;
    // A right key gives JSON: an object from '{' to its last '}'.
    let end = plain
        .iter()
        .rposition(|b| *b == b'}')
        .ok_or(EwelinkError::BadKey)?;
    if plain.first() != Some(&b'{') {
        return Err(EwelinkError::BadKey);
    }
    let text = &plain[..=end];
    serde_json::from_slice::<serde_json::Value>(text).map_err(|_| EwelinkError::BadKey)?;
    Ok(text.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from AlexxIT/SonoffLAN's tests (the first has the stray-byte quirk).
    #[test]
    fn published_vectors_decrypt() {
        let out = decrypt(
            "9b0810bc-557a-406c-8266-614767890531",
            "D85ho6GLI5uFX2b1+vohUIb+Xt99f55wxsBsNhqpPQdQ/WNc3ZTlCi1UVFiFU5cnaCPjvXPG6pqfHqXdtCO2fA==",
            "MTA4MDc1MTQ5NzE5ODE2Ng==",
        )
        .unwrap();
        assert_eq!(out, br#"{"switches": [{"outlet": 0, "switch": "off"}]}"#);
        let out = decrypt(
            "64271b79-89f6-4d18-8318-7d751faacd13",
            "t9YKDAK3nnURqivGN0evtaS+Yj4M6b6NUV+ptJlMTOQ=",
            "3PgYPjEuE4qCoZOTsPE2xg==",
        )
        .unwrap();
        assert_eq!(out, br#"{"switch": "on"}"#);
    }

    #[test]
    fn round_trip_and_wrong_key() {
        let (data, iv) = encrypt("k1", br#"{"switch":"on"}"#);
        assert_eq!(decrypt("k1", &data, &iv).unwrap(), br#"{"switch":"on"}"#);
        assert!(decrypt("k2", &data, &iv).is_err());
        assert!(decrypt("k1", "%%%", &iv).is_err());
    }
}
