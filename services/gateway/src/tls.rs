//! The public TLS endpoint: the configured certificate, no client certificates
//! (callers prove who they are with tokens and API keys), TLS 1.2 and 1.3, and ALPN
//! `h2` for gRPC plus `http/1.1` for grpc-web from browsers.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::GatewayError;

/// The server configuration for `cert_file` (PEM chain, leaf first) and `key_file`.
pub fn edge_server_config(cert_file: &Path, key_file: &Path) -> Result<Arc<rustls::ServerConfig>, GatewayError> {
    let tls_error = |path: &Path, reason: String| GatewayError::Tls { path: path.to_path_buf(), reason };
    let chain = CertificateDer::pem_file_iter(cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| tls_error(cert_file, e.to_string()))?;
    if chain.is_empty() {
        return Err(tls_error(cert_file, "no PEM certificate in file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| tls_error(key_file, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| tls_error(cert_file, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| tls_error(key_file, format!("key does not fit the certificate: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
