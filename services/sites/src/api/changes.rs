//! Site changes — create, update, redeploy, delete — each idempotent by its key and
//! written in one transaction: the site row, the change's idempotency record and,
//! through `canopy-deployments`' queue, the deployment and its queued run commit
//! together. Quota is reserved before the transaction and given back when it fails
//! ([`super::saga`]). A retry with a key already recorded answers what the first call
//! made, without reserving or writing anything.

use canopy_deployments::queue::{self, DeploymentKind, EnqueueError, NewDeployment};
use canopy_kit::ApiError;
use canopy_kit::auth::Principal;
use canopy_kit::db::Scope;
use canopy_sdk::proto::canopy::sites::v1 as pb;
use canopy_terraform::{CloudProvider, SiteRuntime, SiteVariables};
use sqlx::PgConnection;
use uuid::Uuid;

use super::convert::{ChangeTarget, NewSite, deployment_to_proto, new_site_row, site_to_proto, string_map};
use super::saga::Reservations;
use super::{SitesApi, db};
use crate::domain::lifecycle::{SiteStatus, during_deployment};
use crate::store::{self, SiteRow};

/// A site and the deployment its change started, if any, as the API answers them.
pub type Changed = (pb::Site, Option<pb::Deployment>);

/// Maps a statement's error through [`db`], except that a unique conflict means
/// `conflict` here rather than "site already exists".
fn db_or_conflict(conflict: ApiError) -> impl FnOnce(sqlx::Error) -> ApiError {
    move |error| match db(error) {
        ApiError::AlreadyExists { .. } => conflict,
        other => other,
    }
}

/// The deployment a recorded change started, for answering a retry.
async fn recorded_deployment(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    deployment_id: Option<Uuid>,
) -> Result<Option<pb::Deployment>, ApiError> {
    let Some(id) = deployment_id else { return Ok(None) };
    Ok(queue::deployment(tx, tenant_id, id).await.map_err(db)?.map(|d| deployment_to_proto(&d)))
}

impl SitesApi {
    /// Creates `new` for `tenant_id` (in `scope`, the caller's view of that tenant)
    /// with its first deployment.
    pub(super) async fn create(
        &self,
        principal: &Principal,
        scope: Scope,
        tenant_id: Uuid,
        new: &NewSite,
    ) -> Result<Changed, ApiError> {
        // A retry returns what the first call made.
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        if let Some((_, site_id, deployment_id)) =
            store::change_by_key(&mut tx, tenant_id, &new.idempotency_key).await.map_err(db)?
        {
            let site = store::site(&mut tx, site_id, false)
                .await
                .map_err(db)?
                .ok_or(ApiError::NotFound { resource: "site" })?;
            let deployment = recorded_deployment(&mut tx, tenant_id, deployment_id).await?;
            return Ok((site_to_proto(&site), deployment));
        }
        drop(tx);

        let site_id = Uuid::now_v7();
        let deployment_id = Uuid::now_v7();
        let site = new_site_row(new, tenant_id, site_id, self.0.sandbox, self.0.clock.now())?;
        let mut quota = Reservations::new(&self.0, tenant_id);
        quota.site(site_id, new.provider, &new.region).await?;
        quota.deployment(deployment_id).await?;
        let written = async {
            let mut tx = self.0.database.begin(scope).await.map_err(db)?;
            store::insert_site(&mut tx, &site)
                .await
                .map_err(db_or_conflict(ApiError::AlreadyExists { resource: "site with this name" }))?;
            self.start_deployment(&mut tx, &site, DeploymentKind::Create, deployment_id).await?;
            let kind = DeploymentKind::Create.as_str();
            store::record_change(&mut tx, tenant_id, &new.idempotency_key, kind, site_id, Some(deployment_id))
                .await
                // Another call with this key got there first and has not committed yet.
                .map_err(db_or_conflict(ApiError::Unavailable(
                    "site creation (a request with this idempotency key is in progress, retry)",
                )))?;
            let stored = store::site(&mut tx, site_id, false)
                .await
                .map_err(db)?
                .ok_or(ApiError::NotFound { resource: "site" })?;
            let deployment = queue::deployment(&mut tx, tenant_id, deployment_id).await.map_err(db)?;
            tx.commit().await.map_err(db)?;
            Ok::<_, ApiError>((stored, deployment))
        }
        .await;
        match written {
            Ok((stored, deployment)) => {
                quota.keep();
                tracing::info!(site_id = %site_id, customer_id = %tenant_id, by = %principal.id(), "site created");
                Ok((site_to_proto(&stored), deployment.map(|d| deployment_to_proto(&d))))
            }
            Err(error) => {
                quota.undo().await;
                Err(error)
            }
        }
    }

    /// A change of an existing site (update, redeploy, delete), idempotent by key.
    /// `apply` writes the change onto the locked row and says whether the
    /// infrastructure changes; when it does not, no deployment starts.
    pub(super) async fn change(
        &self,
        principal: &Principal,
        target: &ChangeTarget,
        kind: DeploymentKind,
        apply: impl FnOnce(&mut SiteRow) -> bool,
    ) -> Result<Changed, ApiError> {
        let (site_id, key) = (target.site_id, target.idempotency_key.as_str());
        let scope = principal.scope_for(None)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let mut site =
            store::site(&mut tx, site_id, true).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "site" })?;
        let tenant_id = site.tenant_id;
        if let Some((_, _, deployment_id)) = store::change_by_key(&mut tx, tenant_id, key).await.map_err(db)? {
            let deployment = recorded_deployment(&mut tx, tenant_id, deployment_id).await?;
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
            store::record_change(&mut tx, tenant_id, key, kind.as_str(), site_id, None).await.map_err(db)?;
            let site = store::site(&mut tx, site_id, false)
                .await
                .map_err(db)?
                .ok_or(ApiError::NotFound { resource: "site" })?;
            tx.commit().await.map_err(db)?;
            return Ok((site_to_proto(&site), None));
        }
        let deployment_id = Uuid::now_v7();
        let mut quota = Reservations::new(&self.0, tenant_id);
        // A delete gives quota back; it never needs a deployment of this month's.
        if kind != DeploymentKind::Delete {
            quota.deployment(deployment_id).await?;
        }
        let started = async {
            self.start_deployment(&mut tx, &site, kind, deployment_id).await?;
            store::record_change(&mut tx, tenant_id, key, kind.as_str(), site_id, Some(deployment_id))
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
            // A commit that fails leaves nothing written: the quota goes back too.
            Ok((site, deployment)) => match tx.commit().await {
                Ok(()) => {
                    quota.keep();
                    Ok((site_to_proto(&site), deployment.map(|d| deployment_to_proto(&d))))
                }
                Err(error) => {
                    quota.undo().await;
                    Err(db(error))
                }
            },
            Err(error) => {
                drop(tx);
                quota.undo().await;
                Err(error)
            }
        }
    }

    /// Starts a deployment of `kind` for a site already locked in `tx`.
    async fn start_deployment(
        &self,
        tx: &mut PgConnection,
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
            variables: variables(site)?,
            // Stored by the sites service itself, so always a string map.
            labels: serde_json::from_value(site.labels.clone()).unwrap_or_default(),
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
