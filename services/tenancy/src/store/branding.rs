//! `tenancy.branding` (with the custom domain and its verification) and its images,
//! `tenancy.branding_asset`.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A branding row.
#[derive(Debug, Clone, Default, FromRow)]
pub struct BrandingRow {
    pub tenant_id: Uuid,
    pub product_name: String,
    pub primary_color: String,
    pub secondary_color: String,
    pub accent_color: String,
    pub custom_domain: Option<String>,
    pub custom_domain_verified: bool,
    pub domain_verification_token: String,
    pub support_email: String,
    pub mail_sender_name: String,
    pub theme_variables: serde_json::Value,
    pub has_logo: bool,
    pub has_favicon: bool,
    pub update_time: DateTime<Utc>,
}

/// The branding columns, and whether each image is uploaded.
const SELECT: &str = "select b.tenant_id, b.product_name, b.primary_color, b.secondary_color, b.accent_color,
    b.custom_domain, b.custom_domain_verified, b.domain_verification_token, b.support_email, b.mail_sender_name,
    b.theme_variables, b.update_time,
    exists (select 1 from tenancy.branding_asset a where a.tenant_id = b.tenant_id and a.kind = 'logo') as has_logo,
    exists (select 1 from tenancy.branding_asset a where a.tenant_id = b.tenant_id and a.kind = 'favicon') as has_favicon
    from tenancy.branding b";

pub async fn branding(tx: &mut PgConnection, tenant_id: Uuid) -> Result<Option<BrandingRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} where b.tenant_id = $1")).bind(tenant_id).fetch_optional(&mut *tx).await
}

/// The branding of the customer whose *verified* domain is `domain`.
pub async fn branding_by_verified_domain(
    tx: &mut PgConnection,
    domain: &str,
) -> Result<Option<BrandingRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} join tenancy.customer c on c.tenant_id = b.tenant_id
          where lower(b.custom_domain) = lower($1) and b.custom_domain_verified and c.status in ('active', 'suspended')"
    ))
    .bind(domain)
    .fetch_optional(&mut *tx)
    .await
}

/// Replaces the editable branding fields.
pub async fn update_branding(tx: &mut PgConnection, row: &BrandingRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update tenancy.branding set product_name = $2, primary_color = $3, secondary_color = $4, accent_color = $5,
            support_email = $6, mail_sender_name = $7, theme_variables = $8, update_time = now()
          where tenant_id = $1",
    )
    .bind(row.tenant_id)
    .bind(&row.product_name)
    .bind(&row.primary_color)
    .bind(&row.secondary_color)
    .bind(&row.accent_color)
    .bind(&row.support_email)
    .bind(&row.mail_sender_name)
    .bind(&row.theme_variables)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Sets (or clears) the domain, unverified, with a fresh verification token.
pub async fn set_domain(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    domain: Option<&str>,
    token: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update tenancy.branding set custom_domain = $2, custom_domain_verified = false,
            domain_verification_token = $3, update_time = now() where tenant_id = $1",
    )
    .bind(tenant_id)
    .bind(domain)
    .bind(token)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn mark_domain_verified(tx: &mut PgConnection, tenant_id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("update tenancy.branding set custom_domain_verified = true, update_time = now() where tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn put_asset(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    kind: &str,
    content_type: &str,
    data: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into tenancy.branding_asset (tenant_id, kind, content_type, data) values ($1, $2, $3, $4)
         on conflict (tenant_id, kind) do update set content_type = excluded.content_type, data = excluded.data,
            update_time = now()",
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(content_type)
    .bind(data)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update tenancy.branding set update_time = now() where tenant_id = $1")
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn asset(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    kind: &str,
) -> Result<Option<(String, Vec<u8>)>, sqlx::Error> {
    sqlx::query_as("select content_type, data from tenancy.branding_asset where tenant_id = $1 and kind = $2")
        .bind(tenant_id)
        .bind(kind)
        .fetch_optional(&mut *tx)
        .await
}
