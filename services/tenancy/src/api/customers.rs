//! `CustomerService`. Creating a customer is a small saga: the customer is written
//! in `creating`, its owner is invited through identity, then it becomes `active`
//! with the invitation mail queued in the same transaction. If the invitation fails
//! the customer is deleted again (compensation), so no half-created tenant remains;
//! a retry with the same idempotency key then starts afresh. Should the process die
//! between the steps, a retry with the key resumes the saga.

use std::sync::Arc;

use canopy_kit::ApiError;
use canopy_kit::FieldViolation;
use canopy_kit::db::{Scope, TenantId};
use canopy_kit::events::{self, CanopyEvent, Severity};
use canopy_kit::paging::{PageCursor, finish_page, page_size};
use canopy_kit::request::{human_text_field, idempotency_key};
use canopy_sdk::proto::canopy::identity::v1 as identity;
use canopy_sdk::proto::canopy::identity::v1::user_service_client::UserServiceClient;
use canopy_sdk::proto::canopy::options::v1::Role;
use canopy_sdk::proto::canopy::tenancy::v1 as pb;
use canopy_sdk::proto::canopy::tenancy::v1::customer_service_server::CustomerService;
use tonic::metadata::MetadataValue;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    customer_scope, customer_to_proto, db, limits_from_proto, principal, required_id, status_from_proto, timestamp,
};
use crate::Tenancy;
use crate::domain::customer::{self as rules, MAX_REASON_CHARS, Status as CustomerStatus};
use crate::domain::plan::valid_plan_id;
use crate::store::{self, CustomerFilter, Overrides};

pub struct CustomersApi(pub Arc<Tenancy>);

/// The invitation identity issued for a new owner.
struct Invitation {
    user_id: Uuid,
    token: String,
}

impl CustomersApi {
    /// Invites the owner through identity, acting with the caller's own credentials
    /// (identity checks them again: only a platform admin may create a tenant's user).
    async fn invite_owner(
        &self,
        authorization: Option<&MetadataValue<tonic::metadata::Ascii>>,
        tenant_id: Uuid,
        email: &str,
        display_name: &str,
        resuming: bool,
    ) -> Result<Invitation, ApiError> {
        let mut client = UserServiceClient::new(self.0.peers.channel("identity").await?);
        let create = identity::CreateUserRequest {
            tenant_id: tenant_id.to_string(),
            email: email.to_string(),
            display_name: display_name.to_string(),
            role: Role::Owner as i32,
        };
        match client.create_user(with_auth(authorization, create)).await {
            Ok(response) => {
                let response = response.into_inner();
                let user_id = response
                    .user
                    .as_ref()
                    .and_then(|u| u.id.parse().ok())
                    .ok_or_else(|| ApiError::internal(anyhow::anyhow!("identity returned a user without an id")))?;
                Ok(Invitation { user_id, token: response.invitation_token })
            }
            // Resuming after a crash: the owner may already exist in this tenant;
            // issue a fresh invitation for them instead.
            Err(status) if resuming && status.code() == tonic::Code::AlreadyExists => {
                let list = identity::ListUsersRequest {
                    tenant_id: tenant_id.to_string(),
                    search: email.to_string(),
                    ..Default::default()
                };
                let users = client.list_users(with_auth(authorization, list)).await.map_err(identity_error)?;
                let user = users
                    .into_inner()
                    .users
                    .into_iter()
                    .find(|u| u.email.eq_ignore_ascii_case(email))
                    .ok_or(ApiError::AlreadyExists { resource: "user with owner_email" })?;
                let reset = identity::IssuePasswordResetRequest { user_id: user.id.clone() };
                let token =
                    client.issue_password_reset(with_auth(authorization, reset)).await.map_err(identity_error)?;
                Ok(Invitation {
                    user_id: user.id.parse().map_err(|_| ApiError::Unavailable("identity"))?,
                    token: token.into_inner().reset_token,
                })
            }
            Err(status) => Err(identity_error(status)),
        }
    }

