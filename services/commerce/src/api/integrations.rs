//! `IntegrationService`: a site's store connections. Credentials are checked with a
//! live call before they are stored (a refusal stores nothing), sealed bound to their
//! row, and never returned.

use std::collections::HashMap;
use std::sync::Arc;

use canopy_kit::paging::{finish_offset_page, offset_page};
use canopy_kit::request::{
    customer_scope, human_text_field, one_customer_scope, optional_id_field, principal, required_id, required_id_field,
    timestamp,
};
use canopy_kit::{ApiError, FieldViolation};
use canopy_sdk::proto::canopy::commerce::v1 as proto;
use canopy_sdk::proto::canopy::commerce::v1::integration_service_server::IntegrationService;
use canopy_sdk::proto::canopy::sites::v1::LookupSiteRequest;
use canopy_sdk::proto::canopy::sites::v1::site_directory_service_client::SiteDirectoryServiceClient;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{check_to_proto, db, integration_to_proto};
use crate::Commerce;
use crate::connect::{Cause, Connection, Outcome};
use crate::health::{self, Trigger};
use crate::store::{self, IntegrationFilter, NewIntegration};

pub struct IntegrationApi(pub Arc<Commerce>);

/// The longest display name, in characters.
const DISPLAY_NAME_MAX_CHARS: usize = 100;

impl IntegrationApi {
    /// Refuses a site that is not the customer's (or does not exist) by its field.
    async fn require_site(&self, customer: Uuid, site: Uuid) -> Result<(), ApiError> {
        let channel = self.0.peers.channel("sites").await.map_err(|_| ApiError::Unavailable("sites"))?;
        let found = SiteDirectoryServiceClient::new(channel)
            .lookup_site(LookupSiteRequest { customer_id: customer.to_string(), site_id: site.to_string() })
            .await
            .map_err(|status| ApiError::from_peer("sites", status))?
            .into_inner()
            .found;
        if found { Ok(()) } else { Err(ApiError::invalid("site_id", "is not a site of this customer")) }
    }

    /// A store's refusal of new credentials, as the caller sees it.
    fn refused(outcome: &Outcome) -> ApiError {
        match outcome.cause {
            Cause::RateLimited => ApiError::ResourceExhausted {
                reason: "STORE_RATE_LIMITED",
                message: outcome.message.clone(),
                retry_after: outcome.retry_after.unwrap_or(std::time::Duration::from_secs(1)),
            },
            _ => ApiError::FailedPrecondition { reason: outcome.cause.reason(), message: outcome.message.clone() },
        }
    }
}

fn validate_response(outcome: &Outcome) -> proto::ValidateCredentialsResponse {
    proto::ValidateCredentialsResponse {
        valid: outcome.healthy,
        cause: super::cause_to_proto(outcome.cause.code()) as i32,
        message: outcome.message.clone(),
        store_name: outcome.store_name.clone().unwrap_or_default(),
        missing_scopes: outcome.missing_scopes.clone(),
        retry_after_seconds: outcome.retry_after.map(|wait| wait.as_secs().max(1) as i64).unwrap_or_default(),
    }
}

/// A display name, or empty when none was given.
fn optional_display_name(raw: &str, violations: &mut Vec<FieldViolation>) -> String {
    if raw.is_empty() {
        return String::new();
    }
    human_text_field("display_name", raw, DISPLAY_NAME_MAX_CHARS, violations)
}

/// The platform field, named when unknown.
fn platform_field(field: &str, value: i32, violations: &mut Vec<FieldViolation>) -> Option<proto::Platform> {
    match proto::Platform::try_from(value) {
        Ok(proto::Platform::Unspecified) | Err(_) => {
            violations.push(FieldViolation::new(
                field,
                "must be PLATFORM_SHOPIFY, PLATFORM_WOOCOMMERCE or PLATFORM_BIGCOMMERCE",
            ));
            None
        }
        Ok(platform) => Some(platform),
    }
}

/// A connection form, parsed; every problem named by its field under `prefix`.
fn connection_field(
    commerce: &Commerce,
    prefix: &str,
    platform: Option<proto::Platform>,
    credentials: &HashMap<String, String>,
    violations: &mut Vec<FieldViolation>,
) -> Option<Connection> {
    let platform = platform?;
    match commerce.stores.parse(platform, credentials) {
        Ok(connection) => Some(connection),
        Err(found) => {
            violations
                .extend(found.into_iter().map(|v| FieldViolation::new(format!("{prefix}.{}", v.field), v.description)));
            None
        }
    }
}

