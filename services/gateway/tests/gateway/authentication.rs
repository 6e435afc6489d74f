//! Access tokens and API keys at the edge: every forgery is UNAUTHENTICATED, and
//! authorisation follows the method policy.

use canopy_kit::auth::ACCESS_TOKEN_TYPE;
use canopy_kit::db::TenantId;
use canopy_sdk::proto::canopy::options::v1::Role;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn a_valid_token_is_forwarded_with_its_authorization_header() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let token = world.token(&user);
    let response = world
        .client()
        .await
        .echo(bearer(EchoRequest { text: "hello".into(), ..Default::default() }, &token))
        .await
        .expect("echo through the gateway")
        .into_inner();
    assert_eq!(response.text, "hello");
    assert_eq!(response.headers["authorization"], format!("Bearer {token}"), "services verify the caller again");
}

#[tokio::test]
async fn forged_tokens_are_all_unauthenticated() {
    let world = World::start().await;
    let user = world.customer("owner").await;
    let claims = world.claims(&user);
    let header = world.header();
    let other_key = SigningKey::generate();

    let mut forged: Vec<(&str, String)> = Vec::new();
    forged.push((
        "alg none",
        format!(
            "{}.{}.",
            b64(json!({ "alg": "none", "typ": ACCESS_TOKEN_TYPE, "kid": KID }).to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        ),
    ));
    forged.push((
        "HS256 signed with the public key",
        sign_raw(
            &json!({ "alg": "HS256", "typ": ACCESS_TOKEN_TYPE, "kid": KID }),
            &claims,
            &EncodingKey::from_secret(&world.key.public_key),
            Algorithm::HS256,
        ),
    ));
    forged.push((
        "unknown kid",
        sign_raw(
            &json!({ "alg": "EdDSA", "typ": ACCESS_TOKEN_TYPE, "kid": "other-key" }),
            &claims,
            &other_key.encoding,
            Algorithm::EdDSA,
        ),
    ));
    forged.push((
        "kid with path characters",
        sign_raw(
            &json!({ "alg": "EdDSA", "typ": ACCESS_TOKEN_TYPE, "kid": "../../../etc/passwd" }),
            &claims,
            &world.key.encoding,
            Algorithm::EdDSA,
        ),
    ));
    for (name, extra) in [
        ("jku header", json!({ "jku": "https://attacker.example/jwks.json" })),
        ("x5u header", json!({ "x5u": "https://attacker.example/cert.pem" })),
        ("jwk header", json!({ "jwk": { "kty": "OKP", "crv": "Ed25519", "x": b64(&other_key.public_key) } })),
    ] {
        let mut forged_header = header.clone();
        forged_header.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        // Signed with the attacker's key the header points at, and with the real one.
        forged.push((name, sign_raw(&forged_header, &claims, &other_key.encoding, Algorithm::EdDSA)));
        forged.push((name, sign_raw(&forged_header, &claims, &world.key.encoding, Algorithm::EdDSA)));
    }
    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = json!("another-api");
    forged.push(("wrong aud", world.token_with(&wrong_audience)));
    let mut wrong_issuer = claims.clone();
    wrong_issuer["iss"] = json!("https://attacker.example");
    forged.push(("wrong iss", world.token_with(&wrong_issuer)));
    let mut not_yet = claims.clone();
    not_yet["nbf"] = json!(world.now().timestamp() + 3600);
    forged.push(("nbf in the future", world.token_with(&not_yet)));
    // An opaque refresh token (random, not a JWS) presented as an access token.
    forged.push(("refresh token as access token", b64(&rand::random::<[u8; 32]>())));
    let mut tampered_claims = claims.clone();
    tampered_claims["role"] = json!("platform_admin");
    let valid = world.token(&user);
    let signature = valid.rsplit('.').next().unwrap();
    forged.push((
        "tampered payload",
        format!("{}.{}.{signature}", b64(header.to_string().as_bytes()), b64(tampered_claims.to_string().as_bytes())),
    ));
    let mut wrong_typ_header = header.clone();
    wrong_typ_header["typ"] = json!("JWT");
    forged.push((
        "typ JWT (e.g. an ID token)",
        sign_raw(&wrong_typ_header, &claims, &world.key.encoding, Algorithm::EdDSA),
    ));
    let mut other_session = claims.clone();
    other_session["sid"] = json!(Uuid::new_v4().simple().to_string());
    forged.push(("session that does not exist", world.token_with(&other_session)));

    let mut client = world.client().await;
    for (name, token) in &forged {
        let status = client.echo(bearer(EchoRequest::default(), token)).await.expect_err(name);
        assert_eq!(status.code(), Code::Unauthenticated, "{name}: {status:?}");
    }
    // The control: the same claims, honestly signed, pass.
    client.echo(bearer(EchoRequest::default(), &valid)).await.expect("valid token");
    assert_eq!(world.events.calls.load(std::sync::atomic::Ordering::SeqCst), 1, "no forged call reached the service");
}

#[tokio::test]
async fn an_expired_token_is_unauthenticated_once_the_clock_passes_exp() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let token = world.token(&user);
    let mut client = world.client().await;
    client.echo(bearer(EchoRequest::default(), &token)).await.expect("fresh token");
    world.env.clock.advance(chrono::Duration::minutes(16));
    let status = client.echo(bearer(EchoRequest::default(), &token)).await.expect_err("expired token");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
}

