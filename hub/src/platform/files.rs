//! The key files the hub makes for itself.

/// The secret kept in `path`, made by `make` and written (mode 0600, synced) the first time.
pub fn read_or_create_secret(
    path: &std::path::Path,
    make: impl FnOnce() -> Vec<u8>,
) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret = make();
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            file.write_all(&secret)?;
            file.sync_all()?;
            Ok(secret)
        }
        Err(e) => Err(e),
    }
}
