//! The hub's identity: an Ed25519 key pair (RFC 8032) the hub makes once and keeps, a hub id
//! derived from its public key (so nobody can register an id that is not theirs), and the
//! short-lived token the hub presents as its MQTT password.
//!
//! Token: `v1.<unix seconds>.<base64url signature>`, the signature over
//! `hub-relay mqtt v1|<hub id>|<unix seconds>`. The relay keeps only public keys: a leaked
//! registry grants nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};
use sha2::{Digest, Sha256};

/// How far a token's time may be from the relay's clock, in seconds, either way.
pub const TOKEN_SKEW_SECS: i64 = 300;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    #[error("the key is not an Ed25519 key in PKCS#8")]
    BadKey,
    #[error("a hub id is 20 lowercase hexadecimal characters")]
    BadId,
    #[error("the hub id does not belong to this public key")]
    IdMismatch,
    #[error("the token is not of the form v1.<time>.<signature>")]
    Malformed,
    #[error("the token's time is more than {TOKEN_SKEW_SECS} s from the relay's clock")]
    Expired,
    #[error("the token's signature does not verify")]
    BadSignature,
}

/// A hub's id: the first 10 bytes of SHA-256 of its public key, in lowercase hex. It is a
/// DNS label, so it can name the hub's public address on the relay.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HubId(String);

impl HubId {
    /// The id belonging to a 32-byte Ed25519 public key.
    pub fn of_public_key(public_key: &[u8]) -> HubId {
        HubId(hex::encode(&Sha256::digest(public_key)[..10]))
    }

    /// Reads an id as typed or received; it is only ever 20 lowercase hex characters.
    pub fn parse(text: &str) -> Result<HubId, CredentialError> {
        let ok = text.len() == 20
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| HubId(text.to_owned()))
            .ok_or(CredentialError::BadId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for HubId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The hub's key pair.
pub struct HubKey {
    pair: Ed25519KeyPair,
    pkcs8: Vec<u8>,
}

impl HubKey {
    /// A new key pair from the system's random source.
    pub fn generate() -> Result<HubKey, CredentialError> {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| CredentialError::BadKey)?;
        HubKey::from_pkcs8(document.as_ref())
    }

    /// A key pair kept earlier ([`HubKey::pkcs8`]).
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<HubKey, CredentialError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| CredentialError::BadKey)?;
        Ok(HubKey {
            pair,
            pkcs8: pkcs8.to_vec(),
        })
    }

    /// The private key document to keep (secret).
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The public key as the relay's registration takes it (base64url, no padding).
    pub fn public_key_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public_key())
    }

    pub fn id(&self) -> HubId {
        HubId::of_public_key(self.public_key())
    }

    /// A token for `now` (unix seconds), valid for [`TOKEN_SKEW_SECS`] around it.
    pub fn token(&self, now: i64) -> String {
        let signature = self.pair.sign(signed_text(&self.id(), now).as_bytes());
        format!("v1.{now}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }
}

/// Reads a public key as [`HubKey::public_key_text`] writes it.
pub fn parse_public_key(text: &str) -> Result<Vec<u8>, CredentialError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| CredentialError::BadKey)?;
    (bytes.len() == 32)
        .then_some(bytes)
        .ok_or(CredentialError::BadKey)
}

/// Checks that `token` was made by the key `public_key` of hub `id` within
/// [`TOKEN_SKEW_SECS`] of `now` (unix seconds).
pub fn verify_token(
    id: &HubId,
    public_key: &[u8],
    token: &str,
    now: i64,
) -> Result<(), CredentialError> {
    if HubId::of_public_key(public_key) != *id {
        return Err(CredentialError::IdMismatch);
    }
    let mut parts = token.splitn(3, '.');
    let (Some("v1"), Some(time), Some(signature)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(CredentialError::Malformed);
    };
    let time: i64 = time.parse().map_err(|_| CredentialError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| CredentialError::Malformed)?;
    if (now - time).abs() > TOKEN_SKEW_SECS {
        return Err(CredentialError::Expired);
    }
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(signed_text(id, time).as_bytes(), &signature)
        .map_err(|_| CredentialError::BadSignature)
}

fn signed_text(id: &HubId, time: i64) -> String {
    format!("hub-relay mqtt v1|{id}|{time}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_own_key_and_time() {
        let key = HubKey::generate().unwrap();
        let other = HubKey::generate().unwrap();
        let token = key.token(1_000_000);
        let id = key.id();
        assert_eq!(HubId::parse(id.as_str()).unwrap(), id);
        assert_eq!(
            verify_token(&id, key.public_key(), &token, 1_000_100),
            Ok(())
        );
        assert_eq!(
            verify_token(&id, key.public_key(), &token, 1_000_400),
            Err(CredentialError::Expired)
        );
        assert_eq!(
            verify_token(&id, other.public_key(), &token, 1_000_000),
            Err(CredentialError::IdMismatch)
        );
        assert_eq!(
            verify_token(&other.id(), other.public_key(), &token, 1_000_000),
            Err(CredentialError::BadSignature)
        );
        for garbage in ["", "v1", "v1.x.y", "v2.1000000.abc", "v1.1000000.!!"] {
            assert!(verify_token(&id, key.public_key(), garbage, 1_000_000).is_err());
        }
        let kept = HubKey::from_pkcs8(key.pkcs8()).unwrap();
        assert_eq!(kept.id(), id);
        assert_eq!(
            parse_public_key(&key.public_key_text()).unwrap(),
            key.public_key()
        );
    }

    #[test]
    fn ids_are_dns_labels_and_nothing_else_parses() {
        for bad in [
            "",
            "ABCDEF0123456789abcd",
            "abc",
            "0123456789abcdef012g",
            "../etc",
        ] {
            assert_eq!(HubId::parse(bad), Err(CredentialError::BadId));
        }
    }
}
