//! No password, token, code or secret used in a full run of the flows appears in
//! any log line (all targets, debug level and above, captured in-process).

use canopy_kit::clock::Clock as _;
use canopy_sdk::proto::canopy::identity::v1::{
    BeginMfaSetupRequest, ChangePasswordRequest, CompleteMfaLoginRequest, ConfirmMfaSetupRequest, CreateApiKeyRequest,
    IssuePasswordResetRequest, LoginRequest, RefreshSessionRequest, SetPasswordWithTokenRequest, VerifyApiKeyRequest,
    login_response,
};
use canopy_sdk::proto::canopy::options::v1::Role;
use chrono::Duration;
use uuid::Uuid;

use crate::support::{Harness, captured_logs, strong_password};

/// Whether `secret` occurs in `logs` as a whole word (for six-digit codes, so that
/// they are not "found" inside longer numbers such as ports or ids).
fn occurs_as_word(logs: &str, secret: &str) -> bool {
    logs.match_indices(secret).any(|(at, _)| {
        let before = logs[..at].chars().next_back();
        let after = logs[at + secret.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric()) && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

fn totp(secret_base32: &str, unix: i64) -> String {
    use hmac::Mac as _;
    let secret = data_encoding::BASE32_NOPAD.decode(secret_base32.as_bytes()).unwrap();
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(&secret).unwrap();
    mac.update(&(unix.div_euclid(30) as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0xf) as usize;
    let value = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

#[tokio::test]
async fn no_secret_used_in_the_flows_is_ever_logged() {
    let harness = Harness::start_with(|env| {
        // Debug everywhere, so the kit's own request logging is captured too.
        env.config.telemetry.log_filter = "debug".into();
    })
    .await;
    let mut secrets: Vec<String> = vec![harness.admin_password.clone()];
    let kek = harness.env.config.services["identity"]["key_encryption_key"].as_str().unwrap().to_string();
    secrets.push(kek);

    let admin = harness.admin_tokens().await;
    secrets.extend([admin.access_token.clone(), admin.refresh_token.clone()]);
    let refreshed = harness
        .auth(None)
        .await
        .refresh_session(RefreshSessionRequest { refresh_token: admin.refresh_token.clone() })
        .await
        .unwrap()
        .into_inner()
        .session
        .unwrap();
    secrets.extend([refreshed.access_token.clone(), refreshed.refresh_token.clone()]);

    // An invitation, a weak attempt, then a real password.
    let created = harness
        .users(&refreshed.access_token)
        .await
        .create_user(canopy_sdk::proto::canopy::identity::v1::CreateUserRequest {
            tenant_id: harness.new_tenant().await.to_string(),
            email: "secretive@acme.test".into(),
            display_name: "Secretive".into(),
            role: Role::Owner as i32,
        })
        .await
        .unwrap()
        .into_inner();
    secrets.push(created.invitation_token.clone());
    let weak = "Password1234".to_string();
    let _ = harness
        .auth(None)
        .await
        .set_password_with_token(SetPasswordWithTokenRequest {
            token: created.invitation_token.clone(),
            new_password: weak.clone(),
        })
        .await;
    let password = strong_password();
    secrets.push(password.clone());
    harness
        .auth(None)
        .await
        .set_password_with_token(SetPasswordWithTokenRequest {
            token: created.invitation_token.clone(),
            new_password: password.clone(),
        })
        .await
        .unwrap();

    // Failed sign-ins with guessed passwords.
    let wrong = format!("wrong-{}", Uuid::new_v4().simple());
    secrets.push(wrong.clone());
    for email in ["secretive@acme.test", "nobody@acme.test"] {
        let _ = harness.auth(None).await.login(LoginRequest { email: email.into(), password: wrong.clone() }).await;
    }

    // MFA set-up, sign-in with a code and with a recovery code.
    let owner = harness.login("secretive@acme.test", &password).await;
    secrets.extend([owner.access_token.clone(), owner.refresh_token.clone()]);
    let mut auth = harness.auth(Some(&owner.access_token)).await;
    let setup = auth.begin_mfa_setup(BeginMfaSetupRequest {}).await.unwrap().into_inner();
    secrets.push(setup.secret_base32.clone());
    let confirm_code = totp(&setup.secret_base32, harness.env.clock.now().timestamp());
    let recovery = auth
        .confirm_mfa_setup(ConfirmMfaSetupRequest { totp_code: confirm_code.clone(), end_other_sessions: false })
        .await
        .unwrap()
        .into_inner()
        .recovery_codes;
    secrets.push(confirm_code);
    secrets.extend(recovery.iter().cloned());
    harness.env.clock.advance(Duration::seconds(30));
    for (totp_code, recovery_code) in [
        (totp(&setup.secret_base32, harness.env.clock.now().timestamp()), String::new()),
        (String::new(), recovery[0].clone()),
    ] {
        let login = harness
            .auth(None)
            .await
            .login(LoginRequest { email: "secretive@acme.test".into(), password: password.clone() })
            .await
            .unwrap()
            .into_inner();
        let Some(login_response::Result::MfaChallenge(challenge)) = login.result else { panic!("challenge expected") };
        secrets.push(challenge.challenge_token.clone());
        if !totp_code.is_empty() {
            secrets.push(totp_code.clone());
        }
        let session = harness
            .auth(None)
            .await
            .complete_mfa_login(CompleteMfaLoginRequest {
                challenge_token: challenge.challenge_token,
                totp_code,
                recovery_code,
            })
            .await
            .unwrap()
            .into_inner()
            .session
            .unwrap();
        secrets.extend([session.access_token, session.refresh_token]);
    }

    // A password change, a reset, and an API key.
    let new_password = strong_password();
    secrets.push(new_password.clone());
    harness
        .auth(Some(&owner.access_token))
        .await
        .change_password(ChangePasswordRequest {
            current_password: password.clone(),
            new_password: new_password.clone(),
            end_other_sessions: false,
        })
        .await
        .unwrap();
    let user_id = created.user.unwrap().id;
    let reset = harness
        .users(&refreshed.access_token)
        .await
        .issue_password_reset(IssuePasswordResetRequest { user_id })
        .await
        .unwrap()
        .into_inner();
    secrets.push(reset.reset_token);
    let key = harness
        .api_keys(&owner.access_token)
        .await
        .create_api_key(CreateApiKeyRequest { name: "k".into(), role: Role::Viewer as i32, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    secrets.push(key.secret.clone());
    harness.credentials_internal().await.verify_api_key(VerifyApiKeyRequest { secret: key.secret }).await.unwrap();

    let logs = captured_logs();
    assert!(logs.contains("security event"), "the capture works: security events are logged");
    assert!(logs.contains("sign_in_failed") && logs.contains("mfa_enabled"), "and carry their kinds");
    for secret in &secrets {
        assert!(!occurs_as_word(&logs, secret), "a secret of {} characters was logged", secret.len());
    }
    assert!(!logs.contains(&weak), "even a refused password is not logged");
}
