//! The record every collector produces, and the range of days it is asked for.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;

/// What kind of resource a cost is for, mapped from the provider's service or product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    Compute,
    Database,
    LoadBalancer,
    Storage,
    Network,
    Other,
}

impl ResourceType {
    /// Every type, in the order reports list them.
    pub const ALL: [ResourceType; 6] = [
        ResourceType::Compute,
        ResourceType::Database,
        ResourceType::LoadBalancer,
        ResourceType::Storage,
        ResourceType::Network,
        ResourceType::Other,
    ];

    /// "compute", "database", "load_balancer", "storage", "network" or "other".
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Compute => "compute",
            ResourceType::Database => "database",
            ResourceType::LoadBalancer => "load_balancer",
            ResourceType::Storage => "storage",
            ResourceType::Network => "network",
            ResourceType::Other => "other",
        }
    }

    /// The type named by [`ResourceType::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }
}

/// Whether a cost is accrued (usage so far, may still change) or invoiced (billed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    Accrued,
    Invoiced,
}

impl Source {
    /// "accrued" or "invoiced".
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Accrued => "accrued",
            Source::Invoiced => "invoiced",
        }
    }
}

/// The period one record covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Granularity {
    Daily,
    Monthly,
}

impl Granularity {
    /// "daily" or "monthly".
    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Daily => "daily",
            Granularity::Monthly => "monthly",
        }
    }
}

/// Which site a cost belongs to, as far as the provider's data tells.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SiteRef {
    /// From the `canopy_site_id` tag or label, or a name matched against the known sites.
    Id(Uuid),
    /// A resource name or label ending in some site id's last eight hex digits
    /// ([`crate::site_from_name`]) that the collector could not match itself.
    Name(String),
    /// Nothing says which site (shared or untagged resources).
    Unknown,
}

/// One cost: what a resource cost on a day (or, for monthly invoice lines, in the
/// period starting that day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostRecord {
    /// The provider's id for what is charged (ARN-ish, ResourceId, resource name,
    /// resource uuid, label); stable across runs.
    pub resource_id: String,
    pub site: SiteRef,
    /// The provider's own service or product name, as given.
    pub service: String,
    pub resource_type: ResourceType,
    /// May be empty when the provider's data has no region.
    pub region: String,
    /// The usage day; for monthly lines the first day the line covers.
    pub day: NaiveDate,
    pub granularity: Granularity,
    pub source: Source,
    /// Millionths of the currency unit; negative for credits.
    pub amount_micros: i64,
    /// ISO 4217, upper case.
    pub currency: String,
}

/// A range of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// An end before the start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the range ends ({end}) before it starts ({start})")]
pub struct InvalidRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl DateRange {
    /// The days from `start` to `end`, both included; refuses `end < start`.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, InvalidRange> {
        if end < start {
            return Err(InvalidRange { start, end });
        }
        Ok(Self { start, end })
    }

    /// One day.
    pub fn day(day: NaiveDate) -> Self {
        Self { start: day, end: day }
    }

    /// Whether `day` is in the range.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }

    /// Whether the days `first..=last` overlap the range.
    pub fn overlaps(&self, first: NaiveDate, last: NaiveDate) -> bool {
        first <= self.end && self.start <= last
    }

    /// The days in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let end = self.end;
        self.start.iter_days().take_while(move |day| *day <= end)
    }

    /// The range cut into consecutive ranges of at most `days` days.
    pub fn chunks(&self, days: u64) -> Vec<DateRange> {
        let days = days.max(1);
        let mut chunks = Vec::new();
        let mut start = self.start;
        while start <= self.end {
            let end = (start + chrono::Days::new(days - 1)).min(self.end);
            chunks.push(DateRange { start, end });
            start = end + chrono::Days::new(1);
        }
        chunks
    }
}

/// Sums records sharing `(resource_id, day, source, granularity, currency)`, so a run
/// yields one record per key however finely the provider splits its lines. The first
/// line's service, type, region and site are kept (a known site wins over none).
pub(crate) fn merge(records: Vec<CostRecord>) -> Vec<CostRecord> {
    type Key = (String, NaiveDate, Source, Granularity, String);
    let mut merged: BTreeMap<Key, CostRecord> = BTreeMap::new();
    for record in records {
        let key = (record.resource_id.clone(), record.day, record.source, record.granularity, record.currency.clone());
        match merged.get_mut(&key) {
            Some(existing) => {
                existing.amount_micros = existing.amount_micros.saturating_add(record.amount_micros);
                if existing.site == SiteRef::Unknown {
                    existing.site = record.site;
                }
            }
            None => {
                merged.insert(key, record);
            }
        }
    }
    merged.into_values().collect()
}
