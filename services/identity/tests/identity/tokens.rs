//! Access tokens at the service: forged and altered tokens are all refused, and
//! signing keys rotate without breaking tokens already issued.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use canopy_identity::domain::sealing::KeyEncryptionKey;
use canopy_kit::clock::Clock as _;
use canopy_sdk::proto::canopy::identity::v1::{
    GetCurrentUserRequest, ListVerificationKeysRequest, RotateSigningKeyRequest, SessionTokens,
};
use chrono::Duration;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tonic::Code;

use crate::support::{Harness, assert_status};

/// The active signing key's seed, read and unsealed the way only identity can —
/// so the test can sign tokens that differ from real ones in exactly one respect.
async fn active_signing_key(harness: &Harness) -> (String, ed25519_dalek::SigningKey) {
    let pool = harness.env.superuser_pool().await;
    let (kid, sealed): (String, Vec<u8>) = sqlx::query_as(
        "select kid, private_key_sealed from identity.signing_key where activated_at is not null and retired_at is null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let kek_base64 = harness.env.config.services["identity"]["key_encryption_key"].as_str().unwrap().to_string();
    let kek: [u8; 32] = base64::engine::general_purpose::STANDARD.decode(kek_base64).unwrap().try_into().unwrap();
    let seed = KeyEncryptionKey::new(&kek).open(kid.as_bytes(), &sealed).unwrap();
    (kid, ed25519_dalek::SigningKey::from_bytes(&seed.try_into().unwrap()))
}

fn part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

fn decode_part(token: &str, index: usize) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').nth(index).unwrap()).unwrap()).unwrap()
}