#[tonic::async_trait]
impl IntegrationService for IntegrationApi {
    async fn create_integration(
        &self,
        request: Request<proto::CreateIntegrationRequest>,
    ) -> Result<Response<proto::CreateIntegrationResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer_scope(&principal, &request.customer_id)?;
        let mut violations = Vec::new();
        let site = required_id_field("site_id", &request.site_id, &mut violations);
        let platform = platform_field("platform", request.platform, &mut violations);
        let display_name = optional_display_name(&request.display_name, &mut violations);
        let connection = connection_field(&self.0, "credentials", platform, &request.credentials, &mut violations);
        ApiError::refuse_if_any(violations)?;
        let connection = connection.expect("validated");
        self.require_site(tenant, site).await?;
        let outcome = self.0.stores.check(&connection).await;
        if !outcome.healthy {
            return Err(Self::refused(&outcome).into());
        }
        let id = Uuid::now_v7();
        let now = self.0.clock.now();
        let display_name = if display_name.is_empty() {
            outcome.store_name.clone().filter(|name| !name.is_empty()).unwrap_or_else(|| connection.store().to_owned())
        } else {
            display_name
        };
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let sealed =
            self.0.stores.seal(&self.0.secrets, &mut tx, tenant, id, &connection).await.map_err(ApiError::internal)?;
        store::insert_integration(
            &mut tx,
            &NewIntegration {
                tenant_id: tenant,
                id,
                site_id: site,
                platform: connection.platform_code(),
                display_name: &display_name,
                store: connection.store(),
                credentials: &sealed,
                credential_hints: &connection.hints(),
                now,
            },
        )
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let row = self.read(scope, tenant, id).await?;
        health::record(&self.0, &row, &outcome, Trigger::Created).await.map_err(ApiError::internal)?;
        let row = self.read(scope, tenant, id).await?;
        Ok(Response::new(proto::CreateIntegrationResponse { integration: Some(integration_to_proto(&row)) }))
    }

    async fn get_integration(
        &self,
        request: Request<proto::GetIntegrationRequest>,
    ) -> Result<Response<proto::GetIntegrationResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer_scope(&principal, &request.customer_id)?;
        let id = required_id("integration_id", &request.integration_id)?;
        let row = self.read(scope, tenant, id).await?;
        Ok(Response::new(proto::GetIntegrationResponse { integration: Some(integration_to_proto(&row)) }))
    }

    async fn list_integrations(
        &self,
        request: Request<proto::ListIntegrationsRequest>,
    ) -> Result<Response<proto::ListIntegrationsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = customer_scope(&principal, &request.customer_id)?;
        let mut violations = Vec::new();
        let site = optional_id_field("site_id", &request.site_id, &mut violations);
        let platform = match proto::Platform::try_from(request.platform) {
            Ok(proto::Platform::Unspecified) => None,
            Ok(platform) => Some(crate::connect::platform_code(platform)),
            Err(_) => {
                violations.push(FieldViolation::new("platform", "is not a known platform"));
                None
            }
        };
        let health = match proto::IntegrationHealth::try_from(request.health) {
            Ok(proto::IntegrationHealth::Unspecified) => None,
            Ok(proto::IntegrationHealth::Healthy) => Some("healthy"),
            Ok(proto::IntegrationHealth::Unhealthy) => Some("unhealthy"),
            Err(_) => {
                violations.push(FieldViolation::new("health", "is not a known health"));
                None
            }
        };
        ApiError::refuse_if_any(violations)?;
        let (limit, offset) = offset_page(request.page)?;
        let filter = IntegrationFilter { tenant, site, platform, health };
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let mut rows = store::list_integrations(&mut tx, &filter, offset, limit + 1).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut rows, limit, offset);
        Ok(Response::new(proto::ListIntegrationsResponse {
            integrations: rows.iter().map(integration_to_proto).collect(),
            page,
        }))
    }

    async fn update_integration(
        &self,
        request: Request<proto::UpdateIntegrationRequest>,
    ) -> Result<Response<proto::UpdateIntegrationResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer_scope(&principal, &request.customer_id)?;
        let id = required_id("integration_id", &request.integration_id)?;
        let current = self.read(scope, tenant, id).await?;
        let mut violations = Vec::new();
        let display_name = optional_display_name(&request.display_name, &mut violations);
        let platform = crate::connect::platform_from_code(&current.platform);
        let connection = if request.credentials.is_empty() {
            None
        } else {
            connection_field(&self.0, "credentials", platform, &request.credentials, &mut violations)
        };
        if let Some(connection) = &connection
            && connection.store() != current.store
        {
            violations.push(FieldViolation::new(
                "credentials",
                format!(
                    "the store may not change ({} is connected); connect the other store separately",
                    current.store
                ),
            ));
        }
        ApiError::refuse_if_any(violations)?;
        if display_name.is_empty() && connection.is_none() {
            return Err(ApiError::invalid("credentials", "give new credentials or a new display_name").into());
        }
        // New credentials replace the old ones only once the store accepts them.
        let outcome = match &connection {
            Some(connection) => {
                let outcome = self.0.stores.check(connection).await;
                if !outcome.healthy {
                    return Err(Self::refused(&outcome).into());
                }
                Some(outcome)
            }
            None => None,
        };
        let now = self.0.clock.now();
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        let sealed = match &connection {
            Some(connection) => Some((
                self.0
                    .stores
                    .seal(&self.0.secrets, &mut tx, tenant, id, connection)
                    .await
                    .map_err(ApiError::internal)?,
                connection.hints(),
            )),
            None => None,
        };
        let name = (!display_name.is_empty()).then_some(display_name.as_str());
        let updated = store::update_integration(
            &mut tx,
            tenant,
            id,
            request.revision,
            name,
            sealed.as_ref().map(|(sealed, hints)| (sealed.as_slice(), hints)),
            now,
        )
        .await
        .map_err(db)?;
        let Some(row) = updated else {
            return Err(match store::integration(&mut tx, tenant, id, false).await.map_err(db)? {
                None => ApiError::NotFound { resource: "integration" },
                Some(stored) => ApiError::FailedPrecondition {
                    reason: "REVISION_CONFLICT",
                    message: format!(
                        "the integration changed since it was read (revision {} now, {} given); read it again",
                        stored.revision, request.revision
                    ),
                },
            }
            .into());
        };
        tx.commit().await.map_err(db)?;
        if let Some(outcome) = &outcome {
            health::record(&self.0, &row, outcome, Trigger::Rotated).await.map_err(ApiError::internal)?;
        }
        let row = self.read(scope, tenant, id).await?;
        Ok(Response::new(proto::UpdateIntegrationResponse { integration: Some(integration_to_proto(&row)) }))
    }

    async fn delete_integration(
        &self,
        request: Request<proto::DeleteIntegrationRequest>,
    ) -> Result<Response<proto::DeleteIntegrationResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer_scope(&principal, &request.customer_id)?;
        let id = required_id("integration_id", &request.integration_id)?;
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        if !store::delete_integration(&mut tx, tenant, id).await.map_err(db)? {
            return Err(ApiError::NotFound { resource: "integration" }.into());
        }
        tx.commit().await.map_err(db)?;
        Ok(Response::new(proto::DeleteIntegrationResponse {}))
    }

    async fn validate_credentials(
        &self,
        request: Request<proto::ValidateCredentialsRequest>,
    ) -> Result<Response<proto::ValidateCredentialsResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer_scope(&principal, &request.customer_id)?;
        match request.target {
            None => Err(ApiError::invalid("target", "give new_credentials or integration_id").into()),
            Some(proto::validate_credentials_request::Target::NewCredentials(new)) => {
                let mut violations = Vec::new();
                let platform = platform_field("new_credentials.platform", new.platform, &mut violations);
                let connection = connection_field(
                    &self.0,
                    "new_credentials.credentials",
                    platform,
                    &new.credentials,
                    &mut violations,
                );
                ApiError::refuse_if_any(violations)?;
                let outcome = self.0.stores.check(&connection.expect("validated")).await;
                Ok(Response::new(validate_response(&outcome)))
            }
            Some(proto::validate_credentials_request::Target::IntegrationId(id)) => {
                let id = required_id("integration_id", &id)?;
                // Refuses another customer's id before any call leaves the platform.
                self.read(scope, tenant, id).await?;
                let outcome = health::check_stored(&self.0, tenant, id, Trigger::OnDemand)
                    .await
                    .map_err(ApiError::internal)?
                    .ok_or(ApiError::NotFound { resource: "integration" })?;
                Ok(Response::new(validate_response(&outcome)))
            }
        }
    }

    async fn get_integration_status(
        &self,
        request: Request<proto::GetIntegrationStatusRequest>,
    ) -> Result<Response<proto::GetIntegrationStatusResponse>, Status> {
        let principal = principal(&request)?;
        let request = request.into_inner();
        let (scope, tenant) = one_customer_scope(&principal, &request.customer_id)?;
        let id = required_id("integration_id", &request.integration_id)?;
        let (limit, offset) = offset_page(request.page)?;
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let row = store::integration(&mut tx, tenant, id, false)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "integration" })?;
        let mut history = store::history(&mut tx, tenant, id, offset, limit + 1).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        let page = finish_offset_page(&mut history, limit, offset);
        Ok(Response::new(proto::GetIntegrationStatusResponse {
            next_check_time: Some(timestamp(row.next_check_at)),
            integration: Some(integration_to_proto(&row)),
            history: history.iter().map(check_to_proto).collect(),
            page,
        }))
    }
}

impl IntegrationApi {
    async fn read(
        &self,
        scope: canopy_kit::db::Scope,
        tenant: Uuid,
        id: Uuid,
    ) -> Result<store::IntegrationRow, ApiError> {
        let mut tx = self.0.database.begin_read_only(scope).await.map_err(db)?;
        let row = store::integration(&mut tx, tenant, id, false).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        row.ok_or(ApiError::NotFound { resource: "integration" })
    }
}
