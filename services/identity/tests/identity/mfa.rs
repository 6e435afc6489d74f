//! TOTP MFA: set-up, sign-in with a code (each code once), the ±1 step window,
//! recovery codes (each once), and disabling with re-authentication. Codes are
//! computed here independently (RFC 6238 with HMAC-SHA1), as an authenticator app would.

use canopy_kit::clock::Clock as _;
use canopy_sdk::proto::canopy::identity::v1::{
    BeginMfaSetupRequest, CompleteMfaLoginRequest, ConfirmMfaSetupRequest, DisableMfaRequest, GetCurrentUserRequest,
    LoginRequest, SessionTokens, login_response,
};
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::Duration;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use tonic::Code;

use crate::support::{Harness, assert_status};

/// The RFC 6238 code of `secret_base32` at time step `step`.
fn totp(secret_base32: &str, step: i64) -> String {
    let secret = data_encoding::BASE32_NOPAD.decode(secret_base32.as_bytes()).unwrap();
    let mut mac = Hmac::<Sha1>::new_from_slice(&secret).unwrap();
    mac.update(&(step as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0xf) as usize;
    let value = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

fn step_now(harness: &Harness) -> i64 {
    harness.env.clock.now().timestamp().div_euclid(30)
}

/// Starts a login and returns the MFA challenge token.
async fn challenge(harness: &Harness, email: &str, password: &str) -> String {
    let response = harness
        .auth(None)
        .await
        .login(LoginRequest { email: email.into(), password: password.into() })
        .await
        .unwrap()
        .into_inner();
    match response.result {
        Some(login_response::Result::MfaChallenge(challenge)) => challenge.challenge_token,
        other => panic!("expected an MFA challenge, got {other:?}"),
    }
}

async fn complete(
    harness: &Harness,
    challenge_token: &str,
    totp_code: &str,
    recovery_code: &str,
) -> Result<SessionTokens, tonic::Status> {
    harness
        .auth(None)
        .await
        .complete_mfa_login(CompleteMfaLoginRequest {
            challenge_token: challenge_token.into(),
            totp_code: totp_code.into(),
            recovery_code: recovery_code.into(),
        })
        .await
        .map(|response| response.into_inner().session.expect("session"))
}

struct MfaUser {
    email: &'static str,
    password: String,
    secret: String,
    recovery_codes: Vec<String>,
    tokens: SessionTokens,
}

async fn user_with_mfa(harness: &Harness) -> MfaUser {
    let admin = harness.admin_tokens().await;
    let email = "mfa@acme.test";
    let (_, password) =
        harness.create_active_user(&admin.access_token, Some(harness.new_tenant().await), email, Role::Owner).await;
    let tokens = harness.login(email, &password).await;
    let mut auth = harness.auth(Some(&tokens.access_token)).await;
    let setup = auth.begin_mfa_setup(BeginMfaSetupRequest {}).await.unwrap().into_inner();
    assert!(setup.otpauth_uri.starts_with("otpauth://totp/canopy:mfa%40acme.test?secret="), "{}", setup.otpauth_uri);
    assert!(
        setup
            .otpauth_uri
            .contains(&format!("secret={}&issuer=canopy&algorithm=SHA1&digits=6&period=30", setup.secret_base32))
    );

    let wrong =
        auth.confirm_mfa_setup(ConfirmMfaSetupRequest { totp_code: "000000".into(), end_other_sessions: false }).await;
    if let Err(status) = &wrong {
        assert_eq!(status.code(), Code::InvalidArgument);
    }
    let code = totp(&setup.secret_base32, step_now(harness));
    let confirmed = auth
        .confirm_mfa_setup(ConfirmMfaSetupRequest { totp_code: code, end_other_sessions: false })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(confirmed.recovery_codes.len(), 10);
    let user = harness.auth(Some(&tokens.access_token)).await.get_current_user(GetCurrentUserRequest {}).await.unwrap();
    assert!(user.into_inner().user.unwrap().mfa_enabled);
    MfaUser { email, password, secret: setup.secret_base32, recovery_codes: confirmed.recovery_codes, tokens }
}

#[tokio::test]
async fn a_totp_code_works_once_and_a_code_two_steps_old_is_refused() {
    let harness = Harness::start().await;
    let user = user_with_mfa(&harness).await;

    // The code used to confirm set-up cannot sign in: that step is spent.
    let spent = totp(&user.secret, step_now(&harness));
    let token = challenge(&harness, user.email, &user.password).await;
    assert_status(
        complete(&harness, &token, &spent, "").await,
        Code::Unauthenticated,
        Some("unauthenticated: invalid or expired challenge or code"),
    );

    harness.env.clock.advance(Duration::seconds(30));
    let code = totp(&user.secret, step_now(&harness));
    let token = challenge(&harness, user.email, &user.password).await;
    let session = complete(&harness, &token, &code, "").await.expect("a fresh code signs in");
    harness.auth(Some(&session.access_token)).await.get_current_user(GetCurrentUserRequest {}).await.unwrap();
    // The challenge is single use, and the same code is refused on a new challenge.
    assert_status(complete(&harness, &token, &code, "").await, Code::Unauthenticated, None);
    let token = challenge(&harness, user.email, &user.password).await;
    assert_status(complete(&harness, &token, &code, "").await, Code::Unauthenticated, None);

    // One step of drift is tolerated; two steps are not.
    harness.env.clock.advance(Duration::seconds(90));
    let two_old = totp(&user.secret, step_now(&harness) - 2);
    let token = challenge(&harness, user.email, &user.password).await;
    assert_status(complete(&harness, &token, &two_old, "").await, Code::Unauthenticated, None);
    let one_old = totp(&user.secret, step_now(&harness) - 1);
    let token = challenge(&harness, user.email, &user.password).await;
    complete(&harness, &token, &one_old, "").await.expect("one step of drift is accepted");

    // Exactly one of the two codes must be given.
    let token = challenge(&harness, user.email, &user.password).await;
    assert_status(complete(&harness, &token, "123456", "abcd-efgh").await, Code::InvalidArgument, None);

    // An expired challenge is refused even with a good code.
    let token = challenge(&harness, user.email, &user.password).await;
    harness.env.clock.advance(Duration::minutes(6));
    let code = totp(&user.secret, step_now(&harness));
    assert_status(complete(&harness, &token, &code, "").await, Code::Unauthenticated, None);
}

#[tokio::test]
async fn recovery_codes_are_single_use() {
    let harness = Harness::start().await;
    let user = user_with_mfa(&harness).await;
    let code = user.recovery_codes[3].clone();

    let token = challenge(&harness, user.email, &user.password).await;
    complete(&harness, &token, "", &code.to_uppercase()).await.expect("a recovery code signs in, in any case");
    let token = challenge(&harness, user.email, &user.password).await;
    assert_status(complete(&harness, &token, "", &code).await, Code::Unauthenticated, None);
    let token = challenge(&harness, user.email, &user.password).await;
    complete(&harness, &token, "", &user.recovery_codes[4]).await.expect("another code still works");
    let token = challenge(&harness, user.email, &user.password).await;
    assert_status(complete(&harness, &token, "", "aaaa-bbbb-cccc-dddd").await, Code::Unauthenticated, None);
    assert!(harness.event_kinds().await.contains(&"recovery_code_used".to_string()));
}

#[tokio::test]
async fn disabling_mfa_needs_the_password_and_a_current_code() {
    let harness = Harness::start().await;
    let user = user_with_mfa(&harness).await;
    let mut auth = harness.auth(Some(&user.tokens.access_token)).await;
    harness.env.clock.advance(Duration::seconds(30));
    let code = totp(&user.secret, step_now(&harness));

    let wrong_password =
        auth.disable_mfa(DisableMfaRequest { password: "not-my-password-1".into(), totp_code: code.clone() }).await;
    assert_status(wrong_password, Code::PermissionDenied, Some("permission denied: password or code is incorrect"));
    let wrong_code =
        auth.disable_mfa(DisableMfaRequest { password: user.password.clone(), totp_code: "000000".into() }).await;
    assert_status(wrong_code, Code::PermissionDenied, None);

    auth.disable_mfa(DisableMfaRequest { password: user.password.clone(), totp_code: code }).await.unwrap();
    // Without MFA, login answers with a session again.
    harness.login(user.email, &user.password).await;
    let kinds = harness.event_kinds().await;
    assert!(kinds.contains(&"mfa_enabled".to_string()) && kinds.contains(&"mfa_disabled".to_string()), "{kinds:?}");
}

#[tokio::test]
async fn confirming_mfa_can_end_every_other_session() {
    let harness = Harness::start().await;
    let admin = harness.admin_tokens().await;
    let email = "two@acme.test";
    let (_, password) =
        harness.create_active_user(&admin.access_token, Some(harness.new_tenant().await), email, Role::Member).await;
    let laptop = harness.login(email, &password).await;
    let phone = harness.login(email, &password).await;
    let mut auth = harness.auth(Some(&laptop.access_token)).await;
    let setup = auth.begin_mfa_setup(BeginMfaSetupRequest {}).await.unwrap().into_inner();
    let code = totp(&setup.secret_base32, step_now(&harness));
    auth.confirm_mfa_setup(ConfirmMfaSetupRequest { totp_code: code, end_other_sessions: true }).await.unwrap();

    harness.auth(Some(&laptop.access_token)).await.get_current_user(GetCurrentUserRequest {}).await.unwrap();
    let phone_call = harness.auth(Some(&phone.access_token)).await.get_current_user(GetCurrentUserRequest {}).await;
    assert_status(phone_call, Code::Unauthenticated, None);
}

#[tokio::test]
async fn totp_secrets_sealed_before_envelope_encryption_are_resealed_at_start_and_keep_working() {
    let mut harness = Harness::start().await;
    let (tenant, user_id, password, tokens) = harness.owner_of_new_tenant("legacy@acme.test").await;
    let mut auth = harness.auth(Some(&tokens.access_token)).await;
    let setup = auth.begin_mfa_setup(BeginMfaSetupRequest {}).await.unwrap().into_inner();
    auth.confirm_mfa_setup(ConfirmMfaSetupRequest {
        totp_code: totp(&setup.secret_base32, step_now(&harness)),
        end_other_sessions: false,
    })
    .await
    .unwrap();
    let pool = harness.env.superuser_pool().await;
    let sealed_now = |pool: sqlx::PgPool| async move {
        sqlx::query_as::<_, (String, Vec<u8>)>(
            "select mfa_secrets_sealing, mfa_secret_sealed from identity.users where id = $1",
        )
        .bind(user_id)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let (sealing, enveloped) = sealed_now(pool.clone()).await;
    assert_eq!(sealing, "envelope", "new secrets are sealed with envelope encryption");
    assert_eq!(canopy_kit::secrets::Ciphertext::parse(&enveloped).unwrap().key_id, tenant, "under the tenant's key");

    // The row as the identity before migration 0003 left it: the secret sealed under the
    // KEK alone (nonce || ciphertext, "totp:<user id>" as associated data).
    let kek = harness.env.config.services["identity"]["key_encryption_key"].as_str().unwrap().to_owned();
    let kek: [u8; 32] = data_encoding::BASE64.decode(kek.as_bytes()).unwrap().try_into().unwrap();
    let secret = data_encoding::BASE32_NOPAD.decode(setup.secret_base32.as_bytes()).unwrap();
    let legacy = canopy_identity::domain::sealing::KeyEncryptionKey::new(&kek)
        .seal(format!("totp:{user_id}").as_bytes(), &secret);
    sqlx::query("update identity.users set mfa_secret_sealed = $2, mfa_secrets_sealing = 'legacy' where id = $1")
        .bind(user_id)
        .bind(&legacy)
        .execute(&pool)
        .await
        .unwrap();

    // The next start re-seals it, and the authenticator's codes still sign in.
    harness.restart().await;
    let (sealing, resealed) = sealed_now(pool.clone()).await;
    assert_eq!(sealing, "envelope");
    assert_eq!(canopy_kit::secrets::Ciphertext::parse(&resealed).unwrap().key_id, tenant);
    assert_ne!(resealed, legacy);
    harness.env.clock.advance(Duration::seconds(30));
    let token = challenge(&harness, "legacy@acme.test", &password).await;
    complete(&harness, &token, &totp(&setup.secret_base32, step_now(&harness)), "").await.expect("the code signs in");

    // The sealed bytes are bound to their row: copied onto another user's, they open for no one.
    let (_, other_id, other_password, other_tokens) = harness.owner_of_new_tenant("copycat@acme.test").await;
    let mut other = harness.auth(Some(&other_tokens.access_token)).await;
    let other_setup = other.begin_mfa_setup(BeginMfaSetupRequest {}).await.unwrap().into_inner();
    other
        .confirm_mfa_setup(ConfirmMfaSetupRequest {
            totp_code: totp(&other_setup.secret_base32, step_now(&harness)),
            end_other_sessions: false,
        })
        .await
        .unwrap();
    sqlx::query("update identity.users set mfa_secret_sealed = $2 where id = $1")
        .bind(other_id)
        .bind(&resealed)
        .execute(&pool)
        .await
        .unwrap();
    harness.env.clock.advance(Duration::seconds(30));
    let token = challenge(&harness, "copycat@acme.test", &other_password).await;
    let refused = complete(&harness, &token, &totp(&setup.secret_base32, step_now(&harness)), "").await.unwrap_err();
    assert_eq!(refused.code(), Code::Internal, "another row's secret does not open: {refused:?}");
}
