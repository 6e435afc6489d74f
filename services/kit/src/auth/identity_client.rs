//! Verification keys and API-key lookups fetched from identity over the mesh.

use std::sync::Arc;

use canopy_sdk::proto::canopy::identity::v1::credential_service_client::CredentialServiceClient;
use canopy_sdk::proto::canopy::identity::v1::{ListVerificationKeysRequest, VerifyApiKeyRequest};
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::DateTime;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use uuid::Uuid;

use super::api_keys::{ApiKeyLookup, ResolvedApiKey};
use super::verifier::{KeySet, KeySource};
use super::{AuthError, CREDENTIAL_LOOKUP_HEADER};
use crate::db::TenantId;
use crate::peers::Peers;

/// `message` marked as a credential lookup (see [`CREDENTIAL_LOOKUP_HEADER`]).
fn credential_lookup<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(CREDENTIAL_LOOKUP_HEADER, tonic::metadata::MetadataValue::from_static("1"));
    request
}

/// Reads keys from identity's `CredentialService.ListVerificationKeys`.
pub struct IdentityKeySource {
    pub peers: Peers,
}

impl KeySource for IdentityKeySource {
    fn fetch(&self) -> BoxFuture<'_, Result<KeySet, AuthError>> {
        async move {
            let unavailable = |e: String| AuthError::KeysUnavailable(e);
            let channel = self.peers.channel("identity").await.map_err(|e| unavailable(e.to_string()))?;
            let response = CredentialServiceClient::new(channel)
                .list_verification_keys(credential_lookup(ListVerificationKeysRequest {}))
                .await
                .map_err(|e| unavailable(e.message().to_string()))?
                .into_inner();
            let mut set = KeySet { issuer: response.issuer, audience: response.audience, ..KeySet::default() };
            for key in response.keys {
                let until = key
                    .verify_until_time
                    .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos as u32))
                    .ok_or_else(|| unavailable(format!("key {} has no verify_until_time", key.kid)))?;
                set.insert_ed25519(&key.kid, &key.public_key, until)?;
            }
            Ok(set)
        }
        .boxed()
    }
}

/// Resolves API keys with identity's `CredentialService.VerifyApiKey`.
pub fn identity_api_key_lookup(peers: Peers) -> ApiKeyLookup {
    Arc::new(move |secret: String| {
        let peers = peers.clone();
        async move {
            let channel = peers.channel("identity").await.map_err(|e| AuthError::KeysUnavailable(e.to_string()))?;
            match CredentialServiceClient::new(channel)
                .verify_api_key(credential_lookup(VerifyApiKeyRequest { secret }))
                .await
            {
                Ok(response) => {
                    let key = response.into_inner().api_key.ok_or(AuthError::ApiKeyRefused)?;
                    let key_id: Uuid = key.id.parse().map_err(|_| AuthError::ApiKeyRefused)?;
                    let tenant = if key.tenant_id.is_empty() {
                        None
                    } else {
                        Some(TenantId(key.tenant_id.parse().map_err(|_| AuthError::ApiKeyRefused)?))
                    };
                    let role = Role::try_from(key.role).map_err(|_| AuthError::ApiKeyRefused)?;
                    let expire_at = key.expire_time.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos as u32));
                    Ok(Some(ResolvedApiKey { key_id, tenant, role, scopes: key.scopes, expire_at }))
                }
                Err(status)
                    if status.code() == tonic::Code::Unauthenticated || status.code() == tonic::Code::NotFound =>
                {
                    Ok(None)
                }
                Err(status) => Err(AuthError::KeysUnavailable(status.message().to_string())),
            }
        }
        .boxed()
    })
}
