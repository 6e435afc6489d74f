//! Estimates: a Terraform JSON plan priced from the shipped price snapshot, the way
//! Infracost does it for three clouds, here for all five site templates.
//!
//! Every resource the plan keeps (`change.after` not null) is priced by its type from
//! its planned attributes — an ECS service by its desired count and its task
//! definition's CPU and memory, a database by its class, high availability and
//! storage, a Droplet by its size. Usage-based items (egress, stored gigabytes, log
//! ingestion, load balancer capacity, a serverless instance's busy time) are priced at
//! the snapshot's documented assumptions and marked as such. Resources that cost
//! nothing by themselves (networks, rules, roles) are counted; a type neither priced
//! nor known to be free is named in `unpriced_resource_types`, never silently zero.

pub mod prices;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use self::prices::{PriceError, RegionPrices, Snapshot};

/// Micros in one currency unit.
pub const MICROS: f64 = 1_000_000.0;

/// One priced resource or usage assumption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub address: String,
    pub resource_type: String,
    pub description: String,
    pub monthly_micros: i64,
    pub hourly_micros: i64,
    /// The usage assumption this line is priced at, when it is usage-based.
    pub assumption: Option<String>,
}

/// A priced plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub currency: String,
    pub monthly_micros: i64,
    pub hourly_micros: i64,
    /// Largest first.
    pub lines: Vec<Line>,
    pub snapshot_date: chrono::NaiveDate,
    pub free_resources: i32,
    pub unpriced_resource_types: Vec<String>,
}

/// Why a plan cannot be priced.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    #[error("plan_json: {0}")]
    Plan(String),
    #[error(transparent)]
    Price(#[from] PriceError),
}

/// Resource types the templates create that cost nothing by themselves.
const FREE: &[&str] = &[
    "aws_appautoscaling_policy",
    "aws_appautoscaling_target",
    "aws_db_parameter_group",
    "aws_db_subnet_group",
    "aws_default_security_group",
    "aws_ecs_cluster",
    "aws_ecs_task_definition",
    "aws_flow_log",
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
    "aws_internet_gateway",
    "aws_lb_listener",
    "aws_lb_target_group",
    "aws_route",
    "aws_route_table",
    "aws_route_table_association",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_ownership_controls",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_security_group",
    "aws_subnet",
    "aws_vpc",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
    "azurerm_linux_web_app",
    "azurerm_monitor_autoscale_setting",
    "azurerm_nat_gateway_public_ip_association",
    "azurerm_network_security_group",
    "azurerm_postgresql_flexible_server_configuration",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_private_dns_zone",
    "azurerm_private_dns_zone_virtual_network_link",
    "azurerm_resource_group",
    "azurerm_role_assignment",
    "azurerm_storage_container",
    "azurerm_subnet",
    "azurerm_subnet_nat_gateway_association",
    "azurerm_subnet_network_security_group_association",
    "azurerm_virtual_network",
    "google_cloud_run_v2_service_iam_member",
    "google_compute_firewall",
    "google_compute_global_address",
    "google_compute_network",
    "google_compute_router",
    "google_compute_subnetwork",
    "google_service_account",
    "google_service_networking_connection",
    "google_sql_database",
    "google_sql_user",
    "google_storage_bucket_iam_member",
    "digitalocean_database_db",
    "digitalocean_database_firewall",
    "digitalocean_database_user",
    "digitalocean_firewall",
    "digitalocean_tag",
    "digitalocean_vpc",
    "linode_firewall",
    "linode_nodebalancer_config",
    "linode_nodebalancer_node",
    "linode_vpc",
    "linode_vpc_subnet",
    "random_password",
];

/// A resource the plan keeps.
struct Planned<'a> {
    address: &'a str,
    kind: &'a str,
    module: &'a str,
    after: &'a Value,
}

