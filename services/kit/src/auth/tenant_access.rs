//! Whether a customer may act: suspended customers' users may at most read (or
//! nothing, as tenancy configures), deactivated customers' users nothing. Every
//! service enforces it for customer principals, asking tenancy with a short cache;
//! platform principals are never blocked (they are the ones who reactivate).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use canopy_sdk::proto::canopy::tenancy::v1::quota_service_client::QuotaServiceClient;
use canopy_sdk::proto::canopy::tenancy::v1::{CustomerStatus, GetTenantAccessRequest};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::Mutex;

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

/// `Ok(None)` when tenancy does not know the tenant (nothing to enforce); an error
/// when tenancy cannot answer, so the check fails closed.
pub type TenantAccessLookup =
    Arc<dyn Fn(TenantId) -> BoxFuture<'static, Result<Option<TenantAccess>, ApiError>> + Send + Sync>;

/// Caches tenancy's answers for a few seconds, so a suspension takes effect within
/// the cache period everywhere.
pub struct TenantAccessGuard {
    lookup: TenantAccessLookup,
    ttl: Duration,
    cache: Mutex<HashMap<TenantId, (Instant, Option<TenantAccess>)>>,
}

impl TenantAccessGuard {
    pub fn new(lookup: TenantAccessLookup, ttl: Duration) -> Self {
        Self { lookup, ttl, cache: Mutex::new(HashMap::new()) }
    }

    /// Refuses the call when the customer's state does not allow it.
    pub async fn check(&self, tenant: TenantId, read_only_call: bool) -> Result<(), ApiError> {
        let cached = {
            let cache = self.cache.lock().await;
            cache.get(&tenant).filter(|(at, _)| at.elapsed() < self.ttl).map(|(_, access)| access.clone())
        };
        let access = match cached {
            Some(access) => access,
            None => {
                let access = (self.lookup)(tenant).await?;
                self.cache.lock().await.insert(tenant, (Instant::now(), access.clone()));
                access
            }
        };
        let Some(access) = access else { return Ok(()) };
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
        self.cache.lock().await.remove(&tenant);
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
                // A tenant tenancy does not know: nothing to enforce (e.g. one being created).
                Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
                Err(status) => Err(ApiError::from_peer("tenancy", status)),
            }
        }
        .boxed()
    })
}
