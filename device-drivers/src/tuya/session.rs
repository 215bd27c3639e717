//! One Tuya connection's protocol state, sans-IO, from either end: the client side
//! (`ClientSession`, used by our client) and the device side (`DeviceSession`, used by
//! our emulator). Both handle the per-version payload ciphers and the 3.4/3.5
//! session-key negotiation; sockets, timers and retries are the callers' business.

use super::crypto::{self, Key};
use super::frame::{self, Frame, Seal};
use super::{cmd, TuyaError, Version};

/// A frame's payload after the version's cipher and header are removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub seq: u32,
    pub cmd: u32,
    pub retcode: Option<u32>,
    /// JSON, an error text such as `json obj data unvalid`, or empty.
    pub payload: Vec<u8>,
}

/// Commands sent without the clear `3.x` version header.
fn headerless(command: u32) -> bool {
    matches!(
        command,
        cmd::DP_QUERY
            | cmd::DP_QUERY_NEW
            | cmd::UPDATEDPS
            | cmd::HEART_BEAT
            | cmd::SESS_KEY_NEG_START
            | cmd::SESS_KEY_NEG_RESP
            | cmd::SESS_KEY_NEG_FINISH
            | cmd::LAN_EXT_STREAM
    )
}

fn version_header(v: Version) -> Vec<u8> {
    let mut h = v.as_str().as_bytes().to_vec();
    h.extend_from_slice(&[0u8; 12]);
    h
}

fn random_iv() -> [u8; 12] {
    rand::random()
}

/// The keys in force for one direction of one connection.
#[derive(Clone)]
struct Cipher {
    version: Version,
    /// The device's local key; the session key replaces it for 3.4/3.5 once negotiated.
    key: Key,
}

impl Cipher {
    fn seal(&self) -> Seal<'_> {
        match self.version {
            Version::V31 | Version::V33 => Seal::Crc,
            Version::V34 => Seal::Hmac(&self.key),
            Version::V35 => Seal::Gcm(&self.key),
        }
    }

    /// Payload → wire bytes for a frame travelling either way.
    fn wrap(&self, command: u32, payload: &[u8], from_device: bool) -> Vec<u8> {
        let header = !headerless(command) && !payload.is_empty();
        match self.version {
            Version::V31 => {
                // Only client CONTROL is encrypted in 3.1; devices answer in the same
                // form (what tinytuya and real 3.1 plugs do).
                if command == cmd::CONTROL || (from_device && command == cmd::STATUS) {
                    crypto::v31_encode(&self.key, payload)
                } else {
                    payload.to_vec()
                }
            }
            Version::V33 => {
                if payload.is_empty() {
                    return Vec::new();
                }
                let sealed = crypto::ecb_encrypt(&self.key, payload);
                if header || (from_device && command != cmd::HEART_BEAT) {
                    let mut out = version_header(self.version);
                    out.extend_from_slice(&sealed);
                    out
                } else {
                    sealed
                }
            }
            Version::V34 => {
                if payload.is_empty() {
                    return Vec::new();
                }
                let mut plain = if header || (from_device && command != cmd::HEART_BEAT) {
                    version_header(self.version)
                } else {
                    Vec::new()
                };
                plain.extend_from_slice(payload);
                crypto::ecb_encrypt(&self.key, &plain)
            }
            Version::V35 => {
                let mut plain = if header || (from_device && !payload.is_empty()) {
                    version_header(self.version)
                } else {
                    Vec::new()
                };
                plain.extend_from_slice(payload);
                plain
            }
        }
    }

    /// Wire payload → plain payload.
    fn unwrap(&self, payload: &[u8]) -> Result<Vec<u8>, TuyaError> {
        if payload.is_empty() {
            return Ok(Vec::new());
        }
        let plain = match self.version {
            Version::V31 => {
                if payload.starts_with(b"3.1") {
                    crypto::v31_decode(&self.key, payload)?
                } else {
                    payload.to_vec()
                }
            }
            Version::V33 => {
                let body = strip_header(self.version, payload);
                match crypto::ecb_decrypt(&self.key, body) {
                    Ok(plain) => plain,
                    // Some devices answer errors in clear text.
                    Err(_) if body.first() == Some(&b'{') || body.starts_with(b"json obj") => {
                        body.to_vec()
                    }
                    Err(e) => return Err(e),
                }
            }
            Version::V34 => {
                let plain = crypto::ecb_decrypt(&self.key, payload)?;
                strip_header(self.version, &plain).to_vec()
            }
            Version::V35 => strip_header(self.version, payload).to_vec(),
        };
        Ok(plain)
    }
}

