//! The sites service: sites, their deployments and live progress.
//!
//! A site change writes the site row and, through `canopy-deployments`, the
//! deployment and its queued run in one transaction. The provisioner's workers run
//! it; this service follows finished deployments back onto their sites
//! ([`follow_outcomes`]), streams progress to watchers from one shared LISTEN
//! connection, and purges deleted sites after the retention window.
//!
//! Reading order: this file → [`api`] → [`domain`] → [`store`].

pub mod api;
pub mod domain;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use canopy_deployments::queue;
use canopy_kit::clock::SharedClock;
use canopy_kit::db::{Database, Scope};
use canopy_kit::events::{self, CanopyEvent, Severity};
use canopy_kit::manifest::{Built, Job, Scaling, Schema, ServiceManifest};
use canopy_kit::peers::Peers;
use canopy_kit::server::ServiceContext;
use canopy_sdk::proto::canopy::sites::v1::site_directory_service_server::SiteDirectoryServiceServer;
use canopy_sdk::proto::canopy::sites::v1::site_service_server::SiteServiceServer;
use canopy_sdk::proto::canopy::tenancy::v1::QuotaResource;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use tokio::sync::broadcast;
use tonic::service::Routes;
use uuid::Uuid;

use crate::domain::lifecycle::{SiteStatus, after_deployment};

static MIGRATIONS: Migrator = sqlx::migrate!("../../migrations/sites");

/// How canopyd, the generators and tests know the service.
pub const MANIFEST: ServiceManifest = ServiceManifest {
    name: "sites",
    schema: Some(Schema { name: "sites", migrator: &MIGRATIONS }),
    // Failed deployments and sites are published as events for alerting.
    calls: &["canopy.tenancy.v1.QuotaService", canopy_kit::events::EVENT_SINK],
    // A site change writes its deployment and run into the provisioner's queue in
    // the same transaction, so that schema must exist first.
    after: &["provisioner"],
    jobs: &["deployment-events", "deployment-outcomes", "purge-deleted-sites"],
    build,
    dev_seed: None,
    scaling: Scaling::API,
    seals_secrets: false,
};

/// `[services.sites]` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SitesConfig {
    /// How long a deleted site's metadata is kept before the purge job removes it.
    pub retention_days: i64,
    /// How often the purge job runs.
    pub purge_interval_secs: u64,
}

impl Default for SitesConfig {
    fn default() -> Self {
        Self { retention_days: 90, purge_interval_secs: 3600 }
    }
}

/// Which executor the provisioner uses decides whether new sites are sandbox sites;
/// read from the provisioner's own section so the two never disagree.
#[derive(Debug, Default, Deserialize)]
struct ProvisionerExecutor {
    #[serde(default)]
    executor: Option<String>,
}

/// State the handlers share.
pub struct Sites {
    pub database: Database,
    pub peers: Peers,
    pub config: SitesConfig,
    pub clock: SharedClock,
    pub sandbox: bool,
    /// Deployment ids with new events, from the shared LISTEN connection.
    pub events: broadcast::Sender<Uuid>,
}

fn build(context: ServiceContext) -> BoxFuture<'static, anyhow::Result<Built>> {
    async move {
        let config: SitesConfig = context.config.section("sites")?;
        if config.retention_days < 0 {
            anyhow::bail!("services.sites.retention_days must not be negative");
        }
        let executor = context
            .config
            .services
            .get("provisioner")
            .and_then(|v| serde_json::from_value::<ProvisionerExecutor>(v.clone()).ok())
            .and_then(|p| p.executor)
            .unwrap_or_else(|| "sandbox".into());
        let database = context.database.clone().ok_or_else(|| anyhow::anyhow!("sites needs its database"))?;
        let (events, _) = broadcast::channel(1024);
        let sites = Arc::new(Sites {
            database,
            peers: context.peers.clone(),
            config,
            clock: context.clock.clone(),
            sandbox: executor == "sandbox",
            events,
        });
        let job = |name, run: fn(Arc<Sites>) -> BoxFuture<'static, ()>| {
            let sites = sites.clone();
            Job::new(name, move |stop| async move { stop.run_until_cancelled(run(sites)).await.unwrap_or(()) })
        };
        let jobs = vec![
            job("deployment-events", |sites| listen_for_events(sites).boxed()),
            job("deployment-outcomes", |sites| follow_outcomes_forever(sites).boxed()),
            job("purge-deleted-sites", |sites| purge_forever(sites).boxed()),
        ];
        let routes = Routes::builder()
            .routes()
            .add_service(SiteServiceServer::from_arc(Arc::new(api::SitesApi(sites.clone()))))
            .add_service(SiteDirectoryServiceServer::from_arc(Arc::new(api::directory::SiteDirectoryApi(sites))));
        Ok(Built { routes, jobs })
    }
    .boxed()
}

