//! `PolicyService`: policies' life cycle and the author's test loop.

use std::sync::Arc;

use canopy_kit::auth::Principal;
use canopy_kit::db::Scope;
use canopy_kit::request::{principal, required_id};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::policy::v1 as proto;
use canopy_sdk::proto::canopy::policy::v1::policy_service_server::PolicyService;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::quota_service_client::QuotaServiceClient;
use serde_json::Value;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{customer_scope, db, finish_offset_page, internal, offset_page, policy_to_proto, refuse_if_any};
use crate::Policies;
use crate::domain::{self, Draft, Tier, enforcement_name, kind_name};
use crate::engine::evaluator::PolicyModule;
use crate::store::{self, PolicyFilter, Updated};

pub struct PolicyApi(pub Arc<Policies>);

impl PolicyApi {
    /// Checks a definition and the ids its scope names; nothing is written.
    async fn checked_draft(
        &self,
        scope: Scope,
        tenant: Option<Uuid>,
        spec: Option<&proto::PolicySpec>,
    ) -> Result<Draft, ApiError> {
        let tier = tenant.map_or(Tier::Platform, Tier::Customer);
        let mut violations = Vec::new();
        let draft = domain::draft(spec, tier, &mut violations);
        if let Some(draft) = &draft {
            if let Some(customer) = draft.scope_customer_id
                && !self.customer_exists(customer).await?
            {
                violations.push(FieldViolation::new("policy.scope.customer_id", "names no customer"));
            }
            if let Some(site) = draft.scope_site_id {
                let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
                let owner = canopy_deployments::queue::site_tenant(&mut tx, site).await.map_err(db)?;
                tx.commit().await.map_err(db)?;
                match (owner, draft.scope_customer_id) {
                    (None, _) => violations.push(FieldViolation::new("policy.scope.site_id", "names no site")),
                    (Some(owner), Some(customer)) if owner != customer => violations.push(FieldViolation::new(
                        "policy.scope.site_id",
                        "names a site of another customer than policy.scope.customer_id",
                    )),
                    _ => {}
                }
            }
        }
        refuse_if_any(violations)?;
        let draft = draft.ok_or_else(|| ApiError::invalid("policy", "is not a valid policy"))?;
        self.dry_run(&draft).await?;
        Ok(draft)
    }

    /// regorus finds unsafe variables and unknown functions only when it evaluates, so a
    /// module is run once on an empty plan before it is saved: such an error is the
    /// author's, refused like a syntax error. Limits are not judged here — they depend
    /// on the real plan, and a runaway module fails the deployment at its level.
    async fn dry_run(&self, draft: &Draft) -> Result<(), ApiError> {
        let input = crate::engine::input::placeholder_input(serde_json::json!({ "resource_changes": [] }), None);
        let module = PolicyModule { id: "dry-run".into(), module: draft.rego.clone() };
        let outcomes = self.0.evaluator.evaluate(&[module], &input).await.map_err(|error| internal(error.into()))?;
        match outcomes.into_iter().next().and_then(|outcome| outcome.error) {
            Some(error) if !error.starts_with("exceeded") => {
                let located = crate::engine::compile::parse_error_text(&error);
                Err(ApiError::InvalidArgument(vec![crate::engine::definition::rego_violation(&located)]))
            }
            _ => Ok(()),
        }
    }

    async fn customer_exists(&self, customer: Uuid) -> Result<bool, ApiError> {
        let channel = self.0.peers.channel("tenancy").await.map_err(|_| ApiError::Unavailable("tenancy"))?;
        match QuotaServiceClient::new(channel)
            .get_tenant_access(tenancy::GetTenantAccessRequest { customer_id: customer.to_string() })
            .await
        {
            Ok(_) => Ok(true),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(false),
            Err(status) => Err(ApiError::from_peer("tenancy", status)),
        }
    }
}