/// Strips the 15-byte `3.x` header (zeros, or the "source header" some devices send).
fn strip_header(v: Version, payload: &[u8]) -> &[u8] {
    if payload.starts_with(v.as_str().as_bytes()) && payload.len() >= 15 {
        &payload[15..]
    } else {
        payload
    }
}

enum Handshake {
    NotNeeded,
    /// START sent with this nonce; waiting for RESP.
    Started(Key),
    Done,
}

/// The client's end of one connection.
pub struct ClientSession {
    cipher: Cipher,
    local_key: Key,
    handshake: Handshake,
    seq: u32,
}

/// What a frame from the device meant.
#[derive(Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The 3.4/3.5 handshake finished; send these bytes (FINISH) and carry on.
    Negotiated(Vec<u8>),
    Message(Message),
}

impl ClientSession {
    pub fn new(version: Version, local_key: Key) -> ClientSession {
        ClientSession {
            cipher: Cipher {
                version,
                key: local_key,
            },
            local_key,
            handshake: Handshake::NotNeeded,
            seq: 1,
        }
    }

    pub fn version(&self) -> Version {
        self.cipher.version
    }

    /// The first bytes to send: the negotiation START for 3.4/3.5, nothing before.
    pub fn start(&mut self, nonce: Key) -> Option<Vec<u8>> {
        if !self.cipher.version.negotiates() {
            return None;
        }
        self.handshake = Handshake::Started(nonce);
        let bytes = match self.cipher.version {
            Version::V34 => crypto::ecb_encrypt(&self.local_key, &nonce),
            _ => nonce.to_vec(),
        };
        Some(self.frame(cmd::SESS_KEY_NEG_START, bytes))
    }

    pub fn ready(&self) -> bool {
        !matches!(self.handshake, Handshake::Started(_))
    }

    /// Encodes a request with the version's cipher.
    pub fn encode(&mut self, command: u32, payload: &[u8]) -> Vec<u8> {
        let wire = self.cipher.wrap(command, payload, false);
        self.frame(command, wire)
    }

    fn frame(&mut self, command: u32, payload: Vec<u8>) -> Vec<u8> {
        let f = Frame {
            seq: self.seq,
            cmd: command,
            retcode: None,
            payload,
        };
        self.seq = self.seq.wrapping_add(1);
        frame::encode(&f, self.cipher.seal(), random_iv())
    }

    /// Decodes one frame from the start of `buf`; `None` when more bytes are needed.
    pub fn decode(&mut self, buf: &[u8]) -> Result<Option<(ClientEvent, usize)>, TuyaError> {
        let Some((f, used)) = frame::decode(buf, self.cipher.seal(), true)? else {
            return Ok(None);
        };
        if let Handshake::Started(client_nonce) = self.handshake {
            if f.cmd != cmd::SESS_KEY_NEG_RESP {
                return Err(TuyaError::Handshake(
                    "the device answered before negotiating",
                ));
            }
            let body = match self.cipher.version {
                Version::V34 => crypto::ecb_decrypt(&self.local_key, &f.payload)?,
                _ => f.payload,
            };
            if body.len() < 48 {
                return Err(TuyaError::Handshake("negotiation reply too short"));
            }
            let mut device_nonce = [0u8; 16];
            device_nonce.copy_from_slice(&body[..16]);
            if !crypto::hmac_verify(&self.local_key, &client_nonce, &body[16..48]) {
                return Err(TuyaError::BadKey);
            }
            let proof = crypto::hmac_sha256(&self.local_key, &device_nonce);
            let finish_payload = match self.cipher.version {
                Version::V34 => crypto::ecb_encrypt(&self.local_key, &proof),
                _ => proof.to_vec(),
            };
            let finish = self.frame(cmd::SESS_KEY_NEG_FINISH, finish_payload);
            self.cipher.key = match self.cipher.version {
                Version::V34 => {
                    crypto::session_key_34(&self.local_key, &client_nonce, &device_nonce)
                }
                _ => crypto::session_key_35(&self.local_key, &client_nonce, &device_nonce),
            };
            self.handshake = Handshake::Done;
            return Ok(Some((ClientEvent::Negotiated(finish), used)));
        }
        let payload = self.cipher.unwrap(&f.payload)?;
        Ok(Some((
            ClientEvent::Message(Message {
                seq: f.seq,
                cmd: f.cmd,
                retcode: f.retcode,
                payload,
            }),
            used,
        )))
    }
}

