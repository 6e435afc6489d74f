//! The boundary between the wire and the service: requests become validated domain
//! values (`TryFrom`, collecting every field violation so the caller fixes them all
//! at once), and stored rows become protobuf messages. Nothing here reads or writes
//! the database; the handlers in [`super`] never see a raw proto enum number.

use std::collections::{BTreeMap, HashMap};

use canopy_deployments::queue::{DeploymentEvent, DeploymentKind, DeploymentRow, DeploymentStatus, EventKind};
use canopy_kit::db::TenantId;
use canopy_kit::paging::{PageCursor, page_size};
use canopy_kit::request::{idempotency_key, optional_tenant, required_id, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::sites::v1 as pb;
use canopy_terraform::{CloudProvider, SiteRuntime};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::catalogue;
use crate::domain::lifecycle::SiteStatus;
use crate::domain::site::{self, SiteConfig, SiteName, SiteSize};
use crate::store::{SiteFilter, SiteRow};

/// Every violation of one request; empty means valid.
type Violations = Vec<FieldViolation>;

/// A valid `CreateSiteRequest`.
#[derive(Debug)]
pub struct NewSite {
    pub idempotency_key: String,
    /// The customer named; `None` when the request names none (a customer's own).
    pub customer: Option<TenantId>,
    pub name: SiteName,
    pub provider: CloudProvider,
    /// One of the provider's regions in the catalogue.
    pub region: String,
    pub config: SiteConfig,
}

impl TryFrom<pb::CreateSiteRequest> for NewSite {
    type Error = Violations;

    fn try_from(input: pb::CreateSiteRequest) -> Result<Self, Violations> {
        let mut violations = Vec::new();
        idempotency_key(&input.idempotency_key, &mut violations);
        let name =
            SiteName::parse(&input.name).map_err(|problem| violations.push(FieldViolation::new("name", problem))).ok();
        let provider = CloudProvider::from_proto_number(input.provider);
        match provider {
            None => {
                violations.push(FieldViolation::new("provider", "must be one of aws, azure, gcp, digitalocean, akamai"))
            }
            Some(provider) if !catalogue::has_region(provider, &input.region) => violations.push(FieldViolation::new(
                "region",
                format!("must be one of {} for {}", catalogue::region_codes(provider).join(", "), provider.as_str()),
            )),
            Some(_) => {}
        }
        let config = site_config(
            input.size,
            input.database_enabled,
            input.storage_enabled,
            input.runtime.as_ref(),
            &input.labels,
            &mut violations,
        );
        let customer = optional_customer(&input.customer_id, &mut violations);
        match (name, provider, config) {
            (Some(name), Some(provider), Some(config)) if violations.is_empty() => Ok(NewSite {
                idempotency_key: input.idempotency_key,
                customer,
                name,
                provider,
                region: input.region,
                config,
            }),
            _ => Err(violations),
        }
    }
}

/// The site and idempotency key every change of an existing site names.
#[derive(Debug)]
pub struct ChangeTarget {
    pub site_id: Uuid,
    pub idempotency_key: String,
}

impl ChangeTarget {
    fn parse(site_id: &str, key: String, violations: &mut Violations) -> Option<Self> {
        let site_id = required_id("site_id", site_id);
        if let Err(ApiError::InvalidArgument(v)) = &site_id {
            violations.extend(v.clone());
        }
        Some(ChangeTarget { site_id: site_id.ok()?, idempotency_key: key })
    }

    fn from_parts(site_id: &str, key: String) -> Result<Self, ApiError> {
        let mut violations = Vec::new();
        idempotency_key(&key, &mut violations);
        match ChangeTarget::parse(site_id, key, &mut violations) {
            Some(target) if violations.is_empty() => Ok(target),
            _ => Err(ApiError::InvalidArgument(violations)),
        }
    }
}

impl TryFrom<pb::DeleteSiteRequest> for ChangeTarget {
    type Error = ApiError;

    fn try_from(input: pb::DeleteSiteRequest) -> Result<Self, ApiError> {
        ChangeTarget::from_parts(&input.site_id, input.idempotency_key)
    }
}

impl TryFrom<pb::RedeploySiteRequest> for ChangeTarget {
    type Error = ApiError;

    fn try_from(input: pb::RedeploySiteRequest) -> Result<Self, ApiError> {
        ChangeTarget::from_parts(&input.site_id, input.idempotency_key)
    }
}

/// A valid `UpdateSiteRequest`.
#[derive(Debug)]
pub struct SiteUpdate {
    pub target: ChangeTarget,
    pub config: SiteConfig,
}

impl TryFrom<pb::UpdateSiteRequest> for SiteUpdate {
    type Error = ApiError;

    fn try_from(input: pb::UpdateSiteRequest) -> Result<Self, ApiError> {
        let mut violations = Vec::new();
        idempotency_key(&input.idempotency_key, &mut violations);
        let config = site_config(
            input.size,
            input.database_enabled,
            input.storage_enabled,
            input.runtime.as_ref(),
            &input.labels,
            &mut violations,
        );
        let target = ChangeTarget::parse(&input.site_id, input.idempotency_key, &mut violations);
        match (target, config) {
            (Some(target), Some(config)) if violations.is_empty() => Ok(SiteUpdate { target, config }),
            _ => Err(ApiError::InvalidArgument(violations)),
        }
    }
}

/// A valid `ListSitesRequest`: whose sites, which of them, one page.
#[derive(Debug)]
pub struct SiteQuery {
    pub customer: Option<TenantId>,
    /// Asks for one row more than the page holds, to know whether another page follows.
    pub filter: SiteFilter,
    pub limit: i64,
}

impl TryFrom<pb::ListSitesRequest> for SiteQuery {
    type Error = ApiError;

    /// Paging and `customer_id` are refused on their own, before the filters, whose
    /// violations are collected.
    fn try_from(input: pb::ListSitesRequest) -> Result<Self, ApiError> {
        let page = input.page.unwrap_or_default();
        let limit = page_size(page.page_size)?;
        let cursor = PageCursor::decode(&page.page_token)?;
        let mut violations = Vec::new();
        let customer = if input.customer_id.is_empty() {
            None
        } else {
            Some(TenantId(required_id("customer_id", &input.customer_id)?))
        };
        let provider = if input.provider == 0 {
            None
        } else {
            match CloudProvider::from_proto_number(input.provider) {
                Some(p) => Some(p.as_str().to_string()),
                None => {
                    violations.push(FieldViolation::new("provider", "is not a known provider"));
                    None
                }
            }
        };
        let status = match pb::SiteStatus::try_from(input.status) {
            Ok(status) => site_status_from_proto(status),
            Err(_) => {
                violations.push(FieldViolation::new("status", "is not a known status"));
                None
            }
        };
        let labels: BTreeMap<String, String> = input.labels.into_iter().collect();
        site::labels("labels", &labels, &mut violations);
        let search = Some(input.search.trim().to_ascii_lowercase()).filter(|s| !s.is_empty());
        if search.as_ref().is_some_and(|s| s.len() > 63 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')) {
            violations.push(FieldViolation::new("search", "must be part of a site name (letters, digits, hyphens)"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let filter = SiteFilter {
            provider,
            status,
            search,
            labels: serde_json::to_value(&labels).map_err(ApiError::internal)?,
            include_deleted: input.include_deleted,
            after: cursor.map(|c| (c.time, c.id)),
            limit: limit + 1,
        };
        Ok(SiteQuery { customer, filter, limit })
    }
}

/// The `customer_id` a request may carry: `None` when empty, a violation when it is
/// not a UUID.
pub fn optional_customer(value: &str, violations: &mut Violations) -> Option<TenantId> {
    optional_tenant("customer_id", value).unwrap_or_else(|refused| {
        if let ApiError::InvalidArgument(refused) = refused {
            violations.extend(refused);
        }
        None
    })
}

/// The configuration fields create and update share; `None` when any is invalid.
fn site_config(
    size: i32,
    database_enabled: bool,
    storage_enabled: bool,
    runtime: Option<&pb::Runtime>,
    labels: &HashMap<String, String>,
    violations: &mut Violations,
) -> Option<SiteConfig> {
    let size = size_from_proto(size);
    if size.is_none() {
        violations.push(FieldViolation::new("size", "must be SITE_SIZE_SMALL, SITE_SIZE_MEDIUM or SITE_SIZE_LARGE"));
    }
    let runtime = match runtime {
        None => {
            violations.push(FieldViolation::new("runtime", "is required (image and port)"));
            None
        }
        Some(runtime) => {
            site::image(&runtime.image, violations);
            let port = site::port(runtime.port, violations);
            let env: BTreeMap<String, String> = runtime.env.clone().into_iter().collect();
            site::env(&env, violations);
            Some(SiteRuntime { image: runtime.image.clone(), port, env })
        }
    };
    let labels: BTreeMap<String, String> = labels.clone().into_iter().collect();
    site::labels("labels", &labels, violations);
    Some(SiteConfig { size: size?, database_enabled, storage_enabled, runtime: runtime?, labels })
}

/// The row a new site starts as: PENDING, no outputs, no deployment yet.
pub fn new_site_row(
    site: &NewSite,
    tenant_id: Uuid,
    site_id: Uuid,
    sandbox: bool,
    now: DateTime<Utc>,
) -> Result<SiteRow, ApiError> {
    let config = &site.config;
    Ok(SiteRow {
        tenant_id,
        id: site_id,
        name: site.name.as_str().to_string(),
        provider: site.provider.as_str().to_string(),
        region: site.region.clone(),
        size: config.size.as_str().to_string(),
        database_enabled: config.database_enabled,
        storage_enabled: config.storage_enabled,
        runtime: serde_json::to_value(&config.runtime).map_err(ApiError::internal)?,
        labels: serde_json::to_value(&config.labels).map_err(ApiError::internal)?,
        status: SiteStatus::Pending,
        sandbox,
        outputs: serde_json::json!({}),
        active_deployment_id: None,
        create_time: now,
        update_time: now,
        delete_time: None,
    })
}

/// A stored site's configuration in the stored form: what an update writes onto it.
pub struct StoredConfig {
    size: &'static str,
    database_enabled: bool,
    storage_enabled: bool,
    runtime: serde_json::Value,
    labels: serde_json::Value,
}

impl TryFrom<&SiteConfig> for StoredConfig {
    type Error = ApiError;

    fn try_from(config: &SiteConfig) -> Result<Self, ApiError> {
        Ok(StoredConfig {
            size: config.size.as_str(),
            database_enabled: config.database_enabled,
            storage_enabled: config.storage_enabled,
            runtime: serde_json::to_value(&config.runtime).map_err(ApiError::internal)?,
            labels: serde_json::to_value(&config.labels).map_err(ApiError::internal)?,
        })
    }
}

impl StoredConfig {
    /// Writes the configuration onto `site`; true when its infrastructure changes
    /// (labels alone do not need a deployment).
    pub fn apply_to(self, site: &mut SiteRow) -> bool {
        let changed = site.size != self.size
            || site.database_enabled != self.database_enabled
            || site.storage_enabled != self.storage_enabled
            || site.runtime != self.runtime;
        site.size = self.size.to_string();
        site.database_enabled = self.database_enabled;
        site.storage_enabled = self.storage_enabled;
        site.runtime = self.runtime;
        site.labels = self.labels;
        changed
    }
}

/// A stored JSON object of strings (labels, Terraform tags) as a map; anything else
/// as an empty one.
pub fn string_map(value: &serde_json::Value) -> BTreeMap<String, String> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn size_from_proto(raw: i32) -> Option<SiteSize> {
    match pb::SiteSize::try_from(raw).ok()? {
        pb::SiteSize::Small => Some(SiteSize::Small),
        pb::SiteSize::Medium => Some(SiteSize::Medium),
        pb::SiteSize::Large => Some(SiteSize::Large),
        pb::SiteSize::Unspecified => None,
    }
}

fn size_to_proto(size: SiteSize) -> pb::SiteSize {
    match size {
        SiteSize::Small => pb::SiteSize::Small,
        SiteSize::Medium => pb::SiteSize::Medium,
        SiteSize::Large => pb::SiteSize::Large,
    }
}

pub fn status_to_proto(status: SiteStatus) -> pb::SiteStatus {
    match status {
        SiteStatus::Pending => pb::SiteStatus::Pending,
        SiteStatus::Provisioning => pb::SiteStatus::Provisioning,
        SiteStatus::Active => pb::SiteStatus::Active,
        SiteStatus::Updating => pb::SiteStatus::Updating,
        SiteStatus::Failed => pb::SiteStatus::Failed,
        SiteStatus::Deleting => pb::SiteStatus::Deleting,
        SiteStatus::Deleted => pb::SiteStatus::Deleted,
    }
}

fn site_status_from_proto(status: pb::SiteStatus) -> Option<SiteStatus> {
    Some(match status {
        pb::SiteStatus::Unspecified => return None,
        pb::SiteStatus::Pending => SiteStatus::Pending,
        pb::SiteStatus::Provisioning => SiteStatus::Provisioning,
        pb::SiteStatus::Active => SiteStatus::Active,
        pb::SiteStatus::Updating => SiteStatus::Updating,
        pb::SiteStatus::Failed => SiteStatus::Failed,
        pb::SiteStatus::Deleting => SiteStatus::Deleting,
        pb::SiteStatus::Deleted => SiteStatus::Deleted,
    })
}

pub fn deployment_status_to_proto(status: DeploymentStatus) -> pb::DeploymentStatus {
    match status {
        DeploymentStatus::Queued => pb::DeploymentStatus::Queued,
        DeploymentStatus::Running => pb::DeploymentStatus::Running,
        DeploymentStatus::AwaitingOverride => pb::DeploymentStatus::AwaitingOverride,
        DeploymentStatus::Succeeded => pb::DeploymentStatus::Succeeded,
        DeploymentStatus::Failed => pb::DeploymentStatus::Failed,
        DeploymentStatus::Cancelled => pb::DeploymentStatus::Cancelled,
    }
}

fn kind_to_proto(kind: DeploymentKind) -> pb::DeploymentKind {
    match kind {
        DeploymentKind::Create => pb::DeploymentKind::Create,
        DeploymentKind::Update => pb::DeploymentKind::Update,
        DeploymentKind::Redeploy => pb::DeploymentKind::Redeploy,
        DeploymentKind::Delete => pb::DeploymentKind::Delete,
    }
}

pub fn site_to_proto(row: &SiteRow) -> pb::Site {
    let runtime: Option<SiteRuntime> = serde_json::from_value(row.runtime.clone()).ok();
    let outputs = &row.outputs;
    let text = |key: &str| outputs.get(key).and_then(|v| v.as_str()).unwrap_or("").to_string();
    pb::Site {
        id: row.id.to_string(),
        customer_id: row.tenant_id.to_string(),
        name: row.name.clone(),
        provider: CloudProvider::proto_from_name(&row.provider) as i32,
        region: row.region.clone(),
        size: SiteSize::parse(&row.size).map_or(pb::SiteSize::Unspecified, size_to_proto) as i32,
        database_enabled: row.database_enabled,
        storage_enabled: row.storage_enabled,
        runtime: runtime.map(|r| pb::Runtime {
            image: r.image,
            port: i32::from(r.port),
            env: r.env.into_iter().collect(),
        }),
        labels: string_map(&row.labels).into_iter().collect(),
        status: status_to_proto(row.status) as i32,
        sandbox: row.sandbox,
        outputs: Some(pb::SiteOutputs {
            url: text("url"),
            public_addresses: outputs
                .get("public_addresses")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                .unwrap_or_default(),
            database_endpoint: text("database_endpoint"),
            storage_bucket: text("storage_bucket"),
        }),
        active_deployment_id: row.active_deployment_id.map(|id| id.to_string()).unwrap_or_default(),
        create_time: Some(timestamp(row.create_time)),
        update_time: Some(timestamp(row.update_time)),
        delete_time: row.delete_time.map(timestamp),
    }
}

pub fn deployment_to_proto(row: &DeploymentRow) -> pb::Deployment {
    pb::Deployment {
        id: row.id.to_string(),
        site_id: row.site_id.to_string(),
        customer_id: row.tenant_id.to_string(),
        kind: kind_to_proto(row.kind) as i32,
        status: deployment_status_to_proto(row.status) as i32,
        sandbox: row.sandbox,
        attempt: row.attempt,
        error: row.error.clone(),
        create_time: Some(timestamp(row.create_time)),
        start_time: row.start_time.map(timestamp),
        finish_time: row.finish_time.map(timestamp),
        cancel_requested: row.cancel_requested,
    }
}

pub fn event_to_proto(event: &DeploymentEvent) -> pb::DeploymentEvent {
    pb::DeploymentEvent {
        seq: event.seq,
        time: Some(timestamp(event.time)),
        kind: match event.kind {
            EventKind::Status => pb::DeploymentEventKind::Status,
            EventKind::Log => pb::DeploymentEventKind::Log,
        } as i32,
        level: event.level.clone(),
        message: event.message.clone(),
        status: event.status.map(deployment_status_to_proto).unwrap_or(pb::DeploymentStatus::Unspecified) as i32,
        id: event.id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_request_names_every_bad_field_at_once() {
        let request = pb::CreateSiteRequest {
            name: "Shop".into(),
            region: "mars-1".into(),
            customer_id: "not-a-uuid".into(),
            ..Default::default()
        };
        let fields: Vec<String> = NewSite::try_from(request).unwrap_err().into_iter().map(|v| v.field).collect();
        assert_eq!(fields, ["idempotency_key", "name", "provider", "size", "runtime", "customer_id"]);
    }

    #[test]
    fn a_valid_create_request_becomes_a_new_site_with_enums() {
        let request = pb::CreateSiteRequest {
            idempotency_key: "create-shop-1".into(),
            name: "shop".into(),
            provider: CloudProvider::Aws.to_proto() as i32,
            region: catalogue::region_codes(CloudProvider::Aws)[0].to_string(),
            size: pb::SiteSize::Medium as i32,
            runtime: Some(pb::Runtime { image: "nginx:1".into(), port: 80, env: HashMap::new() }),
            ..Default::default()
        };
        let site = NewSite::try_from(request).unwrap();
        assert_eq!((site.provider, site.config.size, site.customer), (CloudProvider::Aws, SiteSize::Medium, None));
        let row = new_site_row(&site, Uuid::nil(), Uuid::nil(), true, Utc::now()).unwrap();
        assert_eq!((row.size.as_str(), row.status), ("medium", SiteStatus::Pending));
        assert_eq!(site_to_proto(&row).size, pb::SiteSize::Medium as i32);
    }

    #[test]
    fn an_update_names_the_key_then_the_config_then_the_site() {
        let request = pb::UpdateSiteRequest { site_id: "nope".into(), ..Default::default() };
        let Err(ApiError::InvalidArgument(violations)) = SiteUpdate::try_from(request) else { panic!("accepted") };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["idempotency_key", "size", "runtime", "site_id"]);
    }
}