#[tonic::async_trait]
impl PolicyService for PolicyApi {
    async fn create_policy(
        &self,
        request: Request<proto::CreatePolicyRequest>,
    ) -> Result<Response<proto::CreatePolicyResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let draft = self.checked_draft(scope, tenant, request.policy.as_ref()).await?;
        let now = self.0.clock.now();
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let row = store::insert_policy(&mut tx, Uuid::now_v7(), tenant, &draft, now).await.map_err(db)?;
        store::mark_stale(&mut tx, tenant).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::CreatePolicyResponse { policy: Some(policy_to_proto(&row, &principal)) }))
    }

    async fn get_policy(
        &self,
        request: Request<proto::GetPolicyRequest>,
    ) -> Result<Response<proto::GetPolicyResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let id = required_id("policy_id", &request.policy_id)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut row = store::get_policy(&mut tx, id, tenant).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        if row.is_none()
            && let Some(tenant) = tenant
        {
            // A customer may read a platform policy that applies to it (without its
            // Rego): a system read of the platform's policies for that customer.
            row = self.platform_policies_for(tenant).await?.into_iter().find(|policy| policy.id == id);
        }
        let row = row.ok_or(ApiError::NotFound { resource: "policy" })?;
        Ok(Response::new(proto::GetPolicyResponse { policy: Some(policy_to_proto(&row, &principal)) }))
    }

    async fn list_policies(
        &self,
        request: Request<proto::ListPoliciesRequest>,
    ) -> Result<Response<proto::ListPoliciesResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let (limit, offset) = offset_page(request.page)?;
        let tier = proto::PolicyTier::try_from(request.tier).unwrap_or_default();
        let kind = kind_name(proto::PolicyKind::try_from(request.kind).unwrap_or_default());
        let enforcement = enforcement_name(proto::EnforcementLevel::try_from(request.enforcement).unwrap_or_default());
        let mut rows = Vec::new();
        match tenant {
            None => {
                // Platform principals naming no customer: the platform's policies.
                let filter = PolicyFilter { owner: Some(None), kind, enforcement };
                let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
                rows = store::list_policies(&mut tx, &filter, limit + 1, offset).await.map_err(db)?;
                tx.commit().await.map_err(db)?;
            }
            Some(tenant) => {
                // A customer's view: the platform policies that apply to it, then its own.
                let mut all = Vec::new();
                if tier != proto::PolicyTier::Customer {
                    all.extend(self.platform_policies_for(tenant).await?);
                }
                if tier != proto::PolicyTier::Platform {
                    let filter = PolicyFilter { owner: Some(Some(tenant)), kind: None, enforcement: None };
                    let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
                    all.extend(store::list_policies(&mut tx, &filter, i64::MAX / 4, 0).await.map_err(db)?);
                    tx.commit().await.map_err(db)?;
                }
                all.retain(|row| {
                    kind.is_none_or(|kind| row.kind == kind)
                        && enforcement.is_none_or(|enforcement| row.enforcement == enforcement)
                });
                rows.extend(
                    all.into_iter()
                        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                        .take(usize::try_from(limit + 1).unwrap_or(usize::MAX)),
                );
            }
        }
        let page = finish_offset_page(&mut rows, limit, offset);
        Ok(Response::new(proto::ListPoliciesResponse {
            policies: rows.iter().map(|row| policy_to_proto(row, &principal)).collect(),
            page,
        }))
    }

    async fn update_policy(
        &self,
        request: Request<proto::UpdatePolicyRequest>,
    ) -> Result<Response<proto::UpdatePolicyResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let id = required_id("policy_id", &request.policy_id)?;
        let draft = self.checked_draft(scope, tenant, request.policy.as_ref()).await?;
        let now = self.0.clock.now();
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let row = match store::update_policy(&mut tx, id, tenant, &draft, request.revision, now).await.map_err(db)? {
            Updated::Done(row) => row,
            Updated::NotFound => return Err(ApiError::NotFound { resource: "policy" }.into()),
            Updated::Conflict(current) => {
                return Err(ApiError::FailedPrecondition {
                    reason: "REVISION_CONFLICT",
                    message: format!(
                        "the policy changed since revision {} (now {current}); reload it and apply your change again",
                        request.revision
                    ),
                }
                .into());
            }
        };
        store::mark_stale(&mut tx, tenant).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::UpdatePolicyResponse { policy: Some(policy_to_proto(&row, &principal)) }))
    }

    async fn delete_policy(
        &self,
        request: Request<proto::DeletePolicyRequest>,
    ) -> Result<Response<proto::DeletePolicyResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let id = required_id("policy_id", &request.policy_id)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let deleted = store::delete_policy(&mut tx, id, tenant).await.map_err(db)?;
        if !deleted {
            return Err(ApiError::NotFound { resource: "policy" }.into());
        }
        store::mark_stale(&mut tx, tenant).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::DeletePolicyResponse {}))
    }

    async fn validate_policy(
        &self,
        request: Request<proto::ValidatePolicyRequest>,
    ) -> Result<Response<proto::ValidatePolicyResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let spec = request.policy.unwrap_or_default();
        // Compile errors are the answer here, not a refusal: the author's test loop.
        let mut violations = Vec::new();
        let compiled = crate::engine::definition::rego_for(spec.definition.as_ref(), &mut violations);
        let Some((_, rego, _)) = compiled else {
            let compile_errors = crate::engine::definition::compile_errors(spec.definition.as_ref());
            if compile_errors.is_empty() {
                // A form with bad values: those are field errors.
                refuse_if_any(violations)?;
            }
            return Ok(Response::new(proto::ValidatePolicyResponse { compile_errors, ..Default::default() }));
        };
        let input = match request.plan {
            None => return Ok(Response::new(proto::ValidatePolicyResponse { rego, ..Default::default() })),
            Some(proto::validate_policy_request::Plan::PlanJson(text)) => {
                let plan: Value = serde_json::from_str(&text)
                    .map_err(|error| ApiError::invalid("plan_json", format!("is not JSON: {error}")))?;
                if !plan.is_object() || !plan.get("resource_changes").is_none_or(Value::is_array) {
                    return Err(ApiError::invalid(
                        "plan_json",
                        "is not a Terraform JSON plan (an object with resource_changes[])",
                    )
                    .into());
                }
                crate::engine::input::placeholder_input(plan, tenant.map(|t| t.to_string()))
            }
            Some(proto::validate_policy_request::Plan::SiteId(site)) => {
                let site = required_id("site_id", &site)?;
                let tenant = tenant
                    .ok_or_else(|| ApiError::invalid("customer_id", "is required to evaluate on a site's plan"))?;
                let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
                let input = store::latest_input(&mut tx, tenant, site).await.map_err(db)?;
                tx.commit().await.map_err(db)?;
                input.ok_or_else(|| ApiError::FailedPrecondition {
                    reason: "NO_PLAN",
                    message: "this site has no plan checked yet; deploy it first or supply plan_json".into(),
                })?
            }
        };
        let outcome = self
            .0
            .evaluator
            .evaluate(&[PolicyModule { id: "validate".into(), module: rego.clone() }], &input)
            .await
            .map_err(|error| internal(error.into()))?;
        let (deny, warn, error) = match outcome.into_iter().next() {
            Some(outcome) => (outcome.deny, outcome.warn, outcome.error.unwrap_or_default()),
            None => (Vec::new(), Vec::new(), "the evaluator returned no result".to_owned()),
        };
        Ok(Response::new(proto::ValidatePolicyResponse {
            compile_errors: Vec::new(),
            rego,
            evaluated: true,
            deny,
            warn,
            evaluation_error: error,
        }))
    }
}

impl PolicyApi {
    /// The platform's enabled-or-not policies whose scope includes `tenant`: a system
    /// read in the platform scope, answered to the customer without Rego.
    async fn platform_policies_for(&self, tenant: Uuid) -> Result<Vec<store::PolicyRow>, ApiError> {
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let rows = store::policies_for_tenant(&mut tx, tenant).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(rows
            .into_iter()
            .filter(|row| row.tenant_id.is_none() && row.scope_customer_id.is_none_or(|customer| customer == tenant))
            .collect())
    }
}

/// A principal's id for the checks it resolves.
pub(super) fn principal_id(principal: &Principal) -> String {
    principal.id()
}
