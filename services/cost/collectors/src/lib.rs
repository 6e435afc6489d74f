//! What customers' sites actually cost, read from each cloud's billing API behind one
//! trait ([`Collector`]): AWS Cost Explorer, Azure Cost Management, the GCP BigQuery
//! billing export, DigitalOcean's invoices and billing insights, Akamai (Linode)
//! invoices, and a deterministic sandbox.
//!
//! The crate knows nothing about databases or gRPC: the cost service builds a collector
//! per configured account ([`collector`]), asks it for a range of days, and stores the
//! [`CostRecord`]s keyed by `(resource_id, day, source)`, so collecting a day again
//! replaces what the cloud has since restated.
//!
//! Within one `collect` call a collector follows every page and, when throttled, waits
//! as the provider asks (`Retry-After` or its own headers) up to three times when the
//! wait is at most a minute; otherwise it returns [`CollectError::Throttled`] with the
//! wait so the caller can schedule the retry.

#![forbid(unsafe_code)]

pub mod akamai;
pub mod aws;
pub mod azure;
mod config;
pub mod decimal;
pub mod digitalocean;
mod error;
mod fetch;
pub mod gcp;
mod oauth;
mod record;
mod resource_type;
pub mod sandbox;
mod secret;
pub mod sigv4;
mod site;
#[cfg(feature = "stand-in")]
pub mod stand_in;

use futures_util::future::BoxFuture;

pub use canopy_kit::http::HttpClient;
pub use config::AccountConfig;
pub use error::{CollectError, ConfigError};
pub use record::{CostRecord, DateRange, Granularity, InvalidRange, ResourceType, SiteRef, Source};
pub use sandbox::{SandboxCollector, SandboxSite};
pub use secret::Secret;
pub use site::site_from_name;

/// The largest answer a collector reads: a page of billing data can be megabytes.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Reads what an account's resources cost from its provider.
pub trait Collector: Send + Sync {
    /// "aws", "azure", "gcp", "digitalocean", "akamai" or "sandbox".
    fn kind(&self) -> &'static str;

    /// The costs of the days in `days` (both ends included) as the provider reports
    /// them now. Records are unique per `(resource_id, day, source)`: lines the provider
    /// splits further (several SKUs of one resource on one day) are summed.
    fn collect<'a>(&'a self, days: DateRange) -> BoxFuture<'a, Result<Vec<CostRecord>, CollectError>>;

    /// The sites the caller knows, so resource names and labels ending in a site id's
    /// last eight hex digits ([`site_from_name`]) resolve to [`SiteRef::Id`]; without
    /// them such records carry [`SiteRef::Name`]. Replaces what an earlier call gave.
    /// Collectors without names to match (the sandbox) ignore it.
    fn set_sites(&self, sites: &[uuid::Uuid]) {
        let _ = sites;
    }
}

/// The collector for `config`, after checking it (the error names the field). `http` is
/// the client every request goes through; its response cap is raised to
/// [`MAX_RESPONSE_BYTES`].
pub fn collector(config: &AccountConfig, http: HttpClient) -> Result<Box<dyn Collector>, ConfigError> {
    config.validate()?;
    let http = http.with_max_response(MAX_RESPONSE_BYTES);
    Ok(match config {
        AccountConfig::Aws { .. } => Box::new(aws::AwsCollector::new(config, http)?),
        AccountConfig::Azure { .. } => Box::new(azure::AzureCollector::new(config, http)?),
        AccountConfig::Gcp { .. } => Box::new(gcp::GcpCollector::new(config, http)?),
        AccountConfig::Digitalocean { .. } => Box::new(digitalocean::DigitalOceanCollector::new(config, http)?),
        AccountConfig::Akamai { .. } => Box::new(akamai::AkamaiCollector::new(config, http)?),
        AccountConfig::Sandbox { currency } => Box::new(SandboxCollector::new(Vec::new()).with_currency(currency)),
    })
}
