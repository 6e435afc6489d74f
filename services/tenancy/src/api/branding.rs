//! `BrandingService`: each customer's white-label configuration, and the public
//! lookups the customer portal makes before anyone signs in.

use std::collections::BTreeMap;
use std::sync::Arc;

use canopy_kit::ApiError;
use canopy_kit::db::Scope;
use canopy_kit::request::human_text_field;
use canopy_sdk::proto::canopy::tenancy::v1 as pb;
use canopy_sdk::proto::canopy::tenancy::v1::branding_service_server::BrandingService;
use rand::RngCore;
use tonic::{Request, Response, Status};

use super::{branding_to_proto, customer_scope, db, principal, required_id};
use crate::Tenancy;
use crate::domain::branding::ColourUse;
use crate::domain::{branding as rules, customer, hostname, image};
use crate::store::{self, BrandingRow};

pub struct BrandingApi(pub Arc<Tenancy>);

/// Prefix of the TXT record that proves domain ownership.
const TXT_PREFIX: &str = "_canopy-verify";

impl BrandingApi {
    fn default_branding(&self) -> pb::Branding {
        let config = &self.0.config;
        pb::Branding {
            product_name: config.default_product_name.clone(),
            primary_color: config.default_primary_color.clone(),
            secondary_color: config.default_secondary_color.clone(),
            accent_color: config.default_accent_color.clone(),
            ..Default::default()
        }
    }

    async fn load(&self, scope: Scope, tenant_id: uuid::Uuid) -> Result<BrandingRow, ApiError> {
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        store::branding(&mut tx, tenant_id).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "customer" })
    }
}

fn asset_kind(kind: i32) -> Result<(&'static str, usize), ApiError> {
    match pb::AssetKind::try_from(kind) {
        Ok(pb::AssetKind::Logo) => Ok(("logo", image::MAX_LOGO_BYTES)),
        Ok(pb::AssetKind::Favicon) => Ok(("favicon", image::MAX_FAVICON_BYTES)),
        _ => Err(ApiError::invalid("kind", "must be ASSET_KIND_LOGO or ASSET_KIND_FAVICON")),
    }
}

#[tonic::async_trait]
impl BrandingService for BrandingApi {
    async fn get_branding(
        &self,
        request: Request<pb::GetBrandingRequest>,
    ) -> Result<Response<pb::GetBrandingResponse>, Status> {
        let domain = hostname::normalize(&request.get_ref().domain);
        // Anything that is not a plausible host name simply gets the default: this
        // endpoint is public and must not help probe which domains exist.
        let branding = if hostname::check(&domain).is_ok() {
            // A system lookup across tenants, before sign-in; only verified domains match.
            let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
            store::branding_by_verified_domain(&mut tx, &domain).await.map_err(db)?.map(|row| branding_to_proto(&row))
        } else {
            None
        };
        Ok(Response::new(pb::GetBrandingResponse {
            branding: Some(branding.unwrap_or_else(|| self.default_branding())),
        }))
    }