/// `header.claims` signed with Ed25519 `key`.
fn sign_eddsa(header: &Value, claims: &Value, key: &ed25519_dalek::SigningKey) -> String {
    use ed25519_dalek::Signer as _;
    let input = format!("{}.{}", part(header), part(claims));
    let signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

async fn get_current_user(harness: &Harness, token: &str) -> Result<(), tonic::Status> {
    harness.auth(Some(token)).await.get_current_user(GetCurrentUserRequest {}).await.map(|_| ())
}

#[tokio::test]
async fn forged_and_altered_tokens_are_all_unauthenticated() {
    let harness = Harness::start().await;
    let tokens: SessionTokens = harness.admin_tokens().await;
    let real = tokens.access_token.clone();
    let header = decode_part(&real, 0);
    let claims = decode_part(&real, 1);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["typ"], "at+jwt");
    let (kid, key) = active_signing_key(&harness).await;
    assert_eq!(header["kid"], kid.as_str());

    // Control: a token signed here with the real key and real claims is accepted,
    // so every refusal below is due to the one thing each forgery changes.
    get_current_user(&harness, &real).await.expect("the real token works");
    let mut fresh_claims = claims.clone();
    fresh_claims["jti"] = json!("control");
    get_current_user(&harness, &sign_eddsa(&header, &fresh_claims, &key)).await.expect("a faithful copy works");

    let public_key = key.verifying_key().to_bytes();
    let now = harness.env.clock.now().timestamp();
    let with = |field: &str, value: Value| {
        let mut changed = claims.clone();
        changed[field] = value;
        sign_eddsa(&header, &changed, &key)
    };
    let with_header = |field: &str, value: Value| {
        let mut changed = header.clone();
        changed[field] = value;
        sign_eddsa(&changed, &claims, &key)
    };
    let hs256 = |secret: &[u8]| {
        let header = json!({ "alg": "HS256", "typ": "at+jwt", "kid": kid });
        let input = format!("{}.{}", part(&header), part(&claims));
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).unwrap();
        mac.update(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    };
    let tampered = {
        let mut elevated = claims.clone();
        elevated["role"] = json!("owner");
        let pieces: Vec<&str> = real.split('.').collect();
        format!("{}.{}.{}", pieces[0], part(&elevated), pieces[2])
    };
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);

    let forgeries: Vec<(&str, String)> = vec![
        ("alg none", format!("{}.{}.", part(&json!({ "alg": "none", "typ": "at+jwt", "kid": kid })), part(&claims))),
        ("HS256 keyed with the raw public key", hs256(&public_key)),
        ("HS256 keyed with the base64 public key", hs256(URL_SAFE_NO_PAD.encode(public_key).as_bytes())),
        (
            "unknown kid",
            sign_eddsa(&json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": "no-such-kid" }), &claims, &stranger),
        ),
        ("kid with path characters", with_header("kid", json!("../../../dev/null"))),
        ("jku header", with_header("jku", json!("https://attacker.test/jwks.json"))),
        ("x5u header", with_header("x5u", json!("https://attacker.test/cert.pem"))),
        (
            "jwk header",
            sign_eddsa(
                &json!({ "alg": "EdDSA", "typ": "at+jwt", "kid": kid,
                         "jwk": { "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(stranger.verifying_key().to_bytes()) } }),
                &claims,
                &stranger,
            ),
        ),
        ("typ JWT instead of at+jwt", with_header("typ", json!("JWT"))),
        ("expired", with("exp", json!(now - 120))),
        ("not yet valid", with("nbf", json!(now + 600))),
        ("wrong audience", with("aud", json!("someone-else"))),
        ("wrong issuer", with("iss", json!("https://attacker.test"))),
        ("unknown session", with("sid", json!("0123456789abcdef0123456789abcdef"))),
        ("signed by a stranger with the real kid", sign_eddsa(&header, &claims, &stranger)),
        ("tampered payload", tampered),
        ("refresh token as access token", tokens.refresh_token.clone()),
        ("truncated", real[..real.len() - 10].to_string()),
        ("empty", String::new()),
    ];
    for (what, token) in forgeries {
        let result = get_current_user(&harness, &token).await;
        let status = result.expect_err(what);
        assert_eq!(status.code(), Code::Unauthenticated, "{what}: {status:?}");
    }

    // The real token stops working once it expires (the session is still alive).
    harness.env.clock.advance(Duration::minutes(15) + Duration::seconds(31));
    assert_status(get_current_user(&harness, &real).await, Code::Unauthenticated, None);
}

#[tokio::test]
async fn rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let old_kid = decode_part(&admin.access_token, 0)["kid"].as_str().unwrap().to_string();

    let published = harness
        .credentials_internal()
        .await
        .list_verification_keys(ListVerificationKeysRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(published.issuer, "canopy");
    assert_eq!(published.audience, "canopy-api");
    let kids: Vec<&str> = published.keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids.len(), 2, "the active key and the next one: {kids:?}");
    assert!(kids.contains(&old_kid.as_str()));
    assert!(published.keys.iter().all(|k| k.algorithm == "EdDSA" && k.public_key.len() == 32));
    let next_kid = kids.iter().find(|kid| **kid != old_kid).unwrap().to_string();

    // Verify once with the old key so the verifier has cached the key set.
    get_current_user(&harness, &admin.access_token).await.unwrap();

    let rotated = harness
        .credentials(&admin.access_token)
        .await
        .rotate_signing_key(RotateSigningKeyRequest {})
        .await
        .unwrap()
        .into_inner()
        .key
        .unwrap();
    assert_eq!(rotated.kid, next_kid, "the pre-published key becomes active");

    // Old tokens still verify; new ones carry the new kid and verify at once.
    get_current_user(&harness, &admin.access_token).await.expect("a token of the retired key still works");
    let fresh = harness.admin_tokens().await;
    assert_eq!(decode_part(&fresh.access_token, 0)["kid"], next_kid.as_str());
    get_current_user(&harness, &fresh.access_token).await.expect("a token of the new key works");

    let published = harness
        .credentials_internal()
        .await
        .list_verification_keys(ListVerificationKeysRequest {})
        .await
        .unwrap()
        .into_inner();
    let retired = published.keys.iter().find(|k| k.kid == old_kid).expect("the retired key is still published");
    let until = retired.verify_until_time.unwrap().seconds;
    let now = harness.env.clock.now().timestamp();
    assert!(until > now + 900 && until <= now + 900 + 120, "published until its tokens expire: {until} vs {now}");
    assert_eq!(published.keys.len(), 3, "retired, active and a new next key");

    // Once every token of the retired key has expired, it is no longer published.
    harness.env.clock.advance(Duration::minutes(17));
    let published = harness
        .credentials_internal()
        .await
        .list_verification_keys(ListVerificationKeysRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(published.keys.iter().all(|k| k.kid != old_kid));

    let kinds = harness.event_kinds().await;
    assert!(kinds.contains(&"signing_key_rotated".to_string()), "{kinds:?}");
    assert!(kinds.iter().filter(|k| *k == "signing_key_created").count() >= 3, "{kinds:?}");
}

#[tokio::test]
async fn credential_service_internals_are_not_for_the_gateway_and_rotation_is_for_platform_admins() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let through_gateway =
        harness.credentials(&admin.access_token).await.list_verification_keys(ListVerificationKeysRequest {}).await;
    assert_status(through_gateway, Code::PermissionDenied, None);

    let (_, _, _, owner) = harness.owner_of_new_tenant("owner@acme.test").await;
    let rotation = harness.credentials(&owner.access_token).await.rotate_signing_key(RotateSigningKeyRequest {}).await;
    assert_status(rotation, Code::PermissionDenied, None);
}
