//! Each provider's site template, planned as the sandbox plans it, priced from the
//! shipped snapshot: every line and the total match what was worked out by hand from
//! the snapshot's prices (commented beside each figure; a month is 730 hours).

use std::collections::BTreeMap;

use canopy_cost::estimate::{Estimate, Snapshot, estimate};
use canopy_terraform::{CloudProvider, PlanAction, SiteRuntime, SiteVariables};

fn plan(provider: CloudProvider, region: &str, size: &str, database: bool, storage: bool) -> Estimate {
    let variables = SiteVariables {
        site_id: "0b6e5a52-7d4c-4f8e-9a41-3c2d1e0f9a7b".into(),
        customer_id: "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into(),
        name: "hand-checked".into(),
        region: region.into(),
        size: size.into(),
        database_enabled: database,
        storage_enabled: storage,
        runtime: SiteRuntime { image: "nginx:1.27".into(), port: 8080, env: BTreeMap::new() },
        tags: BTreeMap::new(),
    };
    let plan = canopy_terraform::plan_json(&canopy_terraform::default_root(), provider, &variables, PlanAction::Create)
        .expect("the template plans");
    estimate(&Snapshot::shipped(), provider.as_str(), region, &plan).expect("the plan is priced")
}

/// (resource type, monthly micros) of every line, sorted.
fn lines(estimate: &Estimate) -> Vec<(String, i64)> {
    let mut lines: Vec<(String, i64)> =
        estimate.lines.iter().map(|line| (line.resource_type.clone(), line.monthly_micros)).collect();
    lines.sort();
    lines
}

fn expected(lines: &[(&str, i64)]) -> Vec<(String, i64)> {
    let mut lines: Vec<(String, i64)> = lines.iter().map(|(kind, micros)| (kind.to_string(), *micros)).collect();
    lines.sort();
    lines
}

#[test]
fn aws_medium_in_ireland_with_database_and_storage() {
    let estimate = plan(CloudProvider::Aws, "eu-west-1", "medium", true, true);
    // eu-west-1 prices (1.1 × us-east-1).
    let want = expected(&[
        // 2 tasks × (0.5 vCPU × 0.044528 + 1 GB × 0.0048895) × 730
        ("aws_ecs_service", 39_644_110),
        // ALB 0.02475 × 730; 1 LCU × 0.0088 × 730 (usage)
        ("aws_lb", 18_067_500),
        ("aws_lb", 6_424_000),
        // one NAT gateway 0.0495 × 730, its address 0.0055 × 730
        ("aws_nat_gateway", 36_135_000),
        ("aws_eip", 4_015_000),
        // db.t4g.small 0.0352 × 730, single-AZ; 20 GB gp3 × 0.1265
        ("aws_db_instance", 25_696_000),
        ("aws_db_instance", 2_530_000),
        // 10 GB × 0.0253 (usage)
        ("aws_s3_bucket", 253_000),
        // two log groups × 2 GB ingested × 0.55 (usage)
        ("aws_cloudwatch_log_group", 1_100_000),
        ("aws_cloudwatch_log_group", 1_100_000),
        // 50 GB out × 0.099 (usage)
        ("data_transfer", 4_950_000),
    ]);
    assert_eq!(lines(&estimate), want);
    assert_eq!(estimate.monthly_micros, 139_914_610);
    assert!(estimate.unpriced_resource_types.is_empty(), "{:?}", estimate.unpriced_resource_types);
    assert!(estimate.free_resources > 20, "networks, rules and roles are counted as free");
    // Hourly leaves usage out: (0.054307 + 0.02475 + 0.0495 + 0.0055 + 0.0352) + 2.53/730.
    assert_eq!(estimate.hourly_micros, 54_307 + 24_750 + 49_500 + 5_500 + 35_200 + 3_466);
    assert!(estimate.lines.iter().filter(|line| line.assumption.is_some()).count() == 5);
}

#[test]
fn azure_medium_in_west_europe_with_database_and_storage() {
    let estimate = plan(CloudProvider::Azure, "westeurope", "medium", true, true);
    // westeurope prices (1.12 × eastus).
    let want = expected(&[
        // 2 workers × P1v3 0.1736 × 730
        ("azurerm_service_plan", 253_456_000),
        // GP_Standard_D2ds_v5 0.19936 × 730, no HA; 32 GB × 0.1288
        ("azurerm_postgresql_flexible_server", 145_532_800),
        ("azurerm_postgresql_flexible_server", 4_121_600),
        // NAT gateway 0.0504 × 730, its public IP 0.0056 × 730
        ("azurerm_nat_gateway", 36_792_000),
        ("azurerm_public_ip", 4_088_000),
        // 10 GB × 0.020608 (usage)
        ("azurerm_storage_account", 206_080),
        // 50 GB × 0.09744 (usage)
        ("data_transfer", 4_872_000),
    ]);
    assert_eq!(lines(&estimate), want);
    assert_eq!(estimate.monthly_micros, 449_068_480);
}

