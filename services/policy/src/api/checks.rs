//! `PlanCheckService` (the provisioner's pre-apply call) and `ComplianceService`
//! (checks, overrides, compliance and violations).

use std::sync::Arc;

use canopy_kit::audit::{ActorKind, AuditRecord, EventKind};
use canopy_kit::db::Scope;
use canopy_kit::paging::PageCursor;
use canopy_kit::request::{human_text, optional_human_text, optional_id, principal, required_id};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::common::v1::PageResponse;
use canopy_sdk::proto::canopy::policy::v1 as proto;
use canopy_sdk::proto::canopy::policy::v1::compliance_service_server::ComplianceService;
use canopy_sdk::proto::canopy::policy::v1::plan_check_service_server::PlanCheckService;
use canopy_sdk::proto::canopy::tenancy::v1 as tenancy;
use canopy_sdk::proto::canopy::tenancy::v1::quota_service_client::QuotaServiceClient;
use serde_json::Value;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::policies::principal_id;
use super::{
    check_state_name, check_to_proto, customer_scope, db, decisions_to_proto, finish_offset_page, internal,
    offset_page, refuse_if_any,
};
use crate::Policies;
use crate::domain::{self, enforcement_name};
use crate::engine::input::{Actor, CustomerFacts, DeploymentFacts, Estimate, PolicyInput, SiteFacts};
use crate::store::{self, CheckRow};

pub struct PlanCheckApi(pub Arc<Policies>);
pub struct ComplianceApi(pub Arc<Policies>);

/// Longest override or discard reason, in characters.
const REASON_MAX_CHARS: usize = 500;

impl PlanCheckApi {
    async fn customer_facts(&self, tenant: Uuid) -> Result<CustomerFacts, ApiError> {
        let channel = self.0.peers.channel("tenancy").await.map_err(|_| ApiError::Unavailable("tenancy"))?;
        let access = QuotaServiceClient::new(channel)
            .get_tenant_access(tenancy::GetTenantAccessRequest { customer_id: tenant.to_string() })
            .await
            .map_err(|status| ApiError::from_peer("tenancy", status))?
            .into_inner();
        let status = tenancy::CustomerStatus::try_from(access.status).unwrap_or_default();
        let tier = tenancy::RateTier::try_from(access.rate_tier).unwrap_or_default();
        Ok(CustomerFacts {
            id: tenant.to_string(),
            status: enum_suffix(status.as_str_name(), "CUSTOMER_STATUS_"),
            plan_tier: enum_suffix(tier.as_str_name(), "RATE_TIER_"),
        })
    }
}

/// `CUSTOMER_STATUS_ACTIVE` → `active`.
fn enum_suffix(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_ascii_lowercase()
}