    async fn get_branding_asset(
        &self,
        request: Request<pb::GetBrandingAssetRequest>,
    ) -> Result<Response<pb::GetBrandingAssetResponse>, Status> {
        let input = request.into_inner();
        let (kind, _) = asset_kind(input.kind)?;
        let tenant_id = required_id("customer_id", &input.customer_id)?;
        // Logos are public by nature (shown on the sign-in page).
        let mut tx = self.0.database.begin(Scope::Platform).await.map_err(db)?;
        let (content_type, data) = store::asset(&mut tx, tenant_id, kind)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "asset" })?;
        Ok(Response::new(pb::GetBrandingAssetResponse { content_type, data }))
    }

    async fn get_customer_branding(
        &self,
        request: Request<pb::GetCustomerBrandingRequest>,
    ) -> Result<Response<pb::GetCustomerBrandingResponse>, Status> {
        let principal = principal(&request)?;
        let tenant_id = required_id("customer_id", &request.get_ref().customer_id)?;
        let row = self.load(customer_scope(&principal, tenant_id)?, tenant_id).await?;
        Ok(Response::new(pb::GetCustomerBrandingResponse { branding: Some(branding_to_proto(&row)) }))
    }

    async fn update_branding(
        &self,
        request: Request<pb::UpdateBrandingRequest>,
    ) -> Result<Response<pb::UpdateBrandingResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let mut violations = Vec::new();
        let tenant_id = required_id("customer_id", &input.customer_id);
        let product_name = if input.product_name.is_empty() {
            String::new()
        } else {
            human_text_field("product_name", &input.product_name, 60, &mut violations)
        };
        let primary_color = rules::colour("primary_color", &input.primary_color, ColourUse::Primary, &mut violations);
        let secondary_color =
            rules::colour("secondary_color", &input.secondary_color, ColourUse::Secondary, &mut violations);
        let accent_color = rules::colour("accent_color", &input.accent_color, ColourUse::Accent, &mut violations);
        let support_email = if input.support_email.is_empty() {
            String::new()
        } else {
            customer::email("support_email", &input.support_email, &mut violations)
        };
        let mail_sender_name = if input.mail_sender_name.is_empty() {
            String::new()
        } else {
            human_text_field("mail_sender_name", &input.mail_sender_name, 60, &mut violations)
        };
        let theme: BTreeMap<String, String> = input.theme_variables.into_iter().collect();
        rules::theme_variables(&theme, &mut violations);
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let tenant_id = tenant_id?;
        let mut tx = self.0.database.begin(customer_scope(&principal, tenant_id)?).await.map_err(db)?;
        let mut row = store::branding(&mut tx, tenant_id)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        row.product_name = product_name;
        row.primary_color = primary_color;
        row.secondary_color = secondary_color;
        row.accent_color = accent_color;
        row.support_email = support_email;
        row.mail_sender_name = mail_sender_name;
        row.theme_variables = serde_json::to_value(&theme).map_err(ApiError::internal)?;
        store::update_branding(&mut tx, &row).await.map_err(db)?;
        let row = store::branding(&mut tx, tenant_id)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::UpdateBrandingResponse { branding: Some(branding_to_proto(&row)) }))
    }

    async fn upload_branding_asset(
        &self,
        request: Request<pb::UploadBrandingAssetRequest>,
    ) -> Result<Response<pb::UploadBrandingAssetResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let tenant_id = required_id("customer_id", &input.customer_id)?;
        let (kind, max_bytes) = asset_kind(input.kind)?;
        let mut violations = Vec::new();
        image::check(max_bytes, &input.content_type, &input.data, &mut violations);
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations).into());
        }
        let mut tx = self.0.database.begin(customer_scope(&principal, tenant_id)?).await.map_err(db)?;
        store::branding(&mut tx, tenant_id).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "customer" })?;
        store::put_asset(&mut tx, tenant_id, kind, &input.content_type, &input.data).await.map_err(db)?;
        let row = store::branding(&mut tx, tenant_id)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::UploadBrandingAssetResponse { branding: Some(branding_to_proto(&row)) }))
    }

    async fn set_custom_domain(
        &self,
        request: Request<pb::SetCustomDomainRequest>,
    ) -> Result<Response<pb::SetCustomDomainResponse>, Status> {
        let principal = principal(&request)?;
        let input = request.into_inner();
        let tenant_id = required_id("customer_id", &input.customer_id)?;
        let domain = hostname::normalize(&input.domain);
        if !domain.is_empty()
            && let Err(problem) = hostname::check(&domain)
        {
            return Err(ApiError::invalid("domain", problem).into());
        }
        let mut token_bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut token_bytes);
        let token: String = token_bytes.iter().map(|b| format!("{b:02x}")).collect();
        let mut tx = self.0.database.begin(customer_scope(&principal, tenant_id)?).await.map_err(db)?;
        store::branding(&mut tx, tenant_id).await.map_err(db)?.ok_or(ApiError::NotFound { resource: "customer" })?;
        let domain_value = (!domain.is_empty()).then_some(domain.as_str());
        match store::set_domain(&mut tx, tenant_id, domain_value, &token).await {
            Ok(()) => {}
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23505") => {
                return Err(ApiError::invalid("domain", "is already used by another customer").into());
            }
            Err(e) => return Err(db(e).into()),
        }
        let row = store::branding(&mut tx, tenant_id)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        tx.commit().await.map_err(db)?;
        let (txt_record_name, txt_record_value) = if domain.is_empty() {
            (String::new(), String::new())
        } else {
            (format!("{TXT_PREFIX}.{domain}"), format!("canopy-verify={token}"))
        };
        Ok(Response::new(pb::SetCustomDomainResponse {
            branding: Some(branding_to_proto(&row)),
            txt_record_name,
            txt_record_value,
        }))
    }

    async fn verify_custom_domain(
        &self,
        request: Request<pb::VerifyCustomDomainRequest>,
    ) -> Result<Response<pb::VerifyCustomDomainResponse>, Status> {
        let principal = principal(&request)?;
        let tenant_id = required_id("customer_id", &request.get_ref().customer_id)?;
        let scope = customer_scope(&principal, tenant_id)?;
        let row = self.load(scope, tenant_id).await?;
        let Some(domain) = row.custom_domain.clone() else {
            return Err(ApiError::FailedPrecondition {
                reason: "NO_DOMAIN",
                message: "set a custom domain first".into(),
            }
            .into());
        };
        let record = format!("{TXT_PREFIX}.{domain}");
        let expected = format!("canopy-verify={}", row.domain_verification_token);
        let texts = self.0.dns.lookup_txt(&record).await.map_err(|e| {
            tracing::warn!(error = %e, "dns lookup failed");
            ApiError::Unavailable("dns")
        })?;
        if !texts.iter().any(|t| t.trim() == expected) {
            return Err(ApiError::FailedPrecondition {
                reason: "DOMAIN_NOT_VERIFIED",
                message: format!("no TXT record {record} with value {expected} was found"),
            }
            .into());
        }
        let mut tx = self.0.database.begin(scope).await.map_err(db)?;
        store::mark_domain_verified(&mut tx, tenant_id).await.map_err(db)?;
        let row = store::branding(&mut tx, tenant_id)
            .await
            .map_err(db)?
            .ok_or(ApiError::NotFound { resource: "customer" })?;
        tx.commit().await.map_err(db)?;
        Ok(Response::new(pb::VerifyCustomDomainResponse { branding: Some(branding_to_proto(&row)) }))
    }
}
