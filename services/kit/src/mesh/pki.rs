//! The dev PKI, shaped like Linkerd's: an ECDSA P-256 trust anchor signs an issuer,
//! which signs one leaf per workload whose DNS SAN is its workload identity.
//! Production uses Linkerd's (or cert-manager's) PKI; only the folder layout matters:
//! `trust-anchor.crt`, and per workload `<name>.crt` (leaf, then issuer) and `<name>.key`.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};
use time::{Duration, OffsetDateTime};

use super::WorkloadIdentity;

/// Why the PKI could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("generating certificates: {0}")]
    Generate(#[from] rcgen::Error),
}

/// When a leaf is valid; tests issue expired or not-yet-valid ones.
#[derive(Debug, Clone, Copy)]
pub struct LeafValidity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl LeafValidity {
    /// Valid from an hour ago (clock skew) for `days`.
    pub fn days(days: i64) -> Self {
        let now = OffsetDateTime::now_utc();
        Self { not_before: now - Duration::hours(1), not_after: now + Duration::days(days) }
    }
}

/// A dev PKI on disk.
#[derive(Debug, Clone)]
pub struct DevPki {
    dir: PathBuf,
    namespace: String,
    trust_domain: String,
}

impl DevPki {
    /// Writes a new trust anchor and issuer, and a leaf for each of `workloads`,
    /// replacing whatever `dir` held. Keys are written 0600.
    pub fn generate(dir: &Path, namespace: &str, trust_domain: &str, workloads: &[&str]) -> Result<Self, PkiError> {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io { path: dir.to_path_buf(), source })?;
        let pki = Self { dir: dir.to_path_buf(), namespace: namespace.into(), trust_domain: trust_domain.into() };

        let anchor_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let anchor_params = ca_params("Canopy dev trust anchor", 3650, None);
        let anchor_cert = anchor_params.self_signed(&anchor_key)?;
        let anchor = Issuer::new(anchor_params, anchor_key);

        let issuer_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let issuer_params = ca_params("Canopy dev identity issuer", 365, Some(0));
        let issuer_cert = issuer_params.signed_by(&issuer_key, &anchor)?;

        pki.write("trust-anchor.crt", &anchor_cert.pem())?;
        pki.write("issuer.crt", &issuer_cert.pem())?;
        pki.write_secret("issuer.key", &issuer_key.serialize_pem())?;
        for workload in workloads {
            pki.issue_leaf(workload, LeafValidity::days(30))?;
        }
        Ok(pki)
    }

    /// Opens an existing PKI folder.
    pub fn open(dir: &Path, namespace: &str, trust_domain: &str) -> Self {
        Self { dir: dir.to_path_buf(), namespace: namespace.into(), trust_domain: trust_domain.into() }
    }

    /// Issues (or re-issues) the leaf of `service_account` from the stored issuer.
    pub fn issue_leaf(&self, service_account: &str, validity: LeafValidity) -> Result<(), PkiError> {
        let identity = WorkloadIdentity::new(service_account, &self.namespace, &self.trust_domain);
        self.issue_leaf_for_name(service_account, &identity.dns_name(), validity)
    }

    /// Issues a leaf stored as `<file_stem>.crt/.key` carrying `dns_name`, which need
    /// not match the stem (tests use it to forge mismatched certificates).
    pub fn issue_leaf_for_name(&self, file_stem: &str, dns_name: &str, validity: LeafValidity) -> Result<(), PkiError> {
        let issuer_pem = self.read("issuer.crt")?;
        let issuer_key = KeyPair::from_pem(&self.read("issuer.key")?)?;
        let issuer = Issuer::from_ca_cert_pem(&issuer_pem, issuer_key)?;

        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.subject_alt_names = vec![SanType::DnsName(dns_name.try_into()?)];
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, dns_name);
        params.distinguished_name = name;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = validity.not_before;
        params.not_after = validity.not_after;
        let leaf = params.signed_by(&key, &issuer)?;

        self.write(&format!("{file_stem}.crt"), &format!("{}{}", leaf.pem(), issuer_pem))?;
        self.write_secret(&format!("{file_stem}.key"), &key.serialize_pem())?;
        Ok(())
    }

    /// Issues a server leaf stored as `<file_stem>.crt/.key` for names that are not
    /// workload identities: the gateway's dev edge certificate (`localhost`,
    /// `127.0.0.1`, `::1`), so browsers and grpcurl can reach it by those names.
    pub fn issue_server_leaf(
        &self,
        file_stem: &str,
        dns_names: &[&str],
        ip_addresses: &[std::net::IpAddr],
        validity: LeafValidity,
    ) -> Result<(), PkiError> {
        let issuer_pem = self.read("issuer.crt")?;
        let issuer_key = KeyPair::from_pem(&self.read("issuer.key")?)?;
        let issuer = Issuer::from_ca_cert_pem(&issuer_pem, issuer_key)?;

        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        let mut names = Vec::new();
        for dns_name in dns_names {
            names.push(SanType::DnsName((*dns_name).try_into()?));
        }
        names.extend(ip_addresses.iter().map(|ip| SanType::IpAddress(*ip)));
        params.subject_alt_names = names;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, dns_names.first().copied().unwrap_or("canopy edge"));
        params.distinguished_name = name;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = validity.not_before;
        params.not_after = validity.not_after;
        let leaf = params.signed_by(&key, &issuer)?;

        self.write(&format!("{file_stem}.crt"), &format!("{}{}", leaf.pem(), issuer_pem))?;
        self.write_secret(&format!("{file_stem}.key"), &key.serialize_pem())?;
        Ok(())
    }

    /// The folder holding the PKI.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn read(&self, name: &str) -> Result<String, PkiError> {
        let path = self.dir.join(name);
        std::fs::read_to_string(&path).map_err(|source| PkiError::Io { path, source })
    }

    fn write(&self, name: &str, contents: &str) -> Result<(), PkiError> {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).map_err(|source| PkiError::Io { path, source })
    }

    fn write_secret(&self, name: &str, contents: &str) -> Result<(), PkiError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.dir.join(name);
        let io = |source| PkiError::Io { path: path.clone(), source };
        let mut file =
            std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&path).map_err(io)?;
        file.write_all(contents.as_bytes()).map_err(io)
    }
}

fn ca_params(common_name: &str, days: i64, path_len: Option<u8>) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(days);
    params
}
