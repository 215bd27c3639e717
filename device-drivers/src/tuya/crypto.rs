//! The Tuya ciphers: AES-128-ECB payloads (3.1–3.4), the 3.1 MD5 signature, AES-GCM (3.5),
//! HMAC-SHA256 and the 3.4/3.5 session-key derivations. Framing lives in `frame.rs`.

use aes::cipher::{
    block_padding::NoPadding, block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyInit,
};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

use super::TuyaError;

pub type Key = [u8; 16];

type EcbEnc = ecb::Encryptor<aes::Aes128>;
type EcbDec = ecb::Decryptor<aes::Aes128>;

pub fn ecb_encrypt(key: &Key, data: &[u8]) -> Vec<u8> {
    EcbEnc::new(key.into()).encrypt_padded_vec_mut::<Pkcs7>(data)
}

/// A wrong key shows up as broken padding.
pub fn ecb_decrypt(key: &Key, data: &[u8]) -> Result<Vec<u8>, TuyaError> {
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return Err(TuyaError::Malformed("ciphertext is not whole AES blocks"));
    }
    EcbDec::new(key.into())
        .decrypt_padded_vec_mut::<Pkcs7>(data)
        .map_err(|_| TuyaError::BadKey)
}

fn ecb_encrypt_block(key: &Key, block: &[u8; 16]) -> Key {
    let out = EcbEnc::new(key.into()).encrypt_padded_vec_mut::<NoPadding>(block);
    let mut k = [0u8; 16];
    k.copy_from_slice(&out);
    k
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub fn hmac_verify(key: &[u8], data: &[u8], tag: &[u8]) -> bool {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.verify_slice(tag).is_ok()
}

pub fn gcm_seal(key: &Key, iv: &[u8; 12], aad: &[u8], plain: &[u8]) -> Vec<u8> {
    let cipher = Aes128Gcm::new(key.into());
    // Encryption with a 16-byte key and a 12-byte nonce cannot fail.
    cipher
        .encrypt(Nonce::from_slice(iv), Payload { msg: plain, aad })
        .unwrap_or_default()
}

/// `sealed` is ciphertext ‖ tag.
pub fn gcm_open(key: &Key, iv: &[u8], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, TuyaError> {
    if iv.len() != 12 {
        return Err(TuyaError::Malformed("GCM nonce is not 12 bytes"));
    }
    Aes128Gcm::new(key.into())
        .decrypt(Nonce::from_slice(iv), Payload { msg: sealed, aad })
        .map_err(|_| TuyaError::BadKey)
}

/// 3.1 CONTROL payloads: `"3.1" ‖ md5hex[8..24] ‖ base64(ECB(json))`.
pub fn v31_encode(key: &Key, json: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(ecb_encrypt(key, json));
    let digest = v31_digest(key, b64.as_bytes());
    let mut out = b"3.1".to_vec();
    out.extend_from_slice(&digest);
    out.extend_from_slice(b64.as_bytes());
    out
}

fn v31_digest(key: &Key, b64: &[u8]) -> Vec<u8> {
    let mut md5 = Md5::new();
    md5.update(b"data=");
    md5.update(b64);
    md5.update(b"||lpv=3.1||");
    md5.update(key);
    hex::encode(md5.finalize()).as_bytes()[8..24].to_vec()
}

pub fn v31_decode(key: &Key, payload: &[u8]) -> Result<Vec<u8>, TuyaError> {
    let rest = payload
        .strip_prefix(b"3.1")
        .ok_or(TuyaError::Malformed("3.1 payload without its header"))?;
    if rest.len() < 16 {
        return Err(TuyaError::Malformed("3.1 payload too short"));
    }
    let (digest, b64) = rest.split_at(16);
    if digest != v31_digest(key, b64).as_slice() {
        return Err(TuyaError::BadKey);
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| TuyaError::Malformed("3.1 payload is not base64"))?;
    ecb_decrypt(key, &raw)
}

/// 3.4: `ECB(local_key, client_nonce ⊕ device_nonce)`.
pub fn session_key_34(local_key: &Key, client_nonce: &Key, device_nonce: &Key) -> Key {
    ecb_encrypt_block(local_key, &xor(client_nonce, device_nonce))
}

/// 3.5: bytes 12..28 of `IV ‖ GCM(local_key, iv = client_nonce[..12], x)`, i.e. the first
/// 16 ciphertext bytes.
pub fn session_key_35(local_key: &Key, client_nonce: &Key, device_nonce: &Key) -> Key {
    let mut iv = [0u8; 12];
    iv.copy_from_slice(&client_nonce[..12]);
    let sealed = gcm_seal(local_key, &iv, &[], &xor(client_nonce, device_nonce));
    let mut k = [0u8; 16];
    k.copy_from_slice(&sealed[..16]);
    k
}

fn xor(a: &Key, b: &Key) -> [u8; 16] {
    let mut x = [0u8; 16];
    for i in 0..16 {
        x[i] = a[i] ^ b[i];
    }
    x
}

/// The well-known key of the LAN discovery broadcasts: `md5("yGAdlopoPVldABfn")`.
pub fn udp_key() -> Key {
    Md5::digest(b"yGAdlopoPVldABfn").into()
}

pub fn parse_local_key(text: &str) -> Result<Key, TuyaError> {
    text.as_bytes()
        .try_into()
        .map_err(|_| TuyaError::KeyLength(text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udp_key_matches_the_published_value() {
        assert_eq!(hex::encode(udp_key()), "6c1ec8e2bb9bb59ab50b0daf649b410a");
    }

    #[test]
    fn a_wrong_key_is_a_bad_key_not_a_panic() {
        let good = *b"0123456789abcdef";
        let bad = *b"fedcba9876543210";
        let sealed = ecb_encrypt(&good, br#"{"dps":{"1":true}}"#);
        assert_eq!(
            ecb_decrypt(&good, &sealed).unwrap(),
            br#"{"dps":{"1":true}}"#
        );
        // A wrong key almost always breaks the padding; when it does not, the JSON is
        // garbage, which the session rejects.
        if let Ok(text) = ecb_decrypt(&bad, &sealed) {
            assert!(serde_json::from_slice::<serde_json::Value>(&text).is_err());
        }
        let v31 = v31_encode(&good, b"{}");
        assert_eq!(v31_decode(&bad, &v31), Err(TuyaError::BadKey));
        assert_eq!(v31_decode(&good, &v31).unwrap(), b"{}");
    }
}
