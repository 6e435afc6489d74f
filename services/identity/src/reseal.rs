//! TOTP secrets at rest: sealed with the kit's envelope encryption, bound to the
//! user's row and column. [`reseal_legacy`] is the forward migration of rows sealed
//! before, under identity's own key-encryption key alone (`nonce || ciphertext`, the
//! user id as associated data): identity re-seals them when it starts.

use canopy_kit::db::{Database, Scope};
use canopy_kit::secrets::{Binding, EncryptedColumn, Secrets};
use secrecy::SecretSlice;
use uuid::Uuid;

use crate::domain::sealing::KeyEncryptionKey;

/// The column holding the TOTP secret of users with MFA on.
pub const ACTIVE: EncryptedColumn =
    EncryptedColumn { table: "users", id_column: "id", tenant_column: "tenant_id", column: "mfa_secret_sealed" };
/// The column holding a TOTP secret between BeginMfaSetup and ConfirmMfaSetup.
pub const PENDING: EncryptedColumn = EncryptedColumn {
    table: "users",
    id_column: "id",
    tenant_column: "tenant_id",
    column: "mfa_pending_secret_sealed",
};

/// Where a user's secret in `column` is bound.
pub fn binding(user: Uuid, tenant: Option<Uuid>, column: &EncryptedColumn) -> Binding {
    match tenant {
        Some(tenant) => Binding::tenant(tenant, column.table, user.to_string(), column.column),
        None => Binding::platform(column.table, user.to_string(), column.column),
    }
}

/// The associated data of the legacy sealing.
pub(crate) fn legacy_totp_aad(user_id: Uuid) -> Vec<u8> {
    format!("totp:{user_id}").into_bytes()
}

type LegacyRow = (Uuid, Option<Uuid>, Option<Vec<u8>>, Option<Vec<u8>>);

/// Re-seals every row still sealed the legacy way; how many carried a secret.
/// Idempotent, and safe with several replicas starting at once (rows are locked).
pub async fn reseal_legacy(database: &Database, legacy: &KeyEncryptionKey, secrets: &Secrets) -> anyhow::Result<u64> {
    // A system migration across tenants.
    let mut tx = database.begin(Scope::Platform).await?;
    let rows: Vec<LegacyRow> = sqlx::query_as(
        "select id, tenant_id, mfa_secret_sealed, mfa_pending_secret_sealed from identity.users
          where mfa_secrets_sealing = 'legacy' for update",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut resealed = 0;
    for (id, tenant, active, pending) in rows {
        let mut sealed = [None, None];
        for (slot, (bytes, column)) in sealed.iter_mut().zip([(active, &ACTIVE), (pending, &PENDING)]) {
            let Some(bytes) = bytes else { continue };
            let plain = legacy
                .open(&legacy_totp_aad(id), &bytes)
                .map_err(|_| anyhow::anyhow!("the TOTP secret of user {id} does not open with key_encryption_key"))?;
            *slot = Some(secrets.encrypt(&mut tx, &binding(id, tenant, column), &SecretSlice::from(plain)).await?);
            resealed += 1;
        }
        let [active, pending] = sealed;
        sqlx::query(
            "update identity.users
                set mfa_secret_sealed = $2, mfa_pending_secret_sealed = $3, mfa_secrets_sealing = 'envelope'
              where id = $1",
        )
        .bind(id)
        .bind(active)
        .bind(pending)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    if resealed > 0 {
        tracing::info!(resealed, "TOTP secrets moved onto envelope encryption");
    }
    Ok(resealed)
}
