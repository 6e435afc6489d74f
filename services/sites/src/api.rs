//! `SiteService` handlers: validate, scope by the caller, reserve quota through
//! tenancy, write the site change and its deployment in one transaction.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use canopy_deployments::queue::{self, DeploymentKind, DeploymentRow, DeploymentStatus, EnqueueError, NewDeployment};
use canopy_kit::auth::Principal;
use canopy_kit::db::{Database, Scope, TenantId};
use canopy_kit::paging::{PageCursor, finish_page, page_size};
use canopy_kit::request::{idempotency_key, optional_tenant, principal, required_id, time_from_proto, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::common::v1::PageResponse;
use canopy_sdk::proto::canopy::sites::v1 as pb;
use canopy_sdk::proto::canopy::sites::v1::site_service_server::SiteService;
use canopy_sdk::proto::canopy::tenancy::v1::quota_service_client::QuotaServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::{QuotaResource, ReleaseQuotaRequest, ReserveQuotaRequest};
use canopy_terraform::{CloudProvider, SiteRuntime, SiteVariables};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::domain::lifecycle::{SiteStatus, during_deployment};
use crate::domain::site::{self, SiteName};
use crate::domain::{catalogue, fleet};
use crate::store::{self, SiteFilter, SiteRow};
use crate::{Sites, site_quota_key};

pub struct SitesApi(pub Arc<Sites>);

fn db(error: sqlx::Error) -> ApiError {
    canopy_kit::error::from_sqlx(error, "site")
}

/// The `customer_id` a request may carry: `None` when empty, a violation when it is
/// not a UUID.
fn optional_customer(value: &str, violations: &mut Vec<FieldViolation>) -> Option<TenantId> {
    optional_tenant("customer_id", value).unwrap_or_else(|refused| {
        if let ApiError::InvalidArgument(refused) = refused {
            violations.extend(refused);
        }
        None
    })
}

fn size_from_proto(raw: i32) -> Option<&'static str> {
    match pb::SiteSize::try_from(raw).ok()? {
        pb::SiteSize::Small => Some("small"),
        pb::SiteSize::Medium => Some("medium"),
        pb::SiteSize::Large => Some("large"),
        pb::SiteSize::Unspecified => None,
    }
}

fn size_to_proto(size: &str) -> pb::SiteSize {
    match size {
        "small" => pb::SiteSize::Small,
        "medium" => pb::SiteSize::Medium,
        "large" => pb::SiteSize::Large,
        _ => pb::SiteSize::Unspecified,
    }
}

