//! The rotation pass (see the module doc of [`super`]) and its status, published to
//! Redis as `<prefix>secrets:status:<schema>` so one service can show every service's.
//! Two replicas may run it at once: a pass holds a transaction-level advisory lock for
//! its duration and the other replica's pass skips; each step is idempotent anyway.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row as _;
use uuid::Uuid;

use super::kek::{KekDescription, KekVersions};
use super::{Binding, EncryptedColumn, Secrets, SecretsError};
use crate::db::{Database, Scope};
use crate::manifest::Job;
use crate::redis_store::{RedisStore, RedisUnavailable};

/// The name of the rotation job (list it in the manifest's `jobs`).
pub const ROTATION_JOB: &str = "key-rotation";

/// Rows re-encrypted per transaction.
const BATCH: i64 = 200;

/// Data keys of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataKeyCount {
    pub version: u32,
    pub retired: bool,
    pub count: u64,
}

/// What the last rotation pass found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationStatus {
    /// The service's schema.
    pub schema: String,
    /// `keyring` or `transit`.
    pub kek_kind: String,
    /// The keyring's path or the transit key's URL.
    pub kek_name: String,
    pub kek_current_version: u32,
    pub kek_min_decryption_version: u32,
    /// Live (unretired) data keys per KEK version they are wrapped under.
    pub data_keys_by_kek_version: BTreeMap<u32, u64>,
    /// Data keys per version and retirement.
    pub data_keys_by_version: Vec<DataKeyCount>,
    /// Rows of each registered column (`table.column`) not yet under their owner's
    /// newest data key.
    pub rows_pending: BTreeMap<String, u64>,
    /// Counts of the last pass.
    pub rewrapped: u64,
    pub new_data_key_versions: u64,
    pub reencrypted: u64,
    pub retired_data_key_versions: u64,
    /// When the last pass ended; none before the first.
    pub last_pass_at: Option<DateTime<Utc>>,
    /// The last pass was skipped: another replica's pass held the lock.
    pub skipped: bool,
    /// Why the last pass (or part of it) failed, if it did.
    pub last_error: Option<String>,
}

impl RotationStatus {
    pub(super) fn empty(schema: &str, kek: &KekDescription, versions: KekVersions) -> Self {
        Self {
            schema: schema.to_string(),
            kek_kind: kek.kind.to_string(),
            kek_name: kek.name.clone(),
            kek_current_version: versions.current,
            kek_min_decryption_version: versions.min_decryption,
            data_keys_by_kek_version: BTreeMap::new(),
            data_keys_by_version: Vec::new(),
            rows_pending: BTreeMap::new(),
            rewrapped: 0,
            new_data_key_versions: 0,
            reencrypted: 0,
            retired_data_key_versions: 0,
            last_pass_at: None,
            skipped: false,
            last_error: None,
        }
    }
}

