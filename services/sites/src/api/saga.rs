//! Quota across the service boundary. Tenancy holds the quota (a site slot per site,
//! a deployment per month), outside our transaction, so a change is a small saga:
//! reserve in tenancy first, then write the site change; when the write fails, give
//! back what was reserved (the compensation). A refused reservation gives back the
//! ones before it, so a change never leaves quota held for nothing.
//!
//! Creating a site reserves its slot and its first deployment; updating and
//! redeploying reserve a deployment. Deleting reserves nothing: its last step, once
//! the destroy deployment has succeeded, gives the slot back, and that step is run by
//! the outcome follower ([`crate::follow_outcomes`]) through the same [`release`].
//! Releasing is best effort: a failure is logged, and tenancy's reservation stays
//! until an operator releases it.

use canopy_kit::ApiError;
use canopy_sdk::proto::canopy::tenancy::v1::quota_service_client::QuotaServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::{QuotaResource, ReleaseQuotaRequest, ReserveQuotaRequest};
use canopy_terraform::CloudProvider;
use uuid::Uuid;

use crate::Sites;

/// The reservation key of a site's slot.
pub fn site_key(site_id: Uuid) -> String {
    format!("site:{site_id}")
}

/// The reservation key of one deployment.
pub fn deployment_key(deployment_id: Uuid) -> String {
    format!("deployment:{deployment_id}")
}

/// Quota one change holds in tenancy until its transaction commits ([`Self::keep`])
/// or fails ([`Self::undo`]).
#[must_use = "reserved quota is kept or undone"]
pub struct Reservations<'a> {
    sites: &'a Sites,
    tenant_id: Uuid,
    /// What was reserved, in order, so `undo` gives it back in the same order.
    held: Vec<(QuotaResource, String)>,
}

impl<'a> Reservations<'a> {
    /// Nothing reserved yet for `tenant_id`.
    pub fn new(sites: &'a Sites, tenant_id: Uuid) -> Self {
        Self { sites, tenant_id, held: Vec::new() }
    }

    /// Reserves the slot of a new site; tenancy checks the plan's limits for the
    /// provider and region too.
    pub async fn site(&mut self, site_id: Uuid, provider: CloudProvider, region: &str) -> Result<(), ApiError> {
        let request = ReserveQuotaRequest {
            customer_id: self.tenant_id.to_string(),
            resource: QuotaResource::Site as i32,
            reservation_key: site_key(site_id),
            provider: provider.to_proto() as i32,
            region: region.to_string(),
        };
        self.reserve(QuotaResource::Site, request).await
    }

    /// Reserves one of this month's deployments.
    pub async fn deployment(&mut self, deployment_id: Uuid) -> Result<(), ApiError> {
        let request = ReserveQuotaRequest {
            customer_id: self.tenant_id.to_string(),
            resource: QuotaResource::Deployment as i32,
            reservation_key: deployment_key(deployment_id),
            ..Default::default()
        };
        self.reserve(QuotaResource::Deployment, request).await
    }

    /// Reserves through tenancy as the sites workload; a refusal gives back what
    /// this change held before and is returned as tenancy gave it.
    async fn reserve(&mut self, resource: QuotaResource, request: ReserveQuotaRequest) -> Result<(), ApiError> {
        let key = request.reservation_key.clone();
        let reserved = async {
            let channel = self.sites.peers.channel("tenancy").await?;
            QuotaServiceClient::new(channel)
                .reserve_quota(request)
                .await
                .map(|_| ())
                .map_err(|status| ApiError::from_peer("tenancy", status))
        }
        .await;
        match reserved {
            Ok(()) => {
                self.held.push((resource, key));
                Ok(())
            }
            Err(error) => {
                self.give_back().await;
                Err(error)
            }
        }
    }

    /// The change committed: the quota stays used.
    pub fn keep(self) {}

    /// The change failed: gives back everything held, in the order it was reserved.
    pub async fn undo(mut self) {
        self.give_back().await;
    }

    async fn give_back(&mut self) {
        for (resource, key) in std::mem::take(&mut self.held) {
            release(self.sites, self.tenant_id, resource, key).await;
        }
    }
}

/// Gives back one reservation (best effort: a failure is logged).
pub async fn release(sites: &Sites, tenant_id: Uuid, resource: QuotaResource, reservation_key: String) {
    let Ok(channel) = sites.peers.channel("tenancy").await else { return };
    let request =
        ReleaseQuotaRequest { customer_id: tenant_id.to_string(), resource: resource as i32, reservation_key };
    let key = request.reservation_key.clone();
    if let Err(status) = QuotaServiceClient::new(channel).release_quota(request).await {
        tracing::warn!(customer_id = %tenant_id, reservation_key = %key, error = %status.message(), "releasing quota failed");
    }
}
