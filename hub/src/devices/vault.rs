//! Device secrets at rest: local keys, devicekeys and tokens are sealed (`crate::sealing`)
//! under a key file in the data directory (`device-secrets.key`, mode 0600), so the
//! database alone, or a backup of it, opens no device. Nothing here is ever logged.

use std::path::Path;

use crate::sealing::{SealError, Sealer};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error(transparent)]
    Key(#[from] SealError),
    #[error(
        "a sealed device secret does not open: the key file is not the one it was sealed with"
    )]
    Open,
}

#[derive(Clone)]
pub struct Vault {
    sealer: Sealer,
}

impl Vault {
    /// Opens the key file, making it on first use.
    pub fn open(data_dir: &Path) -> Result<Vault, VaultError> {
        Ok(Vault {
            sealer: Sealer::open(data_dir, "device-secrets.key")?,
        })
    }

    pub fn seal(&self, plain: &str) -> Vec<u8> {
        self.sealer.seal(plain.as_bytes(), b"")
    }

    pub fn open_secret(&self, sealed: &[u8]) -> Result<String, VaultError> {
        let plain = self
            .sealer
            .open_sealed(sealed, b"")
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
        assert_eq!(
            Vault::open(a.path()).unwrap().open_secret(&sealed).unwrap(),
            "0123456789abcdef"
        );
        assert!(Vault::open(b.path()).unwrap().open_secret(&sealed).is_err());
        assert!(vault.open_secret(&[1, 2, 3]).is_err());
    }
}
