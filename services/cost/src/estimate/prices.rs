//! The price snapshot shipped with Canopy (`services/cost/prices/<date>.json`): list
//! prices per provider and region for everything the site templates create, and the
//! documented assumptions for usage-based items.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::Value;

/// The snapshot compiled into the binary.
pub const SHIPPED: &str = include_str!("../../prices/2026-11-01.json");

/// A dated set of list prices.
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    /// The day the prices were read.
    pub date: NaiveDate,
    /// ISO 4217 code of every price.
    pub currency: String,
    /// Hours in a billing month (730 by the clouds' convention).
    pub hours_per_month: f64,
    /// What the snapshot is and how to refresh it.
    pub about: String,
    /// Defaults for usage-based items.
    pub usage_assumptions: UsageAssumptions,
    /// Provider name (`aws`, `azure`, `gcp`, `digitalocean`, `akamai`) → prices.
    pub providers: BTreeMap<String, ProviderPrices>,
}

/// The defaults usage-based items are priced at; every line using one says so.
#[derive(Debug, Clone, Deserialize)]
pub struct UsageAssumptions {
    /// Outbound data transfer per site and month, in GB.
    pub egress_gb_month: f64,
    /// Stored gigabytes per bucket.
    pub storage_gb: f64,
    /// Log gigabytes ingested per log group and month.
    pub log_ingest_gb_month: f64,
    /// Load balancer capacity units (AWS LCU) used on average.
    pub load_balancer_capacity_units: f64,
    /// Share of the month one serverless instance is busy (Cloud Run above its minimum).
    pub serverless_busy_share: f64,
}

/// One provider's prices by region.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderPrices {
    /// Region → price name → a price, or a table of prices by size or SKU.
    pub regions: BTreeMap<String, BTreeMap<String, Value>>,
    /// What holds for the whole provider (prices equal in every region, and so on).
    #[serde(default)]
    pub note: String,
}

/// A price the snapshot does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("the price snapshot has no prices for {provider} in {region}")]
    NoRegion { provider: String, region: String },
    #[error("the price snapshot has no {what} price for {provider} in {region}")]
    NoPrice { provider: String, region: String, what: String },
}

impl Snapshot {
    /// The snapshot shipped with this build.
    pub fn shipped() -> Self {
        serde_json::from_str(SHIPPED).expect("the shipped price snapshot parses (tested)")
    }

    /// The prices of one provider's region.
    pub fn region(&self, provider: &str, region: &str) -> Result<RegionPrices<'_>, PriceError> {
        self.providers
            .get(provider)
            .and_then(|prices| prices.regions.get(region))
            .map(|prices| RegionPrices { provider: provider.to_owned(), region: region.to_owned(), prices })
            .ok_or_else(|| PriceError::NoRegion { provider: provider.to_owned(), region: region.to_owned() })
    }

    /// Days between the snapshot and `today`.
    pub fn age_days(&self, today: NaiveDate) -> i64 {
        (today - self.date).num_days()
    }
}

/// One region's prices.
#[derive(Debug, Clone)]
pub struct RegionPrices<'a> {
    provider: String,
    region: String,
    prices: &'a BTreeMap<String, Value>,
}

impl RegionPrices<'_> {
    fn missing(&self, what: String) -> PriceError {
        PriceError::NoPrice { provider: self.provider.clone(), region: self.region.clone(), what }
    }

    /// A single price, e.g. `alb_hour`.
    pub fn price(&self, name: &str) -> Result<f64, PriceError> {
        self.prices.get(name).and_then(Value::as_f64).ok_or_else(|| self.missing(name.to_owned()))
    }

    /// A price from a table, e.g. `rds_instance_hour` of `db.t4g.micro`.
    pub fn price_of(&self, table: &str, item: &str) -> Result<f64, PriceError> {
        self.prices
            .get(table)
            .and_then(|prices| prices.get(item))
            .and_then(Value::as_f64)
            .ok_or_else(|| self.missing(format!("{table} {item}")))
    }
}

#[cfg(test)]
mod tests {
    use canopy_terraform::SiteContract;

    use super::*;

    #[test]
    fn the_shipped_snapshot_prices_every_region_the_templates_offer() {
        let snapshot = Snapshot::shipped();
        assert_eq!(snapshot.currency, "USD");
        let contract = SiteContract::load(&canopy_terraform::default_root()).unwrap();
        for (provider, offered) in &contract.providers {
            for region in &offered.regions {
                snapshot.region(provider.as_str(), region).unwrap_or_else(|error| panic!("{error}"));
            }
        }
    }
}
