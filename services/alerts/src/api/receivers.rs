//! `ReceiverService` (the platform's receivers) and `CustomerReceiverService` (a
//! customer's own, for the alerts labelled with their customer id).

use std::sync::Arc;

use canopy_kit::db::{Scope, TenantId};
use canopy_kit::request::{optional_tenant, principal, required_id, timestamp};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::alerts::v1 as proto;
use canopy_sdk::proto::canopy::alerts::v1::customer_receiver_service_server::CustomerReceiverService;
use canopy_sdk::proto::canopy::alerts::v1::receiver_service_server::ReceiverService;
use prost::Message as _;
use sqlx::PgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{db, finish_offset_page, object_name, offset_page, refuse_if_any};
use crate::Alerts;
use crate::delivery::{check_slack_url, check_webhook_url};
use crate::store::{self, NewReceiver, ReceiverRow, SpecTable};

pub struct ReceiverApi(pub Arc<Alerts>);
pub struct CustomerReceiverApi(pub Arc<Alerts>);

pub fn receiver(row: &ReceiverRow) -> proto::Receiver {
    use proto::receiver::Kind;
    let url = row.url.clone().unwrap_or_default();
    let kind = match row.kind.as_str() {
        "slack" => Some(Kind::Slack(proto::SlackConfig { webhook_url: url })),
        "webhook" => Some(Kind::Webhook(proto::WebhookConfig { url })),
        "escalation" => Some(Kind::Escalation(proto::EscalationConfig {
            escalation_policy_id: row.escalation_policy_id.map(|id| id.to_string()).unwrap_or_default(),
        })),
        "email" => Some(Kind::Email(proto::EmailConfig { addresses: row.email_addresses.clone().unwrap_or_default() })),
        _ => None,
    };
    proto::Receiver {
        id: row.id.to_string(),
        name: row.name.clone(),
        kind,
        send_resolved: row.send_resolved,
        create_time: Some(timestamp(row.created_at)),
        customer_id: row.tenant_id.map(|id| id.to_string()).unwrap_or_default(),
        delivered_count: row.delivered_count,
        pending_count: row.pending_count,
        last_error: row.last_error.clone().unwrap_or_default(),
    }
}

/// Creates a receiver for the platform (`tenant` None) or a customer, after checking
/// every field; a webhook's new secret comes back with it.
async fn create(
    alerts: &Alerts,
    scope: Scope,
    tenant: Option<Uuid>,
    spec: Option<proto::ReceiverSpec>,
) -> Result<(proto::Receiver, String), ApiError> {
    use proto::receiver_spec::Kind;
    let spec = spec.unwrap_or_default();
    let mut violations: Vec<FieldViolation> = Vec::new();
    let name = object_name("receiver.name", &spec.name, &mut violations);
    let allow_insecure = alerts.config.allow_insecure_endpoints;
    let mut policy_id = None;
    let mut email_addresses = None;
    let (kind, url, secret) = match &spec.kind {
        Some(Kind::Slack(slack)) => {
            if let Err(description) = check_slack_url(&slack.webhook_url, allow_insecure) {
                violations.push(FieldViolation::new("receiver.slack.webhook_url", description));
            }
            ("slack", Some(slack.webhook_url.trim().to_string()), None)
        }
        Some(Kind::Webhook(webhook)) => {
            if let Err(description) = check_webhook_url(&webhook.url, allow_insecure) {
                violations.push(FieldViolation::new("receiver.webhook.url", description));
            }
            ("webhook", Some(webhook.url.trim().to_string()), Some(canopy_kit::webhook::new_secret()))
        }
        Some(Kind::Email(email)) => {
            email_addresses =
                Some(crate::email::check_addresses("receiver.email.addresses", &email.addresses, &mut violations));
            ("email", None, None)
        }
        Some(Kind::Escalation(_)) if tenant.is_some() => {
            violations
                .push(FieldViolation::new("receiver.escalation", "customer receivers are Slack, webhooks or email"));
            ("escalation", None, None)
        }
        Some(Kind::Escalation(escalation)) => {
            match canopy_kit::request::required_id(
                "receiver.escalation.escalation_policy_id",
                &escalation.escalation_policy_id,
            ) {
                Ok(id) => policy_id = Some(id),
                Err(ApiError::InvalidArgument(mut found)) => violations.append(&mut found),
                Err(other) => return Err(other),
            }
            ("escalation", None, None)
        }
        None => {
            violations.push(FieldViolation::new("receiver", "one of slack, webhook, escalation or email is required"));
            ("", None, None)
        }
    };
    refuse_if_any(violations)?;
    let mut tx = alerts.database.begin(scope).await.map_err(db)?;
    if let Some(id) = policy_id
        && store::get_spec(&mut tx, SpecTable::EscalationPolicy, id).await.map_err(db)?.is_none()
    {
        return Err(ApiError::invalid("receiver.escalation.escalation_policy_id", "no escalation policy has this id"));
    }
    let row = store::insert_receiver(
        &mut tx,
        &NewReceiver {
            id: Uuid::now_v7(),
            tenant_id: tenant,
            name: &name,
            kind,
            url: url.as_deref(),
            escalation_policy_id: policy_id,
            secret: secret.as_deref(),
            email_addresses: email_addresses.as_deref(),
            send_resolved: spec.send_resolved,
            now: alerts.clock.now(),
        },
    )
    .await
    .map_err(|e| canopy_kit::error::from_sqlx(e, "receiver"))?;
    tx.commit().await.map_err(db)?;
    Ok((receiver(&row), secret.unwrap_or_default()))
}