    async fn change_status(
        &self,
        request: Request<(String, String)>,
        to: CustomerStatus,
    ) -> Result<pb::Customer, ApiError> {
        let principal = principal(&request)?;
        let (id, reason) = request.into_inner();
        let mut violations = Vec::new();
        let tenant_id = required_id("customer_id", &id);
        let reason = match to {
            CustomerStatus::Active => String::new(),
            _ => human_text_field("reason", &reason, MAX_REASON_CHARS, &mut violations),
        };
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let tenant_id = tenant_id?;
        let mut tx = self.0.database.begin(customer_scope(&principal, tenant_id)?).await.map_err(db)?;
        let customer = store::customer(&mut tx, tenant_id, true)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        if customer.status == to {
            return Ok(customer_to_proto(&customer));
        }
        if !customer.status.may_become(to) {
            return Err(ApiError::FailedPrecondition {
                reason: "INVALID_STATUS_CHANGE",
                message: format!("a {} customer cannot become {}", customer.status.as_str(), to.as_str()),
            });
        }
        store::set_status(&mut tx, tenant_id, to, &reason).await.map_err(db)?;
        store::record_status_change(&mut tx, tenant_id, Some(customer.status), to, &reason, &principal.id())
            .await
            .map_err(db)?;
        let updated = store::customer(&mut tx, tenant_id, false)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        if let Some(event) = status_event(&updated, customer.status, to, self.0.clock.now()) {
            events::publish(&mut tx, crate::MANIFEST.name, &event).await.map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        self.0.auth.tenant_access.forget(TenantId(tenant_id)).await;
        tracing::info!(target: "security", event = "customer.status_changed", customer_id = %tenant_id,
            from = customer.status.as_str(), to = to.as_str(), by = %principal.id());
        Ok(customer_to_proto(&updated))
    }
}

/// A request to identity carrying the caller's own credentials.
fn with_auth<T>(authorization: Option<&MetadataValue<tonic::metadata::Ascii>>, message: T) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(value) = authorization {
        request.metadata_mut().insert("authorization", value.clone());
    }
    request
}

fn identity_error(status: Status) -> ApiError {
    match status.code() {
        tonic::Code::AlreadyExists => ApiError::AlreadyExists { resource: "user with owner_email" },
        tonic::Code::InvalidArgument => ApiError::invalid("owner_email", status.message().to_string()),
        tonic::Code::PermissionDenied | tonic::Code::Unauthenticated => {
            ApiError::PermissionDenied(format!("identity refused the owner invitation: {}", status.message()))
        }
        _ => ApiError::from_peer("identity", status),
    }
}

#[tonic::async_trait]
impl CustomerService for CustomersApi {
    async fn create_customer(
        &self,
        request: Request<pb::CreateCustomerRequest>,
    ) -> Result<Response<pb::CreateCustomerResponse>, Status> {
        let principal = principal(&request)?;
        let authorization = request.metadata().get("authorization").cloned();
        let input = request.into_inner();
        let mut violations = Vec::new();
        idempotency_key(&input.idempotency_key, &mut violations);
        let name = human_text_field("name", &input.name, 100, &mut violations);
        let owner_email = rules::email("owner_email", &input.owner_email, &mut violations);
        let owner_name = human_text_field("owner_display_name", &input.owner_display_name, 100, &mut violations);
        let plan_id = if input.plan_id.is_empty() { "standard".to_string() } else { input.plan_id.clone() };
        if !valid_plan_id(&plan_id) {
            violations.push(FieldViolation::new("plan_id", "must be a plan id such as standard"));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }

        // Step 1: the customer in `creating` (or the one this key already made).
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        if store::plan(&mut tx, &plan_id).await.map_err(db)?.is_none() {
            return Err(ApiError::invalid("plan_id", format!("no plan {plan_id:?}")).into());
        }
        let (customer, resuming) = match store::customer_by_idempotency_key(&mut tx, &input.idempotency_key)
            .await
            .map_err(db)?
        {
            Some(existing) if existing.status != CustomerStatus::Creating => {
                return Ok(Response::new(pb::CreateCustomerResponse { customer: Some(customer_to_proto(&existing)) }));
            }
            Some(existing) => (existing, true),
            None => {
                let inserted = store::insert_customer(
                    &mut tx,
                    Uuid::new_v4(),
                    &name,
                    &plan_id,
                    &input.idempotency_key,
                    &principal.id(),
                )
                .await;
                match inserted {
                    Ok(customer) => (customer, false),
                    // A concurrent retry with the same key won the race: answer as a retry.
                    Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
                        return Err(ApiError::Unavailable(
                            "customer creation (a request with this idempotency key is in progress, retry)",
                        )
                        .into());
                    }
                    Err(e) => return Err(db(e).into()),
                }
            }
        };
        tx.commit().await.map_err(db)?;
        let tenant_id = customer.tenant_id;

        // Step 2: the owner, in identity.
        let invitation =
            match self.invite_owner(authorization.as_ref(), tenant_id, &owner_email, &owner_name, resuming).await {
                Ok(invitation) => invitation,
                Err(error) => {
                    // Compensation: no tenant without an owner.
                    let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
                    store::delete_customer(&mut tx, tenant_id).await.map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    tracing::warn!(customer_id = %tenant_id, error = %error, "customer creation rolled back");
                    return Err(error.into());
                }
            };