#[tonic::async_trait]
impl PlanCheckService for PlanCheckApi {
    async fn evaluate_plan(
        &self,
        request: Request<proto::EvaluatePlanRequest>,
    ) -> Result<Response<proto::EvaluatePlanResponse>, Status> {
        let request = request.into_inner();
        let mut violations = Vec::new();
        let tenant = canopy_kit::request::required_id_field("customer_id", &request.customer_id, &mut violations);
        let site = canopy_kit::request::required_id_field("site_id", &request.site_id, &mut violations);
        let deployment =
            canopy_kit::request::required_id_field("deployment_id", &request.deployment_id, &mut violations);
        let plan: Value = match serde_json::from_str(&request.plan_json) {
            Ok(plan @ Value::Object(_)) => plan,
            _ => {
                violations.push(FieldViolation::new("plan_json", "must be a Terraform JSON plan object"));
                Value::Null
            }
        };
        let variables: Value = serde_json::from_str(&request.variables_json).unwrap_or_else(|_| {
            violations.push(FieldViolation::new("variables_json", "must be a JSON object"));
            Value::Null
        });
        let provider = canopy_terraform::CloudProvider::from_proto_number(request.provider);
        if provider.is_none() {
            violations.push(FieldViolation::new("provider", "is required"));
        }
        refuse_if_any(violations)?;

        let scope = Scope::Tenant(canopy_kit::db::TenantId(tenant));
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let existing = store::check_for_deployment(&mut tx, tenant, deployment).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        if let Some(existing) = existing {
            let existing = expire_if_due(&self.0, existing).await?;
            return Ok(Response::new(proto::EvaluatePlanResponse { check: Some(check_to_proto(&existing, None)) }));
        }

        let text = |key: &str| variables.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
        let flag = |key: &str| variables.get(key).and_then(Value::as_bool).unwrap_or(false);
        let started_by = request.started_by.unwrap_or_default();
        let input = PolicyInput {
            plan,
            site: SiteFacts {
                id: site.to_string(),
                name: text("name"),
                provider: provider.map(|p| p.as_str().to_owned()).unwrap_or_default(),
                region: text("region"),
                size: text("size"),
                labels: request.labels.into_iter().collect(),
                database_enabled: flag("database_enabled"),
                storage_enabled: flag("storage_enabled"),
            },
            customer: self.customer_facts(tenant).await?,
            deployment: DeploymentFacts {
                id: deployment.to_string(),
                kind: request.deployment_kind.clone(),
                started_by: Actor { kind: started_by.kind, id: started_by.id, role: started_by.role },
            },
            estimate: request.estimate.and_then(|estimate| {
                let site = estimate.site_monthly?;
                let customer = estimate.customer_monthly?;
                Some(Estimate {
                    currency_code: site.currency_code,
                    site_monthly_minor_units: site.minor_units,
                    customer_monthly_minor_units: customer.minor_units,
                })
            }),
            billing: None,
        };
        let input = input.to_json();
        // An evaluator that cannot start is a fault of this service, not of a policy:
        // the provisioner retries the attempt, and nothing is applied meanwhile.
        let decisions = domain::evaluate_site(&self.0, tenant, site, &input).await.map_err(internal)?;
        let now = self.0.clock.now();
        let wait = chrono::Duration::milliseconds((self.0.config.override_wait_secs * 1000.0) as i64);
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let (check, new) =
            store::insert_check(&mut tx, tenant, site, deployment, &decisions, &input, now, wait).await.map_err(db)?;
        if matches!(check.state.as_str(), "passed" | "advisory_failed") {
            applied(&mut tx, &check, &request.deployment_kind, now).await.map_err(db)?;
        }
        if new {
            // A new decision (not a retried call reading the one made before): into
            // the customer's audit chain, with what each policy said.
            canopy_kit::audit::outbox::record_event(&mut tx, crate::MANIFEST.name, &decision_record(&check, now))
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::EvaluatePlanResponse { check: Some(check_to_proto(&check, None)) }))
    }

    async fn get_plan_check_state(
        &self,
        request: Request<proto::GetPlanCheckStateRequest>,
    ) -> Result<Response<proto::GetPlanCheckStateResponse>, Status> {
        let request = request.into_inner();
        let tenant = required_id("customer_id", &request.customer_id)?;
        let id = required_id("check_id", &request.check_id)?;
        let mut tx = self.0.database.begin(Scope::Tenant(canopy_kit::db::TenantId(tenant))).await.map_err(db)?;
        let check = store::get_check(&mut tx, Some(tenant), id).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let check = check.ok_or(ApiError::NotFound { resource: "policy check" })?;
        let check = expire_if_due(&self.0, check).await?;
        Ok(Response::new(proto::GetPlanCheckStateResponse { check: Some(check_to_proto(&check, None)) }))
    }
}

/// The audit record of a check's decision: `policy.check_<state>`, made by the policy
/// service, naming the customer's site, deployment and check, with every decision.
fn decision_record(check: &CheckRow, now: chrono::DateTime<chrono::Utc>) -> AuditRecord {
    AuditRecord {
        id: Uuid::now_v7(),
        tenant_id: Some(check.tenant_id),
        kind: EventKind::Decision,
        action: format!("policy.check_{}", check.state),
        actor_kind: ActorKind::Workload,
        actor_id: crate::MANIFEST.name.to_owned(),
        actor_role: String::new(),
        resource_ids: vec![check.site_id.to_string(), check.deployment_id.to_string(), check.id.to_string()],
        origin_address: String::new(),
        user_agent: String::new(),
        trace_id: canopy_kit::telemetry::CallContext::current().map(|c| c.trace.trace_id).unwrap_or_default(),
        occurred_at: now,
        summary: serde_json::json!({ "state": check.state, "decisions": check.decisions }),
    }
}

