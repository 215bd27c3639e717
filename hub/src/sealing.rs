//! Secrets and documents at rest: bytes sealed with AES-256-GCM under a key file of their
//! own in the data directory (mode 0600, made on first use), so the database or a copied
//! folder alone opens nothing. Each sealed blob is a fresh 12-byte nonce followed by the
//! ciphertext and its 16-byte tag; associated data binds a blob to what it belongs to.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("cannot read or make the key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("the key file {0} is damaged (it must hold 32 bytes)")]
    BadKeyFile(String),
    #[error("sealed bytes do not open: damaged, moved, or sealed with another key file")]
    Open,
}

#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    /// Opens `data_dir/name`, making it (32 random bytes) on first use.
    pub fn open(data_dir: &Path, name: &str) -> Result<Sealer, SealError> {
        let path = data_dir.join(name);
        let shown = path.display().to_string();
        let io = |source| SealError::KeyFile {
            path: shown.clone(),
            source,
        };
        let key = crate::platform::files::read_or_create_secret(&path, || {
            rand::random::<[u8; 32]>().to_vec()
        })
        .map_err(io)?;
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| SealError::BadKeyFile(shown))?;
        Ok(Sealer { cipher })
    }

    /// `plain` sealed, bound to `aad` (which must be given again to open it).
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        let nonce: [u8; 12] = rand::random();
        let mut out = nonce.to_vec();
        // Sealing with a 32-byte key and a 12-byte nonce cannot fail.
        out.extend(
            self.cipher
                .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad })
                .unwrap_or_default(),
        );
        out
    }

    pub fn open_sealed(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 12 + 16 {
            return Err(SealError::Open);
        }
        let (nonce, msg) = sealed.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg, aad })
            .map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_open_only_with_their_key_file_and_their_binding() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let sealer = Sealer::open(a.path(), "k.key").unwrap();
        let sealed = sealer.seal(b"0123456789abcdef", b"scan 1");
        assert!(!sealed.windows(16).any(|w| w == b"0123456789abcdef"));
        let again = Sealer::open(a.path(), "k.key").unwrap();
        assert_eq!(
            again.open_sealed(&sealed, b"scan 1").unwrap(),
            b"0123456789abcdef"
        );
        assert!(again.open_sealed(&sealed, b"scan 2").is_err());
        let other = Sealer::open(b.path(), "k.key").unwrap();
        assert!(other.open_sealed(&sealed, b"scan 1").is_err());
        assert!(sealer.open_sealed(&[1, 2, 3], b"").is_err());
    }
}
