//! miIO packets, sans-IO: the 32-byte header (magic 0x2131, length, device id, stamp,
//! MD5 checksum over header, token and data) and the AES-128-CBC payload keyed by the
//! token (`key = MD5(token)`, `iv = MD5(key ‖ token)`).

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use md5::{Digest, Md5};

use super::MiioError;

pub type Token = [u8; 16];

pub const MAGIC: u16 = 0x2131;
pub const HEADER_LEN: usize = 32;
/// Devices answer in one datagram; anything larger is not theirs.
pub const MAX_PACKET: usize = 4096;

/// The hello (handshake and discovery) request: a header of 0xff.
pub fn hello() -> [u8; 32] {
    let mut p = [0xffu8; 32];
    p[..4].copy_from_slice(&[0x21, 0x31, 0x00, 0x20]);
    p
}

pub fn is_hello(bytes: &[u8]) -> bool {
    bytes == hello()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub device_id: u32,
    pub stamp: u32,
    /// The decrypted JSON (trailing NULs removed); empty for a hello reply.
    pub payload: Vec<u8>,
    /// The checksum field as sent: on a hello reply, the token of an unprovisioned
    /// device (or ff…/00… once provisioned).
    pub checksum: [u8; 16],
}

fn key_iv(token: &Token) -> ([u8; 16], [u8; 16]) {
    let key: [u8; 16] = Md5::digest(token).into();
    let mut h = Md5::new();
    h.update(key);
    h.update(token);
    (key, h.finalize().into())
}

pub fn encrypt(token: &Token, plain: &[u8]) -> Vec<u8> {
    let (key, iv) = key_iv(token);
    cbc::Encryptor::<aes::Aes128>::new(&key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plain)
}

pub fn decrypt(token: &Token, data: &[u8]) -> Result<Vec<u8>, MiioError> {
    if data.is_empty() || !data.len().is_multiple_of(16) {
        return Err(MiioError::Malformed("payload is not whole AES blocks"));
    }
    let (key, iv) = key_iv(token);
    cbc::Decryptor::<aes::Aes128>::new(&key.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(data)
        .map_err(|_| MiioError::BadToken)
}

fn header(len: usize, unknown: u32, device_id: u32, stamp: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&MAGIC.to_be_bytes());
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&unknown.to_be_bytes());
    out.extend_from_slice(&device_id.to_be_bytes());
    out.extend_from_slice(&stamp.to_be_bytes());
    out
}

/// Encodes a request or reply carrying `json` (a NUL is appended, as devices expect).
pub fn encode(token: &Token, device_id: u32, stamp: u32, json: &[u8]) -> Vec<u8> {
    let mut plain = json.to_vec();
    plain.push(0);
    let data = encrypt(token, &plain);
    let mut out = header(HEADER_LEN + data.len(), 0, device_id, stamp);
    let mut sum = Md5::new();
    sum.update(&out);
    sum.update(token);
    sum.update(&data);
    out.extend_from_slice(&sum.finalize());
    out.extend_from_slice(&data);
    out
}

/// A hello reply: header only, the checksum field carrying `checksum`.
pub fn encode_hello_reply(device_id: u32, stamp: u32, checksum: [u8; 16]) -> Vec<u8> {
    let mut out = header(HEADER_LEN, 0, device_id, stamp);
    out.extend_from_slice(&checksum);
    out
}

/// Decodes one datagram. A header-only packet (hello reply) needs no token.
pub fn decode(bytes: &[u8], token: &Token) -> Result<Packet, MiioError> {
    if bytes.len() < HEADER_LEN {
        return Err(MiioError::Malformed("shorter than a header"));
    }
    if bytes.len() > MAX_PACKET {
        return Err(MiioError::Malformed("larger than any device sends"));
    }
    if u16::from_be_bytes([bytes[0], bytes[1]]) != MAGIC {
        return Err(MiioError::Malformed("not a miIO packet"));
    }
    let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
    if len != bytes.len() {
        return Err(MiioError::Malformed("length field does not match"));
    }
    let device_id = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let stamp = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let mut checksum = [0u8; 16];
    checksum.copy_from_slice(&bytes[16..32]);
    let data = &bytes[32..];
    if data.is_empty() {
        return Ok(Packet {
            device_id,
            stamp,
            payload: Vec::new(),
            checksum,
        });
    }
    let mut sum = Md5::new();
    sum.update(&bytes[..16]);
    sum.update(token);
    sum.update(data);
    if sum.finalize().as_slice() != checksum {
        return Err(MiioError::BadToken);
    }
    let mut payload = decrypt(token, data)?;
    while payload.last() == Some(&0) {
        payload.pop();
    }
    Ok(Packet {
        device_id,
        stamp,
        payload,
        checksum,
    })
}

pub fn parse_token(hex_text: &str) -> Result<Token, MiioError> {
    let bytes = hex::decode(hex_text.trim()).map_err(|_| MiioError::TokenFormat)?;
    bytes.try_into().map_err(|_| MiioError::TokenFormat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_zero_token_gives_the_published_key_and_iv() {
        let (key, iv) = key_iv(&[0; 16]);
        assert_eq!(hex::encode(key), "4ae71336e44bf9bf79d2752e234818a5");
        assert_eq!(hex::encode(iv), "1e38275872be38346a6f072771a7f58b");
    }

    #[test]
    fn a_wrong_token_is_a_bad_token() {
        let p = encode(
            &[1; 16],
            7,
            100,
            br#"{"id":1,"method":"get_prop","params":["power"]}"#,
        );
        assert_eq!(decode(&p, &[2; 16]), Err(MiioError::BadToken));
        let back = decode(&p, &[1; 16]).unwrap();
        assert_eq!(back.device_id, 7);
        assert_eq!(
            back.payload,
            br#"{"id":1,"method":"get_prop","params":["power"]}"#
        );
    }

    proptest! {
        #[test]
        fn garbage_is_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode(&bytes, &[0; 16]);
        }

        #[test]
        fn packets_round_trip(device_id: u32, stamp: u32, json in "[ -~]{0,300}") {
            let token = [9u8; 16];
            let p = encode(&token, device_id, stamp, json.as_bytes());
            let back = decode(&p, &token).unwrap();
            prop_assert_eq!(back.device_id, device_id);
            prop_assert_eq!(back.stamp, stamp);
            prop_assert_eq!(back.payload, json.trim_end_matches('\0').as_bytes().to_vec());
        }
    }
}
