//! HTTPS material. Browsers give camera, microphone, service workers and push only to secure
//! origins, so the hub serves HTTPS on the LAN: with a configured certificate, or else one it
//! issues at every start from its own local CA (kept in `<data_dir>/tls/`) for its host name
//! and current LAN addresses. The CA certificate is what staff devices are asked to trust.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path} holds no usable PEM key: {detail}")]
    BadKey { path: PathBuf, detail: String },
}

/// What the HTTPS listener serves.
pub struct TlsMaterial {
    /// Leaf first, then the CA when the hub issued it.
    pub chain_pem: String,
    pub key_pem: String,
    /// The local CA for staff devices; `None` with a configured certificate.
    pub ca_pem: Option<String>,
}

/// Loads the configured certificate, or issues one from the local CA (made on first use).
pub fn prepare(
    data_dir: &Path,
    configured: Option<(&Path, &Path)>,
    host_name: &str,
) -> Result<TlsMaterial, TlsError> {
    if let Some((cert, key)) = configured {
        return Ok(TlsMaterial {
            chain_pem: read(cert)?,
            key_pem: read(key)?,
            ca_pem: None,
        });
    }
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(|source| TlsError::Io {
        path: dir.clone(),
        source,
    })?;
    let (ca_params, ca_key, ca_pem) = load_or_create_ca(&dir)?;
    let ca = ca_params.self_signed(&ca_key)?;

    let mut names = vec![
        format!("{host_name}.local"),
        host_name.to_owned(),
        "localhost".to_owned(),
    ];
    if let Ok(system) = std::fs::read_to_string("/etc/hostname") {
        let system = system.trim();
        if !system.is_empty() && !names.iter().any(|n| n == system) {
            names.push(system.to_owned());
            names.push(format!("{system}.local"));
        }
    }
    let mut params = CertificateParams::new(names)?;
    for ip in lan_addresses() {
        params.subject_alt_names.push(SanType::IpAddress(ip));
    }
    params.distinguished_name = name(&format!("{host_name}.local"));
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    // Apple platforms refuse server certificates valid longer than 825 days; a new one is
    // issued at every start anyway.
    params.not_after = now + time::Duration::days(397);
    let leaf_key = KeyPair::generate()?;
    let leaf = params.signed_by(&leaf_key, &ca, &ca_key)?;
    Ok(TlsMaterial {
        chain_pem: format!("{}{}", leaf.pem(), ca_pem),
        key_pem: leaf_key.serialize_pem(),
        ca_pem: Some(ca_pem),
    })
}

/// The CA's parameters are fixed, so the same key and subject rebuild an issuer whose
/// signatures chain to the certificate saved at first start.
fn load_or_create_ca(dir: &Path) -> Result<(CertificateParams, KeyPair, String), TlsError> {
    let key_path = dir.join("ca.key");
    let cert_path = dir.join("ca.crt");
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.distinguished_name = name("Hotel Hub local CA");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    if key_path.is_file() && cert_path.is_file() {
        let key_pem = read(&key_path)?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| TlsError::BadKey {
            path: key_path.clone(),
            detail: e.to_string(),
        })?;
        return Ok((params, key, read(&cert_path)?));
    }
    let key = KeyPair::generate()?;
    let now = time::OffsetDateTime::now_utc();
    let mut first = params.clone();
    first.not_before = now - time::Duration::days(1);
    first.not_after = now + time::Duration::days(3650);
    let cert = first.self_signed(&key)?;
    write_private(&key_path, &key.serialize_pem())?;
    write(&cert_path, &cert.pem())?;
    tracing::info!(path = %cert_path.display(), "Created the hub's local certificate authority.");
    Ok((params, key, cert.pem()))
}

fn name(common: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common);
    dn.push(DnType::OrganizationName, "Hotel Hub");
    dn
}

/// Every address of this box but loopback's link-local oddities, so `https://<ip>` works too.
fn lan_addresses() -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = if_addrs::get_if_addrs()
        .map(|all| all.into_iter().map(|i| i.ip()).collect())
        .unwrap_or_default();
    ips.retain(|ip| match ip {
        IpAddr::V4(_) => true,
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) != 0xfe80,
    });
    ips.sort();
    ips.dedup();
    ips
}

fn read(path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })
}

fn write(path: &Path, text: &str) -> Result<(), TlsError> {
    std::fs::write(path, text).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })
}

fn write_private(path: &Path, text: &str) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let io = |source| TlsError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = prepare(dir.path(), None, "hub").unwrap();
        let second = prepare(dir.path(), None, "hub").unwrap();
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_ne!(first.key_pem, second.key_pem);
        assert!(first.chain_pem.matches("BEGIN CERTIFICATE").count() == 2);
    }
}
