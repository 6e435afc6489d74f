//! `ApiKeyService`: tenant keys (owners, or platform admins naming the tenant) and
//! platform keys (platform admins). The secret is returned once; identity keeps its
//! SHA-256 and the visible prefix.

use std::collections::BTreeSet;
use std::sync::Arc;

use canopy_kit::auth::{ApiKeySecret, PrincipalKind};
use canopy_kit::db::Scope;
use canopy_kit::paging::{PageCursor, page_size};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::common::v1::PageResponse;
use canopy_sdk::proto::canopy::identity::v1::api_key_service_server::ApiKeyService;
use canopy_sdk::proto::canopy::identity::v1::{
    CreateApiKeyRequest, CreateApiKeyResponse, ListApiKeysRequest, ListApiKeysResponse, RevokeApiKeyRequest,
    RevokeApiKeyResponse,
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    api_key_to_proto, client_address, db, optional_tenant, principal, required_id, role_to_store, time_from_proto,
};
use crate::Identity;
use crate::domain::names::DisplayName;
use crate::domain::roles;
use crate::events::{self, SecurityEvent};
use crate::store::api_keys::{self, NewApiKey};

/// Most scopes one key may carry.
const MAX_SCOPES: usize = 32;

/// Checks scopes against the Canopy services in the descriptor set: a full service
/// name (`canopy.sites.v1.SiteService`) or a package prefix ending in `.*`
/// (`canopy.sites.v1.*`, `canopy.*`) that matches at least one service.
pub(crate) fn validate_scopes(
    scopes: &[String],
    known_services: &BTreeSet<String>,
) -> Result<Vec<String>, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    if scopes.len() > MAX_SCOPES {
        violations.push(FieldViolation::new("scopes", "at most 32 scopes are allowed"));
    }
    let mut accepted = BTreeSet::new();
    for (index, scope) in scopes.iter().enumerate() {
        let field = format!("scopes[{index}]");
        let valid = match scope.strip_suffix('*') {
            Some(prefix) => {
                prefix.ends_with('.')
                    && prefix.starts_with("canopy.")
                    && known_services.iter().any(|service| service.starts_with(prefix))
            }
            None => known_services.contains(scope),
        };
        if valid {
            accepted.insert(scope.clone());
        } else {
            violations.push(FieldViolation::new(
                field,
                "must name a canopy gRPC service (canopy.sites.v1.SiteService) or package (canopy.sites.v1.*)",
            ));
        }
    }
    if violations.is_empty() { Ok(accepted.into_iter().collect()) } else { Err(violations) }
}

/// The handlers.
pub struct ApiKeyApi {
    identity: Arc<Identity>,
}

impl ApiKeyApi {
    pub(crate) fn new(identity: Arc<Identity>) -> Self {
        Self { identity }
    }
}

#[tonic::async_trait]
impl ApiKeyService for ApiKeyApi {
    async fn create_api_key(
        &self,
        request: Request<CreateApiKeyRequest>,
    ) -> Result<Response<CreateApiKeyResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let request = request.into_inner();
        let identity = &self.identity;
        let now = identity.clock.now();

        let mut violations = Vec::new();
        let tenant = optional_tenant("tenant_id", &request.tenant_id)?;
        let name = DisplayName::parse(&request.name)
            .map_err(|problem| violations.push(FieldViolation::new("name", problem)))
            .ok();
        let role = roles::parse_required("role", request.role).map_err(|v| violations.push(v)).ok();
        let scopes = validate_scopes(&request.scopes, &identity.known_services).map_err(|v| violations.extend(v)).ok();
        let expire_at = match &request.expire_time {
            None => None,
            Some(time) => match time_from_proto(time) {
                Some(at) if at > now => Some(at),
                Some(_) => {
                    violations.push(FieldViolation::new("expire_time", "must be in the future"));
                    None
                }
                None => {
                    violations.push(FieldViolation::new("expire_time", "is not a valid timestamp"));
                    None
                }
            },
        };
        let scope = principal.scope_for(tenant)?;
        let for_tenant_key = matches!(scope, Scope::Tenant(_));
        if let Some(role) = role {
            if let Err(violation) = roles::check_fits("role", role, for_tenant_key) {
                violations.push(violation);
            } else if !roles::may_grant(principal.role, role) {
                violations.push(FieldViolation::new("role", "must not exceed your own role"));
            }
        }
        let (Some(name), Some(role), Some(scopes), true) = (name, role, scopes, violations.is_empty()) else {
            return Err(ApiError::InvalidArgument(violations).into());
        };