        // Step 3: active, with the invitation mail queued atomically.
        let mut tx = self.0.database.begin(Scope::Tenant(TenantId(tenant_id))).await.map_err(db)?;
        store::set_owner(&mut tx, tenant_id, invitation.user_id).await.map_err(db)?;
        store::set_status(&mut tx, tenant_id, CustomerStatus::Active, "").await.map_err(db)?;
        store::record_status_change(
            &mut tx,
            tenant_id,
            Some(CustomerStatus::Creating),
            CustomerStatus::Active,
            "",
            &principal.id(),
        )
        .await
        .map_err(db)?;
        let link = format!(
            "{}/invitation#token={}",
            self.0.config.customer_portal_url.trim_end_matches('/'),
            invitation.token
        );
        let body = format!(
            "Hello {owner_name},\n\nYou have been invited to manage {name} on {product}.\n\nSet your password here (the link works once and expires in a few days):\n{link}\n",
            product = self.0.config.default_product_name
        );
        store::enqueue_email(&mut tx, tenant_id, &owner_email, &format!("Your {name} account"), &body)
            .await
            .map_err(db)?;
        let created = store::customer(&mut tx, tenant_id, false)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        tx.commit().await.map_err(db)?;
        tracing::info!(target: "security", event = "customer.created", customer_id = %tenant_id, by = %principal.id());

