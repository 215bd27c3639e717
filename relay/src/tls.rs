//! The relay's TLS: a configured certificate (a public CA's, for the relay's name and its
//! wildcard), or else one issued at every start from the relay's own CA, kept in the data
//! directory as `ca.pem` for hubs (and test browsers) to trust.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read or write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path}: {detail}")]
    Unusable { path: PathBuf, detail: String },
}

/// A TLS acceptor for `names` (the public host, its wildcard, the link's host).
pub fn acceptor(
    data_dir: &Path,
    configured: Option<(&Path, &Path)>,
    names: Vec<String>,
) -> Result<tokio_rustls::TlsAcceptor, TlsError> {
    let (chain_pem, key_pem, source) = match configured {
        Some((cert, key)) => (read(cert)?, read(key)?, cert.to_owned()),
        None => {
            let (chain, key) = issue(data_dir, names)?;
            (chain, key, data_dir.join("ca.pem"))
        }
    };
    let unusable = |detail: String| TlsError::Unusable {
        path: source.clone(),
        detail,
    };
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unusable(format!("not a PEM certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| unusable(format!("not a PEM key: {e}")))?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| unusable(e.to_string()))?;
    // The tunnel carries HTTP/1.1 byte for byte; the link is MQTT. No HTTP/2.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// A leaf for `names` from the relay's CA (made on first use): the chain and the key, PEM.
fn issue(data_dir: &Path, names: Vec<String>) -> Result<(String, String), TlsError> {
    let key_path = data_dir.join("ca.key");
    let cert_path = data_dir.join("ca.pem");
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.distinguished_name = name("Hotel Hub relay CA");
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let now = time_now();
    let (ca_key, ca_pem) = if key_path.is_file() && cert_path.is_file() {
        let key = KeyPair::from_pem(&read(&key_path)?).map_err(|e| TlsError::Unusable {
            path: key_path.clone(),
            detail: e.to_string(),
        })?;
        (key, read(&cert_path)?)
    } else {
        let key = KeyPair::generate()?;
        let mut first = ca_params.clone();
        first.not_before = now - days(1);
        first.not_after = now + days(3650);
        let cert = first.self_signed(&key)?;
        write(&key_path, &key.serialize_pem(), true)?;
        write(&cert_path, &cert.pem(), false)?;
        (key, cert.pem())
    };
    let ca = ca_params.self_signed(&ca_key)?;
    let mut params = CertificateParams::new(names)?;
    params.distinguished_name = name("Hotel Hub relay");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = now - days(1);
    params.not_after = now + days(397);
    let leaf_key = KeyPair::generate()?;
    let leaf = params.signed_by(&leaf_key, &ca, &ca_key)?;
    Ok((format!("{}{ca_pem}", leaf.pem()), leaf_key.serialize_pem()))
}

fn time_now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

fn name(common: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common);
    dn.push(DnType::OrganizationName, "Hotel Hub");
    dn
}

fn read(path: &Path) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })
}

fn write(path: &Path, text: &str, private: bool) -> Result<(), TlsError> {
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
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}
