//! Shared fixtures: two sites, days, an HTTP client, and record helpers.

use std::time::Duration;

use canopy_cost_collectors::{
    AccountConfig, Collector, CostRecord, DateRange, Granularity, HttpClient, ResourceType, SiteRef, Source, collector,
};
use chrono::NaiveDate;
use uuid::Uuid;

/// A site whose id ends in a1b2c3d4.
pub const SHOP: Uuid = Uuid::from_u128(0x7f3e2a10_5b4c_4d8e_9f01_0000a1b2c3d4);
/// A site whose id ends in 1a2b3c4d.
pub const BLOG: Uuid = Uuid::from_u128(0x9c8d7e6f_1a2b_4c3d_8e9f_00001a2b3c4d);

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("a date")
}

pub fn days(start: &str, end: &str) -> DateRange {
    DateRange::new(day(start), day(end)).expect("a range")
}

pub fn build(config: &AccountConfig) -> Box<dyn Collector> {
    collector(config, HttpClient::new(Duration::from_secs(10))).expect("a valid configuration")
}

/// A daily accrued record.
#[allow(clippy::too_many_arguments)]
pub fn accrued(
    resource_id: &str,
    site: SiteRef,
    service: &str,
    resource_type: ResourceType,
    region: &str,
    on: &str,
    amount_micros: i64,
    currency: &str,
) -> CostRecord {
    CostRecord {
        resource_id: resource_id.into(),
        site,
        service: service.into(),
        resource_type,
        region: region.into(),
        day: day(on),
        granularity: Granularity::Daily,
        source: Source::Accrued,
        amount_micros,
        currency: currency.into(),
    }
}

/// A monthly invoiced record.
#[allow(clippy::too_many_arguments)]
pub fn invoiced(
    resource_id: &str,
    site: SiteRef,
    service: &str,
    resource_type: ResourceType,
    region: &str,
    on: &str,
    amount_micros: i64,
) -> CostRecord {
    CostRecord {
        granularity: Granularity::Monthly,
        source: Source::Invoiced,
        ..accrued(resource_id, site, service, resource_type, region, on, amount_micros, "USD")
    }
}

/// Records in a stable order, to compare.
pub fn sorted(mut records: Vec<CostRecord>) -> Vec<CostRecord> {
    records.sort_by(|a, b| (&a.resource_id, a.day, a.source).cmp(&(&b.resource_id, b.day, b.source)));
    records
}

/// The `(resource_id, day, source)` keys of records, sorted.
pub fn keys(records: &[CostRecord]) -> Vec<(String, NaiveDate, Source)> {
    let mut keys: Vec<_> = records.iter().map(|r| (r.resource_id.clone(), r.day, r.source)).collect();
    keys.sort();
    keys
}

/// The record with this resource id and day.
pub fn find<'a>(records: &'a [CostRecord], resource_id: &str, on: &str) -> &'a CostRecord {
    records
        .iter()
        .find(|r| r.resource_id == resource_id && r.day == day(on))
        .unwrap_or_else(|| panic!("no record of {resource_id} on {on} in {records:#?}"))
}