        self.0.mail_due.notify_one();
        Ok(Response::new(pb::CreateCustomerResponse { customer: Some(customer_to_proto(&created)) }))
    }

    async fn get_customer(
        &self,
        request: Request<pb::GetCustomerRequest>,
    ) -> Result<Response<pb::GetCustomerResponse>, Status> {
        let principal = principal(&request)?;
        let tenant_id = required_id("customer_id", &request.get_ref().customer_id)?;
        let mut tx = self.0.database.begin(customer_scope(&principal, tenant_id)?).await.map_err(db)?;
        let customer = store::customer(&mut tx, tenant_id, false)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        Ok(Response::new(pb::GetCustomerResponse { customer: Some(customer_to_proto(&customer)) }))
    }

    async fn list_customers(
        &self,
        request: Request<pb::ListCustomersRequest>,
    ) -> Result<Response<pb::ListCustomersResponse>, Status> {
        let input = request.into_inner();
        let page = input.page.unwrap_or_default();
        let limit = page_size(page.page_size)?;
        let cursor = PageCursor::decode(&page.page_token)?;
        let status = match pb::CustomerStatus::try_from(input.status) {
            Ok(status) => status_from_proto(status),
            Err(_) => return Err(ApiError::invalid("status", "is not a known customer status").into()),
        };
        let search = Some(input.search.trim().to_string()).filter(|s| !s.is_empty());
        if search.as_ref().is_some_and(|s| s.chars().count() > 100) {
            return Err(ApiError::invalid("search", "must be at most 100 characters").into());
        }
        let filter = CustomerFilter {
            search,
            status,
            plan_id: Some(input.plan_id).filter(|p| !p.is_empty()),
            after: cursor.map(|c| (c.time, c.id)),
            limit: limit + 1,
        };
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let mut rows = store::list_customers(&mut tx, &filter).await.map_err(db)?;
        let total = store::count_customers(&mut tx, &filter).await.map_err(db)?;
        let next = finish_page(&mut rows, limit, |r| PageCursor { time: r.create_time, id: r.tenant_id });
        Ok(Response::new(pb::ListCustomersResponse {
            customers: rows.iter().map(customer_to_proto).collect(),
            page: Some(canopy_sdk::proto::canopy::common::v1::PageResponse {
                next_page_token: next,
                total_size: total,
            }),
        }))
    }

    async fn update_customer(
        &self,
        request: Request<pb::UpdateCustomerRequest>,
    ) -> Result<Response<pb::UpdateCustomerResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let mut violations = Vec::new();
        let tenant_id = required_id("customer_id", &input.customer_id);
        let name = (!input.name.is_empty()).then(|| human_text_field("name", &input.name, 100, &mut violations));
        let plan_id = Some(input.plan_id.clone()).filter(|p| !p.is_empty());
        if plan_id.as_deref().is_some_and(|p| !valid_plan_id(p)) {
            violations.push(FieldViolation::new("plan_id", "must be a plan id such as standard"));
        }
        let overrides = if input.clear_quota_overrides {
            Some(Overrides::default())
        } else {
            input.quota_overrides.as_ref().map(|limits| {
                let (providers, tier) = limits_from_proto("quota_overrides", limits, &mut violations);
                Overrides {
                    max_sites: (limits.max_sites > 0).then_some(limits.max_sites),
                    max_deployments_per_month: (limits.max_deployments_per_month > 0)
                        .then_some(limits.max_deployments_per_month),
                    allowed_providers: (!providers.is_empty()).then_some(providers),
                    allowed_regions: (!limits.allowed_regions.is_empty()).then(|| limits.allowed_regions.clone()),
                    rate_tier: tier.map(String::from),
                }
            })
        };
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let tenant_id = tenant_id?;
        let mut tx = self.0.database.begin(customer_scope(&principal, tenant_id)?).await.map_err(db)?;
        store::customer(&mut tx, tenant_id, true)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        if let Some(plan_id) = &plan_id
            && store::plan(&mut tx, plan_id).await.map_err(db)?.is_none()
        {
            return Err(ApiError::invalid("plan_id", format!("no plan {plan_id:?}")).into());
        }
        store::update_customer(&mut tx, tenant_id, name.as_deref(), plan_id.as_deref(), overrides.as_ref())
            .await
            .map_err(db)?;
        let customer = store::customer(&mut tx, tenant_id, false)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::UpdateCustomerResponse { customer: Some(customer_to_proto(&customer)) }))
    }

    async fn suspend_customer(
        &self,
        request: Request<pb::SuspendCustomerRequest>,
    ) -> Result<Response<pb::SuspendCustomerResponse>, Status> {
        let request = request.map(|r| (r.customer_id, r.reason));
        let customer = self.change_status(request, CustomerStatus::Suspended).await?;
        Ok(Response::new(pb::SuspendCustomerResponse { customer: Some(customer) }))
    }

    async fn reactivate_customer(
        &self,
        request: Request<pb::ReactivateCustomerRequest>,
    ) -> Result<Response<pb::ReactivateCustomerResponse>, Status> {
        let request = request.map(|r| (r.customer_id, String::new()));
        let customer = self.change_status(request, CustomerStatus::Active).await?;
        Ok(Response::new(pb::ReactivateCustomerResponse { customer: Some(customer) }))
    }

    async fn deactivate_customer(
        &self,
        request: Request<pb::DeactivateCustomerRequest>,
    ) -> Result<Response<pb::DeactivateCustomerResponse>, Status> {
        let request = request.map(|r| (r.customer_id, r.reason));
        let customer = self.change_status(request, CustomerStatus::Deactivated).await?;
        Ok(Response::new(pb::DeactivateCustomerResponse { customer: Some(customer) }))
    }

    async fn list_customer_status_changes(
        &self,
        request: Request<pb::ListCustomerStatusChangesRequest>,
    ) -> Result<Response<pb::ListCustomerStatusChangesResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let tenant_id = required_id("customer_id", &input.customer_id)?;
        let page = input.page.unwrap_or_default();
        let limit = page_size(page.page_size)?;
        let cursor = PageCursor::decode(&page.page_token)?;
        let mut tx = self.0.database.begin(customer_scope(&principal, tenant_id)?).await.map_err(db)?;
        store::customer(&mut tx, tenant_id, false)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        let mut rows =
            store::status_changes(&mut tx, tenant_id, cursor.map(|c| (c.time, c.id)), limit + 1).await.map_err(db)?;
        let next = finish_page(&mut rows, limit, |r| PageCursor { time: r.change_time, id: r.id });
        let status =
            |s: Option<CustomerStatus>| s.map(super::status_to_proto).unwrap_or(pb::CustomerStatus::Unspecified) as i32;
        Ok(Response::new(pb::ListCustomerStatusChangesResponse {
            changes: rows
                .iter()
                .map(|r| pb::CustomerStatusChange {
                    from_status: status(r.from_status),
                    to_status: status(Some(r.to_status)),
                    reason: r.reason.clone(),
                    changed_by: r.changed_by.clone(),
                    change_time: Some(timestamp(r.change_time)),
                })
                .collect(),
            page: Some(canopy_sdk::proto::canopy::common::v1::PageResponse { next_page_token: next, total_size: -1 }),
        }))
    }
}

/// What a status change tells alerting: a suspension starts `customer_suspended`
/// (a warning), a reactivation from it ends it.
fn status_event(
    customer: &crate::store::customers::CustomerRow,
    from: CustomerStatus,
    to: CustomerStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<CanopyEvent> {
    let event = |summary: String| {
        CanopyEvent::new("customer_suspended", Severity::Warning, summary, now).tenant(customer.tenant_id)
    };
    match (from, to) {
        (_, CustomerStatus::Suspended) => Some(event(format!("customer {} was suspended", customer.name))),
        (CustomerStatus::Suspended, CustomerStatus::Active) => {
            Some(event(format!("customer {} was reactivated", customer.name)).resolved())
        }
        _ => None,
    }
}