fn status_to_proto(status: SiteStatus) -> pb::SiteStatus {
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

fn deployment_status_to_proto(status: DeploymentStatus) -> pb::DeploymentStatus {
    match status {
        DeploymentStatus::Queued => pb::DeploymentStatus::Queued,
        DeploymentStatus::Running => pb::DeploymentStatus::Running,
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

fn string_map(value: &serde_json::Value) -> BTreeMap<String, String> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn site_to_proto(row: &SiteRow) -> pb::Site {
    let runtime: Option<SiteRuntime> = serde_json::from_value(row.runtime.clone()).ok();
    let outputs = &row.outputs;
    let text = |key: &str| outputs.get(key).and_then(|v| v.as_str()).unwrap_or("").to_string();
    pb::Site {
        id: row.id.to_string(),
        customer_id: row.tenant_id.to_string(),
        name: row.name.clone(),
        provider: CloudProvider::proto_from_name(&row.provider) as i32,
        region: row.region.clone(),
        size: size_to_proto(&row.size) as i32,
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

fn deployment_to_proto(row: &DeploymentRow) -> pb::Deployment {
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

fn event_to_proto(event: &queue::DeploymentEvent) -> pb::DeploymentEvent {
    pb::DeploymentEvent {
        seq: event.seq,
        time: Some(timestamp(event.time)),
        kind: match event.kind {
            queue::EventKind::Status => pb::DeploymentEventKind::Status,
            queue::EventKind::Log => pb::DeploymentEventKind::Log,
        } as i32,
        level: event.level.clone(),
        message: event.message.clone(),
        status: event.status.map(deployment_status_to_proto).unwrap_or(pb::DeploymentStatus::Unspecified) as i32,
    }
}

/// The validated, mutable part of a site.
struct SiteConfig {
    size: &'static str,
    database_enabled: bool,
    storage_enabled: bool,
    runtime: SiteRuntime,
    labels: BTreeMap<String, String>,
}

fn validate_config(
    size: i32,
    database_enabled: bool,
    storage_enabled: bool,
    runtime: Option<&pb::Runtime>,
    labels: &std::collections::HashMap<String, String>,
    violations: &mut Vec<FieldViolation>,
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

/// Validates the site id and idempotency key every change of a site carries.
fn change_target(site_id: &str, key: &str) -> Result<Uuid, ApiError> {
    let mut violations = Vec::new();
    idempotency_key(key, &mut violations);
    let parsed = required_id("site_id", site_id);
    if let Err(ApiError::InvalidArgument(v)) = &parsed {
        violations.extend(v.clone());
    }
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    parsed
}

impl SitesApi {
    /// Reserves quota through tenancy as the sites workload.
    async fn reserve(&self, request: ReserveQuotaRequest) -> Result<(), ApiError> {
        let channel = self.0.peers.channel("tenancy").await?;
        QuotaServiceClient::new(channel)
            .reserve_quota(request)
            .await
            .map(|_| ())
            .map_err(|status| ApiError::from_peer("tenancy", status))
    }

    async fn release(&self, tenant_id: Uuid, resource: QuotaResource, key: String) {
        if let Ok(channel) = self.0.peers.channel("tenancy").await {
            let request = ReleaseQuotaRequest {
                customer_id: tenant_id.to_string(),
                resource: resource as i32,
                reservation_key: key,
            };
            if let Err(status) = QuotaServiceClient::new(channel).release_quota(request).await {
                tracing::warn!(error = %status.message(), "releasing quota after a failed change");
            }
        }
    }

    /// The variables the site template gets for `site`.
    fn variables(site: &SiteRow) -> Result<serde_json::Value, ApiError> {
        let runtime: SiteRuntime = serde_json::from_value(site.runtime.clone()).map_err(ApiError::internal)?;
        Ok(SiteVariables {
            site_id: site.id.to_string(),
            customer_id: site.tenant_id.to_string(),
            name: site.name.clone(),
            region: site.region.clone(),
            size: site.size.clone(),
            database_enabled: site.database_enabled,
            storage_enabled: site.storage_enabled,
            runtime,
            tags: string_map(&site.labels),
        }
        .to_tfvars_json())
    }

    /// Starts a deployment of `kind` for a site already locked in `tx`.
    async fn start_deployment(
        &self,
        tx: &mut sqlx::PgConnection,
        site: &SiteRow,
        kind: DeploymentKind,
        deployment_id: Uuid,
    ) -> Result<(), ApiError> {
        let provider: CloudProvider = site
            .provider
            .parse()
            .map_err(|_| ApiError::internal(anyhow::anyhow!("stored provider {}", site.provider)))?;
        let new = NewDeployment {
            tenant_id: site.tenant_id,
            site_id: site.id,
            deployment_id,
            kind,
            provider,
            sandbox: site.sandbox,
            variables: Self::variables(site)?,
        };
        match queue::enqueue(tx, &new).await {
            Ok(()) => {}
            Err(EnqueueError::SiteBusy { active_deployment_id }) => {
                return Err(ApiError::FailedPrecondition {
                    reason: "SITE_BUSY",
                    message: format!("deployment {active_deployment_id} of this site is still in progress"),
                });
            }
            Err(EnqueueError::Sql(error)) => return Err(db(error)),
        }
        store::set_status(tx, site.tenant_id, site.id, during_deployment(kind), Some(deployment_id))
            .await
            .map_err(db)?;
        Ok(())
    }

    /// A change of an existing site (update, redeploy, delete), idempotent by key.
    async fn change_site(
        &self,
        principal: &Principal,
        site_id: Uuid,
        key: &str,
        kind: DeploymentKind,
        apply: impl FnOnce(&mut SiteRow) -> bool,
    ) -> Result<(pb::Site, Option<pb::Deployment>), ApiError> {
        let scope = principal.scope_for(None)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let mut site =
            store::site(&mut tx, site_id, true).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "site" })?;
        let tenant_id = site.tenant_id;
        if let Some((_, _, deployment_id)) = store::change_by_key(&mut tx, tenant_id, key).await.map_err(db)? {
            let deployment = match deployment_id {
                Some(id) => {
                    queue::deployment(&mut tx, tenant_id, id).await.map_err(db)?.map(|d| deployment_to_proto(&d))
                }
                None => None,
            };
            return Ok((site_to_proto(&site), deployment));
        }
        if site.status == SiteStatus::Deleted || (site.status == SiteStatus::Deleting && kind != DeploymentKind::Delete)
        {
            return Err(ApiError::FailedPrecondition {
                reason: "SITE_DELETED",
                message: format!("site is {}", site.status.as_str()),
            });
        }
        let infrastructure_changed = apply(&mut site);
        store::update_config(&mut tx, &site).await.map_err(db)?;
        if !infrastructure_changed {
            store::record_change(&mut tx, tenant_id, key, "update", site_id, None).await.map_err(db)?;
            let site = store::site(&mut tx, site_id, false)
                .await
                .map_err(db)?
                .ok_or(ApiError::NotFound { resource: "site" })?;
            tx.commit().await.map_err(db)?;
            return Ok((site_to_proto(&site), None));
        }
        let deployment_id = Uuid::now_v7();
        if kind != DeploymentKind::Delete {
            self.reserve(ReserveQuotaRequest {
                customer_id: tenant_id.to_string(),
                resource: QuotaResource::Deployment as i32,
                reservation_key: format!("deployment:{deployment_id}"),
                ..Default::default()
            })
            .await?;
        }
        let started = async {
            self.start_deployment(&mut tx, &site, kind, deployment_id).await?;
            store::record_change(&mut tx, tenant_id, key, kind_name(kind), site_id, Some(deployment_id))
                .await
                .map_err(db)?;
            let site = store::site(&mut tx, site_id, false)
                .await
                .map_err(db)?
                .ok_or(ApiError::NotFound { resource: "site" })?;
            let deployment = queue::deployment(&mut tx, tenant_id, deployment_id).await.map_err(db)?;
            Ok::<_, ApiError>((site, deployment))
        }
        .await;
        match started {
            Ok((site, deployment)) => {
                tx.commit().await.map_err(db)?;
                Ok((site_to_proto(&site), deployment.map(|d| deployment_to_proto(&d))))
            }
            Err(error) => {
                drop(tx);
                if kind != DeploymentKind::Delete {
                    self.release(tenant_id, QuotaResource::Deployment, format!("deployment:{deployment_id}")).await;
                }
                Err(error)
            }
        }
    }
}

/// What `GetFleetSummary` answers for a validated request: sites per status, the
/// window's deployments per status and its latest failures with their sites' names,
/// all read in one read-only snapshot of `scope`, so the figures agree with each
/// other. Public so the bench measures this very code.
pub async fn fleet_summary(
    database: &Database,
    scope: Scope,
    since: DateTime<Utc>,
    failures_limit: i64,
) -> Result<pb::GetFleetSummaryResponse, ApiError> {
    let mut tx = database.begin_read_only(scope).await.map_err(db)?;
    let sites = store::count_live_sites(&mut tx).await.map_err(db)?;
    let deployments = queue::count_deployments_since(&mut tx, since).await.map_err(db)?;
    let failures = queue::recent_failures(&mut tx, since, failures_limit).await.map_err(db)?;
    let failed_sites: Vec<(Uuid, Uuid)> = failures.iter().map(|d| (d.tenant_id, d.site_id)).collect();
    let names = store::site_names(&mut tx, &failed_sites).await.map_err(db)?;

    // Every status gets an entry, zeros included, so a dashboard never has to fill gaps.
    fn count<S: PartialEq>(counts: &[(S, i64)], status: &S) -> i64 {
        counts.iter().find(|(counted, _)| counted == status).map_or(0, |(_, n)| *n)
    }
    let site_counts: Vec<pb::SiteStatusCount> = SiteStatus::ALL
        .into_iter()
        .filter(|status| *status != SiteStatus::Deleted)
        .map(|status| pb::SiteStatusCount { status: status_to_proto(status) as i32, count: count(&sites, &status) })
        .collect();
    Ok(pb::GetFleetSummaryResponse {
        total_sites: site_counts.iter().map(|c| c.count).sum(),
        site_counts,
        since: Some(timestamp(since)),
        deployment_counts: DeploymentStatus::ALL
            .into_iter()
            .map(|status| pb::DeploymentStatusCount {
                status: deployment_status_to_proto(status) as i32,
                count: count(&deployments, &status),
            })
            .collect(),
        recent_failures: failures
            .iter()
            .map(|d| pb::FailedDeployment {
                deployment: Some(deployment_to_proto(d)),
                site_name: names.get(&d.site_id).cloned().unwrap_or_default(),
            })
            .collect(),
    })
}

fn kind_name(kind: DeploymentKind) -> &'static str {
    match kind {
        DeploymentKind::Create => "create",
        DeploymentKind::Update => "update",
        DeploymentKind::Redeploy => "redeploy",
        DeploymentKind::Delete => "delete",
    }
}

type WatchStream = Pin<Box<dyn Stream<Item = Result<pb::WatchDeploymentResponse, Status>> + Send>>;

#[tonic::async_trait]
impl SiteService for SitesApi {
    async fn create_site(
        &self,
        request: Request<pb::CreateSiteRequest>,
    ) -> Result<Response<pb::CreateSiteResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
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
        let config = validate_config(
            input.size,
            input.database_enabled,
            input.storage_enabled,
            input.runtime.as_ref(),
            &input.labels,
            &mut violations,
        );
        let customer = optional_customer(&input.customer_id, &mut violations);
        if principal.is_platform() && customer.is_none() && input.customer_id.is_empty() {
            violations.push(FieldViolation::new("customer_id", "platform roles must name the customer"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let (Some(name), Some(provider), Some(config)) = (name, provider, config) else {
            return Err(ApiError::internal(anyhow::anyhow!("validated input missing")).into());
        };
        let scope = principal.scope_for(customer)?;
        let Scope::Tenant(TenantId(tenant_id)) = scope else {
            return Err(ApiError::invalid("customer_id", "platform roles must name the customer").into());
        };

        // A retry returns what the first call made.
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        if let Some((_, site_id, deployment_id)) =
            store::change_by_key(&mut tx, tenant_id, &input.idempotency_key).await.map_err(db)?
        {
            let site = store::site(&mut tx, site_id, false)
                .await
                .map_err(db)?
                .ok_or(ApiError::NotFound { resource: "site" })?;
            let deployment = match deployment_id {
                Some(id) => {
                    queue::deployment(&mut tx, tenant_id, id).await.map_err(db)?.map(|d| deployment_to_proto(&d))
                }
                None => None,
            };
            return Ok(Response::new(pb::CreateSiteResponse { site: Some(site_to_proto(&site)), deployment }));
        }
        drop(tx);

        let site_id = Uuid::now_v7();
        let deployment_id = Uuid::now_v7();
        self.reserve(ReserveQuotaRequest {
            customer_id: tenant_id.to_string(),
            resource: QuotaResource::Site as i32,
            reservation_key: site_quota_key(site_id),
            provider: input.provider,
            region: input.region.clone(),
        })
        .await?;
        let deployment_reserved = self
            .reserve(ReserveQuotaRequest {
                customer_id: tenant_id.to_string(),
                resource: QuotaResource::Deployment as i32,
                reservation_key: format!("deployment:{deployment_id}"),
                ..Default::default()
            })
            .await;
        if let Err(error) = deployment_reserved {
            self.release(tenant_id, QuotaResource::Site, site_quota_key(site_id)).await;
            return Err(error.into());
        }

        let now = self.0.clock.now();
        let site = SiteRow {
            tenant_id,
            id: site_id,
            name: name.as_str().to_string(),
            provider: provider.as_str().to_string(),
            region: input.region.clone(),
            size: config.size.to_string(),
            database_enabled: config.database_enabled,
            storage_enabled: config.storage_enabled,
            runtime: serde_json::to_value(&config.runtime).map_err(ApiError::internal)?,
            labels: serde_json::to_value(&config.labels).map_err(ApiError::internal)?,
            status: SiteStatus::Pending,
            sandbox: self.0.sandbox,
            outputs: serde_json::json!({}),
            active_deployment_id: None,
            create_time: now,
            update_time: now,
            delete_time: None,
        };
        let written = async {
            let mut tx = self.0.database.begin(scope).await.map_err(db)?;
            match store::insert_site(&mut tx, &site).await {
                Ok(()) => {}
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
                    return Err(ApiError::AlreadyExists { resource: "site with this name" });
                }
                Err(e) => return Err(db(e)),
            }
            self.start_deployment(&mut tx, &site, DeploymentKind::Create, deployment_id).await?;
            match store::record_change(
                &mut tx,
                tenant_id,
                &input.idempotency_key,
                "create",
                site_id,
                Some(deployment_id),
            )
            .await
            {
                Ok(()) => {}
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
                    return Err(ApiError::Unavailable(
                        "site creation (a request with this idempotency key is in progress, retry)",
                    ));
                }
                Err(e) => return Err(db(e)),
            }
            let stored = store::site(&mut tx, site_id, false)
                .await
                .map_err(db)?
                .ok_or(ApiError::NotFound { resource: "site" })?;
            let deployment = queue::deployment(&mut tx, tenant_id, deployment_id).await.map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok((stored, deployment))
        }
        .await;
        match written {
            Ok((stored, deployment)) => {
                tracing::info!(site_id = %site_id, customer_id = %tenant_id, by = %principal.id(), "site created");
                Ok(Response::new(pb::CreateSiteResponse {
                    site: Some(site_to_proto(&stored)),
                    deployment: deployment.map(|d| deployment_to_proto(&d)),
                }))
            }
            Err(error) => {
                self.release(tenant_id, QuotaResource::Site, site_quota_key(site_id)).await;
                self.release(tenant_id, QuotaResource::Deployment, format!("deployment:{deployment_id}")).await;
                Err(error.into())
            }
        }
    }

    async fn get_site(&self, request: Request<pb::GetSiteRequest>) -> Result<Response<pb::GetSiteResponse>, Status> {
        let principal = principal(&request)?;
        let site_id = required_id("site_id", &request.get_ref().site_id)?;
        let mut tx = self.0.database.begin(principal.scope_for(None)?).await.map_err(db)?;
        let site =
            store::site(&mut tx, site_id, false).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "site" })?;
        Ok(Response::new(pb::GetSiteResponse { site: Some(site_to_proto(&site)) }))
    }

    async fn list_sites(
        &self,
        request: Request<pb::ListSitesRequest>,
    ) -> Result<Response<pb::ListSitesResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
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
            return Err(ApiError::InvalidArgument(violations).into());
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
        let mut tx = self.0.database.begin(principal.scope_for(customer)?).await.map_err(db)?;
        let mut rows = store::list_sites(&mut tx, &filter).await.map_err(db)?;
        let next = finish_page(&mut rows, limit, |r| PageCursor { time: r.create_time, id: r.id });
        Ok(Response::new(pb::ListSitesResponse {
            sites: rows.iter().map(site_to_proto).collect(),
            page: Some(PageResponse { next_page_token: next, total_size: -1 }),
        }))
    }

    async fn update_site(
        &self,
        request: Request<pb::UpdateSiteRequest>,
    ) -> Result<Response<pb::UpdateSiteResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let mut violations = Vec::new();
        idempotency_key(&input.idempotency_key, &mut violations);
        let site_id = required_id("site_id", &input.site_id);
        let config = validate_config(
            input.size,
            input.database_enabled,
            input.storage_enabled,
            input.runtime.as_ref(),
            &input.labels,
            &mut violations,
        );
        if let Err(ApiError::InvalidArgument(v)) = &site_id {
            violations.extend(v.clone());
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let (Ok(site_id), Some(config)) = (site_id, config) else {
            return Err(ApiError::internal(anyhow::anyhow!("validated input missing")).into());
        };
        let runtime = serde_json::to_value(&config.runtime).map_err(ApiError::internal)?;
        let labels = serde_json::to_value(&config.labels).map_err(ApiError::internal)?;
        let (site, deployment) = self
            .change_site(&principal, site_id, &input.idempotency_key, DeploymentKind::Update, |site| {
                let changed = site.size != config.size
                    || site.database_enabled != config.database_enabled
                    || site.storage_enabled != config.storage_enabled
                    || site.runtime != runtime;
                site.size = config.size.to_string();
                site.database_enabled = config.database_enabled;
                site.storage_enabled = config.storage_enabled;
                site.runtime = runtime;
                site.labels = labels;
                changed
            })
            .await?;
        Ok(Response::new(pb::UpdateSiteResponse { site: Some(site), deployment }))
    }

    async fn delete_site(
        &self,
        request: Request<pb::DeleteSiteRequest>,
    ) -> Result<Response<pb::DeleteSiteResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let site_id = change_target(&input.site_id, &input.idempotency_key)?;
        let (site, deployment) =
            self.change_site(&principal, site_id, &input.idempotency_key, DeploymentKind::Delete, |_| true).await?;
        Ok(Response::new(pb::DeleteSiteResponse { site: Some(site), deployment }))
    }

    async fn redeploy_site(
        &self,
        request: Request<pb::RedeploySiteRequest>,
    ) -> Result<Response<pb::RedeploySiteResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let site_id = change_target(&input.site_id, &input.idempotency_key)?;
        let (site, deployment) = self
            // Always a deployment; a site with one in progress is refused by the queue.
            .change_site(&principal, site_id, &input.idempotency_key, DeploymentKind::Redeploy, |_| true)
            .await?;
        Ok(Response::new(pb::RedeploySiteResponse { site: Some(site), deployment }))
    }

    async fn list_deployments(
        &self,
        request: Request<pb::ListDeploymentsRequest>,
    ) -> Result<Response<pb::ListDeploymentsResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let site_id = required_id("site_id", &input.site_id)?;
        let page = input.page.unwrap_or_default();
        let limit = page_size(page.page_size)?;
        let cursor = PageCursor::decode(&page.page_token)?;
        let mut tx = self.0.database.begin(principal.scope_for(None)?).await.map_err(db)?;
        let site =
            store::site(&mut tx, site_id, false).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "site" })?;
        let mut rows =
            queue::list_deployments(&mut tx, site.tenant_id, site_id, cursor.map(|c| (c.time, c.id)), limit + 1)
                .await
                .map_err(db)?;
        let next = finish_page(&mut rows, limit, |r| PageCursor { time: r.create_time, id: r.id });
        Ok(Response::new(pb::ListDeploymentsResponse {
            deployments: rows.iter().map(deployment_to_proto).collect(),
            page: Some(PageResponse { next_page_token: next, total_size: -1 }),
        }))
    }

    async fn get_deployment(
        &self,
        request: Request<pb::GetDeploymentRequest>,
    ) -> Result<Response<pb::GetDeploymentResponse>, Status> {
        let principal = principal(&request)?;
        let id = required_id("deployment_id", &request.get_ref().deployment_id)?;
        let deployment = self.visible_deployment(&principal, id).await?;
        Ok(Response::new(pb::GetDeploymentResponse { deployment: Some(deployment_to_proto(&deployment)) }))
    }

    type WatchDeploymentStream = WatchStream;

    async fn watch_deployment(
        &self,
        request: Request<pb::WatchDeploymentRequest>,
    ) -> Result<Response<Self::WatchDeploymentStream>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let id = required_id("deployment_id", &input.deployment_id)?;
        if input.after_seq < 0 {
            return Err(ApiError::invalid("after_seq", "must not be negative").into());
        }
        let deployment = self.visible_deployment(&principal, id).await?;
        let scope = principal.scope_for(None)?;
        let (tx, rx) = mpsc::channel(64);
        let sites = self.0.clone();
        let mut wake = sites.events.subscribe();
        tokio::spawn(async move {
            let mut after = input.after_seq;
            loop {
                let batch = async {
                    let mut db_tx = sites.database.begin(scope).await?;
                    let events = queue::events_after(&mut db_tx, deployment.tenant_id, id, after, 200).await?;
                    let current = queue::deployment(&mut db_tx, deployment.tenant_id, id).await?;
                    Ok::<_, sqlx::Error>((events, current))
                }
                .await;
                let (events, current) = match batch {
                    Ok(found) => found,
                    Err(error) => {
                        let _ = tx.send(Err(Status::from(db(error)))).await;
                        return;
                    }
                };
                let caught_up = events.len() < 200;
                for event in &events {
                    after = event.seq;
                    let message = pb::WatchDeploymentResponse { event: Some(event_to_proto(event)) };
                    if tx.send(Ok(message)).await.is_err() {
                        return; // the watcher went away
                    }
                }
                let finished = current.is_none_or(|d| {
                    matches!(
                        d.status,
                        DeploymentStatus::Succeeded | DeploymentStatus::Failed | DeploymentStatus::Cancelled
                    )
                });
                if finished && caught_up {
                    // One more read closes the race between the last event and the status.
                    if let Ok(mut db_tx) = sites.database.begin(scope).await
                        && let Ok(late) = queue::events_after(&mut db_tx, deployment.tenant_id, id, after, 200).await
                    {
                        for event in &late {
                            if tx
                                .send(Ok(pb::WatchDeploymentResponse { event: Some(event_to_proto(event)) }))
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                    }
                    return;
                }
                if caught_up {
                    // Sleep until this deployment has news, the watcher leaves, or a
                    // second passes (notifications are a hint; the read is the truth).
                    let wait = async {
                        loop {
                            match wake.recv().await {
                                Ok(woken) if woken == id => return,
                                Ok(_) => continue,
                                Err(broadcast_error) => {
                                    if matches!(broadcast_error, tokio::sync::broadcast::error::RecvError::Closed) {
                                        tokio::time::sleep(Duration::from_secs(1)).await;
                                    }
                                    return;
                                }
                            }
                        }
                    };
                    tokio::select! {
                        _ = wait => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                        _ = tx.closed() => return,
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn cancel_deployment(
        &self,
        request: Request<pb::CancelDeploymentRequest>,
    ) -> Result<Response<pb::CancelDeploymentResponse>, Status> {
        let principal = principal(&request)?;
        let id = required_id("deployment_id", &request.get_ref().deployment_id)?;
        let deployment = self.visible_deployment(&principal, id).await?;
        let mut tx = self.0.database.begin(principal.scope_for(None)?).await.map_err(db)?;
        queue::request_cancel(&mut tx, deployment.tenant_id, id).await.map_err(db)?;
        let updated = queue::deployment(&mut tx, deployment.tenant_id, id)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "deployment" })?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::CancelDeploymentResponse { deployment: Some(deployment_to_proto(&updated)) }))
    }

    async fn get_fleet_summary(
        &self,
        request: Request<pb::GetFleetSummaryRequest>,
    ) -> Result<Response<pb::GetFleetSummaryResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let mut violations = Vec::new();
        let customer = optional_customer(&input.customer_id, &mut violations);
        let since = input.since.as_ref().and_then(|since| {
            let parsed = time_from_proto(since);
            if parsed.is_none() {
                violations.push(FieldViolation::new("since", "must be a valid timestamp"));
            }
            parsed
        });
        let since = fleet::window_start(since, self.0.clock.now(), &mut violations);
        let limit = fleet::failures_limit(input.recent_failures_limit, &mut violations);
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let summary = fleet_summary(&self.0.database, principal.scope_for(customer)?, since, limit).await?;
        Ok(Response::new(summary))
    }

    async fn list_regions(
        &self,
        request: Request<pb::ListRegionsRequest>,
    ) -> Result<Response<pb::ListRegionsResponse>, Status> {
        let wanted = match request.get_ref().provider {
            0 => None,
            raw => Some(
                CloudProvider::from_proto_number(raw)
                    .ok_or_else(|| ApiError::invalid("provider", "is not a known provider"))?,
            ),
        };
        let mut regions = Vec::new();
        for (provider, codes) in catalogue::regions() {
            let Ok(parsed) = provider.parse::<CloudProvider>() else { continue };
            if wanted.is_some_and(|w| w != parsed) {
                continue;
            }
            for (code, display_name) in codes {
                regions.push(pb::Region {
                    provider: CloudProvider::proto_from_name(provider) as i32,
                    code: code.clone(),
                    display_name: display_name.clone(),
                });
            }
        }
        Ok(Response::new(pb::ListRegionsResponse { regions }))
    }
}

impl SitesApi {
    /// A deployment the principal may see, or NOT_FOUND (also for other tenants').
    async fn visible_deployment(&self, principal: &Principal, id: Uuid) -> Result<DeploymentRow, ApiError> {
        let scope = principal.scope_for(None)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let tenant = match scope {
            Scope::Tenant(TenantId(tenant)) => Some(tenant),
            _ => None,
        };
        let found = match tenant {
            Some(tenant) => queue::deployment(&mut tx, tenant, id).await.map_err(db)?,
            None => queue::deployment_any_tenant(&mut tx, id).await.map_err(db)?,
        };
        found.ok_or(ApiError::NotFound { resource: "deployment" })
    }
}
