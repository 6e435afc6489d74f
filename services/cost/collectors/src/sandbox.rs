//! Simulated costs for sandbox sites, which run on no cloud: per site, resource type and
//! day, the monthly amount of the site's plan line / 30.4, varied by up to ±15 % by a
//! hash of (site, type, day) and 10 % lower on weekends. Deterministic, so collecting a
//! day again yields the same record. Records say "sandbox" as their service.

use chrono::{Datelike as _, NaiveDate, Weekday};
use futures_util::future::BoxFuture;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use crate::{CollectError, Collector, CostRecord, DateRange, Granularity, ResourceType, SiteRef, Source};

/// A sandbox site and what its plan costs a month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxSite {
    pub site_id: Uuid,
    /// No costs before this day.
    pub created_on: NaiveDate,
    /// Monthly amounts, in micros, per resource type.
    pub lines: Vec<(ResourceType, i64)>,
    pub region: String,
}

/// Produces accrued daily records for sandbox sites. The cost service builds one per
/// run from its sandbox sites ([`SandboxCollector::new`]); [`crate::collector`] gives
/// one with no sites.
#[derive(Debug, Clone)]
pub struct SandboxCollector {
    sites: Vec<SandboxSite>,
    currency: String,
}

impl SandboxCollector {
    pub fn new(sites: Vec<SandboxSite>) -> Self {
        Self { sites, currency: "USD".into() }
    }

    /// The same sites, costs in `currency` (ISO 4217).
    pub fn with_currency(mut self, currency: &str) -> Self {
        self.currency = currency.to_ascii_uppercase();
        self
    }

    /// The records of `days`, computed.
    pub fn records(&self, days: DateRange) -> Vec<CostRecord> {
        let mut records = Vec::new();
        for site in &self.sites {
            let first = site.created_on.max(days.start);
            if first > days.end {
                continue;
            }
            for day in (DateRange { start: first, end: days.end }).days() {
                for (kind, monthly) in &site.lines {
                    records.push(CostRecord {
                        resource_id: format!("sandbox/{}/{}", site.site_id, kind.as_str()),
                        site: SiteRef::Id(site.site_id),
                        service: "sandbox".into(),
                        resource_type: *kind,
                        region: site.region.clone(),
                        day,
                        granularity: Granularity::Daily,
                        source: Source::Accrued,
                        amount_micros: daily_amount(site.site_id, *kind, day, *monthly),
                        currency: self.currency.clone(),
                    });
                }
            }
        }
        records
    }
}

/// monthly / 30.4 × (1 + v) × (0.9 on weekends), v in [−0.15, 0.15] from the hash.
pub fn daily_amount(site: Uuid, kind: ResourceType, day: NaiveDate, monthly_micros: i64) -> i64 {
    let digest = Sha256::digest(format!("{site}|{}|{day}", kind.as_str()).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // Basis points in [-1500, 1500].
    let variation = (u64::from_be_bytes(first) % 3001) as i128 - 1500;
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    let mut amount = i128::from(monthly_micros) * 10 / 304;
    amount = amount * (10_000 + variation) / 10_000;
    if weekend {
        amount = amount * 9 / 10;
    }
    amount as i64
}

impl Collector for SandboxCollector {
    fn kind(&self) -> &'static str {
        "sandbox"
    }

    fn collect<'a>(&'a self, days: DateRange) -> BoxFuture<'a, Result<Vec<CostRecord>, CollectError>> {
        Box::pin(async move { Ok(self.records(days)) })
    }
}
