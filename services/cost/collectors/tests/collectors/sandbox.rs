//! The sandbox collector.

use canopy_cost_collectors::{
    AccountConfig, Collector, Granularity, ResourceType, SandboxCollector, SandboxSite, SiteRef, Source,
};

use crate::support::{BLOG, SHOP, build, day, days};

fn sites() -> Vec<SandboxSite> {
    vec![
        SandboxSite {
            site_id: SHOP,
            created_on: day("2026-11-01"),
            lines: vec![(ResourceType::Compute, 30_400_000), (ResourceType::Database, 15_200_000)],
            region: "sandbox-1".into(),
        },
        SandboxSite {
            site_id: BLOG,
            created_on: day("2026-12-03"),
            lines: vec![(ResourceType::Storage, 3_040_000)],
            region: "sandbox-1".into(),
        },
    ]
}

#[tokio::test]
async fn produces_a_record_per_site_type_and_day_from_creation() {
    let collector = SandboxCollector::new(sites());
    assert_eq!(collector.kind(), "sandbox");
    let records = collector.collect(days("2026-12-01", "2026-12-07")).await.unwrap();

    // The shop: two types for seven days; the blog: one type from its creation (5 days).
    assert_eq!(records.len(), 2 * 7 + 5);
    assert!(records.iter().filter(|r| r.site == SiteRef::Id(BLOG)).all(|r| r.day >= day("2026-12-03")));
    for record in &records {
        assert_eq!((record.source, record.granularity), (Source::Accrued, Granularity::Daily));
        assert_eq!(record.service, "sandbox");
        assert_eq!(record.currency, "USD");
        assert!(record.resource_id.starts_with("sandbox/"));
    }
    // 30.40 a month is 1.00 a day before the variation: within ±15 %, and 10 % less at weekends.
    for record in records.iter().filter(|r| r.site == SiteRef::Id(SHOP) && r.resource_type == ResourceType::Compute) {
        assert!((765_000..=1_150_000).contains(&record.amount_micros), "{record:?}");
    }
    let compute: Vec<i64> =
        records.iter().filter(|r| r.resource_type == ResourceType::Compute).map(|r| r.amount_micros).collect();
    assert!(compute.windows(2).any(|pair| pair[0] != pair[1]), "amounts vary from day to day");
}

#[tokio::test]
async fn collecting_a_day_again_gives_the_same_record() {
    let collector = SandboxCollector::new(sites());
    let once = collector.collect(days("2026-12-01", "2026-12-07")).await.unwrap();
    let again = SandboxCollector::new(sites()).collect(days("2026-12-05", "2026-12-05")).await.unwrap();
    for record in &again {
        assert!(once.contains(record), "{record:?} differs from the first run");
    }
}

#[tokio::test]
async fn the_configured_sandbox_has_no_sites_of_its_own() {
    let collector = build(&AccountConfig::Sandbox { currency: "EUR".into() });
    assert_eq!(collector.kind(), "sandbox");
    assert!(collector.collect(days("2026-12-01", "2026-12-07")).await.unwrap().is_empty());
}
