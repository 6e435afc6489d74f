//! rustls configuration for both ends of a mesh link. A service refuses to start
//! with a certificate that is expired, not yet valid, or names another workload:
//! better one clear line at start-up than handshake failures at run time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::WorkloadIdentity;

/// A certificate problem, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("{path}: certificate expired at {not_after}")]
    Expired { path: PathBuf, not_after: String },
    #[error("{path}: certificate is not valid before {not_before}")]
    NotYetValid { path: PathBuf, not_before: String },
    #[error("{path}: certificate names {found:?}, expected {expected}")]
    WrongIdentity { path: PathBuf, found: Vec<String>, expected: String },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Read { path: path.to_path_buf(), reason: e.to_string() })?;
    if certs.is_empty() {
        return Err(TlsError::Read { path: path.to_path_buf(), reason: "no PEM certificate in file".into() });
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| TlsError::Read { path: path.to_path_buf(), reason: e.to_string() })
}

fn trust_anchors(pki_dir: &Path) -> Result<RootCertStore, TlsError> {
    let path = pki_dir.join("trust-anchor.crt");
    let mut roots = RootCertStore::empty();
    for cert in read_certs(&path)? {
        roots.add(cert).map_err(|e| TlsError::Invalid { path: path.clone(), reason: e.to_string() })?;
    }
    Ok(roots)
}

/// The DNS SANs of a DER certificate.
pub(crate) fn dns_names(der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return Vec::new();
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some(dns.to_string()),
            _ => None,
        })
        .collect()
}

/// Checks the leaf at `path` is valid now and names `expected`.
fn check_leaf(path: &Path, leaf: &CertificateDer<'_>, expected: &WorkloadIdentity) -> Result<(), TlsError> {
    let (_, cert) = X509Certificate::from_der(leaf).map_err(|e| TlsError::Invalid {
        path: path.to_path_buf(),
        reason: format!("not an X.509 certificate: {e}"),
    })?;
    let validity = cert.validity();
    let now = x509_parser::time::ASN1Time::now();
    if now > validity.not_after {
        return Err(TlsError::Expired { path: path.to_path_buf(), not_after: validity.not_after.to_string() });
    }
    if now < validity.not_before {
        return Err(TlsError::NotYetValid { path: path.to_path_buf(), not_before: validity.not_before.to_string() });
    }
    let names = dns_names(leaf);
    let expected_name = expected.dns_name();
    if !names.contains(&expected_name) {
        return Err(TlsError::WrongIdentity { path: path.to_path_buf(), found: names, expected: expected_name });
    }
    Ok(())
}

/// Server side: present `<service>.crt`, require a client certificate chaining to the
/// trust anchor, speak HTTP/2 only.
pub fn server_config(pki_dir: &Path, identity: &WorkloadIdentity) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let cert_path = pki_dir.join(format!("{}.crt", identity.service_account));
    let key_path = pki_dir.join(format!("{}.key", identity.service_account));
    let chain = read_certs(&cert_path)?;
    check_leaf(&cert_path, &chain[0], identity)?;
    let key = read_key(&key_path)?;
    let roots = Arc::new(trust_anchors(pki_dir)?);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| TlsError::Invalid { path: pki_dir.join("trust-anchor.crt"), reason: e.to_string() })?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError::Invalid { path: cert_path.clone(), reason: e.to_string() })?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Invalid { path: key_path, reason: format!("key does not fit the certificate: {e}") })?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// PEM material a workload uses to call other services.
#[derive(Clone)]
pub struct MeshClientIdentity {
    pub trust_anchor_pem: Vec<u8>,
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl std::fmt::Debug for MeshClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MeshClientIdentity").field("key_pem", &"<redacted>").finish_non_exhaustive()
    }
}

/// Loads `<service>.crt/.key` and the trust anchor for client use, checking the leaf
/// as the server side does.
pub fn client_identity(pki_dir: &Path, identity: &WorkloadIdentity) -> Result<MeshClientIdentity, TlsError> {
    let cert_path = pki_dir.join(format!("{}.crt", identity.service_account));
    let key_path = pki_dir.join(format!("{}.key", identity.service_account));
    let anchor_path = pki_dir.join("trust-anchor.crt");
    let chain = read_certs(&cert_path)?;
    check_leaf(&cert_path, &chain[0], identity)?;
    read_key(&key_path)?;
    let read =
        |path: &Path| std::fs::read(path).map_err(|e| TlsError::Read { path: path.into(), reason: e.to_string() });
    Ok(MeshClientIdentity {
        trust_anchor_pem: read(&anchor_path)?,
        cert_pem: read(&cert_path)?,
        key_pem: read(&key_path)?,
    })
}