        let tenant_id = match scope {
            Scope::Tenant(tenant) => Some(tenant.0),
            _ => None,
        };
        let created_by = match &principal.kind {
            PrincipalKind::User { user_id, .. } => Some(*user_id),
            PrincipalKind::ApiKey { .. } => None,
        };
        let (secret, prefix) = ApiKeySecret::generate();
        let digest = ApiKeySecret::hash(&secret);
        let mut tx = identity.database.begin(scope).await.map_err(db("api key"))?;
        let key = api_keys::insert(
            &mut tx,
            &NewApiKey {
                id: Uuid::now_v7(),
                tenant_id,
                name: name.as_str(),
                prefix: &prefix,
                secret_hash: &digest,
                role: role_to_store(role),
                scopes: &scopes,
                created_by,
                expire_at,
                now,
            },
        )
        .await
        .map_err(db("api key"))?;
        let event = SecurityEvent::new("api_key_created")
            .tenant(tenant_id)
            .actor(principal.id())
            .source(address.as_deref())
            .detail("api_key_id", key.id.to_string())
            .detail("prefix", key.prefix.as_str())
            .detail("role", key.role.as_str())
            .detail("scopes", key.scopes.clone());
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("api key"))?;
        Ok(Response::new(CreateApiKeyResponse { api_key: Some(api_key_to_proto(&key)), secret }))
    }

    async fn list_api_keys(
        &self,
        request: Request<ListApiKeysRequest>,
    ) -> Result<Response<ListApiKeysResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let identity = &self.identity;
        let tenant = optional_tenant("tenant_id", &request.tenant_id)?;
        let page = request.page.unwrap_or_default();
        let size = page_size(page.page_size)?;
        let after = PageCursor::decode(&page.page_token)?;
        let now = identity.clock.now();
        let mut tx = identity.database.begin(principal.scope_for(tenant)?).await.map_err(db("api key"))?;
        let (rows, total) =
            api_keys::list(&mut tx, request.include_inactive, now, size, after).await.map_err(db("api key"))?;
        tx.commit().await.map_err(db("api key"))?;
        let next_page_token = match rows.last() {
            Some(last) if rows.len() as i64 == size => PageCursor { time: last.created_at, id: last.id }.encode(),
            _ => String::new(),
        };
        Ok(Response::new(ListApiKeysResponse {
            api_keys: rows.iter().map(api_key_to_proto).collect(),
            page: Some(PageResponse { next_page_token, total_size: total }),
        }))
    }

    async fn revoke_api_key(
        &self,
        request: Request<RevokeApiKeyRequest>,
    ) -> Result<Response<RevokeApiKeyResponse>, Status> {
        let address = client_address(&request);
        let principal = principal(&request)?;
        let key_id = required_id("api_key_id", &request.get_ref().api_key_id)?;
        let identity = &self.identity;
        let now = identity.clock.now();
        let mut tx = identity.database.begin(principal.scope_for(None)?).await.map_err(db("api key"))?;
        let key = api_keys::revoke(&mut tx, key_id, now)
            .await
            .map_err(db("api key"))?
            .ok_or(ApiError::NotFound { resource: "api key" })?;
        let event = SecurityEvent::new("api_key_revoked")
            .tenant(key.tenant_id)
            .actor(principal.id())
            .source(address.as_deref())
            .detail("api_key_id", key.id.to_string())
            .detail("prefix", key.prefix.as_str())
            .detail("already_revoked", key.revoked_at != Some(now));
        events::record(&mut tx, &event, now).await.map_err(db("security event"))?;
        tx.commit().await.map_err(db("api key"))?;
        Ok(Response::new(RevokeApiKeyResponse { api_key: Some(api_key_to_proto(&key)) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_must_name_known_services_or_packages() {
        let known: BTreeSet<String> =
            ["canopy.sites.v1.SiteService", "canopy.identity.v1.UserService"].into_iter().map(String::from).collect();
        let ok = validate_scopes(
            &["canopy.sites.v1.*".into(), "canopy.identity.v1.UserService".into(), "canopy.sites.v1.*".into()],
            &known,
        );
        assert_eq!(ok.unwrap(), ["canopy.identity.v1.UserService", "canopy.sites.v1.*"]);
        let bad = validate_scopes(
            &["canopy.sites.v1.SiteService".into(), "canopy.nope.v1.*".into(), "*".into(), "canopy.sites".into()],
            &known,
        )
        .unwrap_err();
        assert_eq!(bad.iter().map(|v| v.field.as_str()).collect::<Vec<_>>(), ["scopes[1]", "scopes[2]", "scopes[3]"]);
    }
}