/// Prices `plan` (Terraform's JSON plan format) for a site on `provider` in `region`.
pub fn estimate(snapshot: &Snapshot, provider: &str, region: &str, plan: &Value) -> Result<Estimate, EstimateError> {
    let prices = snapshot.region(provider, region)?;
    let changes = plan
        .get("resource_changes")
        .and_then(Value::as_array)
        .ok_or_else(|| EstimateError::Plan("has no resource_changes list".into()))?;
    let planned: Vec<Planned<'_>> = changes
        .iter()
        .filter(|change| change.get("mode").and_then(Value::as_str) != Some("data"))
        .filter_map(|change| {
            let after = change.pointer("/change/after").filter(|after| !after.is_null())?;
            Some(Planned {
                address: change.get("address").and_then(Value::as_str).unwrap_or_default(),
                kind: change.get("type").and_then(Value::as_str).unwrap_or_default(),
                module: change.get("module_address").and_then(Value::as_str).unwrap_or_default(),
                after,
            })
        })
        .collect();
    let mut pricer = Pricer { snapshot, prices, lines: Vec::new() };
    let mut free_resources = 0;
    let mut unpriced = BTreeSet::new();
    for resource in &planned {
        if !pricer.price(resource, &planned)? {
            if FREE.contains(&resource.kind) {
                free_resources += 1;
            } else {
                unpriced.insert(resource.kind.to_owned());
            }
        }
    }
    // Data transfer out is the site's, not one resource's: priced once for a plan that
    // serves anything.
    let serves = planned.iter().any(|resource| COMPUTE.contains(&resource.kind));
    let egress = pricer.prices.price("egress_gb")?;
    if serves && egress > 0.0 {
        let gigabytes = snapshot.usage_assumptions.egress_gb_month;
        pricer.usage(
            "",
            "data_transfer",
            "Outbound data transfer".into(),
            gigabytes * egress,
            format!("{gigabytes} GB out a month"),
        );
    }
    let mut lines = pricer.lines;
    lines.sort_by(|a, b| b.monthly_micros.cmp(&a.monthly_micros).then_with(|| a.address.cmp(&b.address)));
    Ok(Estimate {
        currency: snapshot.currency.clone(),
        monthly_micros: lines.iter().map(|line| line.monthly_micros).sum(),
        hourly_micros: lines.iter().map(|line| line.hourly_micros).sum(),
        lines,
        snapshot_date: snapshot.date,
        free_resources,
        unpriced_resource_types: unpriced.into_iter().collect(),
    })
}

/// Types that serve the site's traffic.
const COMPUTE: &[&str] = &[
    "aws_ecs_service",
    "azurerm_service_plan",
    "google_cloud_run_v2_service",
    "digitalocean_droplet",
    "linode_instance",
];

struct Pricer<'a> {
    snapshot: &'a Snapshot,
    prices: RegionPrices<'a>,
    lines: Vec<Line>,
}

