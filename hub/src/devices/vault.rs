//! Device secrets at rest: local keys, devicekeys and tokens are sealed with AES-256-GCM
//! under a key file in the data directory (`device-secrets.key`, mode 0600), so the
//! database alone, or a backup of it, opens no device. Nothing here is ever logged.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("cannot read or make the device key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("the device key file {0} is damaged (it must hold 32 bytes)")]
    BadKeyFile(String),
    #[error(
        "a sealed device secret does not open: the key file is not the one it was sealed with"
    )]
    Open,
}

#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

impl Vault {
    /// Opens the key file, making it on first use.
    pub fn open(data_dir: &Path) -> Result<Vault, VaultError> {
        let path = data_dir.join("device-secrets.key");
        let shown = path.display().to_string();
        let io = |source| VaultError::KeyFile {
            path: shown.clone(),
            source,
        };
        let key = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                use std::io::Write;
                use std::os::unix::fs::OpenOptionsExt;
                let key: [u8; 32] = rand::random();
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map_err(io)?;
                file.write_all(&key).map_err(io)?;
                file.sync_all().map_err(io)?;
                key.to_vec()
            }
            Err(e) => return Err(io(e)),
        };
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| VaultError::BadKeyFile(shown))?;
        Ok(Vault { cipher })
    }

    pub fn seal(&self, plain: &str) -> Vec<u8> {
        let nonce: [u8; 12] = rand::random();
        let mut out = nonce.to_vec();
        // Sealing with a 32-byte key and a 12-byte nonce cannot fail.
        out.extend(
            self.cipher
                .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
                .unwrap_or_default(),
        );
        out
    }

    pub fn open_secret(&self, sealed: &[u8]) -> Result<String, VaultError> {
        if sealed.len() < 12 + 16 {
            return Err(VaultError::Open);
        }
        let (nonce, body) = sealed.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| VaultError::Open)?;
        String::from_utf8(plain).map_err(|_| VaultError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_open_only_with_their_key_file() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let vault = Vault::open(a.path()).unwrap();
        let sealed = vault.seal("0123456789abcdef");
        assert!(!sealed.windows(16).any(|w| w == b"0123456789abcdef"));
        assert_eq!(
            Vault::open(a.path()).unwrap().open_secret(&sealed).unwrap(),
            "0123456789abcdef"
        );
        assert!(Vault::open(b.path()).unwrap().open_secret(&sealed).is_err());
        assert!(vault.open_secret(&[1, 2, 3]).is_err());
    }
}
