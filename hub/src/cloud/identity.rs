//! The hub's key pair for the relay, made once and kept in `cloud.key` (PKCS#8, mode 0600)
//! in the data directory: the hub's id on the relay is derived from it, so a restored
//! backup with the same data directory keeps its public address.

use std::path::Path;

use cloud_link::HubKey;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("cannot read or make {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} does not hold the hub's key (delete it to make a new identity and address)")]
    Damaged(String),
}

pub(super) fn load_or_create(data_dir: &Path) -> Result<HubKey, IdentityError> {
    let path = data_dir.join("cloud.key");
    let shown = path.display().to_string();
    let mut made = None;
    let bytes = crate::platform::files::read_or_create_secret(&path, || {
        // `generate` fails only without a system random source; an empty file then
        // reads back as damaged, which says so.
        let key = HubKey::generate().ok();
        let bytes = key.as_ref().map(|k| k.pkcs8().to_vec()).unwrap_or_default();
        made = key;
        bytes
    })
    .map_err(|source| IdentityError::File {
        path: shown.clone(),
        source,
    })?;
    if let Some(key) = made {
        tracing::info!(hub = %key.id(), "Made the hub's identity for the cloud relay.");
        return Ok(key);
    }
    HubKey::from_pkcs8(&bytes).map_err(|_| IdentityError::Damaged(shown))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_identity_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = super::load_or_create(dir.path()).unwrap();
        let again = super::load_or_create(dir.path()).unwrap();
        assert_eq!(first.id(), again.id());
        std::fs::write(dir.path().join("cloud.key"), b"junk").unwrap();
        assert!(super::load_or_create(dir.path()).is_err());
    }
}
