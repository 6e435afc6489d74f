//! Whether a customer may act: suspended customers' users may at most read (or
//! nothing, as tenancy configures), deactivated customers' users nothing. Every
//! service enforces it for customer principals, asking tenancy with a short cache;
//! platform principals are never blocked (they are the ones who reactivate).

use std::sync::Arc;
use std::time::Duration;

use canopy_sdk::proto::canopy::tenancy::v1::quota_service_client::QuotaServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::{CustomerStatus, GetTenantAccessRequest};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use moka::future::Cache;

use crate::ApiError;
use crate::db::TenantId;
use crate::peers::Peers;

/// What tenancy says about a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantAccess {
    pub status: CustomerStatus,
    pub reason: String,
    pub read_only_when_suspended: bool,
}

/// `Ok(None)` when tenancy does not know the tenant (its users may do nothing); an
/// error when tenancy cannot answer, so the check fails closed.
pub type TenantAccessLookup =
    Arc<dyn Fn(TenantId) -> BoxFuture<'static, Result<Option<TenantAccess>, ApiError>> + Send + Sync>;

/// Most tenants whose state is kept; past it the least used are dropped first.
const MAX_CACHED_TENANTS: u64 = 100_000;

/// Caches tenancy's answers for a few seconds, so a suspension takes effect within
/// the cache period everywhere. Concurrent misses for one tenant make one lookup.
/// A failed lookup is not cached: the call is refused and the next one asks again.
pub struct TenantAccessGuard {
    lookup: TenantAccessLookup,
    /// Tenancy's answer by tenant (`None`: a tenant tenancy does not know).
    cache: Cache<TenantId, Option<TenantAccess>>,
}

impl TenantAccessGuard {
    pub fn new(lookup: TenantAccessLookup, ttl: Duration) -> Self {
        let cache = Cache::builder().max_capacity(MAX_CACHED_TENANTS).time_to_live(ttl).build();
        Self { lookup, cache }
    }

    /// Refuses the call when the customer's state does not allow it.
    pub async fn check(&self, tenant: TenantId, read_only_call: bool) -> Result<(), ApiError> {
        let lookup = async { (self.lookup)(tenant).await };
        let access = self.cache.try_get_with(tenant, lookup).await.map_err(ApiError::from_shared)?;
        // A principal of a customer tenancy does not know (deleted, or never created):
        // its tokens outlived the customer, so nothing it asks is allowed.
        let Some(access) = access else {
            return Err(ApiError::FailedPrecondition {
                reason: "CUSTOMER_UNKNOWN",
                message: "the customer no longer exists".into(),
            });
        };
        match access.status {
            CustomerStatus::Active | CustomerStatus::Creating => Ok(()),
            CustomerStatus::Suspended if read_only_call && access.read_only_when_suspended => Ok(()),
            CustomerStatus::Suspended => Err(ApiError::FailedPrecondition {
                reason: "CUSTOMER_SUSPENDED",
                message: format!("customer is suspended: {}", access.reason),
            }),
            CustomerStatus::Deactivated | CustomerStatus::Unspecified => Err(ApiError::FailedPrecondition {
                reason: "CUSTOMER_DEACTIVATED",
                message: "customer is deactivated".into(),
            }),
        }
    }

    /// Forgets a customer's cached state (tenancy calls it on its own changes).
    pub async fn forget(&self, tenant: TenantId) {
        self.cache.invalidate(&tenant).await;
    }
}

/// Asks tenancy's `QuotaService.GetTenantAccess` over the mesh. Tenancy missing,
/// down or slow is UNAVAILABLE: the call is refused, never let through unchecked.
pub fn tenancy_access_lookup(peers: Peers) -> TenantAccessLookup {
    Arc::new(move |tenant: TenantId| {
        let peers = peers.clone();
        async move {
            let channel = peers.channel("tenancy").await?;
            let request = GetTenantAccessRequest { customer_id: tenant.to_string() };
            match QuotaServiceClient::new(channel).get_tenant_access(request).await {
                Ok(response) => {
                    let response = response.into_inner();
                    Ok(Some(TenantAccess {
                        status: response.status(),
                        reason: response.reason,
                        read_only_when_suspended: response.read_only_when_suspended,
                    }))
                }
                // A tenant tenancy does not know: refused by `check`, and cached like
                // any other answer.
                Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
                Err(status) => Err(ApiError::from_peer("tenancy", status)),
            }
        }
        .boxed()
    })
}
