//! Workload identities, named as Linkerd names them so the same policy holds when
//! Canopy runs inside a Linkerd mesh:
//! `<service-account>.<namespace>.serviceaccount.identity.linkerd.<trust-domain>`.

/// The identity a workload proves with its mTLS certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkloadIdentity {
    /// Kubernetes service account; in Canopy, the service's name (`identity`, `gateway`…).
    pub service_account: String,
    /// Kubernetes namespace.
    pub namespace: String,
    /// Cluster trust domain, `cluster.local` by default.
    pub trust_domain: String,
}

impl WorkloadIdentity {
    pub fn new(service_account: &str, namespace: &str, trust_domain: &str) -> Self {
        Self {
            service_account: service_account.to_string(),
            namespace: namespace.to_string(),
            trust_domain: trust_domain.to_string(),
        }
    }

    /// The DNS name carried as the certificate's subject alternative name.
    pub fn dns_name(&self) -> String {
        format!("{}.{}.serviceaccount.identity.linkerd.{}", self.service_account, self.namespace, self.trust_domain)
    }

    /// Parses a DNS SAN; `None` when it is not a workload identity in `trust_domain`.
    pub fn parse(dns_name: &str, trust_domain: &str) -> Option<Self> {
        let rest = dns_name.strip_suffix(trust_domain)?.strip_suffix(".identity.linkerd.")?;
        let rest = rest.strip_suffix(".serviceaccount")?;
        let (service_account, namespace) = rest.split_once('.')?;
        let label_ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 63
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !label_ok(service_account) || !label_ok(namespace) {
            return None;
        }
        Some(Self::new(service_account, namespace, trust_domain))
    }
}

impl std::fmt::Display for WorkloadIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.dns_name())
    }
}
