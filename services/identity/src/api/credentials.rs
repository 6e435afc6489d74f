//! `CredentialService`: what other services need to verify callers themselves —
//! the published verification keys and API-key resolution — and signing-key rotation.

use std::sync::Arc;

use canopy_kit::ApiError;
use canopy_kit::auth::ApiKeySecret;
use canopy_kit::db::Scope;
use canopy_sdk::proto::canopy::identity::v1::credential_service_server::CredentialService;
use canopy_sdk::proto::canopy::identity::v1::{
    ListVerificationKeysRequest, ListVerificationKeysResponse, RotateSigningKeyRequest, RotateSigningKeyResponse,
    VerificationKey, VerifyApiKeyRequest, VerifyApiKeyResponse,
};
use tonic::{Request, Response, Status};

use super::{api_key_to_proto, db, principal, timestamp};
use crate::Identity;
use crate::keys::{ALGORITHM, PublishedKey};
use crate::store::api_keys;

fn verification_key(key: PublishedKey) -> VerificationKey {
    VerificationKey {
        kid: key.kid,
        algorithm: ALGORITHM.into(),
        public_key: key.public_key,
        verify_until_time: Some(timestamp(key.verify_until)),
    }
}

fn api_key_refused() -> ApiError {
    ApiError::Unauthenticated("invalid api key")
}

/// The handlers.
pub struct CredentialApi {
    identity: Arc<Identity>,
}

impl CredentialApi {
    pub(crate) fn new(identity: Arc<Identity>) -> Self {
        Self { identity }
    }
}

#[tonic::async_trait]
impl CredentialService for CredentialApi {
    async fn list_verification_keys(
        &self,
        _request: Request<ListVerificationKeysRequest>,
    ) -> Result<Response<ListVerificationKeysResponse>, Status> {
        let identity = &self.identity;
        let keys = identity.keys.published().await.map_err(ApiError::internal)?;
        Ok(Response::new(ListVerificationKeysResponse {
            keys: keys.into_iter().map(verification_key).collect(),
            issuer: identity.config.issuer.clone(),
            audience: identity.config.audience.clone(),
        }))
    }

    async fn verify_api_key(
        &self,
        request: Request<VerifyApiKeyRequest>,
    ) -> Result<Response<VerifyApiKeyResponse>, Status> {
        let secret = &request.get_ref().secret;
        if ApiKeySecret::prefix(secret).is_none() {
            return Err(api_key_refused().into());
        }
        let identity = &self.identity;
        let now = identity.clock.now();
        // Platform scope: a key is resolved before anyone knows its tenant; only the
        // row with this digest is read.
        let mut tx = identity.database.begin(Scope::Platform).await.map_err(db("api key"))?;
        let mut key = api_keys::find_by_secret_hash(&mut tx, &ApiKeySecret::hash(secret))
            .await
            .map_err(db("api key"))?
            .filter(|key| key.revoked_at.is_none() && key.expire_at.is_none_or(|at| at > now))
            .ok_or_else(api_key_refused)?;
        if api_keys::touch(&mut tx, key.id, now).await.map_err(db("api key"))? {
            key.last_used_at = Some(now);
        }
        tx.commit().await.map_err(db("api key"))?;
        Ok(Response::new(VerifyApiKeyResponse { api_key: Some(api_key_to_proto(&key)) }))
    }

    async fn rotate_signing_key(
        &self,
        request: Request<RotateSigningKeyRequest>,
    ) -> Result<Response<RotateSigningKeyResponse>, Status> {
        let principal = principal(&request)?;
        let identity = &self.identity;
        let (key, changes) = identity.keys.rotate().await.map_err(ApiError::internal)?;
        crate::record_key_changes(&identity.database, &identity.clock, &changes, &principal.id())
            .await
            .map_err(db("security event"))?;
        Ok(Response::new(RotateSigningKeyResponse { key: Some(verification_key(key)) }))
    }
}
