//! Quota: `tenancy.site_usage`, `tenancy.deployment_usage` and the reservations that
//! make taking a unit idempotent, `tenancy.quota_reservation`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The first day of `now`'s month (UTC), the key of monthly usage.
pub fn month_of(now: DateTime<Utc>) -> NaiveDate {
    NaiveDate::from_ymd_opt(now.year(), now.month(), 1).expect("first of month exists")
}

/// (sites held, deployments this month).
pub async fn usage(tx: &mut PgConnection, tenant_id: Uuid, month: NaiveDate) -> Result<(i32, i32), sqlx::Error> {
    let sites: Option<i32> = sqlx::query_scalar("select sites_used from tenancy.site_usage where tenant_id = $1")
        .bind(tenant_id)
        .fetch_optional(&mut *tx)
        .await?;
    let deployments: Option<i32> =
        sqlx::query_scalar("select deployments from tenancy.deployment_usage where tenant_id = $1 and month = $2")
            .bind(tenant_id)
            .bind(month)
            .fetch_optional(&mut *tx)
            .await?;
    Ok((sites.unwrap_or(0), deployments.unwrap_or(0)))
}

/// Outcome of a reservation attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Reserved {
    /// Quota taken now.
    Taken,
    /// This key already held a reservation; nothing taken twice.
    AlreadyHeld,
    /// No quota left; the transaction must roll back.
    Exhausted,
}

/// Takes one site slot. The conditional `update` holds the usage row's lock, so
/// concurrent reservations serialise on it and re-check the limit: exactly as many
/// succeed as there are free slots.
pub async fn reserve_site(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    key: &str,
    limit: i32,
) -> Result<Reserved, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into tenancy.quota_reservation (tenant_id, resource, reservation_key) values ($1, 'site', $2)
         on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(key)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Reserved::AlreadyHeld);
    }
    let taken = sqlx::query(
        "update tenancy.site_usage set sites_used = sites_used + 1 where tenant_id = $1 and sites_used < $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(if taken == 1 { Reserved::Taken } else { Reserved::Exhausted })
}

/// Takes one deployment of `month`, the same way.
pub async fn reserve_deployment(
    tx: &mut PgConnection,
    tenant_id: Uuid,
    key: &str,
    month: NaiveDate,
    limit: i32,
) -> Result<Reserved, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into tenancy.quota_reservation (tenant_id, resource, reservation_key, month)
         values ($1, 'deployment', $2, $3) on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(key)
    .bind(month)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(Reserved::AlreadyHeld);
    }
    sqlx::query("insert into tenancy.deployment_usage (tenant_id, month) values ($1, $2) on conflict do nothing")
        .bind(tenant_id)
        .bind(month)
        .execute(&mut *tx)
        .await?;
    let taken = sqlx::query(
        "update tenancy.deployment_usage set deployments = deployments + 1
          where tenant_id = $1 and month = $2 and deployments < $3",
    )
    .bind(tenant_id)
    .bind(month)
    .bind(limit)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(if taken == 1 { Reserved::Taken } else { Reserved::Exhausted })
}

/// Gives a reservation back; releasing an unknown key does nothing.
pub async fn release(tx: &mut PgConnection, tenant_id: Uuid, resource: &str, key: &str) -> Result<(), sqlx::Error> {
    let released: Option<Option<NaiveDate>> = sqlx::query_scalar(
        "delete from tenancy.quota_reservation where tenant_id = $1 and resource = $2 and reservation_key = $3
         returning month",
    )
    .bind(tenant_id)
    .bind(resource)
    .bind(key)
    .fetch_optional(&mut *tx)
    .await?;
    match (resource, released) {
        (_, None) => {}
        ("site", Some(_)) => {
            sqlx::query("update tenancy.site_usage set sites_used = greatest(sites_used - 1, 0) where tenant_id = $1")
                .bind(tenant_id)
                .execute(&mut *tx)
                .await?;
        }
        (_, Some(month)) => {
            sqlx::query(
                "update tenancy.deployment_usage set deployments = greatest(deployments - 1, 0)
                  where tenant_id = $1 and month = $2",
            )
            .bind(tenant_id)
            .bind(month)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}
