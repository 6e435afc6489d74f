//! DNS TXT lookups for custom-domain verification, with `hickory-resolver`: UDP
//! first, TCP when an answer is truncated, against a configured server (tests run a
//! local one) or the system's resolv.conf. Nothing is cached: an operator who has
//! just published a record and asks again must be answered from the server.

use std::net::SocketAddr;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::{Name, RData};
use hickory_resolver::{Resolver, TokioResolver};

/// Why a lookup failed (as opposed to finding no record).
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("{name:?} is not a valid DNS name")]
    InvalidName { name: String },
    #[error("dns lookup of {name}: {reason}")]
    Lookup { name: String, reason: String },
    #[error("dns resolver: {0}")]
    Config(String),
}

/// A TXT resolver.
#[derive(Clone)]
pub struct TxtResolver {
    resolver: TokioResolver,
}

impl std::fmt::Debug for TxtResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxtResolver").finish_non_exhaustive()
    }
}

impl TxtResolver {
    /// Asks `server` (UDP, then TCP on truncation, both on its port).
    pub fn with_server(server: SocketAddr) -> Result<Self, DnsError> {
        let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
        for connection in &mut name_server.connections {
            connection.port = server.port();
        }
        let config = ResolverConfig::from_parts(None, Vec::new(), vec![name_server]);
        Self::build(Resolver::builder_with_config(config, TokioRuntimeProvider::default()))
    }

    /// Asks the nameservers of /etc/resolv.conf.
    pub fn from_system() -> Result<Self, DnsError> {
        let builder = Resolver::builder_tokio().map_err(|e| DnsError::Config(format!("/etc/resolv.conf: {e}")))?;
        Self::build(builder)
    }

    fn build(mut builder: hickory_resolver::ResolverBuilder<TokioRuntimeProvider>) -> Result<Self, DnsError> {
        let options: &mut ResolverOpts = builder.options_mut();
        options.cache_size = 0;
        options.positive_max_ttl = Some(std::time::Duration::ZERO);
        options.negative_max_ttl = Some(std::time::Duration::ZERO);
        options.timeout = std::time::Duration::from_secs(3);
        options.attempts = 2;
        let resolver = builder.build().map_err(|e| DnsError::Config(e.to_string()))?;
        Ok(Self { resolver })
    }

    /// The TXT strings of `name` (each record's strings joined), empty if none.
    pub async fn lookup_txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        // Fully qualified, so no search domain of resolv.conf is ever appended.
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        let query = Name::from_ascii(&fqdn).map_err(|_| DnsError::InvalidName { name: name.to_string() })?;
        let lookup = match self.resolver.txt_lookup(query).await {
            Ok(lookup) => lookup,
            Err(error) if error.is_no_records_found() || error.is_nx_domain() => return Ok(Vec::new()),
            Err(error) => return Err(DnsError::Lookup { name: name.to_string(), reason: error.to_string() }),
        };
        Ok(lookup
            .answers()
            .iter()
            .filter_map(|record| match &record.data {
                RData::TXT(txt) => {
                    Some(txt.txt_data.iter().map(|part| String::from_utf8_lossy(part)).collect::<Vec<_>>().concat())
                }
                _ => None,
            })
            .collect())
    }
}