/// Every service's published status, by schema.
pub async fn published_statuses(redis: &RedisStore) -> Result<Vec<RotationStatus>, RedisUnavailable> {
    let pattern = redis.key("secrets:status:*");
    let values: Vec<Option<String>> = redis
        .run(|mut connection| async move {
            let mut keys: Vec<String> = Vec::new();
            let mut cursor: u64 = 0;
            loop {
                let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(200)
                    .query_async(&mut connection)
                    .await?;
                keys.extend(batch);
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
            if keys.is_empty() {
                return Ok(Vec::new());
            }
            keys.sort();
            redis::cmd("MGET").arg(&keys).query_async(&mut connection).await
        })
        .await?;
    Ok(values.into_iter().flatten().filter_map(|json| serde_json::from_str(&json).ok()).collect())
}

impl Secrets {
    /// The status of the last pass.
    pub fn status(&self) -> RotationStatus {
        self.status.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Publishes [`Secrets::status`] to Redis.
    pub async fn publish_status(&self, redis: &RedisStore) -> Result<(), RedisUnavailable> {
        let key = redis.key(&format!("secrets:status:{}", self.schema));
        let json = serde_json::to_string(&self.status()).unwrap_or_default();
        redis
            .run(|mut connection| async move {
                redis::cmd("SET").arg(&key).arg(&json).query_async::<()>(&mut connection).await
            })
            .await
    }

    /// The background job: a pass every `rotation_interval_secs` (the first at once),
    /// its status published to `redis` when given.
    pub fn rotation_job(self: Arc<Self>, db: Database, redis: Option<RedisStore>) -> Job {
        let interval = Duration::from_secs(self.config.rotation_interval_secs.max(1));
        Job::new(ROTATION_JOB, move |token| async move {
            loop {
                if let Err(error) = self.rotate(&db).await {
                    tracing::warn!(schema = self.schema, error = %error, "secrets rotation pass failed");
                }
                if let Some(redis) = &redis
                    && let Err(error) = self.publish_status(redis).await
                {
                    tracing::warn!(schema = self.schema, error = %error, "cannot publish the secrets status");
                }
                tokio::select! {
                    () = token.cancelled() => return,
                    () = tokio::time::sleep(interval) => {}
                }
            }
        })
    }

    /// One rotation pass. Skips (status `skipped`) while another replica's pass runs.
    /// A failure is also recorded in the status's `last_error`.
    pub async fn rotate(&self, db: &Database) -> Result<RotationStatus, SecretsError> {
        let mut status = RotationStatus::empty(self.schema, &self.kek.describe(), self.kek.versions());
        let result = self.rotate_into(db, &mut status).await;
        if let Err(error) = &result {
            status.last_error = Some(error.to_string());
        }
        status.last_pass_at = Some(Utc::now());
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status.clone();
        result.map(|()| status)
    }

    async fn rotate_into(&self, db: &Database, status: &mut RotationStatus) -> Result<(), SecretsError> {
        // Held until the pass ends (dropping the transaction releases it, even on error).
        let mut lock = db.app.begin().await?;
        let locked: bool = sqlx::query_scalar("select pg_try_advisory_xact_lock(hashtext($1))")
            .bind(format!("canopy.secrets.rotate.{}", self.schema))
            .fetch_one(&mut *lock)
            .await?;
        if !locked {
            status.skipped = true;
            return Ok(());
        }
        let versions = self.kek.reload().await?;
        status.kek_current_version = versions.current;
        status.kek_min_decryption_version = versions.min_decryption;
        // A retirement done elsewhere must not be outlived by cached keys.
        self.cache.invalidate_all();

        let mut errors = Vec::new();
        self.rewrap(db, versions, status, &mut errors).await?;
        self.renew_old_data_keys(db, status).await?;
        for column in &self.columns {
            self.reencrypt(db, column, status, &mut errors).await?;
        }
        if !self.columns.is_empty() {
            self.retire_superseded(db, status).await?;
        }
        self.count(db, status).await?;
        lock.rollback().await?;
        if !errors.is_empty() {
            status.last_error = Some(errors.join("; "));
        }
        Ok(())
    }

    /// (a) Re-wraps every live data key wrapped under an older KEK version.
    async fn rewrap(
        &self,
        db: &Database,
        versions: KekVersions,
        status: &mut RotationStatus,
        errors: &mut Vec<String>,
    ) -> Result<(), SecretsError> {
        let schema = self.schema;
        let mut tx = db.begin_unaudited(Scope::Platform).await?;
        let stale: Vec<(Option<Uuid>, i32, i32)> = sqlx::query_as(&format!(
            "select tenant_id, version, kek_version from {schema}.data_key
              where kek_version < $1 and retired_at is null order by tenant_id, version"
        ))
        .bind(i32::try_from(versions.current).unwrap_or(i32::MAX))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        for (tenant, version, kek_version) in stale {
            let mut tx = db.begin_unaudited(Scope::Platform).await?;
            let row = sqlx::query(&format!(
                "select wrapped from {schema}.data_key
                  where tenant_id is not distinct from $1 and version = $2 and kek_version = $3 for update"
            ))
            .bind(tenant)
            .bind(version)
            .bind(kek_version)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else { continue };
            let wrapped: Vec<u8> = row.try_get("wrapped")?;
            let old = u32::try_from(kek_version).unwrap_or(0);
            let data_key = match self.kek.unwrap(old, &wrapped).await {
                Ok(data_key) => data_key,
                Err(error) => {
                    errors.push(format!("data key {version} of {}: {error}", super::Owner(tenant)));
                    continue;
                }
            };
            let rewrapped = self.kek.wrap(&data_key).await?;
            sqlx::query(&format!(
                "update {schema}.data_key set wrapped = $4, kek_version = $5
                  where tenant_id is not distinct from $1 and version = $2 and kek_version = $3"
            ))
            .bind(tenant)
            .bind(version)
            .bind(kek_version)
            .bind(&rewrapped.bytes)
            .bind(i32::try_from(rewrapped.kek_version).unwrap_or(i32::MAX))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            status.rewrapped += 1;
        }
        Ok(())
    }

    /// (b) Gives every data key whose newest version is older than the maximum age a
    /// new version.
    async fn renew_old_data_keys(&self, db: &Database, status: &mut RotationStatus) -> Result<(), SecretsError> {
        if self.config.data_key_max_age_days == 0 {
            return Ok(());
        }
        let schema = self.schema;
        let mut tx = db.begin_unaudited(Scope::Platform).await?;
        let old: Vec<Option<Uuid>> = sqlx::query_scalar(&format!(
            "select tenant_id from {schema}.data_key where retired_at is null group by tenant_id
             having max(created_at) < now() - make_interval(days => $1)"
        ))
        .bind(i32::try_from(self.config.data_key_max_age_days).unwrap_or(i32::MAX))
        .fetch_all(&mut *tx)
        .await?;
        for tenant in old {
            self.new_data_key_version(&mut tx, tenant).await?;
            status.new_data_key_versions += 1;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The SQL condition "this row's ciphertext is not under its owner's newest live data
    /// key" for `column` (table alias `t`). Built from checked identifiers only.
    fn stale_condition(&self, column: &EncryptedColumn) -> String {
        let EncryptedColumn { tenant_column, column, .. } = column;
        let schema = self.schema;
        format!(
            "t.{column} is not null and substring(t.{column} from 18 for 4) is distinct from int4send(
               (select max(k.version) from {schema}.data_key k
                 where k.tenant_id is not distinct from t.{tenant_column} and k.retired_at is null))"
        )
    }

    /// (c) Re-encrypts `column`'s values under their owners' newest data keys, a batch
    /// per transaction; rows locked by another pass are skipped.
    async fn reencrypt(
        &self,
        db: &Database,
        column: &EncryptedColumn,
        status: &mut RotationStatus,
        errors: &mut Vec<String>,
    ) -> Result<(), SecretsError> {
        let schema = self.schema;
        let EncryptedColumn { table, id_column, tenant_column, column: value_column } = *column;
        let select = format!(
            "select t.ctid::text as row_ref, t.{tenant_column} as tenant, t.{id_column}::text as record,
                    t.{value_column} as value
               from {schema}.{table} t where {} limit $1 for update of t skip locked",
            self.stale_condition(column)
        );
        let update = format!("update {schema}.{table} set {value_column} = $1 where ctid = $2::tid");
        loop {
            let mut tx = db.begin_unaudited(Scope::Platform).await?;
            let rows = sqlx::query(&select).bind(BATCH).fetch_all(&mut *tx).await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut done = 0u64;
            for row in rows {
                let row_ref: String = row.try_get("row_ref")?;
                let tenant: Option<Uuid> = row.try_get("tenant")?;
                let record: String = row.try_get("record")?;
                let value: Vec<u8> = row.try_get("value")?;
                let binding = Binding { tenant, table, record, column: value_column };
                let plaintext = match self.decrypt(&mut tx, &binding, &value).await {
                    Ok(plaintext) => plaintext,
                    Err(error) => {
                        errors.push(format!("{table}.{value_column} of {}: {error}", binding.record));
                        continue;
                    }
                };
                let sealed = self.encrypt(&mut tx, &binding, &plaintext).await?;
                sqlx::query(&update).bind(sealed).bind(row_ref).execute(&mut *tx).await?;
                done += 1;
            }
            tx.commit().await?;
            status.reencrypted += done;
            // Only rows that cannot be opened are left: stop rather than spin on them.
            if done == 0 {
                return Ok(());
            }
        }
    }

    /// Retires every live data-key version that is not its owner's newest and that no
    /// registered column's value still needs. The update comes first: it waits for
    /// writers holding the version share-locked (the encrypt path reads it `for share`), so the check
    /// after it sees everything they sealed.
    async fn retire_superseded(&self, db: &Database, status: &mut RotationStatus) -> Result<(), SecretsError> {
        let schema = self.schema;
        let mut tx = db.begin_unaudited(Scope::Platform).await?;
        let superseded: Vec<(Option<Uuid>, i32)> = sqlx::query_as(&format!(
            "select k.tenant_id, k.version from {schema}.data_key k where k.retired_at is null
                and k.version < (select max(n.version) from {schema}.data_key n
                                  where n.tenant_id is not distinct from k.tenant_id and n.retired_at is null)"
        ))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        'keys: for (tenant, version) in superseded {
            let mut tx = db.begin_unaudited(Scope::Platform).await?;
            sqlx::query(&format!(
                "update {schema}.data_key set retired_at = now()
                  where tenant_id is not distinct from $1 and version = $2 and retired_at is null"
            ))
            .bind(tenant)
            .bind(version)
            .execute(&mut *tx)
            .await?;
            for column in &self.columns {
                let EncryptedColumn { table, tenant_column, column: value_column, .. } = column;
                let needed: bool = sqlx::query_scalar(&format!(
                    "select exists (select 1 from {schema}.{table} t
                      where t.{tenant_column} is not distinct from $1 and t.{value_column} is not null
                        and substring(t.{value_column} from 18 for 4) = int4send($2))"
                ))
                .bind(tenant)
                .bind(version)
                .fetch_one(&mut *tx)
                .await?;
                if needed {
                    tx.rollback().await?;
                    continue 'keys;
                }
            }
            tx.commit().await?;
            status.retired_data_key_versions += 1;
        }
        Ok(())
    }

    /// (d) Counts data keys and pending rows for the status.
    async fn count(&self, db: &Database, status: &mut RotationStatus) -> Result<(), SecretsError> {
        let schema = self.schema;
        let mut tx = db.begin_unaudited(Scope::Platform).await?;
        let by_kek: Vec<(i32, i64)> = sqlx::query_as(&format!(
            "select kek_version, count(*) from {schema}.data_key where retired_at is null group by 1 order by 1"
        ))
        .fetch_all(&mut *tx)
        .await?;
        status.data_keys_by_kek_version =
            by_kek.into_iter().map(|(v, n)| (u32::try_from(v).unwrap_or(0), u64::try_from(n).unwrap_or(0))).collect();
        let by_version: Vec<(i32, bool, i64)> = sqlx::query_as(&format!(
            "select version, retired_at is not null, count(*) from {schema}.data_key group by 1, 2 order by 1, 2"
        ))
        .fetch_all(&mut *tx)
        .await?;
        status.data_keys_by_version = by_version
            .into_iter()
            .map(|(version, retired, count)| DataKeyCount {
                version: u32::try_from(version).unwrap_or(0),
                retired,
                count: u64::try_from(count).unwrap_or(0),
            })
            .collect();
        for column in &self.columns {
            let pending: i64 = sqlx::query_scalar(&format!(
                "select count(*) from {schema}.{} t where {}",
                column.table,
                self.stale_condition(column)
            ))
            .fetch_one(&mut *tx)
            .await?;
            status
                .rows_pending
                .insert(format!("{}.{}", column.table, column.column), u64::try_from(pending).unwrap_or(0));
        }
        tx.commit().await?;
        Ok(())
    }
}