impl Pricer<'_> {
    fn hours(&self) -> f64 {
        self.snapshot.hours_per_month
    }

    /// A line billed by the hour.
    fn hourly(&mut self, resource: &Planned<'_>, description: String, per_hour: f64) {
        self.lines.push(Line {
            address: resource.address.to_owned(),
            resource_type: resource.kind.to_owned(),
            description,
            monthly_micros: micros(per_hour * self.hours()),
            hourly_micros: micros(per_hour),
            assumption: None,
        });
    }

    /// A line billed by the month.
    fn monthly(&mut self, resource: &Planned<'_>, description: String, per_month: f64) {
        self.lines.push(Line {
            address: resource.address.to_owned(),
            resource_type: resource.kind.to_owned(),
            description,
            monthly_micros: micros(per_month),
            hourly_micros: micros(per_month / self.hours()),
            assumption: None,
        });
    }

    /// A usage-based line at a documented assumption; not part of the hourly rate.
    fn usage(&mut self, address: &str, kind: &str, description: String, per_month: f64, assumption: String) {
        self.lines.push(Line {
            address: address.to_owned(),
            resource_type: kind.to_owned(),
            description,
            monthly_micros: micros(per_month),
            hourly_micros: 0,
            assumption: Some(assumption),
        });
    }

    /// Prices one resource; false when its type is not priced.
    fn price(&mut self, resource: &Planned<'_>, plan: &[Planned<'_>]) -> Result<bool, EstimateError> {
        let after = resource.after;
        let usage = self.snapshot.usage_assumptions.clone();
        match resource.kind {
            // AWS
            "aws_ecs_service" => {
                let tasks = number(after, &["desired_count"]).unwrap_or(1.0);
                let definition = plan
                    .iter()
                    .find(|other| other.kind == "aws_ecs_task_definition" && other.module == resource.module)
                    .ok_or_else(|| {
                        EstimateError::Plan(format!("{} has no task definition beside it", resource.address))
                    })?;
                let vcpu = number(definition.after, &["cpu"]).unwrap_or(256.0) / 1024.0;
                let gigabytes = number(definition.after, &["memory"]).unwrap_or(512.0) / 1024.0;
                let per_task = vcpu * self.prices.price("fargate_vcpu_hour")?
                    + gigabytes * self.prices.price("fargate_gb_hour")?;
                self.hourly(
                    resource,
                    format!("{tasks} × Fargate task ({vcpu} vCPU, {gigabytes} GB)"),
                    tasks * per_task,
                );
            }
            "aws_lb" => {
                self.hourly(resource, "Application load balancer".into(), self.prices.price("alb_hour")?);
                let units = usage.load_balancer_capacity_units;
                self.usage(
                    resource.address,
                    resource.kind,
                    "Load balancer capacity units".into(),
                    units * self.prices.price("alb_lcu_hour")? * self.hours(),
                    format!("{units} LCU on average"),
                );
            }
            "aws_nat_gateway" => self.hourly(resource, "NAT gateway".into(), self.prices.price("nat_gateway_hour")?),
            "aws_eip" => self.hourly(resource, "Public IPv4 address".into(), self.prices.price("public_ipv4_hour")?),
            "aws_db_instance" => {
                let class = text(after, &["instance_class"]).unwrap_or_default();
                let copies = if after.get("multi_az").and_then(Value::as_bool) == Some(true) { 2.0 } else { 1.0 };
                let storage = number(after, &["allocated_storage"]).unwrap_or(20.0);
                let ha = if copies > 1.0 { ", Multi-AZ" } else { "" };
                self.hourly(
                    resource,
                    format!("RDS PostgreSQL {class}{ha}"),
                    copies * self.prices.price_of("rds_instance_hour", &class)?,
                );
                self.monthly(
                    resource,
                    format!("{storage} GB gp3 storage{ha}"),
                    copies * storage * self.prices.price("rds_gp3_gb_month")?,
                );
            }
            "aws_s3_bucket" => self.stored(resource, "s3_gb_month", "S3 storage", &usage)?,
            "aws_cloudwatch_log_group" => {
                let gigabytes = usage.log_ingest_gb_month;
                self.usage(
                    resource.address,
                    resource.kind,
                    "CloudWatch Logs ingestion".into(),
                    gigabytes * self.prices.price("cloudwatch_logs_ingest_gb")?,
                    format!("{gigabytes} GB ingested a month"),
                );
            }
            // Azure
            "azurerm_service_plan" => {
                let sku = text(after, &["sku_name"]).unwrap_or_default();
                let workers = number(after, &["worker_count"]).unwrap_or(1.0);
                self.hourly(
                    resource,
                    format!("{workers} × App Service plan {sku}"),
                    workers * self.prices.price_of("app_service_plan_hour", &sku)?,
                );
            }
            "azurerm_postgresql_flexible_server" => {
                let sku = text(after, &["sku_name"]).unwrap_or_default();
                let copies = if non_empty(after, "high_availability") { 2.0 } else { 1.0 };
                let gigabytes = number(after, &["storage_mb"]).unwrap_or(32768.0) / 1024.0;
                let ha = if copies > 1.0 { ", zone-redundant HA" } else { "" };
                self.hourly(
                    resource,
                    format!("PostgreSQL flexible server {sku}{ha}"),
                    copies * self.prices.price_of("postgres_flexible_hour", &sku)?,
                );
                self.monthly(
                    resource,
                    format!("{gigabytes} GB storage{ha}"),
                    copies * gigabytes * self.prices.price("postgres_storage_gb_month")?,
                );
            }
            "azurerm_nat_gateway" => {
                self.hourly(resource, "NAT gateway".into(), self.prices.price("nat_gateway_hour")?)
            }
            "azurerm_public_ip" => {
                self.hourly(resource, "Public IP address".into(), self.prices.price("public_ip_hour")?)
            }
            "azurerm_storage_account" => self.stored(resource, "blob_gb_month", "Blob storage", &usage)?,
            // GCP
            "google_cloud_run_v2_service" => {
                let vcpu = number(after, &["template", "containers", "resources", "limits", "cpu"]).unwrap_or(1.0);
                let memory = text(after, &["template", "containers", "resources", "limits", "memory"])
                    .map(|memory| gibibytes(&memory))
                    .transpose()
                    .map_err(EstimateError::Plan)?
                    .unwrap_or(0.5);
                let minimum = number(after, &["template", "scaling", "min_instance_count"]).unwrap_or(0.0);
                let per_instance_hour = 3600.0
                    * (vcpu * self.prices.price("cloud_run_vcpu_second")?
                        + memory * self.prices.price("cloud_run_gib_second")?);
                if minimum > 0.0 {
                    self.hourly(
                        resource,
                        format!("{minimum} × Cloud Run instance always on ({vcpu} vCPU, {memory} GiB)"),
                        minimum * per_instance_hour,
                    );
                }
                let share = usage.serverless_busy_share;
                self.usage(
                    resource.address,
                    resource.kind,
                    "Cloud Run instance above the minimum".into(),
                    share * per_instance_hour * self.hours(),
                    format!("one more instance busy {}% of the month", share * 100.0),
                );
            }
            "google_sql_database_instance" => {
                let tier = text(after, &["settings", "tier"]).unwrap_or_default();
                let (vcpu, gigabytes) = custom_tier(&tier).ok_or_else(|| {
                    EstimateError::Plan(format!("{}: {tier} is not a db-custom-<vCPU>-<MB> tier", resource.address))
                })?;
                let regional = text(after, &["settings", "availability_type"]).as_deref() == Some("REGIONAL");
                let copies = if regional { 2.0 } else { 1.0 };
                let disk = number(after, &["settings", "disk_size"]).unwrap_or(10.0);
                let ha = if regional { ", regional HA" } else { "" };
                self.hourly(
                    resource,
                    format!("Cloud SQL {vcpu} vCPU, {gigabytes} GB{ha}"),
                    copies
                        * (vcpu * self.prices.price("cloud_sql_vcpu_hour")?
                            + gigabytes * self.prices.price("cloud_sql_gb_hour")?),
                );
                self.monthly(
                    resource,
                    format!("{disk} GB SSD{ha}"),
                    copies * disk * self.prices.price("cloud_sql_ssd_gb_month")?,
                );
            }
            "google_compute_router_nat" => {
                self.hourly(resource, "Cloud NAT gateway".into(), self.prices.price("cloud_nat_gateway_hour")?);
            }
            "google_storage_bucket" => self.stored(resource, "gcs_gb_month", "Cloud Storage", &usage)?,
            // DigitalOcean
            "digitalocean_droplet" => {
                let size = text(after, &["size"]).unwrap_or_default();
                self.monthly(resource, format!("Droplet {size}"), self.prices.price_of("droplet_month", &size)?);
            }
            "digitalocean_loadbalancer" => {
                let nodes = number(after, &["size_unit"]).unwrap_or(1.0);
                self.monthly(
                    resource,
                    format!("Load balancer, {nodes} node(s)"),
                    nodes * self.prices.price("load_balancer_node_month")?,
                );
            }
            "digitalocean_database_cluster" => {
                let size = text(after, &["size"]).unwrap_or_default();
                let nodes = number(after, &["node_count"]).unwrap_or(1.0);
                self.monthly(
                    resource,
                    format!("{nodes} × Managed PostgreSQL node {size}"),
                    nodes * self.prices.price_of("database_node_month", &size)?,
                );
            }
            "digitalocean_spaces_bucket" => {
                self.monthly(
                    resource,
                    "Spaces subscription (250 GB included)".into(),
                    self.prices.price("spaces_month")?,
                );
            }
            // Akamai
            "linode_instance" => {
                let kind = text(after, &["type"]).unwrap_or_default();
                self.monthly(resource, format!("Linode {kind}"), self.prices.price_of("instance_month", &kind)?);
            }
            "linode_nodebalancer" => {
                self.monthly(resource, "NodeBalancer".into(), self.prices.price("nodebalancer_month")?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// A bucket, priced at the assumed stored gigabytes.
    fn stored(
        &mut self,
        resource: &Planned<'_>,
        price: &str,
        what: &str,
        usage: &prices::UsageAssumptions,
    ) -> Result<(), EstimateError> {
        let gigabytes = usage.storage_gb;
        self.usage(
            resource.address,
            resource.kind,
            what.into(),
            gigabytes * self.prices.price(price)?,
            format!("{gigabytes} GB stored"),
        );
        Ok(())
    }
}

/// An amount in micros, rounded to the nearest.
pub fn micros(amount: f64) -> i64 {
    (amount * MICROS).round() as i64
}

/// Follows `path` through objects, taking the first element of lists on the way
/// (nested blocks are lists in Terraform's JSON plans).
fn descend<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut current = value;
    for key in path {
        while let Value::Array(items) = current {
            current = items.first()?;
        }
        current = current.get(*key)?;
    }
    while let Value::Array(items) = current {
        current = items.first()?;
    }
    Some(current)
}

/// A number, given as a number or as a numeric string (`cpu = "256"`).
fn number(value: &Value, path: &[&str]) -> Option<f64> {
    match descend(value, path)? {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

fn text(value: &Value, path: &[&str]) -> Option<String> {
    match descend(value, path)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A block present in the plan (a list with an element).
fn non_empty(value: &Value, key: &str) -> bool {
    value.get(key).and_then(Value::as_array).is_some_and(|items| !items.is_empty())
}

/// Kubernetes-style memory ("512Mi", "2Gi", "1G") in GiB.
fn gibibytes(memory: &str) -> Result<f64, String> {
    let memory = memory.trim();
    let split = memory.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(memory.len());
    let (digits, unit) = memory.split_at(split);
    let amount: f64 = digits.parse().map_err(|_| format!("{memory:?} is not a memory size"))?;
    let factor = match unit {
        "Gi" => 1.0,
        "Mi" => 1.0 / 1024.0,
        "G" => 1e9 / 1_073_741_824.0,
        "M" => 1e6 / 1_073_741_824.0,
        _ => return Err(format!("{memory:?} is not a memory size")),
    };
    Ok(amount * factor)
}

/// `db-custom-<vCPU>-<MB>` → (vCPU, GB).
fn custom_tier(tier: &str) -> Option<(f64, f64)> {
    let rest = tier.strip_prefix("db-custom-")?;
    let (vcpu, megabytes) = rest.split_once('-')?;
    Some((vcpu.parse().ok()?, megabytes.parse::<f64>().ok()? / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_and_custom_tiers() {
        assert_eq!(gibibytes("512Mi").unwrap(), 0.5);
        assert_eq!(gibibytes("2Gi").unwrap(), 2.0);
        assert!(gibibytes("lots").is_err());
        assert_eq!(custom_tier("db-custom-2-7680"), Some((2.0, 7.5)));
        assert_eq!(custom_tier("db-f1-micro"), None);
    }

    #[test]
    fn nested_blocks_are_read_through_their_lists() {
        let value = serde_json::json!({"template": [{"scaling": [{"min_instance_count": 2}]}]});
        assert_eq!(number(&value, &["template", "scaling", "min_instance_count"]), Some(2.0));
        assert_eq!(number(&serde_json::json!({"cpu": "256"}), &["cpu"]), Some(256.0));
    }

    #[test]
    fn a_plan_without_resource_changes_is_refused() {
        let error = estimate(&Snapshot::shipped(), "aws", "us-east-1", &serde_json::json!({})).unwrap_err();
        assert!(error.to_string().contains("resource_changes"), "{error}");
    }
}