/// The plan is being applied: it is the site's configuration from now on, so its
/// decisions are the site's compliance (a delete forgets the site).
async fn applied(
    tx: &mut sqlx::PgConnection,
    check: &CheckRow,
    deployment_kind: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sqlx::Error> {
    if deployment_kind == "delete" {
        store::remove_compliance(tx, check.tenant_id, check.site_id).await
    } else {
        store::record_compliance(
            tx,
            check.tenant_id,
            check.site_id,
            check.deployment_id,
            &check.input,
            &check.decisions,
            now,
        )
        .await
    }
}

/// A waiting check past its expiry becomes `expired` (when it is next read: the run
/// polling it is the reader that matters).
async fn expire_if_due(policies: &Policies, check: CheckRow) -> Result<CheckRow, ApiError> {
    let now = policies.clock.now();
    if check.state != "awaiting_override" || check.expires_at.is_none_or(|at| at > now) {
        return Ok(check);
    }
    let mut tx = policies.database.begin(Scope::Tenant(canopy_kit::db::TenantId(check.tenant_id))).await.map_err(db)?;
    let expired = store::resolve_check(&mut tx, check.tenant_id, check.id, "expired", "", "", now).await.map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(expired)
}

impl ComplianceApi {
    /// The check named, locked, in the scope of the request.
    async fn waiting_check(
        &self,
        scope: Scope,
        tenant: Option<Uuid>,
        check_id: &str,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, CheckRow), ApiError> {
        let id = required_id("check_id", check_id)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let check = store::get_check(&mut tx, tenant, id).await.map_err(db)?;
        let check = check.ok_or(ApiError::NotFound { resource: "policy check" })?;
        Ok((tx, check))
    }
}

#[tonic::async_trait]
impl ComplianceService for ComplianceApi {
    async fn get_compliance(
        &self,
        request: Request<proto::GetComplianceRequest>,
    ) -> Result<Response<proto::GetComplianceResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let tenant = tenant.ok_or_else(|| ApiError::invalid("customer_id", "is required for platform principals"))?;
        let site = optional_id("site_id", &request.site_id)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let rows = store::compliance(&mut tx, tenant, site).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let sites: Vec<proto::SiteCompliance> = rows
            .iter()
            .map(|row| proto::SiteCompliance {
                site_id: row.site_id.to_string(),
                compliant: row.compliant,
                decisions: decisions_to_proto(&row.decisions),
                evaluate_time: Some(canopy_kit::request::timestamp(row.evaluated_at)),
                deployment_id: row.deployment_id.to_string(),
            })
            .collect();
        let compliant_sites = sites.iter().filter(|site| site.compliant).count() as i32;
        Ok(Response::new(proto::GetComplianceResponse {
            non_compliant_sites: sites.len() as i32 - compliant_sites,
            compliant_sites,
            sites,
        }))
    }

    async fn list_violations(
        &self,
        request: Request<proto::ListViolationsRequest>,
    ) -> Result<Response<proto::ListViolationsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let site = optional_id("site_id", &request.site_id)?;
        let policy = optional_id("policy_id", &request.policy_id)?;
        let enforcement = enforcement_name(proto::EnforcementLevel::try_from(request.enforcement).unwrap_or_default());
        let (limit, offset) = offset_page(request.page)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut rows =
            store::list_violations(&mut tx, tenant, site, policy, enforcement, limit + 1, offset).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        Ok(Response::new(proto::ListViolationsResponse {
            violations: rows
                .iter()
                .map(|row| proto::Violation {
                    customer_id: row.tenant_id.to_string(),
                    site_id: row.site_id.to_string(),
                    decision: Some(row.decision.to_proto()),
                    evaluate_time: Some(canopy_kit::request::timestamp(row.evaluated_at)),
                })
                .collect(),
            page,
        }))
    }

    async fn list_policy_checks(
        &self,
        request: Request<proto::ListPolicyChecksRequest>,
    ) -> Result<Response<proto::ListPolicyChecksResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let state = check_state_name(proto::PolicyCheckState::try_from(request.state).unwrap_or_default());
        let site = optional_id("site_id", &request.site_id)?;
        // Newest first by (time, id): pages stay put while new checks arrive.
        let page = request.page.unwrap_or_default();
        let limit = canopy_kit::paging::page_size(page.page_size)?;
        let after = PageCursor::decode(&page.page_token)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut rows = store::list_checks(&mut tx, tenant, state, site, after, limit + 1).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let next_page_token =
            canopy_kit::paging::finish_page(&mut rows, limit, |row| PageCursor { time: row.created_at, id: row.id });
        let page = Some(PageResponse { next_page_token, total_size: -1 });
        Ok(Response::new(proto::ListPolicyChecksResponse {
            checks: rows.iter().map(|row| check_to_proto(row, Some(&principal))).collect(),
            page,
        }))
    }

    async fn get_policy_check(
        &self,
        request: Request<proto::GetPolicyCheckRequest>,
    ) -> Result<Response<proto::GetPolicyCheckResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let deployment = required_id("deployment_id", &request.deployment_id)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let rows = store::list_checks_for_deployment(&mut tx, tenant, deployment).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let check = rows.into_iter().next().ok_or(ApiError::NotFound { resource: "policy check" })?;
        Ok(Response::new(proto::GetPolicyCheckResponse { check: Some(check_to_proto(&check, Some(&principal))) }))
    }

    async fn override_policy_check(
        &self,
        request: Request<proto::OverridePolicyCheckRequest>,
    ) -> Result<Response<proto::OverridePolicyCheckResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let reason = human_text(&request.reason, REASON_MAX_CHARS)
            .map_err(|error| ApiError::InvalidArgument(vec![error.violation("reason")]))?;
        let (mut tx, check) = self.waiting_check(scope, tenant, &request.check_id).await?;
        if check.state == "overridden" {
            // A retried override: the check is as the first one left it.
            return Ok(Response::new(proto::OverridePolicyCheckResponse {
                check: Some(check_to_proto(&check, Some(&principal))),
            }));
        }
        let now = self.0.clock.now();
        refuse_unless_waiting(&check, now)?;
        if !domain::may_override(&principal, &check.decisions) {
            return Err(ApiError::PermissionDenied(
                "only the operator may override a platform policy's failure; ask your platform administrator".into(),
            )
            .into());
        }
        let resolved = store::resolve_check(
            &mut tx,
            check.tenant_id,
            check.id,
            "overridden",
            &principal_id(&principal),
            &reason,
            now,
        )
        .await
        .map_err(db)?;
        // The run continues: the plan becomes the site's configuration.
        store::record_compliance(
            &mut tx,
            resolved.tenant_id,
            resolved.site_id,
            resolved.deployment_id,
            &resolved.input,
            &resolved.decisions,
            now,
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::OverridePolicyCheckResponse {
            check: Some(check_to_proto(&resolved, Some(&principal))),
        }))
    }

    async fn discard_policy_check(
        &self,
        request: Request<proto::DiscardPolicyCheckRequest>,
    ) -> Result<Response<proto::DiscardPolicyCheckResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let reason = optional_human_text(&request.reason, REASON_MAX_CHARS)
            .map_err(|error| ApiError::InvalidArgument(vec![error.violation("reason")]))?;
        let (mut tx, check) = self.waiting_check(scope, tenant, &request.check_id).await?;
        if check.state == "discarded" {
            return Ok(Response::new(proto::DiscardPolicyCheckResponse {
                check: Some(check_to_proto(&check, Some(&principal))),
            }));
        }
        let now = self.0.clock.now();
        refuse_unless_waiting(&check, now)?;
        let resolved = store::resolve_check(
            &mut tx,
            check.tenant_id,
            check.id,
            "discarded",
            &principal_id(&principal),
            &reason,
            now,
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::DiscardPolicyCheckResponse {
            check: Some(check_to_proto(&resolved, Some(&principal))),
        }))
    }
}

fn refuse_unless_waiting(check: &CheckRow, now: chrono::DateTime<chrono::Utc>) -> Result<(), ApiError> {
    if check.state != "awaiting_override" {
        return Err(ApiError::FailedPrecondition {
            reason: "CHECK_NOT_WAITING",
            message: format!("the policy check is {}, not awaiting an override", check.state.replace('_', " ")),
        });
    }
    if check.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::FailedPrecondition {
            reason: "CHECK_EXPIRED",
            message: "the wait for an override has expired; the run has failed".into(),
        });
    }
    Ok(())
}