/// The device's end of one connection (for the emulator).
pub struct DeviceSession {
    cipher: Cipher,
    local_key: Key,
    device_nonce: Key,
    client_nonce: Option<Key>,
    seq: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum DeviceEvent {
    /// Negotiation traffic: send these bytes back (empty after FINISH).
    Reply(Vec<u8>),
    Request(Message),
}

impl DeviceSession {
    pub fn new(version: Version, local_key: Key, device_nonce: Key) -> DeviceSession {
        DeviceSession {
            cipher: Cipher {
                version,
                key: local_key,
            },
            local_key,
            device_nonce,
            client_nonce: None,
            seq: 1,
        }
    }

    pub fn decode(&mut self, buf: &[u8]) -> Result<Option<(DeviceEvent, usize)>, TuyaError> {
        let Some((f, used)) = frame::decode(buf, self.cipher.seal(), false)? else {
            return Ok(None);
        };
        let negotiates = self.cipher.version.negotiates();
        match f.cmd {
            cmd::SESS_KEY_NEG_START if negotiates => {
                let nonce = match self.cipher.version {
                    Version::V34 => crypto::ecb_decrypt(&self.local_key, &f.payload)?,
                    _ => f.payload,
                };
                let nonce: Key = nonce
                    .get(..16)
                    .and_then(|n| n.try_into().ok())
                    .ok_or(TuyaError::Handshake("client nonce too short"))?;
                // A new START restarts negotiation under the real key.
                self.cipher.key = self.local_key;
                self.client_nonce = Some(nonce);
                let mut body = self.device_nonce.to_vec();
                body.extend_from_slice(&crypto::hmac_sha256(&self.local_key, &nonce));
                let body = match self.cipher.version {
                    Version::V34 => crypto::ecb_encrypt(&self.local_key, &body),
                    _ => body,
                };
                let reply = self.frame(f.seq, cmd::SESS_KEY_NEG_RESP, body);
                Ok(Some((DeviceEvent::Reply(reply), used)))
            }
            cmd::SESS_KEY_NEG_FINISH if negotiates => {
                let client_nonce = self
                    .client_nonce
                    .ok_or(TuyaError::Handshake("FINISH before START"))?;
                let proof = match self.cipher.version {
                    Version::V34 => crypto::ecb_decrypt(&self.local_key, &f.payload)?,
                    _ => f.payload,
                };
                if !crypto::hmac_verify(&self.local_key, &self.device_nonce, &proof) {
                    return Err(TuyaError::BadKey);
                }
                self.cipher.key = match self.cipher.version {
                    Version::V34 => {
                        crypto::session_key_34(&self.local_key, &client_nonce, &self.device_nonce)
                    }
                    _ => crypto::session_key_35(&self.local_key, &client_nonce, &self.device_nonce),
                };
                Ok(Some((DeviceEvent::Reply(Vec::new()), used)))
            }
            _ => {
                let payload = self.cipher.unwrap(&f.payload)?;
                Ok(Some((
                    DeviceEvent::Request(Message {
                        seq: f.seq,
                        cmd: f.cmd,
                        retcode: None,
                        payload,
                    }),
                    used,
                )))
            }
        }
    }

