//! API keys: created by owners for their tenant or by admins for the platform, shown
//! once, verified by other services, refused once revoked or expired, limited by
//! role and scopes.

use canopy_kit::clock::Clock as _;
use canopy_sdk::proto::canopy::identity::v1::{
    CreateApiKeyRequest, ListApiKeysRequest, ListUsersRequest, RevokeApiKeyRequest, VerifyApiKeyRequest,
};
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::Duration;
use tonic::Code;

use crate::support::{Harness, assert_status, violated_fields};

fn key(name: &str, role: Role, scopes: &[&str]) -> CreateApiKeyRequest {
    CreateApiKeyRequest {
        tenant_id: String::new(),
        name: name.into(),
        role: role as i32,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        expire_time: None,
    }
}

#[tokio::test]
async fn a_key_is_shown_once_verified_by_services_and_refused_once_revoked() {
    let harness = Harness::start().await;
    let (tenant, _, _, owner) = harness.owner_of_new_tenant("owner@acme.test").await;
    let mut keys = harness.api_keys(&owner.access_token).await;
    let created = keys.create_api_key(key("ci deploys", Role::Member, &[])).await.unwrap().into_inner();
    let api_key = created.api_key.unwrap();
    assert!(created.secret.starts_with(&api_key.prefix) && api_key.prefix.starts_with("cnp_"));
    assert_eq!(api_key.tenant_id, tenant.to_string());

    let listed = keys.list_api_keys(ListApiKeysRequest::default()).await.unwrap().into_inner();
    assert_eq!(listed.api_keys.len(), 1);
    assert!(!format!("{listed:?}").contains(&created.secret), "lists never carry secrets");

    let mut credentials = harness.credentials_internal().await;
    let verified =
        credentials.verify_api_key(VerifyApiKeyRequest { secret: created.secret.clone() }).await.unwrap().into_inner();
    let verified = verified.api_key.unwrap();
    assert_eq!(
        (verified.id.as_str(), verified.role(), verified.tenant_id.as_str()),
        (api_key.id.as_str(), Role::Member, tenant.to_string().as_str())
    );
    let first_use = verified.last_used_time.unwrap();

    // Used again within a minute, last_used_time stays; after a minute it moves.
    let again =
        credentials.verify_api_key(VerifyApiKeyRequest { secret: created.secret.clone() }).await.unwrap().into_inner();
    assert_eq!(again.api_key.unwrap().last_used_time.unwrap(), first_use);
    harness.env.clock.advance(Duration::seconds(61));
    let later =
        credentials.verify_api_key(VerifyApiKeyRequest { secret: created.secret.clone() }).await.unwrap().into_inner();
    assert!(later.api_key.unwrap().last_used_time.unwrap().seconds > first_use.seconds);

    keys.revoke_api_key(RevokeApiKeyRequest { api_key_id: api_key.id.clone() }).await.unwrap();
    let revoked = credentials.verify_api_key(VerifyApiKeyRequest { secret: created.secret.clone() }).await;
    assert_status(revoked, Code::Unauthenticated, Some("unauthenticated: invalid api key"));
    let unknown = credentials
        .verify_api_key(VerifyApiKeyRequest { secret: format!("{}_{}", &created.secret[..12], "x".repeat(40)) })
        .await;
    assert_status(unknown, Code::Unauthenticated, Some("unauthenticated: invalid api key"));
    assert_status(
        credentials.verify_api_key(VerifyApiKeyRequest { secret: "garbage".into() }).await,
        Code::Unauthenticated,
        None,
    );

    assert!(keys.list_api_keys(ListApiKeysRequest::default()).await.unwrap().into_inner().api_keys.is_empty());
    let all = keys
        .list_api_keys(ListApiKeysRequest { include_inactive: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert!(all.api_keys[0].revoke_time.is_some());
    let kinds = harness.event_kinds().await;
    assert!(kinds.contains(&"api_key_created".to_string()) && kinds.contains(&"api_key_revoked".to_string()));
}

#[tokio::test]
async fn a_key_authenticates_calls_within_its_role_and_scopes() {
    let harness = Harness::start().await;
    let (_, _, _, owner) = harness.owner_of_new_tenant("owner@acme.test").await;
    let mut keys = harness.api_keys(&owner.access_token).await;
    let full = keys.create_api_key(key("owner key", Role::Owner, &[])).await.unwrap().into_inner();
    let listed = harness.users(&full.secret).await.list_users(ListUsersRequest::default()).await.unwrap().into_inner();
    assert_eq!(listed.users.len(), 1, "an owner key sees its tenant's users");

    let sites_only =
        keys.create_api_key(key("sites key", Role::Owner, &["canopy.sites.v1.*"])).await.unwrap().into_inner();
    let denied = harness.users(&sites_only.secret).await.list_users(ListUsersRequest::default()).await;
    assert_status(denied, Code::PermissionDenied, None);
}

#[tokio::test]
async fn keys_are_limited_to_the_creators_role_known_scopes_and_future_expiry() {
    let harness = Harness::start().await;
    let (_, _, _, owner) = harness.owner_of_new_tenant("owner@acme.test").await;
    let mut keys = harness.api_keys(&owner.access_token).await;
    let rows_before = harness.count_rows("api_key").await;

    let above = keys.create_api_key(key("too strong", Role::PlatformAdmin, &[])).await;
    assert_eq!(violated_fields(&assert_status(above, Code::InvalidArgument, None)), ["role"]);
    let unknown_role = keys.create_api_key(CreateApiKeyRequest { role: 99, ..key("x", Role::Owner, &[]) }).await;
    assert_eq!(violated_fields(&assert_status(unknown_role, Code::InvalidArgument, None)), ["role"]);
    let scopes = keys
        .create_api_key(key("bad scopes", Role::Viewer, &["canopy.sites.v1.SiteService", "canopy.nothing.v1.*", "*"]))
        .await;
    assert_eq!(violated_fields(&assert_status(scopes, Code::InvalidArgument, None)), ["scopes[1]", "scopes[2]"]);
    let past = harness.env.clock.now() - Duration::minutes(1);
    let expired = keys
        .create_api_key(CreateApiKeyRequest {
            expire_time: Some(prost_types::Timestamp { seconds: past.timestamp(), nanos: 0 }),
            ..key("old", Role::Viewer, &[])
        })
        .await;
    assert_eq!(violated_fields(&assert_status(expired, Code::InvalidArgument, None)), ["expire_time"]);
    let nameless = keys.create_api_key(key("", Role::Viewer, &[])).await;
    assert_eq!(violated_fields(&assert_status(nameless, Code::InvalidArgument, None)), ["name"]);
    assert_eq!(harness.count_rows("api_key").await, rows_before, "no key row written");

    // A key with an expiry works until then.
    let soon = harness.env.clock.now() + Duration::minutes(5);
    let created = keys
        .create_api_key(CreateApiKeyRequest {
            expire_time: Some(prost_types::Timestamp { seconds: soon.timestamp(), nanos: 0 }),
            ..key("short lived", Role::Viewer, &[])
        })
        .await
        .unwrap()
        .into_inner();
    let mut credentials = harness.credentials_internal().await;
    credentials.verify_api_key(VerifyApiKeyRequest { secret: created.secret.clone() }).await.unwrap();
    harness.env.clock.advance(Duration::minutes(6));
    let after = credentials.verify_api_key(VerifyApiKeyRequest { secret: created.secret.clone() }).await;
    assert_status(after, Code::Unauthenticated, None);

    // Platform keys are for platform admins, with platform roles.
    let admin = harness.admin_tokens().await;
    let platform = harness
        .api_keys(&admin.access_token)
        .await
        .create_api_key(key("ops", Role::PlatformOperator, &[]))
        .await
        .unwrap();
    assert_eq!(platform.into_inner().api_key.unwrap().tenant_id, "");
}

#[tokio::test]
async fn another_tenants_key_cannot_be_revoked_or_listed() {
    let harness = Harness::start().await;
    let (_, _, _, owner_a) = harness.owner_of_new_tenant("a@acme.test").await;
    let (tenant_b, _, _, owner_b) = harness.owner_of_new_tenant("b@beta.test").await;
    let b_key = harness
        .api_keys(&owner_b.access_token)
        .await
        .create_api_key(key("b", Role::Viewer, &[]))
        .await
        .unwrap()
        .into_inner();
    let mut keys_a = harness.api_keys(&owner_a.access_token).await;
    let revoke = keys_a.revoke_api_key(RevokeApiKeyRequest { api_key_id: b_key.api_key.unwrap().id }).await;
    let random = keys_a.revoke_api_key(RevokeApiKeyRequest { api_key_id: uuid::Uuid::new_v4().to_string() }).await;
    let revoke = assert_status(revoke, Code::NotFound, Some("api key not found"));
    assert_eq!(revoke.message(), assert_status(random, Code::NotFound, None).message());
    let list_b =
        keys_a.list_api_keys(ListApiKeysRequest { tenant_id: tenant_b.to_string(), ..Default::default() }).await;
    assert_status(list_b, Code::NotFound, Some("customer not found"));
    harness
        .credentials_internal()
        .await
        .verify_api_key(VerifyApiKeyRequest { secret: b_key.secret })
        .await
        .expect("b's key still works");
}