#[tokio::test]
async fn a_revoked_session_ends_the_token_at_the_gateway() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let token = world.token(&user);
    let mut client = world.client().await;
    client.echo(bearer(EchoRequest::default(), &token)).await.expect("live session");
    let record = world.sessions.get(&user.session_id).await.unwrap().expect("session stored");
    world.sessions.revoke(&record).await.unwrap();
    let status = client.echo(bearer(EchoRequest::default(), &token)).await.expect_err("revoked session");
    assert_eq!(status.code(), Code::Unauthenticated);
}

#[tokio::test]
async fn malformed_authorization_headers_are_unauthenticated() {
    let world = World::start().await;
    let mut client = world.client().await;
    let long = format!("Bearer {}", "a".repeat(8000));
    let values = [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer ",
        "bearer a.b",
        "Bearer a.b.c",
        "Bearer ....",
        "Bearer eyJ.eyJ.sig extra",
        "Token abc",
        "Bearer cnp_short",
        "Bearer cnp_abcdefgh_0123456789012345678901234567890123456789",
        long.as_str(),
    ];
    for value in values {
        let status = client.echo(with_authorization(EchoRequest::default(), value)).await.expect_err(value);
        assert_eq!(status.code(), Code::Unauthenticated, "{value:.40}: {status:?}");
    }
    let status = client.echo(tonic::Request::new(EchoRequest::default())).await.expect_err("no credentials");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(world.events.calls.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn verification_keys_are_fetched_once_and_unknown_kids_cannot_hammer_identity() {
    let world = World::start().await;
    let user = world.customer("member").await;
    let mut client = world.client().await;
    for _ in 0..5 {
        client.echo(bearer(EchoRequest::default(), &world.token(&user))).await.expect("valid token");
    }
    let other = SigningKey::generate();
    for n in 0..20 {
        let token = sign_raw(
            &json!({ "alg": "EdDSA", "typ": ACCESS_TOKEN_TYPE, "kid": format!("unknown-{n}") }),
            &world.claims(&user),
            &other.encoding,
            Algorithm::EdDSA,
        );
        let status = client.echo(bearer(EchoRequest::default(), &token)).await.expect_err("unknown kid");
        assert_eq!(status.code(), Code::Unauthenticated);
    }
    let fetches = world.keys.fetches.load(std::sync::atomic::Ordering::SeqCst);
    assert!(fetches <= 2, "keys fetched {fetches} times: the refresh on unknown kids is not rate capped");
}

#[tokio::test]
async fn api_keys_authenticate_and_revocation_takes_effect_within_the_cache_period() {
    let world = World::start_with(|config| config.api_key_cache_secs = 0.2).await;
    let tenant = TenantId(Uuid::new_v4());
    let secret = world.api_key(Some(tenant), Role::Member);
    let mut client = world.client().await;
    client.echo(bearer(EchoRequest::default(), &secret)).await.expect("api key accepted");
    client.deploy(bearer(DeployRequest::default(), &secret)).await.expect("member api key may deploy");

    world.api_keys.lock().unwrap().remove(&secret);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let status = client.echo(bearer(EchoRequest::default(), &secret)).await.expect_err("revoked key");
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
}

#[tokio::test]
async fn a_customer_calling_an_admin_only_method_is_permission_denied() {
    let world = World::start().await;
    let mut client = world.client().await;
    for role in ["owner", "member", "viewer"] {
        let user = world.customer(role).await;
        let status =
            client.administer(bearer(AdministerRequest::default(), &world.token(&user))).await.expect_err(role);
        assert_eq!(status.code(), Code::PermissionDenied, "{role}: {status:?}");
    }
    let viewer = world.customer("viewer").await;
    let status = client.deploy(bearer(DeployRequest::default(), &world.token(&viewer))).await.expect_err("viewer");
    assert_eq!(status.code(), Code::PermissionDenied, "a viewer may not deploy");

    let admin = world.user(None, "platform_admin").await;
    client.administer(bearer(AdministerRequest::default(), &world.token(&admin))).await.expect("platform admin");
}