    /// A reply to request `seq` (3.1–3.4 echo it; 3.5 devices count on their own).
    pub fn reply(&mut self, seq: u32, command: u32, payload: &[u8]) -> Vec<u8> {
        let wire = self.cipher.wrap(command, payload, true);
        self.frame(seq, command, wire)
    }

    /// An unsolicited status report.
    pub fn push(&mut self, payload: &[u8]) -> Vec<u8> {
        let seq = self.seq;
        let wire = self.cipher.wrap(cmd::STATUS, payload, true);
        self.frame(seq, cmd::STATUS, wire)
    }

    fn frame(&mut self, request_seq: u32, command: u32, payload: Vec<u8>) -> Vec<u8> {
        let seq = if self.cipher.version == Version::V35 {
            self.seq
        } else {
            request_seq
        };
        self.seq = self.seq.wrapping_add(1);
        let f = Frame {
            seq,
            cmd: command,
            retcode: Some(0),
            payload,
        };
        frame::encode(&f, self.cipher.seal(), random_iv())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: Key = *b"0123456789abcdef";

    fn pair(version: Version) -> (ClientSession, DeviceSession) {
        let mut client = ClientSession::new(version, KEY);
        let mut device = DeviceSession::new(version, KEY, *b"devicenonce12345");
        if let Some(start) = client.start(*b"clientnonce54321") {
            let (DeviceEvent::Reply(resp), _) = device.decode(&start).unwrap().unwrap() else {
                panic!("no reply to START")
            };
            let (ClientEvent::Negotiated(finish), _) = client.decode(&resp).unwrap().unwrap()
            else {
                panic!("no FINISH")
            };
            assert!(matches!(
                device.decode(&finish).unwrap().unwrap().0,
                DeviceEvent::Reply(r) if r.is_empty()
            ));
        }
        (client, device)
    }

    #[test]
    fn every_version_carries_requests_and_replies_both_ways() {
        for version in Version::ALL {
            let (mut client, mut device) = pair(version);
            for command in [
                cmd::CONTROL,
                cmd::CONTROL_NEW,
                cmd::DP_QUERY,
                cmd::DP_QUERY_NEW,
                cmd::HEART_BEAT,
            ] {
                let body = br#"{"dps":{"1":true}}"#;
                let wire = client.encode(command, body);
                let (DeviceEvent::Request(req), _) = device.decode(&wire).unwrap().unwrap() else {
                    panic!("{version:?}: not a request")
                };
                assert_eq!(req.payload, body, "{version:?} cmd {command}");
                let reply = device.reply(req.seq, command, br#"{"dps":{"1":false}}"#);
                let (ClientEvent::Message(m), _) = client.decode(&reply).unwrap().unwrap() else {
                    panic!("{version:?}: not a message")
                };
                assert_eq!(
                    m.payload, br#"{"dps":{"1":false}}"#,
                    "{version:?} cmd {command}"
                );
            }
        }
    }

    #[test]
    fn a_wrong_local_key_fails_the_handshake_as_a_bad_key() {
        for version in [Version::V34, Version::V35] {
            let mut client = ClientSession::new(version, *b"wrongwrongwrong!");
            let mut device = DeviceSession::new(version, KEY, *b"devicenonce12345");
            let start = client.start(*b"clientnonce54321").unwrap();
            let outcome = device.decode(&start);
            let resp = match outcome {
                Ok(Some((DeviceEvent::Reply(r), _))) => r,
                Err(e) => {
                    assert_eq!(e, TuyaError::BadKey);
                    continue;
                }
                _ => panic!("unexpected"),
            };
            assert_eq!(client.decode(&resp).unwrap_err(), TuyaError::BadKey);
        }
    }

    proptest! {
        #[test]
        fn garbage_never_panics_either_end(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            for version in Version::ALL {
                let (mut client, mut device) = pair(version);
                let _ = client.decode(&bytes);
                let _ = device.decode(&bytes);
            }
        }
    }
}