#[test]
fn gcp_medium_in_belgium_with_database_and_storage() {
    let estimate = plan(CloudProvider::Gcp, "europe-west1", "medium", true, true);
    // europe-west1 prices (1.1 × us-central1).
    let want = expected(&[
        // 1 instance always on: 3600 × (1 vCPU × 0.0000198 + 1 GiB × 0.0000022) × 730
        ("google_cloud_run_v2_service", 57_816_000),
        // one more instance busy 25 % of the month (usage)
        ("google_cloud_run_v2_service", 14_454_000),
        // db-custom-2-7680: (2 × 0.04543 + 7.5 GB × 0.0077) × 730, zonal; 20 GB SSD × 0.187
        ("google_sql_database_instance", 108_485_300),
        ("google_sql_database_instance", 3_740_000),
        // Cloud NAT gateway 0.00154 × 730
        ("google_compute_router_nat", 1_124_200),
        // 10 GB × 0.022 (usage)
        ("google_storage_bucket", 220_000),
        // 50 GB × 0.132 (usage)
        ("data_transfer", 6_600_000),
    ]);
    assert_eq!(lines(&estimate), want);
    assert_eq!(estimate.monthly_micros, 192_439_500);
}

#[test]
fn digitalocean_medium_in_frankfurt_with_database_and_storage() {
    let estimate = plan(CloudProvider::DigitalOcean, "fra1", "medium", true, true);
    // The same in every region; transfer is within the Droplets' allowance.
    let want = expected(&[
        // two s-2vcpu-2gb Droplets at $18
        ("digitalocean_droplet", 18_000_000),
        ("digitalocean_droplet", 18_000_000),
        // one load balancer node at $12
        ("digitalocean_loadbalancer", 12_000_000),
        // one db-s-1vcpu-2gb node at $30
        ("digitalocean_database_cluster", 30_000_000),
        // the Spaces subscription, $5
        ("digitalocean_spaces_bucket", 5_000_000),
    ]);
    assert_eq!(lines(&estimate), want);
    assert_eq!(estimate.monthly_micros, 83_000_000);
}

#[test]
fn akamai_large_in_frankfurt() {
    let estimate = plan(CloudProvider::Akamai, "eu-central", "large", false, false);
    let want = expected(&[
        // three g6-standard-4 Linodes at $48
        ("linode_instance", 48_000_000),
        ("linode_instance", 48_000_000),
        ("linode_instance", 48_000_000),
        // a NodeBalancer at $10
        ("linode_nodebalancer", 10_000_000),
    ]);
    assert_eq!(lines(&estimate), want);
    assert_eq!(estimate.monthly_micros, 154_000_000);
}

#[test]
fn a_delete_plan_costs_nothing_and_unknown_types_are_named_not_zeroed() {
    let variables = SiteVariables {
        site_id: "0b6e5a52-7d4c-4f8e-9a41-3c2d1e0f9a7b".into(),
        customer_id: "5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d".into(),
        name: "going".into(),
        region: "nyc3".into(),
        size: "small".into(),
        database_enabled: false,
        storage_enabled: false,
        runtime: SiteRuntime { image: "nginx:1.27".into(), port: 8080, env: BTreeMap::new() },
        tags: BTreeMap::new(),
    };
    let root = canopy_terraform::default_root();
    let deleting =
        canopy_terraform::plan_json(&root, CloudProvider::DigitalOcean, &variables, PlanAction::Delete).unwrap();
    let priced = estimate(&Snapshot::shipped(), "digitalocean", "nyc3", &deleting).unwrap();
    assert_eq!(priced.monthly_micros, 0);
    assert!(priced.lines.is_empty());

    let odd = serde_json::json!({"resource_changes": [
        {"address": "aws_instance.web", "type": "aws_instance", "mode": "managed",
         "change": {"actions": ["create"], "after": {"instance_type": "t3.micro"}}}
    ]});
    let priced = estimate(&Snapshot::shipped(), "aws", "us-east-1", &odd).unwrap();
    assert_eq!(priced.unpriced_resource_types, ["aws_instance"]);
    assert_eq!(priced.monthly_micros, 0);
    // A region the snapshot does not know is an error, not a zero.
    let error = estimate(&Snapshot::shipped(), "aws", "mars-1", &odd).unwrap_err();
    assert!(error.to_string().contains("mars-1"), "{error}");
}