/// Every receiver name the routing configuration and the escalation policies use.
async fn names_in_use(tx: &mut PgConnection) -> Result<Vec<String>, ApiError> {
    let mut names = Vec::new();
    if let Some((bytes, _)) = store::routing_config(tx).await.map_err(db)? {
        let config = proto::RoutingConfig::decode(bytes.as_slice()).map_err(ApiError::internal)?;
        fn walk(route: &proto::Route, names: &mut Vec<String>) {
            names.push(route.receiver.clone());
            route.routes.iter().for_each(|child| walk(child, names));
        }
        if let Some(route) = &config.route {
            walk(route, &mut names);
        }
    }
    for row in store::all_specs(tx, SpecTable::EscalationPolicy).await.map_err(db)? {
        let spec = proto::EscalationPolicy::decode(row.spec.as_slice()).map_err(ApiError::internal)?;
        names.extend(super::convert::names_in(&spec, |t| matches!(t, proto::escalation_target::Target::Receiver(_))));
    }
    Ok(names)
}

#[tonic::async_trait]
impl ReceiverService for ReceiverApi {
    async fn create_receiver(
        &self,
        request: Request<proto::CreateReceiverRequest>,
    ) -> Result<Response<proto::CreateReceiverResponse>, Status> {
        principal(&request)?;
        let (receiver, signing_secret) = create(&self.0, Scope::Platform, None, request.into_inner().receiver).await?;
        Ok(Response::new(proto::CreateReceiverResponse { receiver: Some(receiver), signing_secret }))
    }

    async fn list_receivers(
        &self,
        request: Request<proto::ListReceiversRequest>,
    ) -> Result<Response<proto::ListReceiversResponse>, Status> {
        principal(&request)?;
        let (limit, offset) = offset_page(request.into_inner().page)?;
        let mut tx = self.0.database.begin_read_only(Scope::Platform).await.map_err(db)?;
        let mut rows = store::list_receivers(&mut tx, None, limit + 1, offset).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        Ok(Response::new(proto::ListReceiversResponse { receivers: rows.iter().map(receiver).collect(), page }))
    }

    async fn delete_receiver(
        &self,
        request: Request<proto::DeleteReceiverRequest>,
    ) -> Result<Response<proto::DeleteReceiverResponse>, Status> {
        principal(&request)?;
        let id = required_id("receiver_id", &request.get_ref().receiver_id)?;
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        store::lock_routing(&mut tx).await.map_err(db)?;
        let existing = store::platform_receivers(&mut tx).await.map_err(db)?.into_iter().find(|r| r.id == id);
        let Some(existing) = existing else { return Err(ApiError::NotFound { resource: "receiver" }.into()) };
        if names_in_use(&mut tx).await?.contains(&existing.name) {
            return Err(ApiError::FailedPrecondition {
                reason: "RECEIVER_IN_USE",
                message: format!(
                    "receiver {:?} is named by the routing configuration or an escalation policy",
                    existing.name
                ),
            }
            .into());
        }
        store::delete_receiver(&mut tx, id, None).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::DeleteReceiverResponse {}))
    }
}

/// The customer a customer-receiver request is about: an owner's own, or the one a
/// platform principal names (required for them).
fn customer_scope(principal: &canopy_kit::auth::Principal, customer_id: &str) -> Result<(Scope, Uuid), ApiError> {
    let requested = optional_tenant("customer_id", customer_id)?;
    match principal.scope_for(requested)? {
        Scope::Tenant(TenantId(tenant)) => Ok((Scope::Tenant(TenantId(tenant)), tenant)),
        _ => Err(ApiError::invalid("customer_id", "is required for platform principals")),
    }
}

#[tonic::async_trait]
impl CustomerReceiverService for CustomerReceiverApi {
    async fn create_customer_receiver(
        &self,
        request: Request<proto::CreateCustomerReceiverRequest>,
    ) -> Result<Response<proto::CreateCustomerReceiverResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let (receiver, signing_secret) = create(&self.0, scope, Some(tenant), request.receiver).await?;
        Ok(Response::new(proto::CreateCustomerReceiverResponse { receiver: Some(receiver), signing_secret }))
    }

    async fn list_customer_receivers(
        &self,
        request: Request<proto::ListCustomerReceiversRequest>,
    ) -> Result<Response<proto::ListCustomerReceiversResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let (limit, offset) = offset_page(request.page)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut rows = store::list_receivers(&mut tx, Some(tenant), limit + 1, offset).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        Ok(Response::new(proto::ListCustomerReceiversResponse { receivers: rows.iter().map(receiver).collect(), page }))
    }

    async fn delete_customer_receiver(
        &self,
        request: Request<proto::DeleteCustomerReceiverRequest>,
    ) -> Result<Response<proto::DeleteCustomerReceiverResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let id = required_id("receiver_id", &request.receiver_id)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let deleted = store::delete_receiver(&mut tx, id, Some(tenant)).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        if !deleted {
            return Err(ApiError::NotFound { resource: "receiver" }.into());
        }
        Ok(Response::new(proto::DeleteCustomerReceiverResponse {}))
    }
}