/// One LISTEN connection per process, fanned out to every watcher and to the
/// outcome follower. Reconnects after errors; watchers also poll, so a missed
/// notification only delays, never loses, an event.
async fn listen_for_events(sites: Arc<Sites>) {
    loop {
        let listener = async {
            let mut listener = sqlx::postgres::PgListener::connect_with(&sites.database.app).await?;
            listener.listen(queue::EVENTS_CHANNEL).await?;
            loop {
                let notification = listener.recv().await?;
                if let Ok(id) = notification.payload().parse::<Uuid>() {
                    let _ = sites.events.send(id);
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), sqlx::Error>(())
        };
        if let Err(error) = listener.await {
            tracing::warn!(error = %error, "deployment event listener failed; reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn follow_outcomes_forever(sites: Arc<Sites>) {
    let mut wake = sites.events.subscribe();
    loop {
        if let Err(error) = follow_outcomes(&sites).await {
            tracing::warn!(error = %error, "applying deployment outcomes failed; retrying");
        }
        let _ = tokio::time::timeout(Duration::from_millis(500), wake.recv()).await;
    }
}

/// Applies finished deployments to their sites (status, outputs), and gives a
/// deleted site's quota back. Returns how many were applied. The outcomes stay
/// locked (`SKIP LOCKED`) until the transaction that applies them commits, so
/// several replicas never apply one twice.
pub async fn follow_outcomes(sites: &Sites) -> Result<usize, sqlx::Error> {
    // A system pass across tenants: outcomes are applied for everyone.
    let mut tx = sites.database.begin(Scope::Platform).await?;
    let outcomes = queue::unapplied_outcomes(&mut tx, 50).await?;
    let mut deleted = Vec::new();
    for deployment in &outcomes {
        let status = after_deployment(deployment.kind, deployment.status);
        let outputs = (deployment.status == queue::DeploymentStatus::Succeeded
            && deployment.outputs.as_object().is_some_and(|o| !o.is_empty())
            && status != SiteStatus::Deleted)
            .then_some(&deployment.outputs);
        store::apply_outcome(
            &mut tx,
            deployment.tenant_id,
            deployment.site_id,
            deployment.id,
            status,
            outputs,
            sites.clock.now(),
        )
        .await?;
        queue::mark_outcome_applied(&mut tx, deployment.tenant_id, deployment.id).await?;
        for event in outcome_events(deployment, status, sites.clock.now()) {
            events::publish(&mut tx, MANIFEST.name, &event).await?;
        }
        if status == SiteStatus::Deleted {
            deleted.push((deployment.tenant_id, deployment.site_id));
        }
        tracing::info!(site_id = %deployment.site_id, deployment_id = %deployment.id, status = status.as_str(), "site follows deployment");
    }
    tx.commit().await?;
    // The delete saga's last step: the site is gone, so is its slot.
    for (tenant_id, site_id) in deleted {
        api::saga::release(sites, tenant_id, QuotaResource::Site, api::saga::site_key(site_id)).await;
    }
    Ok(outcomes.len())
}

/// What a finished deployment tells alerting: a failed deployment (a warning), and
/// the site's health — failed (critical), or fine again after a success (resolving
/// an earlier `site_failed`).
fn outcome_events(
    deployment: &queue::DeploymentRow,
    site: SiteStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<CanopyEvent> {
    let site_event = |severity, summary: String| {
        CanopyEvent::new("site_failed", severity, summary, now)
            .tenant(deployment.tenant_id)
            .label("site_id", deployment.site_id)
    };
    match (deployment.status, site) {
        (queue::DeploymentStatus::Failed, _) => {
            let error = deployment.error.chars().take(200).collect::<String>();
            let failed = CanopyEvent::new(
                "deployment_failed",
                Severity::Warning,
                format!("a {} deployment failed: {error}", deployment.kind.as_str()),
                now,
            )
            .tenant(deployment.tenant_id)
            .label("site_id", deployment.site_id)
            .label("deployment_id", deployment.id)
            .label("deployment_kind", deployment.kind.as_str());
            let mut events = vec![failed];
            if site == SiteStatus::Failed {
                events.push(site_event(Severity::Critical, format!("site {} failed", deployment.site_id)));
            }
            events
        }
        (queue::DeploymentStatus::Succeeded, SiteStatus::Active) => {
            vec![site_event(Severity::Info, format!("site {} is active", deployment.site_id)).resolved()]
        }
        _ => Vec::new(),
    }
}

async fn purge_forever(sites: Arc<Sites>) {
    loop {
        tokio::time::sleep(Duration::from_secs(sites.config.purge_interval_secs.max(1))).await;
        match purge_expired(&sites).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "purged deleted sites past retention"),
            Err(error) => tracing::warn!(error = %error, "site purge failed"),
        }
    }
}

/// Removes sites deleted more than the retention window ago, with their deployment
/// history. Returns how many sites were purged.
pub async fn purge_expired(sites: &Sites) -> Result<usize, sqlx::Error> {
    purge_deleted_before(&sites.database, sites.clock.now(), sites.config.retention_days).await
}

/// The purge with time and window given (the job above, and tests that move time).
pub async fn purge_deleted_before(
    database: &Database,
    now: chrono::DateTime<chrono::Utc>,
    retention_days: i64,
) -> Result<usize, sqlx::Error> {
    let cutoff = now - chrono::Duration::days(retention_days);
    // A system job across tenants.
    let mut tx = database.begin(Scope::Platform).await?;
    let purged = store::purge_deleted(&mut tx, cutoff).await?;
    queue::purge_deleted_site_history(&mut tx, &purged).await?;
    tx.commit().await?;
    Ok(purged.len())
}
